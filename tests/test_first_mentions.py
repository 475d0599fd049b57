"""First-mention provenance: each organisation's dn:sourceSection is the part of the nota that
names it first (by a label, altLabel or abbreviation), or a documented exception.

tests/data/organisation-first-mentions.json holds the first mentions, computed from the source
text by tests/data/organisation_first_mentions.py, so the main check runs without the text; a
second check regenerates the file when the text is beside the project (../shared/source)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from rdflib import Graph, Namespace, URIRef

ROOT = Path(__file__).resolve().parents[1]
FIRST_MENTIONS = ROOT / "tests" / "data" / "organisation-first-mentions.json"
SCRIPT = ROOT / "tests" / "data" / "organisation_first_mentions.py"
DN = Namespace("https://w3id.org/defensienota-2024/def/")
ORG = "https://w3id.org/defensienota-2024/id/organisation/"
SECTION = "https://w3id.org/defensienota-2024/id/section/"

# organisation slug -> (its dn:sourceSection, why it differs from the first match in the text)
EXCEPTIONS: dict[str, tuple[str, str]] = {
    # 6.2 names user groups "zoals de F-35, NH-90 helikopter en Boxer", never by a label
    "boxer-user-group": ("6-2", "named only as one of the user groups of 6.2"),
    "f-35-user-group": ("6-2", "named only as one of the user groups of 6.2"),
    "nh90-user-group": ("6-2", "named only as one of the user groups of 6.2"),
    # the box writes "Robotica & Autonome Systemen (RAS) eenheid"
    "ras": ("box-unmanned-systems", "no label is spelled as in the box"),
    # Focus Sterk: "militaire politie" is the Marechaussee's military police, not the police
    "politie": ("1-1", "the earlier match is another organisation"),
}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("organisation_first_mentions", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _source_sections() -> dict[str, list[str]]:
    graph = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path)
    orgs = _script().organisations(ROOT)
    return {
        org: sorted(str(s) for s in graph.objects(URIRef(org), DN.sourceSection)) for org in orgs
    }


def test_every_organisation_is_in_the_first_mentions_file() -> None:
    recorded = json.loads(FIRST_MENTIONS.read_text(encoding="utf-8"))
    assert sorted(_source_sections()) == sorted(recorded), (
        "run: .venv/bin/python tests/data/organisation_first_mentions.py"
    )


def test_source_section_is_the_first_mention_or_a_documented_exception() -> None:
    recorded = json.loads(FIRST_MENTIONS.read_text(encoding="utf-8"))
    wrong = []
    for org, sections in sorted(_source_sections().items()):
        slug = org.removeprefix(ORG)
        if slug in EXCEPTIONS:
            expected = SECTION + EXCEPTIONS[slug][0]
        else:
            first = recorded.get(org)
            assert first is not None, (
                f"{slug} is never named in the text: add it to EXCEPTIONS with a reason"
            )
            expected = first["section"]
        if sections != [expected]:
            wrong.append(f"{slug}: dn:sourceSection {sections}, first named in {expected}")
    assert wrong == [], "\n".join(wrong)


def test_exceptions_are_still_needed() -> None:
    recorded = json.loads(FIRST_MENTIONS.read_text(encoding="utf-8"))
    for slug, (section, _) in EXCEPTIONS.items():
        first = recorded.get(ORG + slug)
        assert first is None or first["section"] != SECTION + section, (
            f"{slug} no longer needs an exception"
        )


@pytest.mark.skipif(
    not _script().SOURCE.exists(), reason="source text not beside the project (../shared)"
)
def test_first_mentions_file_is_current() -> None:
    script = _script()
    regenerated = json.loads(json.dumps(script.first_mentions(ROOT, script.SOURCE)))
    assert regenerated == json.loads(FIRST_MENTIONS.read_text(encoding="utf-8")), (
        "run: .venv/bin/python tests/data/organisation_first_mentions.py"
    )
