"""Build hook: a wheel carries the graph (see src/defensie_kg/bundling.py).

Everything else about the package is in pyproject.toml. An editable install (``make setup``)
reads the checkout directly and bundles nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithGraph(build_py):
    """``build_py``, then the ontology, data, queries and a finished build into the package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        sys.path.insert(0, str(HERE / "src"))
        from defensie_kg import bundling

        bundling.write(HERE, Path(self.build_lib) / "defensie_kg" / "bundle")


def _assets() -> list[tuple[str, list[str]]]:
    """The web editor's pinned assets (fetched by ``make setup``), installed under the prefix."""
    share = Path(sys.prefix) / "share" / "defensie-kg" / "assets"
    return [
        (
            folder.relative_to(sys.prefix).as_posix(),
            [os.path.relpath(p, HERE) for p in sorted(folder.iterdir())],
        )
        for folder in sorted(share.glob("*"))
        if folder.is_dir()
    ]


setup(cmdclass={"build_py": BuildWithGraph}, data_files=_assets())
