"""Real, independent clients against a live uvicorn server on a loopback port."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time

import httpx
import pytest
from rdflib import Graph
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, SPARQLWrapper

MEASURE = "https://w3id.org/defensienota-2024/id/measure/test-measure"
LABELS = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    f"SELECT ?label WHERE {{ <{MEASURE}> rdfs:label ?label }} ORDER BY ?label"
)
PATHOLOGICAL = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
)
# Other shapes the engine evaluates in full before the first row (or never finishes).
PATHOLOGICAL_SHAPES = {
    "cross-product-count": PATHOLOGICAL,
    "order-by-cross-product": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } "
    "ORDER BY DESC(STR(?c)) ?f ?i LIMIT 1",
    "path-closure": "SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:x:p>|!<urn:x:p>)* ?b . "
    "?c (<urn:x:p>|!<urn:x:p>)* ?d }",
    "regex-cross-product": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
    "FILTER(REGEX(CONCAT(STR(?c), STR(?f), STR(?i)), '(.*a){12}x')) }",
}


def test_sparqlwrapper_select_json_and_csv(live_server: str) -> None:
    client = SPARQLWrapper(f"{live_server}/sparql")
    client.setQuery(LABELS)
    client.setReturnFormat(JSON)
    labels = [b["label"]["value"] for b in client.queryAndConvert()["results"]["bindings"]]
    assert labels == ["Test measure", "Testmaatregel"]
    client.setReturnFormat(CSV)
    assert client.queryAndConvert().decode().splitlines() == [
        "label",
        "Test measure",
        "Testmaatregel",
    ]


def test_sparqlwrapper_post_and_construct(live_server: str) -> None:
    client = SPARQLWrapper(f"{live_server}/sparql")
    client.setMethod("POST")
    client.setQuery(f"CONSTRUCT {{ <{MEASURE}> ?p ?o }} WHERE {{ <{MEASURE}> ?p ?o }}")
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.queryAndConvert(), format="turtle")
    assert len(graph) >= 10


def test_rdflib_sparqlstore(live_server: str) -> None:
    store = SPARQLStore(f"{live_server}/sparql", returnFormat="json")
    graph = Graph(store=store)
    rows = list(graph.query(LABELS))
    assert sorted(str(r[0]) for r in rows) == ["Test measure", "Testmaatregel"]
    store.close()


@pytest.mark.parametrize("shape", list(PATHOLOGICAL_SHAPES))
def test_time_limit_stops_pathological_query_while_others_are_served(
    live_server: str, shape: str
) -> None:
    outcome: dict[str, object] = {}

    def slow() -> None:
        started = time.monotonic()
        response = httpx.post(
            f"{live_server}/sparql", data={"query": PATHOLOGICAL_SHAPES[shape]}, timeout=30
        )
        outcome["status"], outcome["seconds"] = response.status_code, time.monotonic() - started
        outcome["text"] = response.text

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    quick = httpx.get(f"{live_server}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert quick.status_code == 200 and time.monotonic() - started < 2.0
    thread.join(timeout=30)
    assert outcome["status"] == 503
    assert "time limit" in str(outcome["text"])
    assert float(outcome["seconds"]) < 6  # type: ignore[arg-type]
    # Then normal answers, from every worker (the killed one has been replaced).
    for _ in range(6):
        after = httpx.get(f"{live_server}/sparql", params={"query": LABELS}, timeout=10)
        assert after.status_code == 200
        labels = [b["label"]["value"] for b in after.json()["results"]["bindings"]]
        assert labels == ["Test measure", "Testmaatregel"]


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        "SELECT * FROM <http://127.0.0.1:{port}/data.ttl> WHERE {{ ?s ?p ?o }}",
        "SELECT * FROM NAMED <http://127.0.0.1:{port}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "SELECT * FROM <file:///etc/passwd> WHERE {{ ?s ?p ?o }}",
    ],
    ids=["service", "service-silent", "from", "from-named", "from-file"],
)
def test_no_query_opens_a_connection(
    live_server: str, listener: tuple[int, list[object]], template: str
) -> None:
    port, seen = listener
    response = httpx.get(
        f"{live_server}/sparql", params={"query": template.format(port=port)}, timeout=10
    )
    assert response.status_code in (200, 403)
    if "SERVICE" in template:
        assert response.status_code == 403
    else:
        assert response.json()["results"]["bindings"] == []
    time.sleep(0.5)
    assert seen == []


# --- roqet (Rasqal, Debian's rasqal-utils; .ci/run installs it) -----------------------------


def _roqet() -> str:
    found = shutil.which("roqet")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("roqet is missing: apt-get install rasqal-utils")
        pytest.skip("roqet is not installed (apt-get install rasqal-utils)")
    return found


def _run_roqet(live_server: str, query: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_roqet(), "-p", f"{live_server}/sparql", "-e", query, "-r", "csv", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_roqet_select(live_server: str) -> None:
    done = _run_roqet(live_server, LABELS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["label", "Test measure", "Testmaatregel"]


def test_roqet_relative_iris_resolve_against_the_endpoint(live_server: str) -> None:
    done = _run_roqet(live_server, "SELECT ?x WHERE { BIND(<rel> AS ?x) }")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["x", f"{live_server}/rel"]


def test_roqet_asking_results_for_a_graph_gets_a_clear_406(live_server: str) -> None:
    # roqet asks for SPARQL Results XML whatever the query form: a CONSTRUCT cannot be that
    done = _run_roqet(live_server, "CONSTRUCT { <s> <p> 1 } WHERE {}")
    assert "406" in done.stderr
