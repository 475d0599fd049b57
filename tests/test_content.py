"""The nota's content: counts per section as curated, sourcing, and no copied sentences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal

from defensie_kg.build.originality import RUN_WORDS, copied_runs, read_hashes
from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SECTION = "https://w3id.org/defensienota-2024/id/section/"
COUNT_FILES = sorted(GOLDEN.glob("measure-counts-*.json"))


def _select(state: AppState, query: str) -> list[dict[str, str]]:
    doc = json.loads(state.graph.execute(QueryRequest(query, format="json", max_rows=10**6)).body)
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]


def _counted() -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in COUNT_FILES:
        for key, value in json.loads(path.read_text()).items():
            if not key.startswith("_"):
                assert key not in counts, f"{key} counted twice"
                counts[key] = value
    return counts


def test_count_files_cover_every_section_of_the_document(state: AppState) -> None:
    rows = _select(
        state,
        f"""PREFIX dn: <https://w3id.org/defensienota-2024/def/>
        SELECT ?s WHERE {{ ?s a dn:DocumentPart FILTER(STRSTARTS(STR(?s), "{SECTION}")) }}""",
    )
    sections = {r["s"].removeprefix(SECTION) for r in rows} - {"abbreviations"}
    assert sections - set(_counted()) == set()


@pytest.mark.parametrize(("section", "expected"), sorted(_counted().items()))
def test_measures_per_section_match_the_count_in_the_text(
    state: AppState, section: str, expected: int
) -> None:
    rows = _select(
        state,
        f"""PREFIX dn: <https://w3id.org/defensienota-2024/def/>
        SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{
          ?m a dn:Measure ; dn:sourceSection <{SECTION}{section}> }}""",
    )
    assert int(rows[0]["n"]) == expected


def test_every_section_of_chapters_1_to_3_has_a_resource(state: AppState) -> None:
    rows = _select(
        state,
        """PREFIX dn: <https://w3id.org/defensienota-2024/def/>
        SELECT ?s (COUNT(?x) AS ?n) WHERE {
          ?s a dn:DocumentPart ; dn:partOf+ ?ch .
          VALUES ?ch { <https://w3id.org/defensienota-2024/id/section/1>
                       <https://w3id.org/defensienota-2024/id/section/2>
                       <https://w3id.org/defensienota-2024/id/section/3> }
          OPTIONAL { ?x dn:sourceSection ?s }
        } GROUP BY ?s""",
    )
    empty = sorted(r["s"] for r in rows if int(r["n"]) == 0)
    assert empty == []


def test_there_are_many_measures(state: AppState) -> None:
    rows = _select(
        state,
        """PREFIX dn: <https://w3id.org/defensienota-2024/def/>
        SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a dn:Measure }""",
    )
    assert int(rows[0]["n"]) == sum(_counted().values())


def test_no_literal_copies_eight_words_of_the_nota(root: Path) -> None:
    """The source text is not in the repository: only hashes of its 8-word runs are."""
    hashes = read_hashes(ROOT / "tests" / "data" / "source-runs.txt")
    copied = []
    for path in sorted((root / "data").glob("*.ttl")) + [root / "ontology" / "defensie.ttl"]:
        for subject, predicate, obj in Graph().parse(path):
            if isinstance(obj, Literal) and isinstance(obj.value, str):
                for run in copied_runs(str(obj), hashes):
                    copied.append(f"{path.name}: {subject} {predicate}: '{run}'")
                    break
    assert copied == [], "\n".join(copied)


def test_originality_check_catches_a_copied_sentence() -> None:
    hashes = read_hashes(ROOT / "tests" / "data" / "source-runs.txt")
    # Words from the nota's 5.2 opening, with the layout split "krijgs macht" style undone.
    assert copied_runs(
        "Defensie doet er alles aan om in 2030 of eerder een gevulde organisatie", hashes
    )
    assert not copied_runs("In 2030 wil Defensie haar vacatures volledig hebben ingevuld", hashes)
    assert RUN_WORDS == 8
