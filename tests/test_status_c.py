"""Issue 15 for chapters 4, 6 and 7 (branch status-c): every measure has exactly one status,
evidence for it, and noun-phrase search labels in Dutch and English; phase-outs name what
they retire; status evidence stays short."""

from __future__ import annotations

import json

import pytest

from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState

GRAPH = "https://w3id.org/defensienota-2024/graph/data/"
FILES = ("chapter-4", "chapter-6", "chapter-7")
PREFIXES = """PREFIX dn: <https://w3id.org/defensienota-2024/def/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def _select(state: AppState, query: str) -> list[dict[str, str]]:
    request = QueryRequest(PREFIXES + query, format="json", max_rows=10**6)
    doc = json.loads(state.graph.execute(request).body)
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]


def _measures(state: AppState, name: str) -> set[str]:
    rows = _select(
        state, f"SELECT DISTINCT ?m WHERE {{ GRAPH <{GRAPH}{name}> {{ ?m a dn:Measure }} }}"
    )
    return {r["m"] for r in rows}


def test_the_files_have_their_measures(state: AppState) -> None:
    counts = {name: len(_measures(state, name)) for name in FILES}
    assert counts == {"chapter-4": 43, "chapter-6": 37, "chapter-7": 49}


@pytest.mark.parametrize("name", FILES)
def test_every_measure_has_one_status_evidence_and_labels_in_nl_and_en(
    state: AppState, name: str
) -> None:
    rows = _select(
        state,
        f"""SELECT ?m (COUNT(DISTINCT ?status) AS ?statuses) (COUNT(DISTINCT ?ev) AS ?evidence)
            (COUNT(DISTINCT ?nl) AS ?nlLabels) (COUNT(DISTINCT ?en) AS ?enLabels) WHERE {{
          GRAPH <{GRAPH}{name}> {{ ?m a dn:Measure }}
          OPTIONAL {{ ?m dn:status ?status . ?status a dn:MeasureStatus }}
          OPTIONAL {{ ?m dn:statusEvidence ?ev }}
          OPTIONAL {{ ?m skos:altLabel ?nl FILTER(lang(?nl) = "nl") }}
          OPTIONAL {{ ?m skos:altLabel ?en FILTER(lang(?en) = "en") }}
        }} GROUP BY ?m""",
    )
    assert {r["m"] for r in rows} == _measures(state, name)
    bad = [
        r["m"]
        for r in rows
        if r["statuses"] != "1" or r["evidence"] == "0" or "0" in (r["nlLabels"], r["enLabels"])
    ]
    assert not bad, f"measures without one status, evidence and nl+en altLabels: {bad}"


@pytest.mark.parametrize("name", FILES)
def test_status_evidence_is_short_and_in_dutch(state: AppState, name: str) -> None:
    rows = _select(
        state,
        f"""SELECT ?m ?ev WHERE {{
          GRAPH <{GRAPH}{name}> {{ ?m a dn:Measure ; dn:statusEvidence ?ev }} }}""",
    )
    long = [r for r in rows if len(r["ev"].split()) >= 8]
    assert not long, long
    dutch = _select(
        state,
        f"""SELECT DISTINCT ?m WHERE {{
          GRAPH <{GRAPH}{name}> {{ ?m a dn:Measure ; dn:statusEvidence ?ev }}
          FILTER(lang(?ev) = "nl") }}""",
    )
    assert {r["m"] for r in dutch} == _measures(state, name)


def test_phase_outs_name_what_they_retire(state: AppState) -> None:
    rows = _select(
        state,
        """SELECT ?m ?old WHERE {
          ?m dn:status <https://w3id.org/defensienota-2024/id/status/to-be-phased-out> .
          OPTIONAL { ?m dn:retires ?old } }""",
    )
    ours = set().union(*(_measures(state, name) for name in FILES))
    ours_rows = [r for r in rows if r["m"] in ours]
    assert ours_rows and all("old" in r for r in ours_rows)


def test_replacements_of_chapters_4_and_6(state: AppState) -> None:
    """The new item replaces the old one, in both directions, and a measure acquires the
    new torpedoes."""
    rows = _select(
        state,
        """SELECT ?new ?old ?m WHERE {
          ?new dn:replaces ?old . ?old dn:replacedBy ?new .
          OPTIONAL { ?m dn:acquires ?new } }""",
    )

    def slug(iri: str) -> str:
        return iri.rsplit("/", 1)[-1]

    got = {(slug(r["new"]), slug(r["old"]), slug(r.get("m", ""))) for r in rows}
    assert {
        ("mk46-replacement-torpedo", "mk46-lightweight-torpedo", "6-1-delivery-mk46-replacement"),
        (
            "mk48-replacement-torpedo",
            "mk48-heavyweight-torpedo",
            "6-5-mk48-replacement-requirement",
        ),
    } <= got
    assert any(n == "f-35" and o == "f-16" for n, o, _ in got)


@pytest.mark.parametrize("name", FILES)
def test_search_labels_are_short_noun_phrases(state: AppState, name: str) -> None:
    rows = _select(
        state,
        f"""SELECT ?m ?l WHERE {{
          GRAPH <{GRAPH}{name}> {{ ?m a dn:Measure ; skos:altLabel ?l }} }}""",
    )
    assert [(r["m"], r["l"]) for r in rows if not 1 <= len(r["l"].split()) <= 4] == []
