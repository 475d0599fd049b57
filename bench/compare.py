"""Check that the peers agree, then time them query by query, interleaved.

A *target* is a peer reached one way: ``ours`` (``/sparql`` with the query
text), ``ours-named`` (``/queries/{name}?format=json``), ``oxigraph``,
``rdflib-endpoint``. For each query the repetitions run the targets in
turn (A B C A B C …), so drifting machine load hits all of them alike.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bench import load, workload
from bench.peers import HOST, Peer
from bench.workload import Query


@dataclass(frozen=True)
class Target:
    """A peer, reached through the SPARQL endpoint or (ours) the named-query URL."""

    label: str
    peer: Peer
    named: bool = False

    def request(self, query: Query) -> bytes | None:
        if self.named:
            return (
                load.get_request(HOST, self.peer.port, query.named_path)
                if query.named_path
                else None
            )
        return self.peer.sparql(query.text)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def verify(
    targets: list[Target], queries: list[Query], reference: str, timeout: float = 15.0
) -> dict[str, dict[str, Any]]:
    """Run each query once per target; rows, single-request latency and mismatches.

    A peer that does not answer within ``timeout`` is restarted: it has no time
    limit of its own and would go on computing while the next queries wait.
    """
    out: dict[str, dict[str, Any]] = {}
    for query in queries:
        answers, info = {}, {"latency": {}, "rows": {}, "errors": {}, "mismatches": []}
        for target in targets:
            request = target.request(query)
            if request is None:
                continue
            started = time.perf_counter()
            try:
                status, body = load.fetch_sync(HOST, target.peer.port, request, timeout)
            except TimeoutError:
                info["errors"][target.label] = f"no answer within {timeout:g} s"
                say(f"  restarting {target.peer.name} after a time-out on {query.name}")
                target.peer.restart()
                continue
            except OSError as exc:
                info["errors"][target.label] = f"{type(exc).__name__}: {exc}"
                continue
            info["latency"][target.label] = time.perf_counter() - started
            if status != 200:
                info["errors"][target.label] = f"HTTP {status}: {body[:200]!r}"
                continue
            answers[target.label] = workload.rows(workload.parse(body))
            info["rows"][target.label] = sum(answers[target.label].values())
        if reference in answers:
            info["mismatches"] = workload.compare(answers, reference)
        for problem in info["mismatches"] + [f"{k}: {v}" for k, v in info["errors"].items()]:
            say(f"  ! {query.name}: {problem}")
        out[query.name] = info
    return out


def summarise(runs: list[load.RunStats]) -> dict[str, Any]:
    """Median throughput and latency percentiles over the repetitions of one cell."""
    return {
        "rps": statistics.median(r.rps for r in runs),
        "p50": statistics.median(r.percentile(50) for r in runs),
        "p99": statistics.median(r.percentile(99) for r in runs),
        "requests": sum(r.requests for r in runs),
        "errors": sum(r.errors for r in runs),
        "client_cpu": statistics.median(r.client_cpu for r in runs),
        "rps_reps": [round(r.rps, 1) for r in runs],
    }


def measure(
    targets: list[Target],
    queries: list[Query],
    checks: dict[str, dict[str, Any]],
    concurrencies: Iterable[int],
    duration: float,
    reps: int,
    max_inflight: float = 4.0,
) -> dict[str, dict[str, dict[int, dict[str, Any]]]]:
    """cell[query][target][concurrency] = summary, or {"skipped": reason}."""
    out: dict[str, dict[str, dict[int, dict[str, Any]]]] = {}
    for number, query in enumerate(queries, 1):
        say(f"[{number}/{len(queries)}] {query.name}")
        cells: dict[str, dict[int, Any]] = {t.label: {} for t in targets}
        for concurrency in concurrencies:
            runs: dict[str, list[load.RunStats]] = {}
            active = []
            for target in targets:
                reason = _skip(target, query, checks.get(query.name, {}), concurrency, max_inflight)
                if reason:
                    cells[target.label][concurrency] = {"skipped": reason}
                else:
                    active.append(target)
                    runs[target.label] = []
            for _ in range(reps):
                for target in active:
                    request = target.request(query)
                    runs[target.label].append(
                        load.run(HOST, target.peer.port, request, concurrency, duration)
                    )
            for target in active:
                cells[target.label][concurrency] = summarise(runs[target.label])
        out[query.name] = cells
    return out


def _skip(
    target: Target, query: Query, check: dict[str, Any], concurrency: int, max_inflight: float
) -> str | None:
    if target.request(query) is None:
        return "no named-query URL"
    if target.label in check.get("errors", {}):
        return "failed in the correctness check"
    latency = check.get("latency", {}).get(target.label)
    if latency is not None and latency * concurrency > max_inflight:
        return f"too slow: one request took {latency:.2f} s"
    return None


def geomean(values: list[float]) -> float:
    values = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else math.nan


def ratios(
    cells: dict[str, dict[str, dict[int, dict[str, Any]]]],
    names: list[str],
    ours: str,
    other: str,
    concurrency: int,
) -> dict[str, Any]:
    """Geomean of ours/other throughput and p99 over the queries both answered."""
    rps, p99, p50, used = [], [], [], []
    for name in names:
        a = cells.get(name, {}).get(ours, {}).get(concurrency, {})
        b = cells.get(name, {}).get(other, {}).get(concurrency, {})
        if "rps" in a and "rps" in b and a["rps"] > 0 and b["rps"] > 0:
            rps.append(a["rps"] / b["rps"])
            p99.append(a["p99"] / b["p99"])
            p50.append(a["p50"] / b["p50"])
            used.append(name)
    return {
        "rps": geomean(rps),
        "p99": geomean(p99),
        "p50": geomean(p50),
        "queries": len(used),
        "of": len(names),
    }


def geomean_rps(
    cells: dict[str, dict[str, dict[int, dict[str, Any]]]],
    names: list[str],
    target: str,
    concurrency: int,
) -> tuple[float, int]:
    """Geomean throughput of one target over the queries it ran."""
    values = [
        cells[n][target][concurrency]["rps"]
        for n in names
        if "rps" in cells.get(n, {}).get(target, {}).get(concurrency, {})
    ]
    return geomean(values), len(values)
