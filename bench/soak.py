"""A bounded soak: a real server under a steady mixed load, checked for errors and leaks.

    python -m bench.soak --seconds 60 --clients 32 [--root DIR] [--json]

Starts ``defensie-kg serve`` on a free loopback port, finds what to ask (a few SPARQL
queries, the named queries that run without parameters, the pages of a few resources
and the smallest dumps — pages and dumps only where the server has them), warms every
one up once, then runs ``--clients`` concurrent keep-alive clients on loopback for
``--seconds``, each picking requests at random (fixed seed) from that mix. Every request
is bounded by a timeout and the run by its duration; the server is stopped with SIGTERM
at the end and must exit 0.

It reports, and fails (exit 1) when a check does not hold:

- errors: every request must succeed (2xx) — no 4xx, 5xx, timeouts or connection errors;
- memory: the resident memory of the server's whole process tree (``VmRSS`` of the
  server and its query workers, from /proc), averaged over the first and over the last
  10 % of the run, may grow by less than 10 %;
- latency: p50 and p99 per kind of request and overall (reported, not checked: the
  clients share the machine's cores with the server).

Measured (2-core machine, real graph, 60 s × 32 clients): 19,898 requests (332/s),
0 errors, p50 92.8 ms, p99 172.1 ms, RSS 238.2 → 242.5 MiB (+1.8 %), exit 0 after
SIGTERM; per kind in docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.peers import free_port, start_ours, wait_ready

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/defensienota-2024/"
SPARQL = [
    "ASK { ?s ?p ?o }",
    "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) "
    "LIMIT 20",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?s ?label WHERE { "
    "?s rdfs:label ?label FILTER(lang(?label) = 'en') } ORDER BY ?label LIMIT 50",
    "PREFIX dn: <https://w3id.org/defensienota-2024/def/> SELECT ?m ?t WHERE { "
    "?m dn:contributesTo ?t } LIMIT 100",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 200",
]
WEIGHTS = {"sparql": 4, "named": 3, "page": 3, "dump": 1}
TIMEOUT = 30.0


@dataclass
class Target:
    kind: str
    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Sample:
    at: float
    kind: str
    seconds: float
    ok: bool
    detail: str = ""


# --- the server and its memory -------------------------------------------------------------


def tree_rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` and all its descendants, in KiB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        total += int(found.group(1)) if found else 0
    return total


# --- what to ask -------------------------------------------------------------------------------


def discover(client: httpx.Client, url: str, resources: int = 6, dumps: int = 3) -> list[Target]:
    """The request mix, keeping only what this server answers with a 200."""
    targets = [Target("sparql", "GET", f"{url}/sparql", {"query": q}) for q in SPARQL]
    targets += [Target("sparql", "POST", f"{url}/sparql", {"query": SPARQL[2], "format": "csv"})]
    catalogue = client.get(f"{url}/queries", headers={"Accept": "application/json"})
    if catalogue.status_code == 200 and "json" in catalogue.headers.get("content-type", ""):
        for query in catalogue.json():
            targets.append(Target("named", "GET", f"{url}/queries/{query['name']}"))
    found = client.get(
        f"{url}/sparql",
        params={
            "format": "json",
            "query": (
                "SELECT ?s (SAMPLE(?t) AS ?type) WHERE { ?s a ?t "
                f"FILTER(STRSTARTS(STR(?s), '{BASE}id/')) }} GROUP BY ?s ORDER BY ?s"
            ),
        },
    )
    subjects = [b["s"]["value"] for b in found.json()["results"]["bindings"]]
    rng = random.Random(7)
    for iri in rng.sample(subjects, min(resources, len(subjects))):
        path = "/" + iri.removeprefix(BASE)
        targets.append(Target("page", "GET", f"{url}{path}", headers={"Accept": "text/html"}))
        targets.append(Target("page", "GET", f"{url}{path}", headers={"Accept": "text/turtle"}))
    index = client.get(f"{url}/download", headers={"Accept": "text/html"})
    if index.status_code == 200:
        names = sorted(set(re.findall(r'href="/download/([^"?#/]+)"', index.text)))
        sizes = []
        for name in names:
            head = client.head(f"{url}/download/{name}")
            if head.status_code == 200:
                sizes.append((int(head.headers.get("content-length", 0) or 0), name))
        targets += [
            Target("dump", "GET", f"{url}/download/{name}") for _, name in sorted(sizes)[:dumps]
        ]
    return [t for t in targets if _send(client, t)[0] == 200]  # also warms each one up


def _send(client: httpx.Client, target: Target) -> tuple[int, int]:
    if target.method == "POST":
        response = client.post(target.url, data=target.params, headers=target.headers)
    else:
        response = client.get(target.url, params=target.params, headers=target.headers)
    return response.status_code, len(response.content)


# --- the run -------------------------------------------------------------------------------


def run(root: Path, seconds: float, clients: int, seed: int = 1) -> dict[str, Any]:
    """Serve ``root``, load it, stop it; the figures and whether every check held."""
    port, log = free_port(), Path(tempfile.mkdtemp(prefix="soak-")) / "server.log"
    url = f"http://127.0.0.1:{port}"
    process = start_ours(root, port, log)
    try:
        wait_ready(url, process, log, limit=300)
        with httpx.Client(timeout=TIMEOUT) as client:
            targets = discover(client, url)
        samples, memory = _load(process.pid, targets, seconds, clients, seed)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            exit_code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            exit_code = process.wait()
        shutil.rmtree(log.parent, ignore_errors=True)
    return _report(samples, memory, targets, seconds, clients, exit_code)


def _load(
    pid: int, targets: list[Target], seconds: float, clients: int, seed: int
) -> tuple[list[Sample], list[tuple[float, int]]]:
    by_kind: dict[str, list[Target]] = {}
    for target in targets:
        by_kind.setdefault(target.kind, []).append(target)
    kinds = [k for k in WEIGHTS if k in by_kind]
    weights = [WEIGHTS[k] for k in kinds]
    samples: list[Sample] = []
    memory: list[tuple[float, int]] = []
    started = time.monotonic()
    stop = started + seconds
    lock = threading.Lock()

    def client_loop(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        own: list[Sample] = []
        with httpx.Client(timeout=TIMEOUT) as client:
            while time.monotonic() < stop:
                kind = rng.choices(kinds, weights)[0]
                target = rng.choice(by_kind[kind])
                begun = time.monotonic()
                try:
                    status, _ = _send(client, target)
                    detail = "" if status == 200 else f"{status} {target.url}"
                    own.append(
                        Sample(
                            begun - started, kind, time.monotonic() - begun, status == 200, detail
                        )
                    )
                except httpx.HTTPError as exc:
                    own.append(
                        Sample(
                            begun - started,
                            kind,
                            time.monotonic() - begun,
                            False,
                            f"{type(exc).__name__} {target.url}",
                        )
                    )
        with lock:
            samples.extend(own)

    def watch_memory() -> None:
        while time.monotonic() < stop:
            memory.append((time.monotonic() - started, tree_rss_kib(pid)))
            time.sleep(min(0.5, seconds / 20))

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=watch_memory))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, memory


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _report(
    samples: list[Sample],
    memory: list[tuple[float, int]],
    targets: list[Target],
    seconds: float,
    clients: int,
    exit_code: int,
) -> dict[str, Any]:
    errors = [s for s in samples if not s.ok]
    tenth = max(1, len(memory) // 10)
    first = statistics.mean(kib for _, kib in memory[:tenth]) if memory else 0.0
    last = statistics.mean(kib for _, kib in memory[-tenth:]) if memory else 0.0
    growth = (last - first) / first * 100 if first else 0.0
    kinds: dict[str, Any] = {}
    for kind in sorted({s.kind for s in samples}):
        times = [s.seconds * 1000 for s in samples if s.kind == kind]
        kinds[kind] = {
            "requests": len(times),
            "targets": sum(t.kind == kind for t in targets),
            "p50_ms": round(_percentile(times, 0.5), 1),
            "p99_ms": round(_percentile(times, 0.99), 1),
        }
    everything = [s.seconds * 1000 for s in samples]
    return {
        "seconds": seconds,
        "clients": clients,
        "requests": len(samples),
        "requests_per_second": round(len(samples) / seconds, 1) if seconds else 0.0,
        "errors": len(errors),
        "error_examples": sorted({e.detail for e in errors})[:10],
        "p50_ms": round(_percentile(everything, 0.5), 1),
        "p99_ms": round(_percentile(everything, 0.99), 1),
        "kinds": kinds,
        "rss_first_mib": round(first / 1024, 1),
        "rss_last_mib": round(last / 1024, 1),
        "rss_growth_percent": round(growth, 2),
        "rss_samples": len(memory),
        "server_exit_code": exit_code,
        "passed": not errors and growth < 10 and exit_code == 0 and bool(samples),
    }


def _print(report: dict[str, Any]) -> None:
    print(
        f"soak: {report['clients']} clients for {report['seconds']:g} s — "
        f"{report['requests']} requests ({report['requests_per_second']}/s)"
    )
    for kind, figures in report["kinds"].items():
        print(
            f"  {kind:7s} {figures['requests']:7d} requests over {figures['targets']:3d} targets"
            f"   p50 {figures['p50_ms']:8.1f} ms   p99 {figures['p99_ms']:8.1f} ms"
        )
    print(f"  all     p50 {report['p50_ms']:.1f} ms   p99 {report['p99_ms']:.1f} ms")
    print(f"  errors: {report['errors']}" + "".join(f"\n    {e}" for e in report["error_examples"]))
    print(
        f"  memory (server + workers): {report['rss_first_mib']} MiB → "
        f"{report['rss_last_mib']} MiB ({report['rss_growth_percent']:+.2f} %, limit +10 %)"
    )
    print(f"  server exit after SIGTERM: {report['server_exit_code']}")
    print("  PASSED" if report["passed"] else "  FAILED")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to load the server")
    parser.add_argument("--clients", type=int, default=32, help="concurrent loopback clients")
    parser.add_argument("--root", type=Path, default=ROOT, help="project to serve")
    parser.add_argument("--seed", type=int, default=1, help="seed of the request mix")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = run(args.root, args.seconds, args.clients, args.seed)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _print(report)
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
