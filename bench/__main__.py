"""``python -m bench``: our server against Oxigraph and rdflib-endpoint, build stages, scale.

Phases: snapshot the project and build it cold; time the build stages by
library calls; start the peers over the same N-Quads; check they return the
same rows; time every query interleaved at 1 and 16 clients; then generated
graphs of growing size. Writes bench/results/report-<timestamp>.{md,json,png}.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import compare, peers, report, scale, throughput, workload, wrk
from bench.peers import Peer

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"50k": 50_000, "500k": 500_000, "5m": 5_000_000}
INSTALL = f"{sys.executable} -m pip install -r {ROOT / 'bench' / 'requirements.txt'}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--duration", type=float, default=0.2, help="seconds per timed run")
    p.add_argument("--reps", type=int, default=3, help="repetitions of each run (interleaved)")
    p.add_argument(
        "--concurrency",
        default="1",
        help="client counts for the Python client (latency per query), comma-separated; "
        "throughput at 16 connections is measured with wrk",
    )
    p.add_argument("--wrk-duration", type=float, default=1.0, help="seconds per wrk run")
    p.add_argument("--no-wrk", action="store_true", help="skip the wrk throughput phase")
    p.add_argument(
        "--peers",
        default="ours,oxigraph,rdflib-endpoint,virtuoso",
        help="which servers to run (ours is always run)",
    )
    p.add_argument(
        "--max-inflight",
        type=float,
        default=2.0,
        help="skip a cell when one request x clients exceeds this many seconds",
    )
    p.add_argument(
        "--check-timeout",
        type=float,
        default=15.0,
        help="seconds a peer gets per query in the correctness check",
    )
    p.add_argument("--no-stages", action="store_true", help="skip the build-stage timings")
    p.add_argument("--no-owlrl", action="store_true", help="skip the owlrl reference reasoner")
    p.add_argument(
        "--scale-max",
        choices=[*SIZES, "none"],
        default="500k",
        help="largest generated size (5m needs tens of GB and hours)",
    )
    p.add_argument("--scale-duration", type=float, default=0.2)
    p.add_argument("--scale-timeout", type=float, default=30.0)
    p.add_argument("--build-timeout", type=float, default=3600.0)
    p.add_argument("--rebuild-scale", action="store_true", help="cold-build generated graphs")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 0.1 s runs, 1 repetition, no owlrl, 50k only",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.reps, args.no_owlrl, args.scale_duration = 0.1, 1, True, 0.1
        args.wrk_duration = 1.0
        args.scale_max = "50k" if args.scale_max != "none" else "none"
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.peers = ["ours"] + [p for p in args.peers.split(",") if p and p != "ours"]
    unknown = set(args.peers) - {"ours", "oxigraph", "rdflib-endpoint", "virtuoso"}
    if unknown:
        p.error(f"unknown peer(s): {', '.join(sorted(unknown))}")
    return args


def check_tools(wanted: list[str], need_wrk: bool = True) -> None:
    """Exit with the install command if a peer's program (or wrk) is missing."""
    programs = {"virtuoso": "virtuoso-t"}
    missing = [
        name for name in wanted if name != "ours" and peers.tool(programs.get(name, name)) is None
    ]
    if need_wrk and wrk.available() is None:
        missing.append(f"wrk ({wrk.INSTALL})")
    if peers.tool("defensie-kg") is None:
        missing.append("defensie-kg (pip install -e .)")
    if missing:
        sys.exit(
            f"missing: {', '.join(missing)}\ninstall the bench requirements with:\n  "
            f"{INSTALL}\n(or leave a peer out with --peers)"
        )
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        compare.say(f"matplotlib is not installed: no PNG chart ({INSTALL})")


def snapshot(work: Path) -> Path:
    """Copy ontology/, data/, queries/ so edits made meanwhile do not reach the bench."""
    target = work / "nota"
    for part in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / part, target / part)
    return target


def nota_build(project: Path, timeout: float, reps: int) -> dict[str, Any]:
    """``reps`` cold builds (the first on the fresh snapshot, then ``--no-cache``) and one
    warm one. The cold figure is the median: one build on this shared machine has taken
    from 2.5 to 5.7 s with nothing changed."""
    colds = [scale.timed_build(project, timeout)]
    if "dataset" not in colds[0]:
        sys.exit(f"the build failed:\n{colds[0]['output']}")
    colds += [scale.timed_build(project, timeout, no_cache=True) for _ in range(reps - 1)]
    cold = sorted(colds, key=lambda run: run["seconds"])[len(colds) // 2]
    warm = scale.timed_build(project, timeout)
    return {
        "cold_s": cold["seconds"],
        "cold_runs": [round(run["seconds"], 2) for run in colds],
        "cold_rss": max(run["rss"] for run in colds),
        "warm_s": warm["seconds"],
        "quads": cold["quads"],
        "timings": cold["meta"].get("timings", {}),
        "conforms": cold["returncode"] == 0,
        "dataset": cold["dataset"],
    }


def stages(project: Path, args: argparse.Namespace) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.stages", str(project), "--reps", str(args.reps)]
    done = subprocess.run(
        argv + (["--no-owlrl"] if args.no_owlrl else []), capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def start_peers(
    project: Path, dataset: Path, work: Path, names: list[str], running: list[Peer], starts: int
) -> dict[str, Peer]:
    """Start each peer alone (so start-up times are not disturbed), keep them running.
    Ours, whose start-up has a target, starts ``starts`` times (the median counts)."""
    makers = {
        "ours": lambda: peers.ours(project, work),
        "oxigraph": lambda: peers.oxigraph(
            peers.closure_ntriples(dataset, work / "closure.nt"), work
        ),
        "rdflib-endpoint": lambda: peers.rdflib_endpoint(dataset, work),
        "virtuoso": lambda: peers.virtuoso_peer(project, work),
    }
    started = {}
    for name in names:
        peer = makers[name]()
        running.append(peer)
        seconds = peer.start_median(starts) if name == "ours" else peer.start()
        compare.say(f"{name}: first answer after {seconds:.2f} s")
        started[name] = peer
    return started


def nota_phase(
    args: argparse.Namespace, work: Path, results: dict[str, Any], running: list[Peer]
) -> None:
    project = snapshot(work)
    args.source = project  # the scale phase copies the same ontology, data and queries
    compare.say("building the nota graph (cold, then warm)")
    build = nota_build(project, args.build_timeout, args.reps)
    results["build"] = {k: v for k, v in build.items() if k != "dataset"}
    if not args.no_stages:
        compare.say("timing the build stages" + ("" if args.no_owlrl else " (owlrl takes a while)"))
        results["stages"] = stages(project, args)
    started = start_peers(project, build["dataset"], work, args.peers, running, args.reps)
    targets = [
        compare.Target("ours-named", started["ours"], True),
        compare.Target("ours", started["ours"]),
    ]
    targets += [compare.Target(name, started[name]) for name in args.peers if name != "ours"]
    reference = "oxigraph" if "oxigraph" in started else "ours"
    queries = workload.workload(project / "queries")
    compare.say(f"checking rows of {len(queries)} queries against {reference}")
    results["checks"] = compare.verify(targets, queries, reference, args.check_timeout)
    results["rss_idle"] = {n: p.rss_now() for n, p in started.items()}
    results["cells"] = compare.measure(
        targets,
        queries,
        results["checks"],
        args.concurrency,
        args.duration,
        args.reps,
        args.max_inflight,
    )
    if not args.no_wrk:
        free = throughput.parameter_free(queries, project / "queries")
        compare.say(f"wrk: {len(free)} parameter-free named queries, repeated and distinct")
        results["wrk"] = throughput.measure(
            targets, free, results["checks"], args.wrk_duration, args.reps
        )
    results["peers"] = {}
    for name, peer in started.items():
        rss_after = peer.rss_now()
        peer.stop()
        running.remove(peer)
        results["peers"][name] = {
            "startup_s": peer.startup_s,
            "startup_runs": [round(s, 2) for s in peer.startup_runs],
            "prepare_s": peer.prepare_s,
            "rss_after": rss_after,
            "peak_rss": peer.peak_rss,
            "restarts": peer.restarts,
        }
    results["targets"] = [t.label for t in targets]
    results["named"] = [q.name for q in queries if q.named_path]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    check_tools(args.peers, not args.no_wrk)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that peers get stopped
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    work = args.out / f"work-{stamp}"
    work.mkdir(parents=True)
    results: dict[str, Any] = {
        "stamp": stamp,
        "machine": report.machine(),
        "command": "python -m bench " + " ".join(argv or sys.argv[1:]),
        "concurrency": args.concurrency,
        "settings": vars(args),
    }
    running: list[Peer] = []
    started = time.perf_counter()
    try:
        nota_phase(args, work, results, running)
        limit = SIZES.get(args.scale_max, 0)
        results["scale"] = [
            scale.run_size(size, args.out / "scale-cache", args, running)
            for size in SIZES.values()
            if size <= limit
        ]
    finally:
        for peer in running:
            peer.stop()
        shutil.rmtree(work, ignore_errors=True)
    results["loadavg_end"] = os.getloadavg()
    results["total_s"] = time.perf_counter() - started
    markdown, png = report.write(results, args.out)
    compare.say(f"done in {results['total_s'] / 60:.1f} min")
    print(markdown)
    if png:
        print(png)


if __name__ == "__main__":
    main()
