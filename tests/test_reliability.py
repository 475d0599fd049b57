"""Operations: /health and /ready, access logs, security headers, rate limit, reloading
while serving, an unwritable cache, and a graceful SIGTERM (real server processes)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bench.peers import free_port, start_ours, wait_ready
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from conftest import FIXTURES, make_mini
from defensie_kg.build.pipeline import Build
from defensie_kg.errors import StoreUnavailable
from defensie_kg.query.store import QueryRequest, QueryResult
from defensie_kg.settings import Settings
from defensie_kg.web import middleware
from defensie_kg.web.app import create_app
from defensie_kg.web.state import AppState

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ASK = "ASK { ?s ?p ?o }"


# --- /health and /ready ------------------------------------------------------------------


def test_health_is_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and "detail" not in body
    assert set(body["response_cache"]) >= {"hits", "misses", "bytes", "limit_bytes"}


def test_ready_reports_triples_validity_and_build(
    client: TestClient, state: AppState, real_build: Build
) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "triples": sum(state.graph_sizes.values()),
        "conforms": real_build.report.conforms,  # false: the nota has warnings
        "blocked": False,
        "build": real_build.fingerprint,
        "last_reload_error": None,
    }
    assert response.json()["triples"] > 10_000


class _DownStore:
    """An executor whose store does not answer (a remote store that is down)."""

    def __init__(self, ping: bool = False) -> None:
        if ping:
            self.ping = self._fail

    def _fail(self) -> None:
        raise StoreUnavailable("the remote store at http://127.0.0.1:9/ did not answer")

    def execute(self, request: QueryRequest) -> QueryResult:
        self._fail()
        raise AssertionError

    def close(self) -> None:
        pass


@pytest.mark.parametrize("ping", [False, True], ids=["execute", "ping"])
def test_ready_is_503_when_the_store_is_down(
    settings: Settings, state: AppState, ping: bool
) -> None:
    down = dataclasses.replace(state, executor=_DownStore(ping))
    with TestClient(create_app(settings, down)) as client:
        response = client.get("/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        message = "the remote store at http://127.0.0.1:9/ did not answer"
        assert body["error"] == {"type": "StoreUnavailable", "status": 503, "message": message}
        assert client.get("/health").status_code == 200  # alive, just not ready


# --- access log ----------------------------------------------------------------------------


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "defensie_kg.access"]


def test_access_log_is_one_json_line_with_a_query_hash_never_the_query(
    mini_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = f'SELECT ?s WHERE {{ ?s <{LABEL}> "needle-7f3a" }}'
    digest = hashlib.sha256(secret.encode()).hexdigest()[:16]
    caplog.set_level(logging.INFO, logger="defensie_kg.access")
    mini_client.get("/sparql", params={"query": secret})
    mini_client.post("/sparql", data={"query": secret})
    mini_client.post(
        "/sparql", content=secret, headers={"Content-Type": "application/sparql-query"}
    )
    mini_client.get("/queries/label-search", params={"text": "needle-7f3a"})
    lines = _access_lines(caplog)
    assert len(lines) == 4
    for line in lines[:3]:
        assert line["query_sha256"] == digest
        assert line["rows"] == 0 and line["status"] == 200 and line["path"] == "/sparql"
        assert set(line) == {
            "method",
            "path",
            "status",
            "duration_ms",
            "client",
            "query_sha256",
            "rows",
        }
        assert isinstance(line["duration_ms"], float) and line["client"] == "testclient"
    assert [line["method"] for line in lines] == ["GET", "POST", "POST", "GET"]
    assert lines[3]["path"] == "/queries/label-search" and "query_sha256" not in lines[3]
    assert "needle-7f3a" not in caplog.text


def test_access_log_records_errors_and_refused_bodies(
    mini_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="defensie_kg.access")
    mini_client.get("/sparql", params={"query": "SELECT nonsense"})
    mini_client.post(
        "/sparql", content=b"x" * 2_000_001, headers={"Content-Type": "application/sparql-query"}
    )
    mini_client.get("/no/such/page")
    statuses = [(line["path"], line["status"]) for line in _access_lines(caplog)]
    assert statuses == [("/sparql", 400), ("/sparql", 413), ("/no/such/page", 404)]
    assert "nonsense" not in caplog.text


# --- security headers ----------------------------------------------------------------------


def test_every_response_has_nosniff_and_a_referrer_policy(mini_client: TestClient) -> None:
    for response in (
        mini_client.get("/sparql", params={"query": ASK}),
        mini_client.get("/sparql", params={"query": "nonsense"}),
        mini_client.get("/queries"),
        mini_client.get("/nowhere"),
        mini_client.get("/health"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "content-security-policy" not in response.headers  # not a document


def _csp(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in policy.split(";") if d.strip()}


@pytest.mark.parametrize("path", ["/", "/query", "/def", "/download", "/visuals", "/nowhere"])
def test_html_pages_have_a_csp_without_inline_script(mini_client: TestClient, path: str) -> None:
    response = mini_client.get(path, headers={"Accept": "text/html"})
    if not response.headers.get("content-type", "").startswith("text/html"):
        pytest.skip(f"{path} does not answer with HTML here")
    csp = _csp(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["frame-ancestors"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"


def test_swagger_docs_get_their_own_policy(mini_client: TestClient) -> None:
    csp = _csp(mini_client.get("/docs"))
    assert csp["frame-ancestors"] == "'none'"
    assert "https://cdn.jsdelivr.net" in csp["script-src"]


def test_a_route_can_set_its_own_policy() -> None:
    def page(request: object) -> HTMLResponse:
        return HTMLResponse("<p>hi</p>", headers={"Content-Security-Policy": "default-src 'none'"})

    def plain(request: object) -> PlainTextResponse:
        return PlainTextResponse("hi")

    app = Starlette(routes=[Route("/own", page), Route("/plain", plain)])
    app.add_middleware(middleware.SecurityHeaders)
    with TestClient(app) as client:
        assert client.get("/own").headers["content-security-policy"] == "default-src 'none'"
        assert client.get("/plain").headers["x-content-type-options"] == "nosniff"


# --- request limits ------------------------------------------------------------------------


def test_a_query_string_longer_than_the_body_limit_is_414(
    mini_client: TestClient, mini_settings: Settings
) -> None:
    small = mini_settings.with_overrides(max_body_bytes=1000)
    with TestClient(create_app(small, mini_client.app.state.kg)) as client:  # type: ignore[attr-defined]
        query = "ASK {} #" + "a" * 1000
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 414
        assert response.headers["content-type"].startswith("text/plain")
        response = client.get("/queries/label-search", params={"text": query})
        assert response.status_code == 414
        assert response.json()["error"]["status"] == 414
        assert client.get("/sparql", params={"query": "ASK {} #" + "a" * 900}).status_code == 200


def test_rate_limit_answers_429_with_retry_after(mini_settings: Settings) -> None:
    limited = mini_settings.with_overrides(rate_limit=3)
    with TestClient(create_app(limited)) as client:
        assert [client.get("/queries").status_code for _ in range(3)] == [200, 200, 200]
        refused = client.get("/queries")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 20
        assert refused.json()["error"]["type"] == "TooManyRequests"
        assert refused.json()["error"]["status"] == 429
        assert refused.headers["x-content-type-options"] == "nosniff"
        sparql = client.get("/sparql", params={"query": ASK})
        assert sparql.status_code == 429 and sparql.text.startswith("Too many requests")
        assert client.get("/health").status_code == 200  # probes are never limited
        assert client.get("/ready").status_code == 200


def test_token_bucket_refills_per_client() -> None:
    now = [0.0]
    limit = middleware.RateLimit(app=None, per_minute=60, clock=lambda: now[0])  # type: ignore[arg-type]
    assert all(limit.take("a") == 0 for _ in range(60))
    assert limit.take("a") == pytest.approx(1.0)
    assert limit.take("b") == 0  # another client has its own bucket
    now[0] += 2.5
    assert limit.take("a") == 0 and limit.take("a") == 0
    assert limit.take("a") > 0


# --- reloading while serving -----------------------------------------------------------------


def _has_label(client: TestClient | httpx.Client, text: str) -> bool:
    query = f'ASK {{ ?s <{LABEL}> "{text}"@en }}'
    response = client.get("/sparql", params={"query": query, "format": "json"})
    assert response.status_code == 200
    return bool(response.json()["boolean"])


def _edit_label(root: Path, old: str, new: str) -> None:
    path = root / "data" / "mini.ttl"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


BROKEN = {
    "syntax": (FIXTURES / "broken" / "bad-syntax.ttl").read_text(encoding="utf-8"),
    "violation": "@prefix dn: <https://w3id.org/defensienota-2024/def/> .\n"
    "<https://w3id.org/defensienota-2024/id/measure/unlabelled> a dn:Measure .\n",
    "inconsistent": "@prefix dn: <https://w3id.org/defensienota-2024/def/> .\n"
    "<https://w3id.org/defensienota-2024/id/measure/x> a dn:Measure , "
    "dn:Organisation .\n",
}


def test_reload_swaps_a_good_build_and_keeps_serving_through_bad_ones(tmp_path: Path) -> None:
    root = make_mini(tmp_path / "project")
    settings = Settings(root=root, query_timeout=2.0, query_workers=1)
    app = create_app(settings)
    with TestClient(app) as client:
        reloader = app.state.reloader
        first = client.get("/ready").json()["build"]
        for kind, text in BROKEN.items():
            (root / "data" / "broken.ttl").write_text(text, encoding="utf-8")
            assert reloader.reload_now() is False, kind
            ready = client.get("/ready")
            assert ready.status_code == 200 and ready.json()["build"] == first
            error = ready.json()["last_reload_error"]
            assert error and str(tmp_path) not in error, kind
            assert client.get("/health").json()["detail"]["last_reload_error"] == error
            assert _has_label(client, "Test measure")  # the last good build answers
        (root / "data" / "broken.ttl").unlink()
        old_executor = app.state.kg.executor
        _edit_label(root, "Test measure", "Reloaded measure")
        assert reloader.reload_now() is True
        ready = client.get("/ready").json()
        assert ready["build"] != first and ready["last_reload_error"] is None
        health = client.get("/health").json()
        assert health["status"] == "ok" and "detail" not in health
        assert health["response_cache"]["entries"] <= 2  # cleared by the swap
        assert _has_label(client, "Reloaded measure")
        assert app.state.kg.executor is not old_executor
        assert reloader.close_drained(now=time.monotonic() + 3600) == 1  # the old pool


def test_reload_error_names_the_file_and_position(tmp_path: Path) -> None:
    root = make_mini(tmp_path / "project")
    app = create_app(Settings(root=root, query_timeout=2.0, query_workers=1))
    with TestClient(app) as client:
        shutil.copy(FIXTURES / "broken" / "bad-syntax.ttl", root / "data" / "bad.ttl")
        app.state.reloader.reload_now()
        assert client.get("/ready").json()["last_reload_error"].startswith("data/bad.ttl:6:5: ")


def test_watcher_reloads_when_a_data_file_changes(tmp_path: Path) -> None:
    root = make_mini(tmp_path / "project")
    app = create_app(Settings(root=root, query_timeout=2.0, query_workers=1, reload=True))
    with TestClient(app) as client:
        first = client.get("/ready").json()["build"]
        _edit_label(root, "Test measure", "Watched measure")
        deadline = time.monotonic() + 60
        while client.get("/ready").json()["build"] == first and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _has_label(client, "Watched measure")
        assert app.state.reloader.reloads == 1


# --- real server processes: unwritable cache, SIGHUP, SIGTERM --------------------------------


def _start(root: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DKG_QUERY_WORKERS": "1"}
    return start_ours(root, port, root / "server.log", {**environment, **env})


def _wait_ready(url: str, process: subprocess.Popen[bytes], root: Path) -> None:
    wait_ready(url, process, root / "server.log", limit=90, probe="/ready")


@pytest.fixture()
def unwritable_cache_server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """A server whose cache directory cannot be created (its parent is a regular file:
    tests run as root, for whom chmod would not stop a write)."""
    root = make_mini(tmp_path / "project")
    (tmp_path / "not-a-dir").write_text("a file, so mkdir below it fails")
    port = free_port()
    process = _start(root, port, DKG_CACHE_DIR=str(tmp_path / "not-a-dir" / "cache"))
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, root)
        yield url, root, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def test_unwritable_cache_still_serves_and_sighup_reloads(
    unwritable_cache_server: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    url, root, process = unwritable_cache_server
    assert "cache not writable" in (root / "server.log").read_text()
    assert httpx.get(f"{url}/sparql", params={"query": ASK}).status_code == 200
    first = httpx.get(f"{url}/ready").json()["build"]
    _edit_label(root, "Test measure", "Hangup measure")
    process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while httpx.get(f"{url}/ready").json()["build"] == first and time.monotonic() < deadline:
        time.sleep(0.2)
    with httpx.Client(base_url=url) as client:
        assert _has_label(client, "Hangup measure")
    assert process.poll() is None


# About two seconds on the mini graph: a cross product counted four times over.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d a ?f . VALUES ?k { 1 2 3 4 } }"


def test_sigterm_lets_the_running_query_finish_then_exits_0(tmp_path: Path) -> None:
    root = make_mini(tmp_path / "project")
    port = free_port()
    process = _start(root, port, DKG_QUERY_TIMEOUT="30")
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, root)
        outcome: dict[str, httpx.Response] = {}
        thread = threading.Thread(
            target=lambda: outcome.setdefault(
                "r", httpx.get(f"{url}/sparql", params={"query": SLOW, "format": "csv"}, timeout=60)
            )
        )
        thread.start()
        time.sleep(0.5)  # the query is running
        process.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        thread.join(timeout=60)
        assert outcome["r"].status_code == 200
        assert int(outcome["r"].text.splitlines()[1]) > 1_000_000
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - stopped < 15
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/health", timeout=2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
