"""Merged duplicates (data/README.md, "Merged duplicates") stay merged: no retired IRI appears in
data/, queries/ or tests/golden/, prefixed or in full, and every kept IRI is still defined."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/defensienota-2024/id/"

# retired IRI -> kept IRI, both as kind/slug under ID
MERGED = {
    "organisation/czsk": "organisation/koninklijke-marine",
    "organisation/clsk": "organisation/koninklijke-luchtmacht",
    "plan/defence-investment-pledge": "nato/two-percent-gdp-norm",
}


def _files() -> list[Path]:
    files = [*(ROOT / "data").glob("*.ttl"), *(ROOT / "queries").rglob("*.rq")]
    files += [*(ROOT / "tests" / "golden").glob("*.json")]
    files += [ROOT / "tests" / "data" / "organisation-first-mentions.json"]
    return sorted(files)


@pytest.mark.parametrize("retired", sorted(MERGED))
def test_retired_iri_appears_nowhere(retired: str) -> None:
    kind, slug = retired.split("/")
    pattern = re.compile(rf"(?:{kind}:|{re.escape(ID)}{kind}/){re.escape(slug)}(?![a-z0-9-])")
    found = [str(p.relative_to(ROOT)) for p in _files() if pattern.search(p.read_text("utf-8"))]
    assert found == [], f"{retired} was merged into {MERGED[retired]}; still in {found}"


@pytest.mark.parametrize("kept", sorted(set(MERGED.values())))
def test_kept_iri_is_defined(kept: str) -> None:
    kind, slug = kept.split("/")
    definition = re.compile(rf"^{kind}:{re.escape(slug)} a ", re.MULTILINE)
    assert any(definition.search(p.read_text("utf-8")) for p in (ROOT / "data").glob("*.ttl"))


def test_merges_are_recorded_in_the_data_readme() -> None:
    readme = (ROOT / "data" / "README.md").read_text("utf-8")
    section = readme.split("## Merged duplicates", 1)[1]
    for retired, kept in MERGED.items():
        row = f"| `{retired.replace('/', ':')}`"
        assert row in section and f"`{kept.replace('/', ':')}`" in section
