"""What a release is: its version, date, licence and how to cite it, each said once.

The version itself lives in ``defensie_kg.__version__`` (setuptools reads it from there);
``CITATION.cff``, ``CHANGELOG.md`` and the ontology's ``owl:versionInfo`` repeat it, and
``tests/test_release.py`` keeps them in step.
"""

from __future__ import annotations

from defensie_kg import __version__

VERSION = __version__
RELEASE_DATE = "2026-12-03"
TITLE = "Defensienota 2024 knowledge graph"
AUTHORS = "Defensienota 2024 knowledge graph contributors"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
LICENSE_ID = "CC-BY-4.0"
REPOSITORY = "https://w3id.org/defensienota-2024/"


def citation(version: str = VERSION, date: str = RELEASE_DATE) -> str:
    """How to cite a release, in one line (the facts ``CITATION.cff`` gives).

    >>> text = citation("1.0.0", "2026-12-03")
    >>> text.startswith("Defensienota 2024 knowledge graph contributors (2026).")
    True
    >>> "(version 1.0.0, released 2026-12-03)" in text
    True
    """
    return (
        f"{AUTHORS} ({date[:4]}). {TITLE} (version {version}, released {date}) [Data set]. "
        f"CC BY 4.0. {REPOSITORY}"
    )
