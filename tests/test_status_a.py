"""Issue 15 for the front matter, chapters 1-2 and the annex: every measure has one status with
its evidence and noun-phrase search labels in nl and en; Focus, foreword and summary-diagram
items link to the chapter items they summarise."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from defensie_kg.namespaces import data_graph
from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState

FILES = ("front-matter", "annex", "chapter-1", "chapter-2")
ID = "https://w3id.org/defensienota-2024/id/"
STATUSES = {
    f"{ID}status/{name}"
    for name in ("under-way", "decided", "planned", "being-explored", "to-be-phased-out")
}
PREFIXES = """PREFIX dn: <https://w3id.org/defensienota-2024/def/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
# Front-matter items that no chapter item restates (see the comment in data/front-matter.ttl).
NOT_SUMMARISING = {
    f"{ID}measure/foreword-dialogue-on-adjustment",
    f"{ID}measure/focus-slim-people-in-execution-central",
}


def _select(state: AppState, query: str) -> list[dict[str, str]]:
    request = QueryRequest(PREFIXES + query, format="json", max_rows=10**6)
    doc = json.loads(state.graph.execute(request).body)
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]


def _values(state: AppState, pattern: str) -> dict[str, list[tuple[str, str]]]:
    """For each measure of FILES, the (value, language) pairs that ``pattern`` binds to ?v."""
    graphs = " ".join(f"<{data_graph(stem)}>" for stem in FILES)
    rows = _select(
        state,
        f"""SELECT ?m ?v (LANG(?v) AS ?lang) WHERE {{
            VALUES ?g {{ {graphs} }}
            GRAPH ?g {{ ?m a dn:Measure }}
            OPTIONAL {{ {pattern} }} }}""",
    )
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        found[row["m"]]  # noqa: B018 - a measure without a value still gets a key
        if "v" in row:
            found[row["m"]].append((row["v"], row.get("lang", "")))
    return found


def test_the_files_hold_the_expected_measures(state: AppState) -> None:
    assert len(_values(state, "?m dn:status ?v")) == 90


def test_every_measure_has_exactly_one_status(state: AppState) -> None:
    wrong = {
        m: v
        for m, v in _values(state, "?m dn:status ?v").items()
        if len(v) != 1 or v[0][0] not in STATUSES
    }
    assert wrong == {}


def test_every_measure_has_short_dutch_status_evidence(state: AppState) -> None:
    for measure, values in _values(state, "?m dn:statusEvidence ?v").items():
        dutch = [text for text, lang in values if lang == "nl"]
        assert dutch, f"{measure} has no Dutch dn:statusEvidence"
        for text in dutch:
            assert len(text.split()) < 8, f"{measure}: evidence of 8 words or more: {text!r}"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_measure_has_a_noun_phrase_alt_label(state: AppState, lang: str) -> None:
    for measure, values in _values(state, "?m skos:altLabel ?v").items():
        labels = [text for text, tag in values if tag == lang]
        assert labels, f"{measure} has no skos:altLabel in {lang}"
        assert all(1 <= len(text.split()) <= 4 for text in labels), (measure, labels)


def test_a_phase_out_names_what_it_retires(state: AppState) -> None:
    rows = _select(
        state,
        """SELECT ?m WHERE {
            ?m dn:status <https://w3id.org/defensienota-2024/id/status/to-be-phased-out> .
            FILTER NOT EXISTS { ?m dn:retires ?old } }""",
    )
    assert rows == []


def test_label_search_finds_measures_by_the_thing_itself(state: AppState) -> None:
    rows = _select(
        state,
        """SELECT ?m WHERE { ?m a dn:Measure ; skos:altLabel ?l .
            FILTER(LCASE(STR(?l)) = "tankbataljon") }""",
    )
    assert f"{ID}measure/focus-sterk-tank-battalion" in {r["m"] for r in rows}


def test_every_front_matter_item_summarises_a_chapter_item(state: AppState) -> None:
    rows = _select(
        state,
        """SELECT ?item ?target ?targetSection WHERE {
            VALUES ?part { <https://w3id.org/defensienota-2024/id/section/foreword>
                           <https://w3id.org/defensienota-2024/id/section/focus>
                           <https://w3id.org/defensienota-2024/id/section/summary-diagram> }
            { ?item a dn:Measure } UNION { ?item a dn:Figure } UNION { ?item a dn:ThemePoint }
            ?item dn:sourceSection/dn:partOf* ?part .
            OPTIONAL { ?item dn:summarises ?target .
                       OPTIONAL { ?target dn:sourceSection ?targetSection } } }""",
    )
    targets: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        targets[row["item"]]
        if "target" in row:
            assert row.get("targetSection"), f"{row['target']} has no source section"
            assert "/section/focus" not in row["targetSection"], row
            targets[row["item"]].add(row["target"])
    unlinked = {item for item, found in targets.items() if not found}
    assert len(targets) == 35 + 7 + 24  # measures, figures, diagram points
    assert unlinked == NOT_SUMMARISING
