"""A short run of the soak (bench/soak.py): 3 s, 4 clients, on the mini project.

The full soak (60 s × 32 clients on the real graph, figures in docs/reliability.md) is
`python -m bench.soak`; this smoke run checks that it works and that a mixed load on a
real server gives no errors and ends with a clean SIGTERM exit. Three seconds say little
about memory growth, so that check belongs to the full run only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_soak_smoke(mini_root: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.soak",
            "--seconds",
            "3",
            "--clients",
            "4",
            "--root",
            str(mini_root),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.stdout, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["errors"] == 0, report["error_examples"]
    assert report["requests"] > 20
    assert {"sparql", "named", "page"} <= set(report["kinds"])
    assert report["server_exit_code"] == 0
    assert report["rss_samples"] >= 3 and report["rss_first_mib"] > 50
    assert report["p50_ms"] <= report["p99_ms"]
