"""Smoke test of the benchmark suite (bench/): its code paths in a few seconds.

A generated project of a couple of thousand quads is built, our app serves
it in-process (uvicorn in a thread, queries run in this process), the load
generator drives it for half a second, and the row checker compares the
named-query URLs with /sparql. Oxigraph and rdflib-endpoint are not used.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` without `python -m`
    sys.path.insert(0, str(ROOT))

from bench import compare, generate, load, report, workload, wrk  # noqa: E402
from bench.peers import HOST, Peer, free_port  # noqa: E402

from defensie_kg.build.pipeline import Build, build  # noqa: E402
from defensie_kg.query import named_queries  # noqa: E402
from defensie_kg.query.store import KnowledgeGraph, QueryRequest, QueryResult  # noqa: E402
from defensie_kg.settings import Settings  # noqa: E402
from defensie_kg.web.app import create_app  # noqa: E402
from defensie_kg.web.state import AppState  # noqa: E402

SIZE = 2_500


class InProcess:
    """Runs queries in this process: no worker start-up in a smoke test."""

    def __init__(self, graph: KnowledgeGraph) -> None:
        self.graph = graph

    def execute(self, request: QueryRequest) -> QueryResult:
        return self.graph.execute(request)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Build]:
    root = tmp_path_factory.mktemp("generated")
    generate.generate(root, SIZE, seed=7, with_nota=False)
    return root, build(Settings(root=root))


@pytest.fixture(scope="module")
def server(project: tuple[Path, Build]) -> Iterator[Peer]:
    root, built = project
    settings = Settings(root=root)
    graph = KnowledgeGraph.from_nquads(built.dataset)
    state = AppState(
        settings,
        built,
        graph,
        InProcess(graph),
        named_queries.load_all(root / "queries"),
        graph.graph_sizes(),
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, state), host=HOST, port=port, log_level="warning", access_log=False
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert uv.started, "the in-process server did not start"
    yield Peer("ours", [], "/sparql", port, root / "unused.log")
    uv.should_exit = True
    thread.join(timeout=10)


def test_generator_is_seeded_and_builds_a_conforming_graph(
    project: tuple[Path, Build], tmp_path: Path
) -> None:
    root, built = project
    again = generate.generate(tmp_path / "again", SIZE, seed=7, with_nota=False)
    name = "data/generated-000.ttl"
    assert (root / name).read_bytes() == (again.root / name).read_bytes()
    assert not built.report.blocked, [r.message for r in built.report.violations][:3]
    quads = sum(built.meta["graphs"].values())
    assert SIZE / 2 < quads < SIZE * 2
    assert any("generated" in graph for graph in built.meta["graphs"])


def test_load_generator_runs_closed_loop_against_our_app(server: Peer) -> None:
    request = load.get_request(HOST, server.port, "/queries/nato-links?format=json")
    stats = load.run(HOST, server.port, request, concurrency=2, duration=0.5)
    assert stats.requests > 0 and stats.errors == 0, stats.statuses
    assert 0.5 <= stats.elapsed < 5
    assert 0 < stats.percentile(50) <= stats.percentile(99)
    sparql = server.sparql(
        "SELECT ?s WHERE { ?s a <https://w3id.org/defensienota-2024/def/Measure> }"
    )
    assert load.run(HOST, server.port, sparql, concurrency=1, duration=0.1).requests > 0


def _cache(server: Peer) -> dict[str, int]:
    health = load.get_request(HOST, server.port, "/health")
    status, body = load.fetch_sync(HOST, server.port, health)
    assert status == 200
    counters: dict[str, int] = json.loads(body)["response_cache"]
    return counters


def test_wrk_distinct_texts_miss_the_response_cache_and_repeated_ones_hit(server: Peer) -> None:
    if wrk.available() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"wrk is missing: {wrk.INSTALL}")  # CI installs it (.ci/run)
        pytest.skip(f"wrk is missing: {wrk.INSTALL}")
    text = "SELECT ?s WHERE { ?s a <https://w3id.org/defensienota-2024/def/Measure> } ORDER BY ?s"
    before = _cache(server)
    distinct = wrk.run(HOST, server.port, wrk.path_for("/sparql", text, "distinct"), "distinct", 1)
    middle = _cache(server)
    assert distinct.requests > 0 and distinct.errors == 0
    assert middle["hits"] == before["hits"]  # every text was new: nothing came from the cache
    assert middle["misses"] - before["misses"] >= distinct.requests
    repeated = wrk.run(HOST, server.port, wrk.path_for("/sparql", text, "repeated"), "repeated", 1)
    after = _cache(server)
    assert repeated.requests > 0 and repeated.errors == 0
    assert after["hits"] - middle["hits"] >= repeated.requests - 16  # all but the first few
    assert 0 < repeated.p50_ms <= repeated.p99_ms and repeated.client_cpu > 0


def test_named_urls_and_sparql_text_return_the_same_rows(
    server: Peer, project: tuple[Path, Build]
) -> None:
    queries = workload.workload(project[0] / "queries")
    targets = [compare.Target("ours-named", server, True), compare.Target("ours", server)]
    checks = compare.verify(targets, queries, "ours", timeout=10)
    assert len(checks) == len(queries) > 6
    assert not [(n, c) for n, c in checks.items() if c["mismatches"] or c["errors"]]
    assert checks["nato-links"]["rows"]["ours"] > 0  # the generated links are there
    cells = compare.measure(targets, queries[:2], checks, [1], 0.05, 1)
    assert "rps" in cells[queries[0].name]["ours"][1]
    results = {
        "stamp": "smoke",
        "command": "pytest",
        "machine": report.machine(),
        "concurrency": [1],
        "cells": cells,
        "checks": checks,
        "targets": [t.label for t in targets],
        "named": [q.name for q in queries[:2]],
    }
    text = report.markdown(results)
    assert "## Per query, 1 client(s)" in text and queries[0].name in text


def test_row_checker_normalises_values_and_reports_differences() -> None:
    def doc(*values: dict[str, str]) -> dict:
        return {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": v} for v in values]}}

    xsd = "http://www.w3.org/2001/XMLSchema#"
    a = workload.rows(
        doc(
            {"type": "literal", "value": "1.50", "datatype": xsd + "decimal"},
            {"type": "bnode", "value": "b0"},
            {"type": "literal", "value": "x", "datatype": xsd + "string"},
        )
    )
    b = workload.rows(
        doc(
            {"type": "literal", "value": "x"},
            {"type": "typed-literal", "value": "1.5", "datatype": xsd + "decimal"},
            {"type": "bnode", "value": "other"},
        )
    )
    assert workload.compare({"a": a, "b": b}, "a") == []
    c = workload.rows(doc({"type": "uri", "value": "http://example.org/y"}))
    (problem,) = workload.compare({"a": a, "c": c}, "a")
    assert "1 rows vs 3" in problem


def test_chunked_responses_are_read() -> None:
    async def read() -> tuple[int, bytes, bool]:
        reader = asyncio.StreamReader()
        reader.feed_data(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\n\r\n"
        )
        return await load.read_response(reader)

    assert asyncio.run(read()) == (200, b"abcdefg", True)
