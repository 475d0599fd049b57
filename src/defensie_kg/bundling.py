"""The graph a wheel carries: the inputs and a finished build, inside the package.

``setup.py`` calls :func:`write` while it builds a wheel (never for an editable install), so
an installed package holds ``defensie_kg/bundle/`` with ``ontology/``, ``data/``, ``queries/``
and the cached build under ``.cache/defensie-kg/``. ``settings.default_root`` picks that
directory when the current one is not a checkout, and the build's cache finds the dataset by
the same fingerprint, so the first ``serve`` or ``query`` after ``pip install`` builds nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from defensie_kg.build.pipeline import build
from defensie_kg.errors import NotValid
from defensie_kg.settings import BUNDLE_DIRS, Settings


def write(project: Path, target: Path) -> Path:
    """Copy the inputs of ``project`` into ``target`` and build them there; return the dataset."""
    if target.exists():
        shutil.rmtree(target)
    for name, pattern in BUNDLE_DIRS.items():
        (target / name).mkdir(parents=True)
        for path in sorted((project / name).glob(pattern)):
            shutil.copy2(path, target / name / path.name)
    result = build(Settings(root=target), use_cache=False)
    if result.report.blocked:
        raise NotValid("the data has SHACL violations; a release must validate cleanly")
    return result.dataset
