"""No request value ever becomes query text, and no page can hold the server.

Every query a page runs goes through the executor (the killable workers, with the time
limit and row cap): a recording executor sees each one. For every GET operation in the
OpenAPI schema and every query parameter it declares, requests with different values
(ordinary, hostile, each member of an enumeration) must run the same query texts; the
values may only arrive as bound terms. Then hostile values in every parameter of every
page: a 4xx or a normal page within the time limit, and the next request answered at once.
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import Recorder
from defensie_kg.settings import Settings
from defensie_kg.web.state import AppState

HOSTILE = [
    "x",
    'en") } } SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } #',
    'nl" || true || "',
    "en'} UNION { ?s ?p ?o }",
    "> } ; DROP ALL ; <",
    "https://w3id.org/defensienota-2024/id/measure/x> } # ",
    "dn:x",
    "\u202e\x00\ufeff",
    "A" * 5000,
    "",
]
REQUIREMENT = "https://w3id.org/defensienota-2024/id/nato-requirement/"


def _operations(client: TestClient) -> list[tuple[str, list[dict[str, Any]]]]:
    with warnings.catch_warnings():  # GET+HEAD routes share an operation id
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")
        schema = client.app.openapi()  # type: ignore[attr-defined]
    return [
        (path, [p for p in ops["get"].get("parameters", []) if p["in"] == "query"])
        for path, ops in schema["paths"].items()
        if "get" in ops
    ]


def _concrete(path: str, state: AppState) -> str | None:
    """A real address for a templated path (None: leave it out)."""
    examples = {
        "kind": "measure",
        "slug": _a_measure_slug(state),
        "term": "Measure",
        "path": "ontology",
        "name": "measures-in-chapter",
        "filename": "defensienota-2024-asserted.ttl",
    }
    out = path
    for name in re.findall(r"{(\w+)(?::path)?}", path):
        if name not in examples:
            return None
        out = re.sub(r"{" + name + r"(?::path)?}", examples[name], out)
    return out


def _a_measure_slug(state: AppState) -> str:
    graph = state.graph
    for quad in graph.quads():
        value = quad.subject.value  # type: ignore[union-attr]
        if value.startswith("https://w3id.org/defensienota-2024/id/measure/"):
            return value.rsplit("/", 1)[1]
    raise AssertionError("no measure in the graph")


def _values(parameter: dict[str, Any], state: AppState) -> list[str]:
    schema = parameter.get("schema", {})
    enum = schema.get("enum") or next(
        (s["enum"] for s in schema.get("anyOf", []) if "enum" in s), None
    )
    if enum:
        return list(enum)
    values = list(HOSTILE)
    if parameter["name"] == "target":
        known = sorted(
            q.subject.value  # type: ignore[union-attr]
            for q in state.graph.quads()
            if q.subject.value.startswith(REQUIREMENT)  # type: ignore[union-attr]
        )
        values += known[:1] + known[-1:]
    return values


def test_no_route_query_text_depends_on_a_request_value(
    recorded: tuple[TestClient, Recorder], state: AppState
) -> None:
    client, recorder = recorded
    checked = 0
    for path, parameters in _operations(client):
        address = _concrete(path, state)
        if address is None or path == "/sparql":  # /sparql runs the client's own query
            continue
        for parameter in parameters:
            seen: dict[str, set[str]] = {}
            for value in _values(parameter, state):
                recorder.texts.clear()
                client.get(address, params={parameter["name"]: value})
                if recorder.texts:
                    seen[value[:40]] = set(recorder.texts)
            distinct = {frozenset(texts) for texts in seen.values()}
            assert len(distinct) <= 1, (
                f"{path}?{parameter['name']}=…: the query text depends on the value",
                {v: sorted(t)[0][:200] for v, t in seen.items()},
            )
            checked += bool(seen)
    assert checked >= 8  # lang on the home page, /def, the visuals; q; target; /queries/…


def test_named_query_parameters_are_bound_not_spliced(
    recorded: tuple[TestClient, Recorder],
) -> None:
    client, recorder = recorded
    texts = set()
    for chapter in ("3", "4", "x> } SELECT * { ?a ?b ?c } #", "5"):
        recorder.texts.clear()
        client.get(
            "/queries/measures-in-chapter",
            params={"chapter": f"https://w3id.org/defensienota-2024/id/section/{chapter}"},
            headers={"Accept": "application/sparql-results+json"},
        )
        texts.update(recorder.texts)
    assert len(texts) == 1


def test_every_page_query_runs_in_the_workers(
    recorded: tuple[TestClient, Recorder], state: AppState
) -> None:
    """The pages that query do it through the executor (no SPARQL on the in-process graph)."""
    client, recorder = recorded
    for address in (
        "/?lang=en",
        "/def",
        "/search?q=fregat",
        "/visuals",
        "/visuals/budget",
        "/visuals/graph",
    ):
        recorder.texts.clear()
        response = client.get(address, headers={"Accept": "text/html"})
        assert response.status_code == 200, address
        if address not in ("/visuals",):
            assert recorder.texts, f"{address} ran no query through the workers"


def test_pages_never_query_the_in_process_graph() -> None:
    """Routes and views reach data through AppState.select/execute (the workers) or bounded
    lookups; a SPARQL query on ``state.graph`` would skip the time limit."""
    web = Path(__file__).resolve().parents[1] / "src" / "defensie_kg" / "web"
    offenders = [
        f"{path.relative_to(web)}:{number}"
        for path in web.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"graph\.execute\(|\.query\(|query_params", line)
        and not line.lstrip().startswith("#")
        and path.name != "templating.py"  # language(): falls back to nl, never queried
    ]
    assert not offenders, offenders


@pytest.mark.slow
def test_hostile_values_in_every_page_parameter(
    recorded: tuple[TestClient, Recorder], state: AppState, settings: Settings
) -> None:
    client, _ = recorded
    limit = settings.query_timeout + 2
    for path, parameters in _operations(client):
        address = _concrete(path, state)
        if address is None:
            continue
        for parameter in parameters:
            for value in HOSTILE:
                started = time.monotonic()
                response = client.get(
                    address, params={parameter["name"]: value}, headers={"Accept": "text/html"}
                )
                took = time.monotonic() - started
                assert response.status_code < 500 or (
                    path == "/sparql" and response.status_code == 503
                ), (path, parameter["name"], value[:40], response.status_code)
                assert took < limit, (path, parameter["name"], value[:40], took)
                started = time.monotonic()
                assert client.get("/health").status_code == 200
                assert time.monotonic() - started < 1.0
