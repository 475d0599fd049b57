"""What real clients send: SPARQLWrapper with every return format it offers, for every
query form, with its default parameters (it repeats its choice as ``format``/``output``/
``results`` next to Accept); the ``format``/``output`` names of Fuseki, Virtuoso and the
short names, read in the light of the query form; and the protocol's edges (a form POST
without a query, update text as a query, relative IRIs).

Every answer is the format asked for or a clear 406, never another one.
"""

from __future__ import annotations

import urllib.error
import warnings

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from SPARQLWrapper import SPARQLWrapper
from SPARQLWrapper.Wrapper import _allowedFormats

from defensie_kg.rdf import formats

MEASURE = "https://w3id.org/defensienota-2024/id/measure/test-measure"
FORMS = {
    "SELECT": f"SELECT ?p ?o WHERE {{ <{MEASURE}> ?p ?o }}",
    "ASK": f"ASK {{ <{MEASURE}> ?p ?o }}",
    "CONSTRUCT": f"CONSTRUCT {{ <{MEASURE}> ?p ?o }} WHERE {{ <{MEASURE}> ?p ?o }}",
    "DESCRIBE": f"DESCRIBE <{MEASURE}>",
}
RESULTS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPHS = {
    "turtle": "text/turtle",
    "n3": "text/turtle",  # Turtle is N3 (and SPARQLWrapper's N3 Accept lists text/turtle)
    "xml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "json-ld": "application/ld+json",
    "json": "application/ld+json",  # JSON for a graph: JSON-LD, as Fuseki and Virtuoso answer
}


def _expected(form: str, wanted: str) -> str | None:
    """The media type the answer must have, or None for a 406."""
    table = RESULTS if form in ("SELECT", "ASK") else GRAPHS
    return table.get(wanted)


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_every_return_format_every_form(
    live_server: str, form: str, method: str
) -> None:
    wrong = []
    for wanted in _allowedFormats:
        client = SPARQLWrapper(f"{live_server}/sparql")
        client.setMethod(method)
        client.setQuery(FORMS[form])
        client.setReturnFormat(wanted)
        expected = _expected(form, wanted)
        with warnings.catch_warnings():  # SPARQLWrapper warns when it sends Accept: */*
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", DeprecationWarning)  # rdflib, inside convert()
            try:
                response = client.query()
            except urllib.error.HTTPError as exc:
                if not (expected is None and exc.code == 406):
                    wrong.append((wanted, exc.code, expected))
                continue
            media = response.response.headers["Content-Type"].split(";")[0]
            if media != expected:
                wrong.append((wanted, media, expected))
                continue
            assert response.convert() is not None  # SPARQLWrapper reads what it got
    assert not wrong, f"{form}: (asked, got, expected) {wrong}"


# --- format= / output= names -------------------------------------------------------------

NAMES = {
    # value: (for SELECT/ASK, for CONSTRUCT/DESCRIBE); None = 406
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", None),
    "tsv": ("tsv", None),
    "srj": ("json", None),
    "srx": ("xml", None),
    "sparql": ("xml", None),  # Fuseki: output=sparql is SPARQL Results XML
    "application/sparql-results+json": ("json", None),
    "application/sparql-results+xml": ("xml", None),
    "text/csv": ("csv", None),
    "text/tab-separated-values": ("tsv", None),
    "application/json": ("json", None),
    "turtle": (None, "turtle"),
    "ttl": (None, "turtle"),
    "text/turtle": (None, "turtle"),
    "n3": (None, "turtle"),
    "nt": (None, "ntriples"),
    "ntriples": (None, "ntriples"),
    "n-triples": (None, "ntriples"),
    "application/n-triples": (None, "ntriples"),
    "rdf": (None, "rdfxml"),
    "rdfxml": (None, "rdfxml"),
    "rdf+xml": (None, "rdfxml"),
    "application/rdf+xml": (None, "rdfxml"),
    "jsonld": (None, "jsonld"),
    "json-ld": (None, "jsonld"),
    "application/ld+json": (None, "jsonld"),
    "application/ld+json; profile=expanded": (None, "jsonld"),
    "trig": (None, "trig"),
    "nquads": (None, "nquads"),
    "nq": (None, "nquads"),
    "application/n-quads": (None, "nquads"),
    "html": (None, None),
    "nonsense": (None, None),
}


@pytest.mark.parametrize("parameter", ["format", "output"])
@pytest.mark.parametrize("form", list(FORMS))
def test_format_names_in_the_light_of_the_query_form(
    mini_client: TestClient, parameter: str, form: str
) -> None:
    column = 0 if form in ("SELECT", "ASK") else 1
    for value, choices in NAMES.items():
        name = choices[column]
        response = mini_client.get(
            "/sparql", params={"query": FORMS[form], parameter: value}, headers={"Accept": "*/*"}
        )
        if name is None:
            assert response.status_code == 406, (value, response.status_code)
            assert "use one of" in response.text
        else:
            assert response.status_code == 200, (value, response.text[:200])
            media = response.headers["content-type"].split(";")[0]
            assert media == formats.BY_NAME[name].media_type, (value, media)


def test_the_first_format_value_that_fits_wins(mini_client: TestClient) -> None:
    # SPARQLWrapper's JSON-LD: format=json-ld&format=application/ld+json,application/x-json+ld
    response = mini_client.get(
        "/sparql",
        params=[
            ("query", FORMS["CONSTRUCT"]),
            ("format", "json-ld"),
            ("format", "application/ld+json,application/x-json+ld"),
            ("output", "json-ld"),
        ],
    )
    assert response.headers["content-type"].startswith("application/ld+json")


def test_the_service_description_reads_format_and_output(mini_client: TestClient) -> None:
    assert (
        mini_client.get("/sparql", params={"output": "ttl"})
        .headers["content-type"]
        .startswith("text/turtle")
    )
    assert (
        mini_client.get("/sparql", params={"format": "xml"})
        .headers["content-type"]
        .startswith("application/rdf+xml")
    )
    assert mini_client.get("/sparql", params={"format": "csv"}).status_code == 406


# --- protocol edges -------------------------------------------------------------------------


def test_a_form_post_without_query_is_400(mini_client: TestClient) -> None:
    for data in ({"format": "json"}, {"default-graph-uri": "urn:x"}, {"infer": "false"}):
        response = mini_client.post("/sparql", data=data)
        assert response.status_code == 400, (data, response.status_code)
        assert "query" in response.text
    empty = mini_client.post(
        "/sparql", content=b"", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert empty.status_code == 400
    # a GET without a query is still the Service Description
    assert mini_client.get("/sparql", headers={"Accept": "text/turtle"}).status_code == 200


@pytest.mark.parametrize(
    "text", ["INSERT DATA { <a:a> <a:b> <a:c> }", "DROP ALL", "PREFIX x: <urn:x:> CLEAR ALL"]
)
def test_update_text_as_a_query_is_400_and_as_an_update_403(
    mini_client: TestClient, text: str
) -> None:
    assert mini_client.get("/sparql", params={"query": text}).status_code == 400
    assert mini_client.post("/sparql", data={"query": text}).status_code == 400
    direct = {"Content-Type": "application/sparql-query"}
    assert mini_client.post("/sparql", content=text, headers=direct).status_code == 400
    assert mini_client.post("/sparql", data={"update": text}).status_code == 403
    update = {"Content-Type": "application/sparql-update"}
    assert mini_client.post("/sparql", content=text, headers=update).status_code == 403


def test_relative_iris_resolve_against_the_endpoint(mini_client: TestClient) -> None:
    # the W3C protocol tests' content-type cases send exactly this
    response = mini_client.get(
        "/sparql",
        params={"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"},
        headers={"Accept": "application/n-triples"},
    )
    assert response.status_code == 200, response.text
    integer = "<http://www.w3.org/2001/XMLSchema#integer>"
    assert response.text.strip() == f'<http://testserver/s> <http://testserver/p> "1"^^{integer} .'
    own = mini_client.get(
        "/sparql",
        params={"query": "BASE <http://example.org/a/> CONSTRUCT { <s> <p> 1 } WHERE {}"},
        headers={"Accept": "application/n-triples"},
    )
    assert own.text.startswith("<http://example.org/a/s> <http://example.org/a/p>")
    ask = mini_client.post("/sparql", data={"query": "ASK { FILTER(<x> = <http://testserver/x>) }"})
    assert ask.json()["boolean"] is True


def test_a_hostile_host_header_never_reaches_a_query(mini_client: TestClient) -> None:
    for host in ("evil> } SELECT", "a b", "x\\y"):
        response = mini_client.get(
            "/sparql",
            params={"query": "SELECT (STR(<x>) AS ?x) {}", "format": "json"},
            headers={"Host": host},
        )
        assert response.status_code == 200
        assert response.json()["results"]["bindings"][0]["x"]["value"] == "http://localhost/x"


# --- the registry -------------------------------------------------------------------------


def test_every_format_is_one_complete_entry() -> None:
    for fmt in formats.FORMATS:
        assert fmt.media_type and "/" in fmt.media_type and ";" not in fmt.media_type
        assert fmt.suffix and fmt.iri.startswith("http://www.w3.org/ns/formats/")
        if fmt.kind == formats.RESULTS:
            assert fmt.results is not None and fmt.boolean is not None
        else:
            assert fmt.rdf is not None and fmt.rdf.media_type.startswith(fmt.media_type)
    names = [n for f in formats.RESULT_FORMATS for n in (f.name, *f.names)]
    assert len(names) == len(set(names))
    names = [n for f in formats.GRAPH_FORMATS for n in (f.name, *f.names)]
    assert len(names) == len(set(names))


def test_the_service_description_lists_every_registered_format(mini_client: TestClient) -> None:
    body = mini_client.get("/sparql", headers={"Accept": "application/n-triples"}).content
    listed = {
        t.object.value
        for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
        if t.predicate.value == "http://www.w3.org/ns/sparql-service-description#resultFormat"
    }
    assert listed == {f.iri for f in formats.FORMATS}
