"""Build, load, serve and query generated graphs of growing size.

Per size: generate the project (seeded, so the same bytes every run), run
``defensie-kg build`` in its own process (wall time and peak RSS), time the
cache load, start our server and Oxigraph's on the dataset, check that they
agree on every named query and time each at one client.

A cold build of ~500k quads takes minutes, so the generated projects live in
``scale-cache/`` and keep their build cache between bench runs: unchanged
inputs give a cache hit, and the report then shows the cold build measured
the first time (``bench-build.json``). ``--rebuild-scale`` forces a cold build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import compare, generate, peers, workload
from bench.peers import Peer

RECORD = "bench-build.json"


def timed_build(root: Path, timeout: float, no_cache: bool = False) -> dict[str, Any]:
    """Run ``defensie-kg --root ROOT build`` in its own process: seconds, peak RSS, outcome."""
    argv = [peers.tool("defensie-kg") or "defensie-kg", "--root", str(root), "build", "-q"]
    if no_cache:
        argv.append("--no-cache")
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {
        "seconds": seconds,
        "rss": usage.ru_maxrss * 1024,
        "returncode": process.returncode,
        "output": output[-2000:],
        "cached": "(cached)" in output,
        "timed_out": seconds >= timeout,
    }
    first = output.strip().splitlines()[0] if output.strip() else ""
    dataset = Path(first.split(" (")[0]) if first.endswith(("(built)", "(cached)")) else None
    if dataset and dataset.is_file():
        out["dataset"] = dataset
        out["meta"] = json.loads((dataset.parent / "meta.json").read_text())
        out["quads"] = sum(out["meta"].get("graphs", {}).values())
    return out


def cache_load(dataset: Path) -> dict[str, Any]:
    """``KnowledgeGraph.from_nquads`` timed in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.stages", "--load", str(dataset), "--reps", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def run_size(size: int, home: Path, options: Any, running: list[Peer]) -> dict[str, Any]:
    """Everything measured at one size; ``running`` gets each started peer (for clean-up)."""
    say = compare.say
    project = home / f"scale-{size}"
    out: dict[str, Any] = {"aimed": size, "notes": []}
    started = time.perf_counter()
    info = generate.generate(project, size, seed=options.seed, source=options.source)
    out["generate_s"], out["measures"] = time.perf_counter() - started, info.measures
    say(f"scale {size:,}: generated {info.measures:,} measures; building")
    build = timed_build(project, options.build_timeout, no_cache=options.rebuild_scale)
    out["quads"] = build.get("quads")
    if "dataset" not in build:
        why = "time-out" if build["timed_out"] else "failed"
        out["notes"].append(
            f"build did not finish ({why} after {build['seconds']:.0f} s): {build['output'][-300:]}"
        )
        return out
    _record_build(out, build, project)
    say(f"scale {size:,}: {out['quads']:,} quads, build {out['build_s']:.1f} s; loading")
    out["cache_load_s"] = cache_load(build["dataset"])["cache_load"][0]
    work = project / "work"
    work.mkdir(exist_ok=True)
    # No response cache: the 1-client client repeats each request, and the figure wanted
    # here is the query engine's at this size, not a cache hit.
    env = {"DKG_MAX_ROWS": "10000000", "DKG_RESPONSE_CACHE_BYTES": "0"}
    ours = peers.ours(project, work, env)
    oxigraph = peers.oxigraph(build["dataset"], work)
    out["oxigraph_load_s"] = oxigraph.prepare_s
    try:
        running += [ours, oxigraph]
        ours.start_median(options.reps)
        oxigraph.start()
        out["startup"] = {p.name: p.startup_s for p in (ours, oxigraph)}
        out["startup_runs"] = [round(s, 2) for s in ours.startup_runs]
        targets = [
            compare.Target("ours-named", ours, True),
            compare.Target("ours", ours),
            compare.Target("oxigraph", oxigraph),
        ]
        queries = workload.named(project / "queries")
        checks = compare.verify(targets, queries, "oxigraph", timeout=options.scale_timeout)
        cells = compare.measure(
            targets, queries, checks, [1], options.scale_duration, 1, options.max_inflight
        )
        names = [q.name for q in queries]
        out["checks"] = checks
        out["cells"] = cells
        out["p50_geomean"] = {t.label: _p50_geomean(cells, names, t.label) for t in targets}
        out["p50_vs_oxigraph"] = {
            o: compare.ratios(cells, names, o, "oxigraph", 1)["p50"] for o in ("ours-named", "ours")
        }
        out["mismatches"] = sum(1 for c in checks.values() if c["mismatches"] or c["errors"])
        out["rss_after"] = {p.name: p.rss_now() for p in (ours, oxigraph)}
    finally:
        for peer in (ours, oxigraph):
            peer.stop()
            if peer in running:
                running.remove(peer)
        out["rss"] = {p.name: p.peak_rss for p in (ours, oxigraph)}
        shutil.rmtree(work / "oxigraph-db", ignore_errors=True)
    out["notes"].append(
        "our server ran with DKG_MAX_ROWS=10000000 so that no result is cut, and with "
        "DKG_RESPONSE_CACHE_BYTES=0 so that no answer comes from its response cache"
    )
    if out["mismatches"]:
        out["notes"].append(f"{out['mismatches']} named queries differ or failed (see JSON)")
    return out


def _record_build(out: dict[str, Any], build: dict[str, Any], project: Path) -> None:
    meta, record = build["meta"], project / RECORD
    out["timings"] = meta.get("timings", {})
    if not build["cached"]:
        out["build_s"], out["build_rss"] = build["seconds"], build["rss"]
        record.write_text(
            json.dumps(
                {
                    "fingerprint": meta.get("fingerprint"),
                    "build_s": build["seconds"],
                    "build_rss": build["rss"],
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )
        return
    saved = json.loads(record.read_text()) if record.is_file() else {}
    if saved.get("fingerprint") == meta.get("fingerprint"):
        out["build_s"], out["build_rss"] = saved["build_s"], saved["build_rss"]
        out["notes"].append(
            f"cold build measured in an earlier run ({saved['date']}); this run "
            f"hit the build cache in {build['seconds']:.1f} s "
            "(--rebuild-scale to rebuild)"
        )
    else:
        out["notes"].append(
            "build came from a cache this bench did not time; run with --rebuild-scale"
        )


def _p50_geomean(cells: dict[str, Any], names: list[str], target: str) -> float:
    values = [
        cells[n][target][1]["p50"]
        for n in names
        if "p50" in cells.get(n, {}).get(target, {}).get(1, {})
    ]
    return compare.geomean(values)
