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
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
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
    startup_runs: list[float] = field(default_factory=list)
    peak_rss: int = 0
    restarts: int = 0
    process: subprocess.Popen | None = None
    after_start: Callable[[], None] | None = None  # filling a store that starts empty (timed)
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
                    if self.after_start is not None:
                        loading = time.perf_counter()
                        self.after_start()
                        self.prepare_s = time.perf_counter() - loading
                    return self.startup_s
            except OSError:
                pass
            time.sleep(0.01)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer within {timeout} s")

    def start_median(self, times: int) -> float:
        """Start ``times`` times (stopping in between) and keep the last one running; the
        start-up is the median. On a shared machine one start can be slowed by a neighbour
        several-fold (a 525k start measured 4.6 s and 8.8 s in consecutive runs)."""
        runs = []
        for _ in range(times - 1):
            runs.append(self.start())
            self.stop()
        runs.append(self.start())
        self.startup_runs = runs
        self.startup_s = statistics.median(runs)
        return self.startup_s

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


VIRTUOSO_INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = {host}:{sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 20
CheckpointInterval = 0
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
AllowOSCalls = 0
DirsAllowed = ., {dir}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
PrefixResultNames = 0
MaxQueryMem = 1G
VectorSize = 1000
MaxVectorSize = 1000000
AdjustVectorSize = 0
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 10
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000

[HTTPServer]
ServerPort = {host}:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections = 32
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
ServerThreads = 32
MaxKeepAlives = 32
KeepAliveTimeout = 10
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 60
DefaultGraph =
"""
VIRTUOSO_USER = ("dba", "dba")  # a fresh database's administrator; loopback only


@dataclass
class Virtuoso:
    """A Virtuoso open-source server in its own directory, on free loopback ports."""

    directory: Path
    http_port: int
    sql_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def sparql_url(self) -> str:
        return f"http://{HOST}:{self.http_port}/sparql"

    @property
    def gsp_url(self) -> str:
        """The Graph Store endpoint that takes writes (HTTP Digest only)."""
        return f"http://{HOST}:{self.http_port}/sparql-graph-crud-auth"

    def start(self, timeout: float = 120.0) -> float:
        """Write the ini, start ``virtuoso-t`` in the foreground; seconds until it answers."""
        exe = shutil.which("virtuoso-t")
        if exe is None:
            raise FileNotFoundError(
                "virtuoso-t is not installed (apt-get install virtuoso-opensource)"
            )
        ini = self.write_ini()
        started = time.perf_counter()
        with (self.directory / "stdout.log").open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the Debian package's server
                [exe, "+foreground", "+configfile", str(ini)],
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        probe = f"{self.sparql_url}?query=ASK%7B%7D"
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                tail = (self.directory / "virtuoso.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"virtuoso-t exited with {self.process.returncode}: {tail}")
            try:
                with urllib.request.urlopen(probe, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise TimeoutError(f"Virtuoso did not answer within {timeout:g} s")
        self.grant_updates()
        return time.perf_counter() - started

    def isql(self, *statements: str) -> str:
        """Run SQL statements with ``isql-vt`` as the administrator; their output."""
        exe = shutil.which("isql-vt") or "isql-vt"
        user, password = VIRTUOSO_USER
        script = "".join(f"{s};\n" for s in statements)
        done = subprocess.run(  # noqa: S603 - the Debian package's client
            [exe, f"{HOST}:{self.sql_port}", user, password],
            input=script.encode(),
            capture_output=True,
            check=True,
            timeout=120,
        )
        return done.stdout.decode(errors="replace")

    def grant_updates(self) -> None:
        """The administrator may write through the Graph Store endpoint (it needs the role)."""
        self.isql(f'GRANT SPARQL_UPDATE TO "{VIRTUOSO_USER[0]}"')

    def stop(self) -> None:
        """SIGTERM, then SIGKILL; by PID."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def write_ini(self) -> Path:
        """This server's ``virtuoso.ini`` (files in its directory, its two ports)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        ini = self.directory / "virtuoso.ini"
        ini.write_text(
            VIRTUOSO_INI.format(
                dir=self.directory, host=HOST, sql_port=self.sql_port, http_port=self.http_port
            )
        )
        return ini


def virtuoso(work: Path) -> Virtuoso:
    """A Virtuoso in ``work/virtuoso`` on two free loopback ports (not started)."""
    return Virtuoso(work / "virtuoso", free_port(), free_port())


def virtuoso_peer(root: Path, work: Path) -> Peer:
    """Virtuoso as a bench peer: started empty, then filled with ``defensie-kg load`` over
    its Digest-protected Graph Store endpoint (the load is its "offline load" time).
    Queries go to ``/sparql`` without dataset parameters: its default graph is then every
    graph it holds."""
    exe = shutil.which("virtuoso-t")
    if exe is None:
        raise FileNotFoundError("virtuoso-t is not installed (apt-get install virtuoso-opensource)")
    server = virtuoso(work)
    ini = server.write_ini()

    def fill() -> None:
        server.grant_updates()
        user, password = VIRTUOSO_USER
        subprocess.run(  # noqa: S603 - our own command
            [tool("defensie-kg") or "defensie-kg", "--root", str(root), "load"]
            + ["--store", server.sparql_url, "--gsp", server.gsp_url],
            env={**os.environ, "DKG_STORE_USER": user, "DKG_STORE_PASSWORD": password},
            check=True,
            capture_output=True,
        )

    argv = [exe, "+foreground", "+configfile", str(ini)]
    peer = Peer("virtuoso", argv, "/sparql", server.http_port, work / "virtuoso.log")
    peer.after_start = fill
    return peer
