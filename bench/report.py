"""The machine line, the Markdown report and the PNG chart of one bench run."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import throughput
from bench.compare import geomean_rps, ratios

TARGETS = {
    "repeated_vs_oxigraph": 1.5,
    "distinct_vs_oxigraph": 1.0,
    "p99_vs_oxigraph": 1.0,
    "throughput_vs_rdflib": 10.0,
    "startup_s": 1.0,
    "build_s": 2.0,
    "scale_build_s": 120.0,
    "scale_startup_s": 5.0,
    "scale_p50_vs_oxigraph": 1.5,
    "scale_rss": 1.5e9,
}


def machine() -> dict[str, Any]:
    """nproc, CPU model, memory, Python and package versions, load average."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    except OSError:
        memory = 0
    versions = {}
    for name in ("pyoxigraph", "oxigraph", "rdflib", "rdflib-endpoint", "fastapi", "uvicorn"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory": memory,
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
        "loadavg": os.getloadavg(),
        "versions": versions,
        "commit": _commit(),
    }


def machine_line(info: dict[str, Any]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    return (
        f"nproc={info['nproc']}, CPU {info['cpu']}, {info['memory'] / 2**30:.1f} GiB RAM, "
        f"Python {info['python']}, {info['os']}; {versions}"
    )


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=10,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None or not math.isfinite(seconds) else f"{seconds * 1000:.1f}"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _mb(value: float | None) -> str:
    return "—" if not value else f"{value / 2**20:.0f} MiB"


def _verdict(value: float, target: float, higher_is_better: bool) -> str:
    if not math.isfinite(value):
        return "not measured"
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "**missed**"


def headline(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, target, measured, verdict) rows for the project's performance targets."""
    rows = _wrk_targets(results.get("wrk", {}))
    peers = results.get("peers", {})
    if "ours" in peers:
        start = peers["ours"]["startup_s"]
        rows.append(
            (
                "serve from warm cache to first answer",
                "≤ 1 s",
                f"{start:.2f} s",
                _verdict(start, TARGETS["startup_s"], False),
            )
        )
    if "build" in results:
        seconds = results["build"]["cold_s"]
        rows.append(
            (
                "build of the nota graph (cold, CLI)",
                "≤ 2 s",
                f"{seconds:.1f} s",
                _verdict(seconds, TARGETS["build_s"], False),
            )
        )
    for scale in results.get("scale", []):
        if not 400_000 <= scale["aimed"] <= 600_000:
            continue
        label = f"{scale['quads'] or scale['aimed']:,} quads"
        rows.append(
            (
                f"{label}: build",
                "≤ 2 min",
                _num(scale.get("build_s"), 0) + " s",
                _verdict(scale.get("build_s") or math.inf, TARGETS["scale_build_s"], False),
            )
        )
        start = scale.get("startup", {}).get("ours") or math.inf
        rows.append(
            (
                f"{label}: serve from warm cache to first answer",
                "≤ 5 s",
                _num(start) + " s",
                _verdict(start, TARGETS["scale_startup_s"], False),
            )
        )
        r = scale.get("p50_vs_oxigraph", {}).get("ours-named", math.nan)
        rows.append(
            (
                f"{label}: named-query p50, ours/oxigraph (geomean)",
                "≤ 1.5×",
                f"{r:.2f}×",
                _verdict(r, TARGETS["scale_p50_vs_oxigraph"], False),
            )
        )
        rss = scale.get("rss", {}).get("ours", 0)
        rows.append(
            (
                f"{label}: RSS of our server",
                "≤ 1.5 GB",
                f"{rss / 1e9:.2f} GB",
                _verdict(rss or math.inf, TARGETS["scale_rss"], False),
            )
        )
    return rows


def _wrk_targets(cells: dict[str, dict[str, dict[str, Any]]]) -> list[tuple[str, str, str, str]]:
    """The throughput targets, from the wrk phase (16 connections)."""
    rows = []
    for workload in ("repeated", "distinct"):
        key = f"{workload}_vs_oxigraph"
        r = throughput.ratios(cells.get(workload, {}), "ours", "oxigraph")
        if not r["queries"]:
            continue
        scope = f"geomean over {r['queries']}/{r['of']} parameter-free named queries"
        rows.append(
            (
                f"{workload}: ours/oxigraph throughput, wrk 16 connections, {scope}",
                f"≥ {TARGETS[key]}×",
                f"{r['rps']:.2f}×",
                _verdict(r["rps"], TARGETS[key], True),
            )
        )
        above = len(r["p99_above"])
        rows.append(
            (
                f"{workload}: ours/oxigraph p99 latency (geomean; queries where ours is higher)",
                "≤ 1×",
                f"{r['p99']:.2f}× ({above})",
                _verdict(r["p99"], TARGETS["p99_vs_oxigraph"], False),
            )
        )
    r = throughput.ratios(cells.get("distinct", {}), "ours", "rdflib-endpoint")
    if r["queries"]:
        rows.append(
            (
                f"distinct: ours/rdflib-endpoint throughput, geomean over {r['queries']}/"
                f"{r['of']} queries",
                f"≥ {TARGETS['throughput_vs_rdflib']:g}×",
                f"{r['rps']:.1f}×",
                _verdict(r["rps"], TARGETS["throughput_vs_rdflib"], True),
            )
        )
    return rows


def _wrk_section(results: dict[str, Any]) -> list[str]:
    cells = results.get("wrk", {})
    if not cells:
        return []
    out = [
        "## Throughput with wrk (16 connections, 2 threads)",
        "",
        "req/s (p99 ms); median over the repetitions. *repeated*: the same GET each time; "
        "*distinct*: the query followed by a different large `LIMIT` each time.",
        "",
    ]
    for workload, rows in cells.items():
        labels = sorted({label for row in rows.values() for label in row})
        out += [
            f"### {workload}",
            "",
            "| query | " + " | ".join(labels) + " | ours/oxigraph |",
            "|---" * (len(labels) + 2) + "|",
        ]
        for name, row in rows.items():
            shown = []
            for label in labels:
                cell = row.get(label, {})
                if "rps" in cell:
                    mark = " ⚠" if not throughput.usable(cell) else ""
                    shown.append(f"{cell['rps']:.0f} ({cell['p99'] * 1000:.1f}){mark}")
                else:
                    shown.append("–")
            a, b = row.get("ours", {}), row.get("oxigraph", {})
            ratio = f"{a['rps'] / b['rps']:.2f}×" if "rps" in a and b.get("rps") else "–"
            out.append(f"| {name} | " + " | ".join(shown) + f" | {ratio} |")
        out.append("")
    cpu = [
        c["client_cpu"]
        for rows in cells.values()
        for r in rows.values()
        for c in r.values()
        if "client_cpu" in c
    ]
    if cpu:
        out.append(
            f"wrk's CPU (cores, over its 2 threads): median {sorted(cpu)[len(cpu) // 2]:.2f}, "
            f"max {max(cpu):.2f}; a run is flagged (⚠, left out of ratios) when a thread is "
            f"busy ≥ {throughput.wrk.SATURATED:.0%} of the run."
        )
    for problem in throughput.flagged(cells.get("repeated", {})) + throughput.flagged(
        cells.get("distinct", {})
    ):
        out.append(f"- ⚠ {problem}")
    return out + [""]


def markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    info = results["machine"]
    out = [
        f"# Benchmark {results['stamp']}",
        "",
        f"Command: `{results['command']}`  ",
        f"Commit: {info['commit']}  ",
        f"Machine: {machine_line(info)}  ",
        f"Load average at start {_load(info['loadavg'])}, at end "
        f"{_load(results.get('loadavg_end', (math.nan,) * 3))} (the machine is shared).",
        "",
        "## Targets",
        "",
        "| what | target | measured | verdict |",
        "|---|---|---|---|",
    ]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in headline(results)]
    out += ["", *_peers_section(results), *_stages_section(results), *_wrk_section(results)]
    out += _geomean_section(results)
    for concurrency in results.get("concurrency", []):
        out += _query_table(results, concurrency)
    out += _mismatches(results) + _scale_section(results)
    return "\n".join(out) + "\n"


def _load(values: Any) -> str:
    return "/".join(f"{v:.1f}" for v in values)


def _peers_section(results: dict[str, Any]) -> list[str]:
    build = results.get("build", {})
    out = ["## Build and start-up (nota graph)", ""]
    if build:
        out.append(
            "Cold build (`defensie-kg build`, own process, median of "
            f"{', '.join(f'{r:.2f}' for r in build.get('cold_runs', [build['cold_s']]))} s): "
            f"{build['cold_s']:.2f} s, peak "
            f"RSS {_mb(build['cold_rss'])}; warm (cache hit): {build['warm_s']:.2f} s. "
            f"Dataset: {build['quads']:,} quads. Build's own stage timings: "
            f"{build.get('timings', {})}."
        )
        out.append("")
    out += [
        "| peer | offline load | start to first answer | RSS after load | peak RSS | restarts |",
        "|---|---|---|---|---|---|",
    ]
    for name, peer in results.get("peers", {}).items():
        out.append(
            f"| {name} | {_num(peer['prepare_s'])} s | {_num(peer['startup_s'])} s{_runs(peer)} | "
            f"{_mb(peer['rss_after'])} | {_mb(peer['peak_rss'])} | {peer['restarts']} |"
        )
    return out + [
        "",
        "Peak RSS is the sum of VmHWM over the process tree (server and its "
        "workers), sampled every 0.2 s. A restart follows a query the peer did not "
        "answer within the check's time limit (it would go on computing otherwise). "
        "Our start-up is the median of the starts listed (the target is ours).",
        "",
    ]


def _runs(peer: dict[str, Any]) -> str:
    runs = peer.get("startup_runs") or []
    return f" (of {', '.join(f'{r:.2f}' for r in runs)})" if len(runs) > 1 else ""


def _stages_section(results: dict[str, Any]) -> list[str]:
    stages = results.get("stages")
    if not stages:
        return []
    out = [
        "## Build stages (library calls, nota graph)",
        "",
        "| stage | median s | runs |",
        "|---|---|---|",
    ]
    for name, values in stages.items():
        if isinstance(values, list):
            ordered = sorted(values)
            out.append(f"| {name} | {ordered[len(ordered) // 2]:.3f} | {values} |")
    extra = {k: v for k, v in stages.items() if not isinstance(v, list)}
    return out + ["", f"Other: {extra}", ""]


def _geomean_section(results: dict[str, Any]) -> list[str]:
    cells, named = results.get("cells", {}), results.get("named", [])
    targets = results.get("targets", [])
    out = [
        "## Throughput, geomean over named queries",
        "",
        "The Python client (one closed-loop client, every named query, parameters bound) "
        "repeats each request, so ours answers most of them from its response cache; the "
        "uncached comparison is wrk's *distinct* workload above.",
        "",
        "| clients | " + " | ".join(targets) + " |",
        "|---" * (len(targets) + 1) + "|",
    ]
    for concurrency in results.get("concurrency", []):
        values = [geomean_rps(cells, named, t, concurrency) for t in targets]
        out.append(
            f"| {concurrency} | " + " | ".join(f"{v:.0f} req/s ({n} q)" for v, n in values) + " |"
        )
    out += ["", "| clients | ratio | throughput | p50 | p99 | queries |", "|---" * 6 + "|"]
    for concurrency in results.get("concurrency", []):
        for ours in ("ours-named", "ours"):
            for other in ("oxigraph", "rdflib-endpoint"):
                r = ratios(cells, named, ours, other, concurrency)
                if r["queries"]:
                    out.append(
                        f"| {concurrency} | {ours}/{other} | {r['rps']:.2f}× | "
                        f"{r['p50']:.2f}× | {r['p99']:.2f}× | {r['queries']}/{r['of']} |"
                    )
    cpu = [
        c.get("client_cpu", 0)
        for q in cells.values()
        for t in q.values()
        for c in t.values()
        if "client_cpu" in c
    ]
    if cpu:
        out += [
            "",
            f"Load-generator CPU (share of one core, median over runs): "
            f"{sorted(cpu)[len(cpu) // 2]:.2f}, max {max(cpu):.2f}. The client runs on the "
            "same 2 cores as the server, so the fastest peer is understated most.",
        ]
    return out + [""]


def _query_table(results: dict[str, Any], concurrency: int) -> list[str]:
    targets = results.get("targets", [])
    out = [
        f"## Per query, {concurrency} client(s): req/s · p50 ms · p99 ms",
        "",
        "| query | " + " | ".join(targets) + " |",
        "|---" * (len(targets) + 1) + "|",
    ]
    for name, cells in results.get("cells", {}).items():
        row = []
        for target in targets:
            cell = cells.get(target, {}).get(concurrency, {})
            if "rps" in cell:
                row.append(
                    f"{cell['rps']:.0f} · {_ms(cell['p50'])} · {_ms(cell['p99'])}"
                    + (f" ({cell['errors']} err)" if cell["errors"] else "")
                )
            else:
                row.append(f"— {cell.get('skipped', '')}".strip())
        out.append(f"| {name} | " + " | ".join(row) + " |")
    return out + [""]


def _mismatches(results: dict[str, Any]) -> list[str]:
    out = ["## Row equality (multisets of values, before timing)", ""]
    problems = [
        (name, p)
        for name, check in results.get("checks", {}).items()
        for p in check["mismatches"] + [f"{k}: {v}" for k, v in check["errors"].items()]
    ]
    total = len(results.get("checks", {}))
    if not problems:
        return out + [f"All peers returned the same rows for all {total} queries.", ""]
    out.append(f"{len({n for n, _ in problems})} of {total} queries differ or failed:")
    out += [f"- `{name}`: {problem}" for name, problem in problems]
    return out + [""]


def _scale_section(results: dict[str, Any]) -> list[str]:
    scale = results.get("scale", [])
    if not scale:
        return []
    out = [
        "## Scale (generated graphs shaped like the nota)",
        "",
        "| aimed | quads | build s | parse / reasoning / validation s | build RSS "
        "| cache load s "
        "| ours start s | ours RSS | oxigraph load s | oxigraph RSS | named p50 ours-named / "
        "ours / oxigraph ms (geomean) | p50 ratio ours-named/oxigraph |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scale:
        t = s.get("timings", {})
        stages = " / ".join(_num(t.get(k), 1) for k in ("parse", "reasoning", "validation"))
        p50 = s.get("p50_geomean", {})
        out.append(
            f"| {s['aimed']:,} | {s.get('quads') or 0:,} | {_num(s.get('build_s'), 1)} "
            f"| {stages} | "
            f"{_mb(s.get('build_rss'))} | {_num(s.get('cache_load_s'))} | "
            f"{_num(s.get('startup', {}).get('ours'))}"
            f"{_runs({'startup_runs': s.get('startup_runs')})} | "
            f"{_mb(s.get('rss', {}).get('ours'))} | "
            f"{_num(s.get('oxigraph_load_s'))} | {_mb(s.get('rss', {}).get('oxigraph'))} | "
            + " / ".join(_ms(p50.get(k)) for k in ("ours-named", "ours", "oxigraph"))
            + f" | {_num(s.get('p50_vs_oxigraph', {}).get('ours-named'))}× |"
        )
    notes = [f"- {s['aimed']:,}: {n}" for s in scale for n in s.get("notes", [])]
    return out + [""] + notes + ["", *_growth(scale), ""]


def _growth(scale: list[dict[str, Any]]) -> list[str]:
    done = [s for s in scale if s.get("quads") and s.get("build_s")]
    if len(done) < 2:
        return []
    a, b = done[0], done[-1]
    size = b["quads"] / a["quads"]
    parts = [
        f"Growth from {a['quads']:,} to {b['quads']:,} quads ({size:.1f}×): build "
        f"{b['build_s'] / a['build_s']:.1f}×"
    ]
    if a.get("cache_load_s") and b.get("cache_load_s"):
        parts.append(f"cache load {b['cache_load_s'] / a['cache_load_s']:.1f}×")
    for key in ("ours-named", "oxigraph"):
        x, y = a.get("p50_geomean", {}).get(key), b.get("p50_geomean", {}).get(key)
        if x and y:
            parts.append(f"{key} named-query p50 {y / x:.1f}×")
    if a.get("rss", {}).get("ours") and b.get("rss", {}).get("ours"):
        parts.append(f"our RSS {b['rss']['ours'] / a['rss']['ours']:.1f}×")
    return [", ".join(parts) + "."]


def chart(results: dict[str, Any], path: Path) -> Path | None:
    """A PNG: throughput per named query at the highest concurrency, and scale growth."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    cells, named = results.get("cells", {}), results.get("named", [])
    targets, top = results.get("targets", []), max(results.get("concurrency", [1]))
    scale = [s for s in results.get("scale", []) if s.get("quads") and s.get("build_s")]
    fig, axes = plt.subplots(
        1,
        2 if scale else 1,
        figsize=(16 if scale else 10, 12),
        squeeze=False,
        gridspec_kw={"width_ratios": [3, 1]} if scale else None,
    )
    ax = axes[0][0]
    height = 0.8 / max(1, len(targets))
    for index, target in enumerate(targets):
        values = [cells.get(n, {}).get(target, {}).get(top, {}).get("rps", 0) for n in named]
        ax.barh([i + index * height for i in range(len(named))], values, height, label=target)
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(named))], named, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel(f"requests/s at {top} clients (log)")
    ax.legend(loc="lower right")
    ax.set_title("Named queries on the nota graph")
    if scale:
        ax = axes[0][1]
        sizes = [s["quads"] for s in scale]
        ax.loglog(sizes, [s["build_s"] for s in scale], "o-", label="build s")
        ax.loglog(
            sizes, [s.get("cache_load_s") or math.nan for s in scale], "o-", label="cache load s"
        )
        for key in ("ours-named", "oxigraph"):
            ax.loglog(
                sizes,
                [s.get("p50_geomean", {}).get(key, math.nan) for s in scale],
                "o-",
                label=f"{key} p50 s",
            )
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("quads")
        ax.legend(fontsize=8)
        ax.set_title("Growth with size")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path | None]:
    """Write report-<stamp>.md, .json and .png to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"report-{results['stamp']}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
    png = chart(results, stem.with_suffix(".png"))
    text = markdown(results)
    if png:
        text += f"\n![chart]({png.name})\n"
    stem.with_suffix(".md").write_text(text)
    return stem.with_suffix(".md"), png
