"""Status and search labels of every measure of chapters 3 and 5 (issue 15): exactly one
dn:status from the vocabulary, status evidence in Dutch that is short, and noun-phrase
skos:altLabels in Dutch and English."""

from __future__ import annotations

import json

import pytest

from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState

GRAPH = "https://w3id.org/defensienota-2024/graph/data/"
FILES = ["chapter-3", "chapter-5"]
PREFIXES = """PREFIX dn: <https://w3id.org/defensienota-2024/def/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def _select(state: AppState, query: str) -> list[dict[str, str]]:
    doc = json.loads(
        state.graph.execute(QueryRequest(PREFIXES + query, format="json", max_rows=10**6)).body
    )
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]


def _per_measure(state: AppState, stem: str, pattern: str) -> dict[str, int]:
    """Count, per measure defined in the file's graph, the distinct values of ``pattern``."""
    rows = _select(
        state,
        f"""SELECT ?m (COUNT(DISTINCT ?v) AS ?n) WHERE {{
          GRAPH <{GRAPH}{stem}> {{ ?m a dn:Measure }}
          OPTIONAL {{ {pattern} }}
        }} GROUP BY ?m""",
    )
    return {r["m"]: int(r["n"]) for r in rows}


@pytest.mark.parametrize("stem", FILES)
def test_the_file_has_measures(state: AppState, stem: str) -> None:
    assert len(_per_measure(state, stem, "?m dn:status ?v")) > 30


@pytest.mark.parametrize("stem", FILES)
def test_every_measure_has_exactly_one_status_from_the_vocabulary(
    state: AppState, stem: str
) -> None:
    counts = _per_measure(state, stem, "?m dn:status ?v . ?v a dn:MeasureStatus")
    assert {m: n for m, n in counts.items() if n != 1} == {}


@pytest.mark.parametrize("stem", FILES)
def test_every_measure_has_dutch_status_evidence(state: AppState, stem: str) -> None:
    counts = _per_measure(state, stem, '?m dn:statusEvidence ?v FILTER(lang(?v) = "nl")')
    assert sorted(m for m, n in counts.items() if n == 0) == []


@pytest.mark.parametrize("stem", FILES)
def test_status_evidence_is_fewer_than_eight_words(state: AppState, stem: str) -> None:
    rows = _select(
        state,
        f"""SELECT ?m ?e WHERE {{
          GRAPH <{GRAPH}{stem}> {{ ?m a dn:Measure ; dn:statusEvidence ?e }} }}""",
    )
    assert rows
    assert [(r["m"], r["e"]) for r in rows if len(r["e"].split()) >= 8] == []


@pytest.mark.parametrize("stem", FILES)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_measure_has_an_alt_label_in_each_language(
    state: AppState, stem: str, lang: str
) -> None:
    counts = _per_measure(state, stem, f'?m skos:altLabel ?v FILTER(lang(?v) = "{lang}")')
    assert sorted(m for m, n in counts.items() if n == 0) == []


@pytest.mark.parametrize("stem", FILES)
def test_alt_labels_are_short_noun_phrases(state: AppState, stem: str) -> None:
    rows = _select(
        state,
        f"""SELECT ?m ?l WHERE {{
          GRAPH <{GRAPH}{stem}> {{ ?m a dn:Measure ; skos:altLabel ?l }} }}""",
    )
    assert [(r["m"], r["l"]) for r in rows if not 1 <= len(r["l"].split()) <= 4] == []


@pytest.mark.parametrize("stem", FILES)
def test_a_phase_out_names_what_it_retires(state: AppState, stem: str) -> None:
    rows = _select(
        state,
        f"""PREFIX status: <https://w3id.org/defensienota-2024/id/status/>
        SELECT ?m WHERE {{
          GRAPH <{GRAPH}{stem}> {{ ?m a dn:Measure ; dn:status status:to-be-phased-out }}
          FILTER NOT EXISTS {{ ?m dn:retires ?x }}
        }}""",
    )
    assert rows == []
