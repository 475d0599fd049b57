"""SPARQL 1.1 Protocol at /sparql: every variant × format × query form, and every refusal."""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph

SELECT = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(lang(?label) = 'en') "
    "FILTER(CONTAINS(?label, 'Test b')) } ORDER BY ?s"
)
ASK = "ASK { ?s ?p ?o }"
CONSTRUCT = (
    "CONSTRUCT { ?s <http://example.org/p> ?label } WHERE { "
    "?s <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(lang(?label) = 'en') "
    "FILTER(CONTAINS(?label, 'Test b')) }"
)
DESCRIBE = "DESCRIBE <https://w3id.org/defensienota-2024/id/measure/test-measure>"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _send(client: TestClient, variant: str, query: str, accept: str | None = None, **params: str):
    headers = {"Accept": accept} if accept else {}
    if variant == "get":
        return client.get("/sparql", params={"query": query, **params}, headers=headers)
    if variant == "form":
        return client.post("/sparql", data={"query": query, **params}, headers=headers)
    headers["Content-Type"] = "application/sparql-query"
    return client.post("/sparql", params=params, content=query.encode(), headers=headers)


VARIANTS = ["get", "form", "direct"]
SELECT_FORMATS = [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    (None, "application/sparql-results+json"),
]
GRAPH_FORMATS = [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/trig", "application/trig", "trig"),
    ("application/n-quads", "application/n-quads", "nquads"),
    ("*/*", "text/turtle", "turtle"),
]


def _select_rows(media: str, body: bytes) -> list[list[str]]:
    text = body.decode()
    if media.endswith("json"):
        doc = json.loads(text)
        return [[b[v]["value"] for v in doc["head"]["vars"]] for b in doc["results"]["bindings"]]
    if media.endswith("xml"):
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        root = ElementTree.fromstring(text)  # noqa: S314 - our own server's output
        return [
            [b[0].text or "" for b in r.findall("r:binding", ns)]
            for r in root.findall(".//r:result", ns)
        ]
    if media == "text/csv":
        return list(csv.reader(io.StringIO(text)))[1:]
    return [
        [
            cell.split('"')[1] if cell.startswith('"') else cell.strip("<>")
            for cell in line.split("\t")
        ]
        for line in text.splitlines()[1:]
    ]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("accept", "media"), SELECT_FORMATS)
def test_select(mini_client: TestClient, variant: str, accept: str | None, media: str) -> None:
    response = _send(mini_client, variant, SELECT, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    assert _select_rows(media, response.content) == [
        [
            "https://w3id.org/defensienota-2024/id/organisation/test-battlegroup-parent",
            "Test division",
        ][:0]
        or ["https://w3id.org/defensienota-2024/id/organisation/test-brigade", "Test brigade"],
    ]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_ask(mini_client: TestClient, variant: str, fmt: str) -> None:
    response = _send(mini_client, variant, ASK, format=fmt)
    assert response.status_code == 200
    assert "true" in response.text


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("accept", "media", "rdflib_format"), GRAPH_FORMATS)
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_graph_results(
    mini_client: TestClient, variant: str, accept: str, media: str, rdflib_format: str, query: str
) -> None:
    response = _send(mini_client, variant, query, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    graph = Graph()
    if rdflib_format in ("trig", "nquads"):
        from rdflib import Dataset

        graph = Dataset()
    graph.parse(data=response.content, format=rdflib_format)
    assert len(graph) >= 1


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/*;q=0.8, application/sparql-results+json;q=0.1", "text/csv"),
        ("text/html, */*;q=0.1", "application/sparql-results+json"),
        (
            "application/sparql-results+json;q=0, text/tab-separated-values",
            "text/tab-separated-values",
        ),
    ],
)
def test_accept_q_values(mini_client: TestClient, accept: str, expected: str) -> None:
    response = _send(mini_client, "get", ASK, accept)
    assert response.headers["content-type"].split(";")[0] == expected


def test_format_parameter_overrides_accept(mini_client: TestClient) -> None:
    response = _send(mini_client, "get", ASK, "application/sparql-results+xml", format="csv")
    assert response.headers["content-type"].startswith("text/csv")


def test_unacceptable_accept_is_406_listing_formats(mini_client: TestClient) -> None:
    response = _send(mini_client, "get", ASK, "image/png")
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text


def test_graph_format_for_select_is_406(mini_client: TestClient) -> None:
    response = _send(mini_client, "get", SELECT, format="turtle")
    assert response.status_code == 406


def test_syntax_error_is_400_with_parser_message_and_position(mini_client: TestClient) -> None:
    response = _send(mini_client, "get", "SELECT * WHERE { ?s ?p }")
    assert response.status_code == 400
    assert response.text.startswith("Query syntax error: error at 1:")
    assert response.headers["content-type"].startswith("text/plain")


def test_wrong_post_content_type_is_415(mini_client: TestClient) -> None:
    response = mini_client.post("/sparql", content=ASK, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_body_over_the_limit_is_413(mini_client: TestClient, mini_settings) -> None:  # type: ignore[no-untyped-def]
    big = "ASK {}" + " " * (mini_settings.max_body_bytes + 1)
    response = mini_client.post(
        "/sparql", content=big, headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("send", "status"),
    [
        # an update sent as an update: refused (403)
        (lambda c: c.post("/sparql", data={"update": "DROP ALL"}), 403),
        (
            lambda c: c.post(
                "/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update"}
            ),
            403,
        ),
        # update text sent as a query: a malformed query (400)
        (lambda c: c.get("/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"}), 400),
        (lambda c: c.post("/sparql", data={"query": "INSERT DATA { <a:a> <a:b> <a:c> }"}), 400),
        (
            lambda c: c.post(
                "/sparql", content="CLEAR ALL", headers={"Content-Type": "application/sparql-query"}
            ),
            400,
        ),
        (lambda c: c.get("/sparql", params={"query": "LOAD <http://example.org/x>"}), 400),
    ],
    ids=["update-field", "sparql-update", "delete-as-query", "insert-form", "clear-direct", "load"],
)
def test_updates_are_refused_and_change_nothing(mini_client: TestClient, send, status: int) -> None:  # type: ignore[no-untyped-def]
    before = _send(mini_client, "get", COUNT, format="csv").text
    response = send(mini_client)
    assert response.status_code == status
    assert "read-only" in response.text
    assert _send(mini_client, "get", COUNT, format="csv").text == before


def test_service_is_refused(mini_client: TestClient) -> None:
    response = _send(
        mini_client, "get", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    )
    assert response.status_code == 403
    assert "SERVICE" in response.text


def test_infer_false_hides_inferred_triples(mini_client: TestClient) -> None:
    query = (
        "ASK { <https://w3id.org/defensienota-2024/id/measure/test-measure> "
        "<https://w3id.org/defensienota-2024/def/contributesTo> ?t }"
    )
    assert "true" in _send(mini_client, "get", query, format="json").text
    assert "false" in _send(mini_client, "get", query, format="json", infer="false").text


def test_default_graph_uri_restricts_the_dataset(mini_client: TestClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    graph = "https://w3id.org/defensienota-2024/graph/data/mini"
    response = _send(mini_client, "get", query, format="csv", **{"default-graph-uri": graph})
    assert response.status_code == 200
    assert 20 < int(response.text.splitlines()[1]) < 100


def test_unknown_default_graph_is_400(mini_client: TestClient) -> None:
    response = _send(mini_client, "get", ASK, **{"default-graph-uri": "http://example.org/nope"})
    assert response.status_code == 400
    assert "Unknown graph" in response.text


def test_named_graph_uri(mini_client: TestClient) -> None:
    graph = "https://w3id.org/defensienota-2024/graph/data/mini"
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = _send(mini_client, "get", query, format="csv", **{"named-graph-uri": graph})
    assert response.text.splitlines()[1:] == [graph]


def test_row_cap_truncates_and_says_so(mini_client: TestClient, mini_settings) -> None:  # type: ignore[no-untyped-def]
    response = _send(mini_client, "get", "SELECT * WHERE { ?s ?p ?o }", format="json")
    assert response.headers["x-result-truncated"] == "true"
    assert len(response.json()["results"]["bindings"]) == mini_settings.max_rows


def test_head_has_headers_and_no_body(mini_client: TestClient) -> None:
    response = mini_client.head("/sparql", params={"query": ASK})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert response.content == b""


def test_cors_preflight_without_credentials(mini_client: TestClient) -> None:
    response = mini_client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    simple = mini_client.get(
        "/sparql", params={"query": ASK}, headers={"Origin": "https://x.example"}
    )
    assert simple.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")],
)
def test_service_description(mini_client: TestClient, accept: str, fmt: str) -> None:
    response = mini_client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    graph = Graph().parse(data=response.content, format=fmt)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    rows = graph.query(f"""PREFIX sd: <{sd}> PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?name ?n WHERE {{ ?s sd:endpoint ?e ; sd:defaultDataset/sd:namedGraph ?g .
        ?g sd:name ?name ; sd:graph/void:triples ?n }}""")
    sizes = {str(name): int(n) for name, n in rows}
    assert sizes["https://w3id.org/defensienota-2024/graph/data/mini"] > 20
    assert "https://w3id.org/defensienota-2024/graph/inferred" in sizes


def test_service_description_declares_the_owl_rl_entailment_regime(
    mini_client: TestClient,
) -> None:
    response = mini_client.get("/sparql", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=response.content, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    owl_rl = "http://www.w3.org/ns/entailment/OWL-RL"
    rows = graph.query(f"""PREFIX sd: <{sd}>
        SELECT ?e ?default WHERE {{ ?s sd:endpoint ?e ; sd:defaultEntailmentRegime <{owl_rl}> ;
        sd:defaultDataset/sd:defaultGraph/sd:entailmentRegime ?default }}""")
    assert [(str(e), str(d)) for e, d in rows] == [("http://testserver/sparql", owl_rl)]


def test_service_description_for_browsers_redirects_to_editor(mini_client: TestClient) -> None:
    response = mini_client.get("/sparql", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/query"


@pytest.mark.parametrize("raw", ["query=%ZZ", "query=%C3%28", "query=ASK%7B%7D&query=ASK%7B%7D"])
def test_malformed_query_strings_are_400(mini_client: TestClient, raw: str) -> None:
    response = mini_client.get(f"/sparql?{raw}")
    assert response.status_code == 400
