"""Downloads, the JSON-LD context and the VoID/DCAT description, over the real app."""

from __future__ import annotations

import gzip
import re

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from defensie_kg.namespaces import INFERRED_GRAPH, PREFIXES
from defensie_kg.query import export
from defensie_kg.rdf import formats
from defensie_kg.web.state import AppState

VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
RDFLIB_FORMAT = {
    "turtle": "turtle",
    "ntriples": "nt",
    "jsonld": "json-ld",
    "rdfxml": "xml",
    "trig": "trig",
    "nquads": "nquads",
}
CASES = [(variant, name) for variant in export.VARIANTS for name in export.DUMP_FORMATS]


def _name(name: str, variant: str, gz: bool = False) -> str:
    return export.filename(formats.BY_NAME[name], variant, gz)


def _variant_graphs(state: AppState, variant: str) -> list[str]:
    names = state.graph.graph_names
    return names if variant == "inferred" else [g for g in names if g != str(INFERRED_GRAPH)]


def _as_rdflib(triples: list[ox.Triple]) -> Graph:
    graph = Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt")
    return graph


_EXPECTED: dict[tuple[str, ...], Graph] = {}


def _expected(state: AppState, graphs: tuple[str, ...]) -> Graph:
    """The store's triples of ``graphs``, merged, as an rdflib graph (parsed once)."""
    if graphs not in _EXPECTED:
        triples = sorted({q.triple for q in state.graph.quads(list(graphs))}, key=str)
        _EXPECTED[graphs] = _as_rdflib(triples)
    return _EXPECTED[graphs]


def _assert_same(actual: Graph, expected: Graph) -> None:
    """Equal ground triples, and isomorphic where blank nodes are involved (fast and exact)."""

    def split(graph: Graph) -> tuple[set[tuple], Graph]:
        ground, rest = set(), Graph()
        for triple in graph:
            if any(isinstance(term, BNode) for term in triple):
                rest.add(triple)
            else:
                ground.add(triple)
        return ground, rest

    (ground_a, rest_a), (ground_e, rest_e) = split(actual), split(expected)
    assert len(actual) == len(expected)
    assert ground_a == ground_e, (sorted(ground_a - ground_e)[:3], sorted(ground_e - ground_a)[:3])
    assert isomorphic(rest_a, rest_e)


@pytest.fixture(scope="module")
def bodies(client: TestClient) -> dict[str, bytes]:
    """Every dump file, fetched once."""
    out = {}
    for variant, name in CASES:
        for gz in (False, True):
            response = client.get(f"/download/{_name(name, variant, gz)}")
            assert response.status_code == 200, response.text
            out[_name(name, variant, gz)] = response.content
    return out


# --- the dumps ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "name"), CASES)
def test_dump_parses_back_to_the_store(
    bodies: dict[str, bytes], state: AppState, variant: str, name: str
) -> None:
    plain, packed = bodies[_name(name, variant)], bodies[_name(name, variant, True)]
    assert gzip.decompress(packed) == plain
    graphs = _variant_graphs(state, variant)
    fmt = formats.BY_NAME[name]
    if fmt.kind == "graph":  # triple formats merge the graphs
        parsed = Graph().parse(data=plain, format=RDFLIB_FORMAT[name])
        _assert_same(parsed, _expected(state, tuple(graphs)))
        return
    dataset = Dataset()
    dataset.parse(data=plain, format=RDFLIB_FORMAT[name])
    found = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert found == set(graphs)  # graph names kept, nothing in the default graph
    for name_ in graphs:
        _assert_same(dataset.graph(URIRef(name_)), _expected(state, (name_,)))


def test_files_have_the_right_headers(client: TestClient) -> None:
    for variant, name in CASES:
        fmt = formats.BY_NAME[name]
        plain = client.get(f"/download/{_name(name, variant)}")
        assert plain.headers["content-type"] == fmt.content_type
        packed = client.get(f"/download/{_name(name, variant, True)}")
        assert packed.headers["content-type"] == "application/gzip"
        assert packed.headers["content-disposition"] == (
            f'attachment; filename="{_name(name, variant, True)}"'
        )
        assert packed.content[:2] == b"\x1f\x8b"
        assert packed.content[4:8] == b"\0\0\0\0"  # gzip mtime 0: deterministic
        assert packed.headers["etag"] != plain.headers["etag"]


def test_ntriples_is_sorted_and_stable(client: TestClient) -> None:
    for variant in export.VARIANTS:
        first = client.get(f"/download/{_name('ntriples', variant)}").content
        second = client.get(f"/download/{_name('ntriples', variant)}").content
        assert first == second
        lines = first.decode("utf-8").splitlines()
        assert lines and lines == sorted(lines)
        assert (
            client.get(f"/download/{_name('ntriples', variant, True)}").content
            == client.get(f"/download/{_name('ntriples', variant, True)}").content
        )


def test_dumps_match_the_export_module(client: TestClient, state: AppState) -> None:
    fmt = formats.BY_NAME["nquads"]
    served = client.get(f"/download/{_name('nquads', 'inferred')}").content
    assert served == export.dump(state.graph, fmt, "inferred")


def test_jsonld_embeds_the_published_context(client: TestClient) -> None:
    context = client.get("/context.jsonld")
    assert context.status_code == 200
    assert context.headers["content-type"].startswith("application/ld+json")
    published = context.json()["@context"]
    assert published == PREFIXES
    for variant in export.VARIANTS:
        document = client.get(f"/download/{_name('jsonld', variant)}").json()
        assert document["@context"] == published
        assert isinstance(document["@graph"], list) and document["@graph"]
        keys = {key for node in document["@graph"] for key in node}
        assert "dn:sourceSection" in keys  # compacted to the context's prefixes
        assert not [k for k in keys if k.startswith("https://w3id.org/defensienota-2024/def/")]
        ids = {node["@id"] for node in document["@graph"]}
        assert "measure:4-2-land-tank-battalion" in ids


def test_etag_and_last_modified_give_304(client: TestClient) -> None:
    url = f"/download/{_name('turtle', 'asserted')}"
    first = client.get(url)
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    assert client.get(url, headers={"If-None-Match": f'"other", W/{tag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert (
        client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code
        == 200
    )
    # If-None-Match wins over If-Modified-Since.
    assert (
        client.get(
            url, headers={"If-None-Match": '"other"', "If-Modified-Since": modified}
        ).status_code
        == 200
    )


def test_head_has_headers_but_no_body(client: TestClient) -> None:
    for url in (
        f"/download/{_name('trig', 'inferred')}",
        f"/download/{_name('trig', 'inferred', True)}",
        "/void",
        "/context.jsonld",
    ):
        get, head = client.get(url), client.head(url)
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == str(len(get.content))
        assert head.headers["etag"] == get.headers["etag"]
        assert head.headers["content-type"] == get.headers["content-type"]


def test_unknown_file_is_404(client: TestClient) -> None:
    for name in (
        "nope.ttl",
        "defensienota-2024-asserted.csv",
        "defensienota-2024-other.ttl",
        "defensienota-2024-asserted.ttl.gz.gz",
    ):
        response = client.get(f"/download/{name}")
        assert response.status_code == 404
        assert response.json()["error"]["status"] == 404


def test_download_page_lists_every_file_with_its_size(
    client: TestClient, bodies: dict[str, bytes]
) -> None:
    page = client.get("/download")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for name, body in bodies.items():
        assert f'href="/download/{name}"' in page.text
        assert re.search(
            rf'href="/download/{re.escape(name)}">[^<]*</a></td>\s*'
            rf'<td class="size" data-bytes="{len(body)}"',
            page.text,
        ), name
    for link in ("/void", "/.well-known/void", "/context.jsonld"):
        assert f'href="{link}"' in page.text


# --- VoID / DCAT ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def void(client: TestClient) -> Graph:
    response = client.get("/void")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    return Graph().parse(data=response.content, format="turtle")


def _dataset(void: Graph) -> URIRef:
    found = list(void.subjects(VOID.sparqlEndpoint, None))
    assert len(found) == 1
    return found[0]  # type: ignore[return-value]


def test_void_counts_match_the_store(void: Graph, state: AppState) -> None:
    dataset = _dataset(void)
    assert void.value(dataset, VOID.triples) == Literal(len(state.graph))
    subsets = {
        str(s): void.value(s, VOID.triples).toPython() for s in void.objects(dataset, VOID.subset)
    }
    assert subsets == state.graph.graph_sizes()
    assert sum(subsets.values()) == len(state.graph)
    partitions = list(void.objects(dataset, VOID.classPartition))
    assert len(partitions) == int(void.value(dataset, VOID.classes)) > 10
    measure = URIRef("https://w3id.org/defensienota-2024/def/Measure")
    counted = [p for p in partitions if void.value(p, VOID["class"]) == measure]
    measures = {
        q.subject
        for q in state.graph.quads()
        if q.predicate.value.endswith("#type") and q.object.value == str(measure)
    }
    assert void.value(counted[0], VOID.entities).toPython() == len(measures)
    properties = list(void.objects(dataset, VOID.propertyPartition))
    assert len(properties) == int(void.value(dataset, VOID.properties))
    assert sum(void.value(p, VOID.triples).toPython() for p in properties) == len(state.graph)


def test_void_describes_the_dataset(void: Graph, client: TestClient) -> None:
    dataset = _dataset(void)
    dct = Namespace("http://purl.org/dc/terms/")
    assert {t.language for t in void.objects(dataset, dct.title)} == {"nl", "en"}
    assert {t.language for t in void.objects(dataset, dct.description)} == {"nl", "en"}
    assert void.value(dataset, dct.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert void.value(dataset, dct.publisher) is not None
    assert void.value(dataset, dct.modified) is not None
    assert void.value(dataset, VOID.sparqlEndpoint) == URIRef("http://testserver/sparql")
    examples = {str(e) for e in void.objects(dataset, VOID.exampleResource)}
    assert any("/id/measure/" in e for e in examples) and any("/id/nato/" in e for e in examples)
    vocabularies = {str(v) for v in void.objects(dataset, VOID.vocabulary)}
    assert "https://w3id.org/defensienota-2024/def/" in vocabularies
    dumps = {str(d) for d in void.objects(dataset, VOID.dataDump)}
    expected = {
        f"http://testserver/download/{_name(n, v, gz)}" for v, n in CASES for gz in (False, True)
    }
    assert dumps == expected
    distributions = list(void.objects(dataset, DCAT.distribution))
    assert len(distributions) == len(expected)
    for dist in distributions:
        url = str(void.value(dist, DCAT.downloadURL))
        size = void.value(dist, DCAT.byteSize).toPython()
        assert size == len(client.get(url.removeprefix("http://testserver")).content)
        assert void.value(dist, DCAT.mediaType) is not None


EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"


def test_void_dcat_ap_fields(void: Graph) -> None:
    """The DCAT-AP 3 (and DCAT-AP-NL) fields of /void, each a typed resource where the
    profile's shapes ask for a class (they check classes without inference)."""
    dataset = _dataset(void)
    dct = Namespace("http://purl.org/dc/terms/")
    foaf = Namespace("http://xmlns.com/foaf/0.1/")
    skos = Namespace("http://www.w3.org/2004/02/skos/core#")
    prov = Namespace("http://www.w3.org/ns/prov#")

    def typed(node: object, cls: URIRef) -> bool:
        return (node, RDF.type, cls) in void

    assert set(void.objects(dataset, dct.language)) == {
        URIRef(EU + "language/NLD"),
        URIRef(EU + "language/ENG"),
    }
    assert all(typed(lang, dct.LinguisticSystem) for lang in void.objects(dataset, dct.language))
    assert void.value(dataset, dct.spatial) == URIRef(EU + "country/NLD")
    assert void.value(dataset, dct.accessRights) == URIRef(EU + "access-right/PUBLIC")
    assert typed(void.value(dataset, dct.accessRights), dct.RightsStatement)
    themes = set(void.objects(dataset, DCAT.theme))
    assert URIRef(EU + "data-theme/GOVE") in themes
    assert all(str(t).startswith(EU + "data-theme/") and typed(t, skos.Concept) for t in themes)
    assert {k.language for k in void.objects(dataset, DCAT.keyword)} == {"nl", "en"}
    license_ = void.value(dataset, dct.license)
    assert typed(license_, dct.LicenseDocument)
    publisher = void.value(dataset, dct.publisher)
    assert isinstance(publisher, URIRef) and typed(publisher, foaf.Agent)
    contact = void.value(dataset, DCAT.contactPoint)
    assert isinstance(contact, URIRef) and void.value(contact, VCARD.hasURL) is not None
    assert typed(void.value(dataset, DCAT.landingPage), foaf.Document)
    temporal = void.value(dataset, dct.temporal)
    assert typed(temporal, dct.PeriodOfTime)
    start, end = void.value(temporal, DCAT.startDate), void.value(temporal, DCAT.endDate)
    assert 2000 < int(start) <= 2024 <= int(end) < 2100
    assert void.value(dataset, prov.wasDerivedFrom) == URIRef(
        "https://w3id.org/defensienota-2024/id/document/defensienota-2024"
    )
    assert void.value(dataset, dct.source) is None  # DCAT-AP: dct:source is a dcat:Dataset
    for dist in void.objects(dataset, DCAT.distribution):
        assert {d.language for d in void.objects(dist, dct.description)} == {"nl", "en"}
        media = void.value(dist, DCAT.mediaType)
        assert str(media).startswith(IANA) and typed(media, dct.MediaType)
        fmt = void.value(dist, dct["format"])
        assert str(fmt).startswith(EU + "file-type/") and typed(fmt, dct.MediaTypeOrExtent)
        assert typed(void.value(dist, dct.license), dct.LicenseDocument)
        packed = void.value(dist, DCAT.compressFormat)
        assert (packed is not None) == str(dist).endswith(".gz")
        assert packed is None or packed == URIRef(IANA + "application/gzip")
        assert packed is None or typed(packed, dct.MediaType)
    assert not [n for triple in void for n in triple if isinstance(n, BNode)]


def test_void_formats_and_locations(client: TestClient, void: Graph) -> None:
    assert client.get("/.well-known/void").content == client.get("/void").content
    for accept, fmt, media in (
        ("application/ld+json", "jsonld", "application/ld+json"),
        ("application/n-triples", "ntriples", "application/n-triples"),
        ("application/rdf+xml", "rdfxml", "application/rdf+xml"),
    ):
        by_accept = client.get("/void", headers={"Accept": accept})
        by_param = client.get(f"/void?format={fmt}")
        assert by_accept.headers["content-type"].startswith(media)
        assert by_accept.content == by_param.content
        assert isomorphic(Graph().parse(data=by_accept.content, format=RDFLIB_FORMAT[fmt]), void)
    assert (
        client.get("/void", headers={"Accept": "text/html,*/*;q=0.8"})
        .headers["content-type"]
        .startswith("text/turtle")
    )
    assert client.get("/void?format=csv").status_code == 406
    assert client.get("/void", headers={"Accept": "image/png"}).status_code == 406
    jsonld = client.get("/void?format=jsonld").json()
    assert jsonld["@context"] == PREFIXES


def test_void_validators(client: TestClient) -> None:
    first = client.get("/void")
    assert "Accept" in first.headers["vary"]
    assert client.get("/void", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    other = client.get("/void?format=ntriples")
    assert other.headers["etag"] != first.headers["etag"]
    assert (
        client.get(
            "/void", headers={"If-Modified-Since": first.headers["last-modified"]}
        ).status_code
        == 304
    )
