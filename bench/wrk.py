"""Throughput and latency at concurrency, measured with ``wrk`` (the C load generator).

A Python client on this 2-core machine saturates near 2–3k requests/s and takes CPU from
the servers, which pulls every ratio towards 1; ``wrk`` costs a fraction of that. Each
run is one ``wrk`` process with a Lua script (``bench/wrk.lua``) that prints its summary
as JSON, so nothing is scraped from wrk's human output.

Two workloads per query:

* **repeated**: the same GET again and again (dashboards, pages);
* **distinct**: every request a different query text with the same answer, the query
  followed by ``LIMIT n`` with a large ``n`` that changes per request, so no cache of
  answers or of parsed queries can serve it.

The client's own CPU (user + system, from ``wait4``) is recorded: a run where wrk's
threads were busy most of the time measured the client, not the server, and is flagged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

SCRIPT = Path(__file__).with_name("wrk.lua")
ACCEPT = "application/sparql-results+json"
WORKLOADS = ("repeated", "distinct")
# A wrk thread busier than this share of the run measured itself, not the server.
SATURATED = 0.8
INSTALL = "apt-get install wrk  (Debian/Ubuntu)"


@dataclass(frozen=True)
class WrkRun:
    """One wrk run: completed requests per second, latency percentiles (ms), client CPU."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # connect/read/write errors, timeouts and non-2xx answers
    client_cpu: float  # wrk's CPU seconds per wall second, over all its threads
    threads: int

    @property
    def saturated(self) -> bool:
        """True when wrk's threads were busy for most of the run."""
        return self.client_cpu / self.threads >= SATURATED

    def to_json(self) -> dict[str, float | int | bool]:
        return {**asdict(self), "saturated": self.saturated}


def available() -> str | None:
    """The wrk executable, if installed."""
    return shutil.which("wrk")


def path_for(endpoint: str, text: str, workload: str) -> str:
    """The request path: the whole query for ``repeated``; for ``distinct`` it ends in
    ``LIMIT`` and the script appends a different number to every request."""
    if workload == "repeated":
        return f"{endpoint}?query={quote(text, safe='')}"
    if workload == "distinct":
        return f"{endpoint}?query={quote(text + ' LIMIT ', safe='')}"
    raise ValueError(f"unknown workload {workload!r}")


def run(
    host: str,
    port: int,
    path: str,
    workload: str,
    duration: float = 2.0,
    connections: int = 16,
    threads: int = 2,
    timeout: float = 10.0,
    limits: tuple[int, int] | None = None,
) -> WrkRun:
    """One wrk run of ``duration`` seconds against ``http://host:port`` + ``path``.

    ``limits`` (first, span): the distinct workload's LIMIT values run first + (n mod span)
    instead of a large number never repeated (for a store that refuses large limits)."""
    exe = available()
    if exe is None:
        raise FileNotFoundError(f"wrk is not installed ({INSTALL})")
    argv = [
        exe,
        f"-t{threads}",
        f"-c{max(connections, threads)}",
        f"-d{max(1, round(duration))}s",
        f"--timeout={timeout:g}s",
        "-H",
        f"Accept: {ACCEPT}",
        "-s",
        str(SCRIPT),
        f"http://{host}:{port}/",
        "--",
        path,
        workload,
        *(str(v) for v in limits or ()),
    ]
    before, started = _children_cpu(), time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    # communicate() reaped wrk, so its CPU is now in the children's totals; no other child
    # of the bench is reaped while a run lasts (one wrk at a time, peers run on).
    cpu = _children_cpu() - before
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed: {stderr.decode(errors='replace')[-500:]}")
    summary = json.loads(stdout.decode().strip().splitlines()[-1])
    seconds = summary["duration_us"] / 1e6
    return WrkRun(
        rps=summary["requests"] / seconds if seconds else 0.0,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        requests=summary["requests"],
        errors=summary["errors"],
        client_cpu=cpu / wall if wall else 0.0,
        threads=threads,
    )


def _children_cpu() -> float:
    """User + system CPU seconds of every child this process has reaped."""
    usage = os.times()
    return usage.children_user + usage.children_system
