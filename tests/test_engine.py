"""The query worker pool: its wire format, and a server that listens before its workers are up."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from defensie_kg.build.pipeline import build
from defensie_kg.errors import NotAcceptable
from defensie_kg.query.pool import QueryPool
from defensie_kg.query.store import QueryRequest, QueryResult
from defensie_kg.query.worker import decode_reply, decode_request, encode_reply, encode_request
from defensie_kg.rdf.formats import BY_NAME
from defensie_kg.settings import Settings
from defensie_kg.web.app import create_app, start_state

JSON = {"Accept": "application/sparql-results+json"}


def test_requests_and_replies_cross_the_wire_unchanged() -> None:
    request = QueryRequest(
        "SELECT ?x WHERE { ?x ?p ?o }",
        accept="text/csv",
        format=None,
        infer=False,
        default_graphs=("urn:a", "urn:b"),
        named_graphs=("urn:c",),
        bindings=(("x", "<urn:x>"), ("y", '"é\\n"@nl')),
        max_rows=7,
        service_allowlist=("https://example.org/sparql",),
    )
    assert decode_request(encode_request(request)[4:]) == request
    result = QueryResult(b'{"body": "\xc3\xa9"}', BY_NAME["json"], "SELECT", 3, True, ("x", "y"))
    assert decode_reply(encode_reply(result)[4:]) == result
    error = NotAcceptable("no such format", ["text/csv"])
    try:
        decode_reply(encode_reply(error)[4:])
    except NotAcceptable as raised:
        assert str(raised) == "no such format" and raised.available == ["text/csv"]
    else:
        raise AssertionError("the error did not cross the wire")


def test_queries_are_answered_while_workers_start_and_ready_waits_for_them(
    mini_settings: Settings,
) -> None:
    built = build(mini_settings)
    pool = QueryPool(built.dataset, 2, mini_settings.query_timeout, wait=False)
    app = create_app(mini_settings, start=lambda s: start_state(s, built, pool))
    with TestClient(app) as client:
        # A worker is a fresh interpreter loading the store: none is up this early.
        assert pool.starting
        assert client.get("/ready").status_code == 503
        answer = client.get("/sparql", params={"query": "ASK {}"}, headers=JSON)
        assert answer.status_code == 200 and answer.json()["boolean"] is True
        deadline = time.monotonic() + 60
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the server never became ready"
            time.sleep(0.05)
        assert not pool.starting
        workers = list(pool._all)
        described = client.get("/sparql", headers={"Accept": "text/turtle"})
        assert described.status_code == 200
        assert described.headers["content-type"].startswith("text/turtle")
    # The lifespan closed the pool: no worker outlives the app.
    assert len(workers) == 2 and all(w.process.poll() is not None for w in workers)


def test_blocking_and_async_execution_give_the_same_bytes(mini_settings: Settings) -> None:
    built = build(mini_settings)
    pool = QueryPool(built.dataset, 1, mini_settings.query_timeout)
    app = create_app(mini_settings, start=lambda s: start_state(s, built, pool))
    query = "SELECT ?s WHERE { ?s a ?c } ORDER BY ?s LIMIT 3"
    with TestClient(app) as client:
        served = client.get("/sparql", params={"query": query}, headers=JSON)
        direct = pool.execute(QueryRequest(query, format="json", max_rows=5))
    assert served.status_code == 200 and served.content == direct.body
