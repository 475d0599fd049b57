"""Keep the built dataset on disk, keyed by a hash of the inputs.

A warm start loads the N-Quads and the report instead of reasoning again;
any edit to an input file changes the key and forces a rebuild.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from defensie_kg.build.reporting import Report, Result

DATASET, REPORT, META = "dataset.nq", "report.json", "meta.json"


def entry(cache_dir: Path, fingerprint: str) -> Path:
    """The directory of one cached build."""
    return cache_dir / fingerprint[:32]


def load(cache_dir: Path, fingerprint: str) -> tuple[Path, Report, dict[str, object]] | None:
    """The cached dataset path, report and metadata for ``fingerprint``, if complete."""
    folder = entry(cache_dir, fingerprint)
    try:
        meta = json.loads((folder / META).read_text())
        if meta.get("fingerprint") != fingerprint or not (folder / DATASET).is_file():
            return None
        results = json.loads((folder / REPORT).read_text())
    except (OSError, ValueError):
        return None
    report = Report([Result(**{**r, "files": tuple(r["files"])}) for r in results])
    return folder / DATASET, report, meta


def save(
    cache_dir: Path, fingerprint: str, nquads: bytes, report: Report, meta: dict[str, object]
) -> Path:
    """Write a build; older entries are removed. Raises OSError if not writable."""
    folder = entry(cache_dir, fingerprint)
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / DATASET).write_bytes(nquads)
    rows = [{**r.__dict__, "files": list(r.files)} for r in report.results]
    (staging / REPORT).write_text(json.dumps(rows, ensure_ascii=False))
    (staging / META).write_text(json.dumps({**meta, "fingerprint": fingerprint}, indent=2))
    for old in cache_dir.iterdir():
        if old.is_dir() and old != staging:
            shutil.rmtree(old, ignore_errors=True)
    staging.rename(folder)  # atomic: a reader sees a whole entry or none
    return folder / DATASET
