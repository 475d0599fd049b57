"""Dumps are byte-identical from one `export` to the next, in fresh processes, whatever the
hash seed: the store renames blank nodes when it loads the dataset, the dumps must not show it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from defensie_kg import __version__
from defensie_kg.query import export

pytestmark = pytest.mark.slow


def _export(root: Path, cache: Path, out: Path) -> dict[str, bytes]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}  # each its own seed
    env["DKG_CACHE_DIR"] = str(cache)
    subprocess.run(
        [sys.executable, "-m", "defensie_kg", "--root", str(root), "export", "-o", str(out)],
        env=env,
        check=True,
        capture_output=True,
    )
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_export_is_byte_identical_across_fresh_processes(root: Path, tmp_path: Path) -> None:
    # Two caches: the second run builds again in its own process, the third reuses it.
    first = _export(root, tmp_path / "cache-a", tmp_path / "a")
    second = _export(root, tmp_path / "cache-b", tmp_path / "b")
    third = _export(root, tmp_path / "cache-b", tmp_path / "c")
    files = export.FILES.values()
    expected = {export.filename(f.fmt, f.variant, f.gzipped, __version__) for f in files}
    assert set(first) == expected | {export.CHECKSUMS}
    differ = sorted(n for n in first if not first[n] == second[n] == third[n])
    assert not differ, f"dumps differ between runs: {differ}"
    # the ontology's RDF lists are blank nodes: the case that used to change every run
    assert b"_:" in first[f"defensienota-2024-{__version__}-asserted.nt"]
