"""Serving from a remote store: a real Oxigraph server, filled with `load`, must answer every
named query exactly like the embedded store; refusals happen before anything is sent; an
unreachable or slow store is a quick 503, and the app recovers when the store comes back."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from bench.peers import free_port
from click.testing import CliRunner
from fastapi.testclient import TestClient

from defensie_kg.build.pipeline import Build, build
from defensie_kg.cli import cli
from defensie_kg.errors import (
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    StoreUnavailable,
    UnknownGraph,
    UpdateAsQuery,
)
from defensie_kg.namespaces import GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH
from defensie_kg.query import named_queries
from defensie_kg.query.remote import RemoteStore
from defensie_kg.query.store import KnowledgeGraph, QueryRequest, QueryResult
from defensie_kg.rdf import formats
from defensie_kg.settings import Settings
from defensie_kg.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
CATALOGUE = named_queries.load_all(ROOT / "queries")
# A cross product the engine must finish before its first (and only) row, and one that
# streams rows for ever.
SLOW_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SLOW_ROWS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _oxigraph() -> str:
    found = Path(sys.executable).with_name("oxigraph")
    path = str(found) if found.exists() else shutil.which("oxigraph")
    assert path, "the oxigraph server is missing: pip install -r requirements-dev.lock"
    return path


class Oxigraph:
    """An `oxigraph serve` process on a loopback port, with its data in ``location``."""

    def __init__(self, location: Path, port: int | None = None, *extra: str) -> None:
        self.location, self.port, self.extra = location, port or free_port(), extra
        self.base = f"http://127.0.0.1:{self.port}"
        self.query_url, self.gsp_url = f"{self.base}/query", f"{self.base}/store"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Oxigraph:
        self.location.mkdir(parents=True, exist_ok=True)
        with (self.location.parent / f"oxigraph-{self.port}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [
                    _oxigraph(),
                    "serve",
                    "--location",
                    str(self.location),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    *self.extra,
                ],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "oxigraph serve exited; see its log"
            try:
                if httpx.get(self.query_url, params={"query": "ASK {}"}, timeout=1).is_success:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("oxigraph serve did not start within 30 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oxigraph]:
    # The server's own limit ends the queries the timeout tests walk away from.
    location = tmp_path_factory.mktemp("oxigraph") / "db"
    running = Oxigraph(location, None, "--timeout-s", "20").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def loaded(server: Oxigraph, real_build: Build) -> dict[str, int]:
    store = RemoteStore(server.query_url, 30.0, gsp_url=server.gsp_url)
    try:
        return store.load(real_build.dataset)
    finally:
        store.close()


@pytest.fixture(scope="module")
def remote(
    server: Oxigraph, loaded: dict[str, int], embedded: KnowledgeGraph
) -> Iterator[RemoteStore]:
    store = RemoteStore(server.query_url, 30.0, graphs=embedded.graph_names)
    yield store
    store.close()


@pytest.fixture(scope="module")
def embedded(real_build: Build) -> KnowledgeGraph:
    return KnowledgeGraph.from_nquads(real_build.dataset)


def _both(
    embedded: KnowledgeGraph, remote: RemoteStore, request: QueryRequest
) -> tuple[QueryResult, QueryResult]:
    return embedded.execute(request), remote.execute(request)


def _golden(name: str) -> dict:  # type: ignore[type-arg]
    path = GOLDEN / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _rows(body: bytes) -> Counter[tuple[tuple[str, str], ...]]:
    doc = json.loads(body)
    if "boolean" in doc:
        return Counter({(("boolean", str(doc["boolean"])),): 1})
    return Counter(
        tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in b.items()))
        for b in doc["results"]["bindings"]
    )


# -- loading ---------------------------------------------------------------------------------


def test_load_puts_every_graph_with_the_built_counts(
    loaded: dict[str, int], embedded: KnowledgeGraph
) -> None:
    assert loaded == embedded.graph_sizes()
    assert str(INFERRED_GRAPH) in loaded and str(ONTOLOGY_GRAPH) in loaded


def test_load_replaces_and_prunes_only_our_graphs(
    server: Oxigraph, loaded: dict[str, int], real_build: Build
) -> None:
    stale, foreign = f"{GRAPH}data/removed-file", "http://example.org/not-ours"
    for name in (stale, foreign, str(ONTOLOGY_GRAPH)):
        response = httpx.put(
            server.gsp_url,
            params={"graph": name},
            timeout=10,
            content=b'<http://example.org/s> <http://example.org/p> "x" .\n',
            headers={"Content-Type": "application/n-triples"},
        )
        assert response.is_success
    store = RemoteStore(server.query_url, 30.0, gsp_url=server.gsp_url)
    try:
        assert store.load(real_build.dataset) == loaded  # the ontology graph is whole again
    finally:
        store.close()
    names = {
        b["g"]["value"]
        for b in httpx.post(
            server.query_url,
            data={"query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=10,
        ).json()["results"]["bindings"]
    }
    assert stale not in names
    assert foreign in names  # a graph outside graph/ is someone else's: left alone


def test_graph_sizes_and_names_are_read_from_the_store(
    server: Oxigraph, loaded: dict[str, int]
) -> None:
    store = RemoteStore(server.query_url, 30.0)  # no graph list: found in the store
    try:
        assert store.graph_sizes() == loaded
        assert store.graph_names == sorted(loaded)
    finally:
        store.close()


# -- the same answers as the embedded store ---------------------------------------------------


@pytest.mark.parametrize("query", CATALOGUE.values(), ids=lambda q: q.name)
def test_named_query_through_remote_matches_embedded_and_golden(
    query: named_queries.NamedQuery, embedded: KnowledgeGraph, remote: RemoteStore
) -> None:
    golden = _golden(query.name)
    params = golden.get("params", {})
    as_csv = named_queries.request(query, params, format="csv", max_rows=100000)
    as_json = named_queries.request(query, params, format="json", max_rows=100000)
    local_csv, remote_csv = _both(embedded, remote, as_csv)
    local_json, remote_json = _both(embedded, remote, as_json)
    # Every named query orders its rows, so the answer is the same to the byte.
    assert remote_csv.body == local_csv.body
    assert (remote_csv.rows, remote_csv.truncated, remote_csv.variables, remote_csv.format) == (
        local_csv.rows,
        local_csv.truncated,
        local_csv.variables,
        local_csv.format,
    )
    assert _rows(remote_json.body) == _rows(local_json.body)  # datatypes and languages too
    if "boolean" in golden:
        assert json.loads(remote_json.body)["boolean"] is golden["boolean"]
    elif golden:
        columns = {k for row in golden["rows"] for k in row} or set(remote_json.variables)
        names = sorted(columns)
        got = Counter(
            tuple((n, b[n]["value"] if n in b else None) for n in names)
            for b in json.loads(remote_json.body)["results"]["bindings"]
        )
        assert got == Counter(tuple((n, row.get(n)) for n in names) for row in golden["rows"])


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_every_result_format_and_the_row_cap_are_identical(
    fmt: str, embedded: KnowledgeGraph, remote: RemoteStore
) -> None:
    text = (
        "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } "
        "ORDER BY ?s ?label"
    )
    local, there = _both(embedded, remote, QueryRequest(text, format=fmt, max_rows=7))
    assert there.truncated and there.rows == 7
    assert there.body == local.body
    assert there.format == local.format


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads"])
def test_construct_in_every_graph_format(
    fmt: str, embedded: KnowledgeGraph, remote: RemoteStore
) -> None:
    text = (
        "CONSTRUCT { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE { "
        "?s a <https://w3id.org/defensienota-2024/def/Country> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    )
    local, there = _both(embedded, remote, QueryRequest(text, format=fmt))
    assert there.form == "CONSTRUCT" and there.format == local.format
    assert there.rows == local.rows > 0
    assert _quads(there.body, fmt) == _quads(local.body, fmt)  # the order is the store's own


def _quads(body: bytes, fmt: str) -> set[ox.Quad]:
    return set(ox.parse(body, format=ox.RdfFormat.from_media_type(formats.BY_NAME[fmt].media_type)))


def test_ask_and_the_accept_header(embedded: KnowledgeGraph, remote: RemoteStore) -> None:
    request = QueryRequest(
        "ASK { ?s a <https://w3id.org/defensienota-2024/def/Country> }",
        accept="text/csv;q=0.5, application/sparql-results+xml",
    )
    local, there = _both(embedded, remote, request)
    assert there.body == local.body and there.format.name == "xml" and there.form == "ASK"


def test_infer_false_sees_the_asserted_graphs_only(
    embedded: KnowledgeGraph, remote: RemoteStore, loaded: dict[str, int]
) -> None:
    text = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for infer in (True, False):
        for query in (text, count):
            local, there = _both(embedded, remote, QueryRequest(query, format="csv", infer=infer))
            assert there.body == local.body
    asserted = remote.execute(QueryRequest(count, format="json", infer=False))
    total = int(json.loads(asserted.body)["results"]["bindings"][0]["n"]["value"])
    assert total == sum(n for g, n in loaded.items() if g != str(INFERRED_GRAPH))
    graphs = remote.execute(QueryRequest(text, format="csv", infer=False)).body.decode()
    assert str(INFERRED_GRAPH) not in graphs


def test_client_graphs_and_unknown_graphs(embedded: KnowledgeGraph, remote: RemoteStore) -> None:
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    request = QueryRequest(text, format="csv", default_graphs=(str(ONTOLOGY_GRAPH),))
    local, there = _both(embedded, remote, request)
    assert there.body == local.body
    named = QueryRequest(
        "SELECT ?g WHERE { GRAPH ?g { } }", format="csv", named_graphs=(str(ONTOLOGY_GRAPH),)
    )
    assert remote.execute(named).body == embedded.execute(named).body
    with pytest.raises(UnknownGraph, match="Unknown graph 'http://example.org/nope'"):
        remote.execute(QueryRequest(text, default_graphs=("http://example.org/nope",)))


def test_a_syntax_error_is_the_engine_message(
    embedded: KnowledgeGraph, remote: RemoteStore
) -> None:
    request = QueryRequest("SELECT * WHERE { ?s ?p ?o ")
    with pytest.raises(QuerySyntaxError) as local:
        embedded.execute(request)
    with pytest.raises(QuerySyntaxError) as there:
        remote.execute(request)
    assert str(there.value) == str(local.value)


# -- refusals, unreachable and slow stores ---------------------------------------------------


def _dead_store(timeout: float = 5.0) -> RemoteStore:
    return RemoteStore(f"http://127.0.0.1:{free_port()}/query", timeout)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }", UpdateAsQuery),
        ("PREFIX x: <http://example.org/> DROP ALL", UpdateAsQuery),
        ("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", QueryRefused),
    ],
)
def test_updates_and_service_are_refused_before_anything_is_sent(
    text: str, error: type[Exception]
) -> None:
    # Nothing listens there: had the request gone out, this would be StoreUnavailable.
    store = _dead_store()
    try:
        with pytest.raises(error):
            store.execute(QueryRequest(text))
    finally:
        store.close()


def test_an_unreachable_store_is_a_quick_store_unavailable() -> None:
    store = _dead_store(timeout=30.0)
    started = time.monotonic()
    try:
        with pytest.raises(
            StoreUnavailable,
            match=r"store at http://127\.0\.0\.1:\d+/query is "
            r"not reachable",
        ):
            store.execute(QueryRequest("ASK {}", format="json"))
    finally:
        store.close()
    assert time.monotonic() - started < 3


def test_an_unresolvable_host_is_store_unavailable() -> None:
    store = RemoteStore("http://no-such-host.invalid/sparql", 5.0)
    try:
        with pytest.raises(StoreUnavailable, match="no-such-host.invalid"):
            store.execute(QueryRequest("ASK {}"))
    finally:
        store.close()


def test_credentials_never_appear_in_messages() -> None:
    store = RemoteStore(f"http://admin:s3cret@127.0.0.1:{free_port()}/query", 5.0)
    try:
        with pytest.raises(StoreUnavailable) as caught:
            store.execute(QueryRequest("ASK {}"))
    finally:
        store.close()
    assert "s3cret" not in str(caught.value) and "127.0.0.1" in str(caught.value)


@pytest.mark.parametrize("text", [SLOW_COUNT, SLOW_ROWS])
def test_a_query_past_the_time_limit_is_a_query_timeout(
    text: str, server: Oxigraph, loaded: dict[str, int]
) -> None:
    # SLOW_COUNT sends nothing until it is done (read timeout); SLOW_ROWS streams rows
    # for ever (our own deadline while reading), even with no row cap to stop it.
    store = RemoteStore(server.query_url, 1.0)
    started = time.monotonic()
    try:
        with pytest.raises(QueryTimeout, match="time limit"):
            store.execute(QueryRequest(text, format="json", max_rows=sys.maxsize))
    finally:
        store.close()
    assert time.monotonic() - started < 3


def test_the_store_stopping_a_query_itself_is_a_query_timeout(
    tmp_path: Path, mini_settings: Settings
) -> None:
    stopping = Oxigraph(tmp_path / "db", None, "--timeout-s", "1").start()
    store = RemoteStore(stopping.query_url, 20.0, gsp_url=stopping.gsp_url)
    try:
        store.load(build(mini_settings).dataset)
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="stopped the query at its own time limit"):
            store.execute(QueryRequest(SLOW_COUNT, format="json"))
        assert time.monotonic() - started < 10
    finally:
        store.close()
        stopping.stop()


# -- the CLI and the web app -----------------------------------------------------------------


def test_cli_load_prints_the_counts(tmp_path: Path, mini_settings: Settings) -> None:
    target = Oxigraph(tmp_path / "db").start()
    try:
        result = CliRunner().invoke(
            cli,
            [
                "--root",
                str(mini_settings.root),
                "load",
                "--store",
                target.query_url,
                "--gsp",
                target.gsp_url,
            ],
        )
    finally:
        target.stop()
    assert result.exit_code == 0, result.output
    assert f"-> {target.query_url}" in result.stdout
    assert f"{INFERRED_GRAPH}" in result.stdout


def test_cli_load_without_a_store_exits_2_with_one_line(mini_settings: Settings) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["--root", str(mini_settings.root), "load", "--store", url])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and url in result.stderr
    assert "Traceback" not in result.output
    assert time.monotonic() - started < 3


def test_cli_load_with_a_wrong_gsp_url_says_to_use_gsp(
    server: Oxigraph, mini_settings: Settings
) -> None:
    result = CliRunner().invoke(
        cli, ["--root", str(mini_settings.root), "load", "--store", server.query_url]
    )  # /query takes no PUT
    assert result.exit_code == 2
    assert "give it with --gsp URL" in result.stderr.splitlines()[-1]


def test_app_answers_503_while_the_store_is_down_and_recovers(
    tmp_path: Path, mini_settings: Settings, mini_client: TestClient
) -> None:
    port = free_port()
    settings = mini_settings.with_overrides(store_url=f"http://127.0.0.1:{port}/query")
    query = {
        "query": "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } "
        "ORDER BY ?s ?l",
        "format": "csv",
    }
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        down = client.get("/sparql", params=query)
        assert time.monotonic() - started < 3
        assert down.status_code == 503
        assert f"store at http://127.0.0.1:{port}/query is not reachable" in down.text
        store = Oxigraph(tmp_path / "db", port).start()
        try:
            loader = RemoteStore(store.query_url, 20.0, gsp_url=store.gsp_url)
            loader.load(build(mini_settings).dataset)
            loader.close()
            up = client.get("/sparql", params=query)
            assert up.status_code == 200
            embedded = mini_client.get("/sparql", params=query)
            assert up.content == embedded.content
            assert up.headers["X-Result-Rows"] == embedded.headers["X-Result-Rows"]
            assert (
                up.headers.get("X-Result-Truncated")
                == embedded.headers.get("X-Result-Truncated")
                == "true"
            )  # mini_settings caps at 5 rows
            refused = client.post(
                "/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update"}
            )
            assert refused.status_code == 403
            as_query = client.post(
                "/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-query"}
            )
            assert as_query.status_code == 400
        finally:
            store.stop()
        again = client.get("/sparql", params=query)
        assert again.status_code == 503


def test_relative_iris_resolve_against_the_endpoint_on_both_stores(
    embedded: KnowledgeGraph, remote: RemoteStore
) -> None:
    """The endpoint's URL is the base of a query's relative IRIs, embedded or remote; the
    remote store gets it as a BASE the engine has checked and escaped."""
    request = QueryRequest(
        "SELECT ?x WHERE { BIND(<rel> AS ?x) }",
        format="json",
        base_iri="http://[::1]:8000/sparql",
    )
    for result in _both(embedded, remote, request):
        rows = json.loads(result.body)["results"]["bindings"]
        assert rows == [{"x": {"type": "uri", "value": "http://[::1]:8000/rel"}}]
    with pytest.raises(ValueError, match="Invalid IRI"):
        remote.execute(QueryRequest("ASK {}", base_iri="http://a> } <x"))
