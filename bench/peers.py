"""The SPARQL servers under test, started on free loopback ports over one dataset file.

* ``ours``: ``defensie-kg --root ROOT serve`` (loads the cached build).
* ``oxigraph``: ``oxigraph load`` of the N-Quads into a RocksDB directory (timed
  apart), then ``oxigraph serve-read-only --union-default-graph``.
* ``rdflib-endpoint``: ``rdflib-endpoint serve dataset.nq`` (a Dataset with
  ``default_union=True``, parsed at start-up).

Each peer records its start-up time (process start to first answered query)
and its peak memory (sum of VmHWM over its process tree, sampled while it
runs). Peers are stopped by PID: SIGTERM, then SIGKILL for whatever is left.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import fetch_sync, get_request

HOST = "127.0.0.1"
PROBE = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_ours(
    root: Path, port: int, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``defensie-kg --root ROOT serve`` on ``port``, stderr to ``log``.

    ``env`` replaces the environment (None inherits it): the tests pass a minimal one so that
    no setting of the developer's shell leaks in.
    """
    command = [sys.executable, "-m", "defensie_kg", "--root", str(root), "serve"]
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [*command, "--port", str(port)],
            env=env if env is not None else {**os.environ},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def wait_ready(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path,
    limit: float = 60,
    probe: str = "/sparql?query=ASK%7B%7D",
) -> None:
    """Return once ``url + probe`` answers 200; fail with the log's tail if the server dies.

    The default probe is the first answered query; ``/ready`` waits for every worker too.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + probe, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:  # refused while starting, or an HTTP error status
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready within {limit:g} s")


def tool(name: str) -> str | None:
    """The executable ``name`` from the venv, else from PATH."""
    candidate = BIN / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def _stat(pid: int | str) -> list[bytes] | None:
    """Fields of /proc/PID/stat after the command name (state is [0], ppid [1])."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    return stat[stat.rindex(b")") + 2 :].split()


def started_at(pid: int) -> int | None:
    """The process's start time in clock ticks: with the PID, an identity no reuse can fake."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(entry)):
            kids.setdefault(int(fields[1]), []).append(int(entry))
    return kids


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants that are alive."""
    kids, out, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(kids.get(current, []))
    return out


def memory(pids: list[int]) -> tuple[int, int]:
    """(sum of VmRSS, sum of VmHWM) in bytes over ``pids``."""
    rss = hwm = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, hwm


@dataclass
class Peer:
    """One server process under test."""

    name: str
    argv: list[str]
    query_path: str  # where SPARQL GET requests go
    port: int
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    prepare_s: float = 0.0  # offline loading before start (oxigraph load)
    startup_s: float = float("nan")
    peak_rss: int = 0
    restarts: int = 0
    process: subprocess.Popen | None = None
    _seen: dict[int, int | None] = field(default_factory=dict)  # pid -> start time
    _sampler: threading.Thread | None = None

    def sparql(self, query: str) -> bytes:
        """The request bytes for a SPARQL query (GET, JSON results)."""
        return get_request(HOST, self.port, self.query_path, {"query": query})

    def start(self, timeout: float = 600.0) -> float:
        """Start the process; return seconds until it answered its first query."""
        handle = self.log.open("wb")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.argv,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        handle.close()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        probe = self.sparql(PROBE)
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}: "
                    + self.log.read_text(errors="replace")[-2000:]
                )
            try:
                status, _ = fetch_sync(HOST, self.port, probe, timeout=5)
                if status == 200:
                    self.startup_s = time.perf_counter() - started
                    return self.startup_s
            except OSError:
                pass
            time.sleep(0.01)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer within {timeout} s")

    def restart(self) -> None:
        """Stop and start again (a peer still busy with a query the client gave up on)."""
        first = self.startup_s
        self.stop()
        self.start()
        self.startup_s, self.restarts = first, self.restarts + 1

    def _sample(self) -> None:
        while self.process is not None and self.process.poll() is None:
            pids = tree(self.process.pid)
            self._remember(pids)
            self.peak_rss = max(self.peak_rss, memory(pids)[1])
            time.sleep(0.2)

    def rss_now(self) -> int:
        """Current resident memory of the whole process tree."""
        return memory(tree(self.process.pid))[0] if self.process else 0

    def stop(self) -> None:
        """SIGTERM the server, then SIGKILL each PID of its tree that is still there."""
        if self.process is None:
            return
        pids = tree(self.process.pid)
        self._remember(pids)
        self.peak_rss = max(self.peak_rss, memory(pids)[1])
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._sampler is not None:
            self._sampler.join(timeout=2)
        for pid, start in sorted(self._seen.items()):
            if pid != self.process.pid and start is not None and started_at(pid) == start:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)  # a child left behind, still the same process
        self.process = None

    def _remember(self, pids: list[int]) -> None:
        for pid in pids:
            if pid not in self._seen:
                self._seen[pid] = started_at(pid)


def ours(root: Path, work: Path, env: dict[str, str] | None = None) -> Peer:
    """Our server over the cached build of ``root``."""
    port = free_port()
    argv = [
        tool("defensie-kg") or "defensie-kg",
        "--root",
        str(root),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    return Peer("ours", argv, "/sparql", port, work / "ours.log", env or {})


def closure_ntriples(dataset: Path, target: Path) -> Path:
    """The union of the dataset's graphs as one N-Triples file: what a user loads from our
    N-Triples dump into a store's default graph."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(dataset), format=ox.RdfFormat.N_QUADS)
    every = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    answer = store.query(every, use_default_graph_as_union=True)
    answer.serialize(str(target), format=ox.RdfFormat.N_TRIPLES)  # type: ignore[union-attr]
    return target


def oxigraph(dataset: Path, work: Path) -> Peer:
    """Oxigraph's server over ``dataset``, loaded into ``work/oxigraph-db`` first.

    N-Triples go into the default graph (how the bench serves the closure); N-Quads keep
    their graphs and are served with ``--union-default-graph``."""
    exe = tool("oxigraph")
    if exe is None:
        raise FileNotFoundError("the oxigraph CLI is not installed (pip install oxigraph)")
    location = work / "oxigraph-db"
    shutil.rmtree(location, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [exe, "load", "--location", str(location), "--file", str(dataset)],
        check=True,
        capture_output=True,
    )
    prepare = time.perf_counter() - started
    port = free_port()
    argv = [exe, "serve-read-only", "--location", str(location), "--bind", f"{HOST}:{port}"]
    if dataset.suffix == ".nq":
        argv.append("--union-default-graph")
    return Peer("oxigraph", argv, "/query", port, work / "oxigraph.log", prepare_s=prepare)


def rdflib_endpoint(dataset: Path, work: Path) -> Peer:
    """rdflib-endpoint over ``dataset`` (parsed in memory at start-up)."""
    exe = tool("rdflib-endpoint")
    if exe is None:
        raise FileNotFoundError("rdflib-endpoint is not installed (pip install rdflib-endpoint)")
    port = free_port()
    argv = [exe, "serve", str(dataset), "--host", HOST, "--port", str(port)]
    return Peer("rdflib-endpoint", argv, "/", port, work / "rdflib-endpoint.log")
