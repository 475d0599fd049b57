"""Throughput and latency at 16 connections with ``wrk``: repeated and distinct workloads.

For every parameter-free named query (the project's throughput targets are stated over
them), each workload (see :mod:`bench.wrk`) runs on every peer in turn, repetition by
repetition (A B C A B C …), so drifting machine load hits all of them alike. A cell is
the median over the repetitions. A run in which wrk's own threads were busy most of the
time (:attr:`bench.wrk.WrkRun.saturated`) measured the client: its cell is flagged and
left out of every ratio.

``rdflib-endpoint`` answers the same request the same way each time (it has no cache), so
it runs the distinct workload only, once: its figures are the ≥ 10× floor, not a race.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from bench import wrk
from bench.compare import Target, geomean, say
from bench.peers import HOST
from bench.workload import Query

ONCE = ("rdflib-endpoint",)  # peers measured once, on the distinct workload only
# Virtuoso 7.2 refuses ORDER BY with LIMIT above 10000 (SR353, MaxSortedTopRows) and is
# very slow when that limit is raised; it keeps no answers, so its distinct LIMITs may repeat.
LIMITS = {"virtuoso": (1000, 9000)}


def parameter_free(queries: list[Query], queries_dir: Any) -> list[Query]:
    """The named queries that take no parameter at all (the targets' set)."""
    from defensie_kg.query import named_queries

    catalogue = named_queries.load_all(queries_dir)
    return [q for q in queries if q.named_path and not catalogue[q.name].parameters]


def measure(
    targets: list[Target],
    queries: list[Query],
    checks: dict[str, dict[str, Any]],
    duration: float,
    reps: int,
    connections: int = 16,
) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """cells[workload][query][target] = summary (or ``{"skipped": reason}``)."""
    out: dict[str, dict[str, dict[str, dict[str, Any]]]] = {w: {} for w in wrk.WORKLOADS}
    endpoints = [t for t in targets if not t.named]
    for number, query in enumerate(queries, 1):
        say(f"[wrk {number}/{len(queries)}] {query.name}")
        failed = checks.get(query.name, {}).get("errors", {})
        for workload in wrk.WORKLOADS:
            runs: dict[str, list[wrk.WrkRun]] = {}
            cells: dict[str, dict[str, Any]] = {}
            active = []
            for target in endpoints:
                if target.label in failed:
                    cells[target.label] = {"skipped": "failed in the correctness check"}
                elif target.label in ONCE and workload != "distinct":
                    cells[target.label] = {"skipped": "no cache: the distinct figure stands"}
                else:
                    active.append(target)
                    runs[target.label] = []
            for rep in range(reps):
                for target in active:
                    if target.label in ONCE and rep > 0:
                        continue
                    path = wrk.path_for(target.peer.query_path, query.text, workload)
                    limits = LIMITS.get(target.label) if workload == "distinct" else None
                    runs[target.label].append(
                        wrk.run(
                            HOST,
                            target.peer.port,
                            path,
                            workload,
                            duration,
                            connections,
                            limits=limits,
                        )
                    )
            for label, done in runs.items():
                cells[label] = summarise(done)
            out[workload][query.name] = cells
    return out


def summarise(runs: list[wrk.WrkRun]) -> dict[str, Any]:
    """Median throughput and latency over the repetitions of one cell."""
    return {
        "rps": statistics.median(r.rps for r in runs),
        "p50": statistics.median(r.p50_ms for r in runs) / 1000,
        "p99": statistics.median(r.p99_ms for r in runs) / 1000,
        "requests": sum(r.requests for r in runs),
        "errors": sum(r.errors for r in runs),
        "client_cpu": max(r.client_cpu for r in runs),
        "saturated": any(r.saturated for r in runs),
        "rps_reps": [round(r.rps, 1) for r in runs],
    }


def usable(cell: dict[str, Any]) -> bool:
    """A cell that may enter a ratio: measured, answered, not limited by the client."""
    return cell.get("rps", 0) > 0 and not cell.get("saturated") and not cell.get("errors")


def ratios(cells: dict[str, dict[str, dict[str, Any]]], ours: str, other: str) -> dict[str, Any]:
    """Geomeans of ours/other throughput and p99 over the queries both measured cleanly,
    and the queries where our p99 is above the other's."""
    rps, p99, slower = [], [], []
    for name, row in cells.items():
        a, b = row.get(ours, {}), row.get(other, {})
        if usable(a) and usable(b):
            rps.append(a["rps"] / b["rps"])
            p99.append(a["p99"] / b["p99"])
            if a["p99"] > b["p99"]:
                slower.append(name)
    return {
        "rps": geomean(rps),
        "p99": geomean(p99),
        "p99_above": slower,
        "queries": len(rps),
        "of": len(cells),
    }


def flagged(cells: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Cells left out of the ratios, as ``query/target: why``."""
    out = []
    for name, row in cells.items():
        for label, cell in row.items():
            if cell.get("saturated"):
                out.append(f"{name}/{label}: client saturated (wrk CPU {cell['client_cpu']:.2f})")
            elif cell.get("errors"):
                out.append(f"{name}/{label}: {cell['errors']} errors")
            elif "rps" in cell and not cell["rps"] > 0 and math.isfinite(cell["rps"]):
                out.append(f"{name}/{label}: no request completed")
    return out
