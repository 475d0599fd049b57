"""Shared fixtures: the real graph built once per session, a tiny mini project,
and HTTP clients on the real app (in-process and over a live loopback server)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from bench.peers import free_port, start_ours, wait_ready
from fastapi.testclient import TestClient

from defensie_kg.build.pipeline import Build, build
from defensie_kg.query.store import QueryRequest, QueryResult
from defensie_kg.settings import Settings
from defensie_kg.web.app import create_app, load_state
from defensie_kg.web.state import AppState

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    cache = tmp_path_factory.mktemp("cache")
    return Settings(root=ROOT, cache_dir=cache, query_timeout=3.0, query_workers=2)


@pytest.fixture(scope="session")
def real_build(settings: Settings) -> Build:
    return build(settings)


@pytest.fixture(scope="session")
def state(settings: Settings, real_build: Build) -> Iterator[AppState]:
    loaded = load_state(settings)
    yield loaded
    loaded.executor.close()


@pytest.fixture(scope="session")
def client(settings: Settings, state: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(settings, state)) as test_client:
        yield test_client


def make_mini(target: Path, extra: dict[str, str] | None = None) -> Path:
    """A project dir with the real ontology, the document structure and the mini slice."""
    (target / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "ontology", target / "ontology")
    shutil.copytree(FIXTURES / "mini" / "queries", target / "queries")
    for name in ("document.ttl", "tasks-objectives.ttl"):
        shutil.copy(ROOT / "data" / name, target / "data" / name)
    shutil.copy(FIXTURES / "mini" / "data" / "mini.ttl", target / "data" / "mini.ttl")
    for name, text in (extra or {}).items():
        (target / "data" / name).write_text(text, encoding="utf-8")
    return target


@pytest.fixture()
def mini_root(tmp_path: Path) -> Path:
    return make_mini(tmp_path / "project")


@pytest.fixture(scope="session")
def mini_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    project = make_mini(tmp_path_factory.mktemp("mini") / "project")
    return Settings(root=project, query_timeout=2.0, query_workers=2, max_rows=5)


@pytest.fixture(scope="session")
def mini_client(mini_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(mini_settings)) as test_client:
        yield test_client


@contextmanager
def served(root: Path, env: dict[str, str], log: Path, startup: float = 60) -> Iterator[str]:
    """Run `defensie-kg serve` for ``root`` on a free loopback port; yield its URL."""
    port = free_port()
    process = start_ours(root, port, log, {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, log, startup)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def live_server(mini_settings: Settings) -> Iterator[str]:
    """A real uvicorn process on a free loopback port, serving the mini project."""
    env = {"DKG_QUERY_TIMEOUT": "2", "DKG_QUERY_WORKERS": "2"}
    with served(mini_settings.root, env, mini_settings.root / "server.log") as url:
        yield url


@pytest.fixture()
def listener() -> Iterator[tuple[int, list[object]]]:
    """A loopback TCP listener that records every connection made to it."""
    port = free_port()
    seen: list[object] = []
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    server.settimeout(0.1)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except OSError:
                continue
            seen.append(addr)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield port, seen
    stop.set()
    thread.join()
    server.close()


class Recorder:
    """An executor that notes the text of every query before the workers run it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def execute(self, request: QueryRequest) -> QueryResult:
        self.texts.append(request.text)
        result: QueryResult = self.inner.execute(request)
        return result

    async def execute_async(self, request: QueryRequest) -> QueryResult:
        self.texts.append(request.text)
        result: QueryResult = await self.inner.execute_async(request)
        return result

    def close(self) -> None:
        """The session's executor is closed by its own fixture."""


@pytest.fixture(scope="module")
def recorded(settings: Settings, state: AppState) -> Iterator[tuple[TestClient, Recorder]]:
    recorder = Recorder(state.executor)
    with TestClient(create_app(settings, dataclasses.replace(state, executor=recorder))) as c:
        yield c, recorder
