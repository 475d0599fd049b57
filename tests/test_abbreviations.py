"""The abbreviation list ("Afkortingen"): every entry is in the graph with its expansion,
nothing else is, and the key abbreviations lead a label search to the resource they name."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState

ROOT = Path(__file__).resolve().parents[1]
GOLDEN: list[dict[str, str]] = json.loads(
    (ROOT / "tests" / "golden" / "abbreviations.json").read_text(encoding="utf-8")
)
ID = "https://w3id.org/defensienota-2024/id/"
PREFIXES = """PREFIX dn: <https://w3id.org/defensienota-2024/def/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

# Abbreviation → the resource it names (checked by hand against data/*.ttl).
KEY_LINKS = {
    "DCC": "organisation/dcc",
    "APOS": "programme/apos",
    "COMMIT": "organisation/commit",
    "NAVO": "organisation/nato",
    "NATO": "organisation/nato",
    "SecFund": "programme/secfund",
    "Wiv 2017": "law/wiv",
    "VS": "country/united-states",
}


def _select(state: AppState, query: str) -> list[dict[str, str]]:
    request = QueryRequest(PREFIXES + query, format="json", max_rows=10**6)
    doc = json.loads(state.graph.execute(request).body)
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


@pytest.fixture(scope="module")
def expansions(state: AppState) -> dict[str, list[str]]:
    rows = _select(
        state,
        """SELECT ?notation ?expansion WHERE {
        ?a a dn:Abbreviation ; skos:notation ?notation ; dn:expansion ?expansion }""",
    )
    found: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        found[row["notation"]].append(row["expansion"])
    return found


def test_golden_list_is_well_formed() -> None:
    notations = [entry["notation"] for entry in GOLDEN]
    assert len(notations) == 64
    assert len(set(notations)) == len(notations)
    assert all(entry["expansion"].strip() == entry["expansion"] != "" for entry in GOLDEN)


def test_the_graph_holds_exactly_the_abbreviations_of_the_list(
    expansions: dict[str, list[str]],
) -> None:
    assert set(expansions) == {entry["notation"] for entry in GOLDEN}


@pytest.mark.parametrize("entry", GOLDEN, ids=[e["notation"] for e in GOLDEN])
def test_every_notation_resolves_to_its_expansion(
    expansions: dict[str, list[str]], entry: dict[str, str]
) -> None:
    """One literal as in the list, or (where the list gives two languages) one literal per
    language: each a verbatim piece of the list's text, together exactly its words."""
    literals = expansions.get(entry["notation"])
    assert literals, f"{entry['notation']} has no dn:Abbreviation with an expansion"
    full = entry["expansion"]
    assert all(lit in full for lit in literals), (literals, full)
    ordered = sorted(literals, key=full.index)
    assert _words(" ".join(ordered)) == _words(full)


def test_every_abbreviation_is_labelled_and_sourced(state: AppState) -> None:
    rows = _select(
        state,
        """SELECT ?a WHERE {
        ?a a dn:Abbreviation ; skos:notation ?n .
        FILTER NOT EXISTS {
          ?a rdfs:label ?nl , ?en ; dn:sourceSection <https://w3id.org/defensienota-2024/id/section/abbreviations>
          FILTER(lang(?nl) = "nl" && lang(?en) = "en" && STR(?nl) = ?n && STR(?en) = ?n) } }""",
    )
    assert rows == []


@pytest.mark.parametrize(("notation", "resource"), sorted(KEY_LINKS.items()))
def test_key_abbreviation_is_linked(state: AppState, notation: str, resource: str) -> None:
    rows = _select(
        state,
        f"""SELECT ?target WHERE {{
        ?a a dn:Abbreviation ; skos:notation "{notation}" ; dn:abbreviationOf ?target .
        ?target dn:hasAbbreviation ?a }}""",
    )
    assert [r["target"] for r in rows] == [ID + resource]


@pytest.mark.parametrize(("notation", "resource"), sorted(KEY_LINKS.items()))
def test_label_search_finds_the_named_resource(
    state: AppState, notation: str, resource: str
) -> None:
    """A case-insensitive search over rdfs:label and skos:altLabel, excluding the
    abbreviation resources themselves, reaches the resource the abbreviation names."""
    rows = _select(
        state,
        f"""SELECT DISTINCT ?s WHERE {{
        ?s rdfs:label|skos:altLabel ?l .
        FILTER(LCASE(STR(?l)) = LCASE("{notation.lower()}"))
        FILTER NOT EXISTS {{ ?s a dn:Abbreviation }} }}""",
    )
    assert ID + resource in {r["s"] for r in rows}
