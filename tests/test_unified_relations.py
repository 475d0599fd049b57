"""One property (or superproperty) per relation (issue 20): one triple pattern finds every case.

Per unified relation:
- the single pattern finds every pair the old properties (or their UNION) found;
- each named query rewritten to the single pattern returns at least the rows its old
  formulation returns on the same graph (row counts before vs after, printed with -s).

Unified: place/region (dn:concernsPlace ⊒ dn:concernsRegion ⊒ dn:threatensRegion, the inverse
of dn:facesThreat), year (dn:year ⊒ target/start/end/reference year and expected delivery),
actor (dn:actor ⊒ dn:posedBy), space (dn:inDomain domain:space, also derived from
dn:concernsTechnology technology:space), replacements (dn:acquires the new item, which
dn:replaces the old one; dn:replacedBy is its inverse), references (dn:refersTo ⊒ every
referring property; see test_mentions.py).
"""

from __future__ import annotations

import json

import pytest

from defensie_kg.namespaces import sparql_prologue
from defensie_kg.query import named_queries
from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState
from test_named_queries import CATALOGUE

Pairs = set[tuple[str, ...]]


def _select(state: AppState, text: str) -> tuple[list[str], list[tuple[str | None, ...]]]:
    request = QueryRequest(sparql_prologue() + text, format="json", max_rows=100000)
    doc = json.loads(state.graph.execute(request).body)
    names = doc["head"]["vars"]
    rows = [tuple(b.get(n, {}).get("value") for n in names) for b in doc["results"]["bindings"]]
    return names, rows


def _pairs(state: AppState, where: str) -> Pairs:
    _, rows = _select(state, f"SELECT DISTINCT ?a ?b WHERE {{ {where} }}")
    return {(str(a), str(b)) for a, b in rows}


# (relation, what the old properties found, the single pattern)
PATTERNS = [
    (
        "place",
        "{ ?a dn:concernsRegion ?b } UNION { ?b dn:facesThreat ?a }"
        " UNION { ?a dn:concernsPlace ?b }",
        "?a dn:concernsPlace ?b",
    ),
    (
        "region-threat",
        "{ ?b dn:facesThreat ?a } UNION { ?a a dn:Threat ; dn:concernsRegion ?b }",
        "?a a dn:Threat ; dn:concernsRegion ?b",
    ),
    (
        "year",
        "?a dn:targetYear|dn:startYear|dn:endYear|dn:referenceYear|dn:expectedDelivery ?b",
        "?a dn:year ?b",
    ),
    ("actor", "?a dn:posedBy|dn:actor ?b", "?a dn:actor ?b"),
    (
        "space",
        "{ ?a dn:inDomain domain:space } UNION { ?a dn:concernsTechnology technology:space }"
        " BIND(domain:space AS ?b)",
        "?a dn:inDomain domain:space BIND(domain:space AS ?b)",
    ),
    ("replacement", "{ ?a dn:replaces ?b } UNION { ?b dn:replacedBy ?a }", "?a dn:replaces ?b"),
    (
        "replacement-acquired",
        "?a dn:replaces ?old . ?b dn:concernsMateriel ?a",
        "?a dn:replaces ?old . ?b dn:acquires ?a",
    ),
    (
        "organisation",
        "?a dn:carriedOutBy|dn:strengthens|dn:involvesOrganisation ?b",
        "?a dn:involvesOrganisation ?b",
    ),
]


@pytest.mark.parametrize(("relation", "old", "new"), PATTERNS, ids=[p[0] for p in PATTERNS])
def test_one_pattern_finds_every_case(state: AppState, relation: str, old: str, new: str) -> None:
    before, after = _pairs(state, old), _pairs(state, new)
    if relation == "replacement-acquired":
        # every replacing item is acquired by some measure that names it
        before = {(a, "") for a, _ in before}
        after = {(a, "") for a, _ in after}
    assert before, f"{relation}: the old properties find nothing; the test would prove nothing"
    assert before <= after, f"{relation}: missed by the single pattern: {sorted(before - after)}"
    print(f"{relation}: {len(before)} pairs with the old properties, {len(after)} with one pattern")


def test_the_obvious_year_comparison_works(state: AppState) -> None:
    _, rows = _select(state, "SELECT ?x WHERE { ?x dn:targetYear ?y FILTER(?y = 2030) }")
    assert len(rows) >= 3
    _, rows = _select(state, "SELECT ?x WHERE { ?x dn:year ?y FILTER(?y >= 2025 && ?y <= 2030) }")
    assert rows


OLD_TARGETS_WITH_YEAR = """SELECT ?item ?label ?year ?value ?unit ?section WHERE {
  ?item dn:targetYear ?year ; dn:sourceSection ?section ; rdfs:label ?label .
  ?section dn:partOf* ?chapter .
  FILTER(lang(?label) = "en")
  OPTIONAL { ?item dn:value ?value }
  OPTIONAL { ?item dn:unit/skos:notation ?unit }
}"""

# (named query, relation, its old formulation: fragment replaced, a whole text, or asserted only)
REWRITTEN: list[tuple[str, str, tuple[str, str] | str | None]] = [
    ("state-actor-threats", "actor", ("dn:actor ?actor ;", "dn:posedBy ?actor ;")),
    ("hybrid-threat-examples", "actor", ("?example dn:actor ?actor", "?example dn:posedBy ?actor")),
    (
        "regions-by-role",
        "region-threat",
        ("?threat a dn:Threat ; dn:concernsRegion ?region .", "?region dn:facesThreat ?threat ."),
    ),
    (
        "expected-deliveries-and-project-starts",
        "year",
        ("?measure dn:year ?year", "?measure dn:expectedDelivery|dn:startYear ?year"),
    ),
    ("dated-items-in-chapter", "year", OLD_TARGETS_WITH_YEAR),
    ("status-per-domain", "space", None),  # before = the asserted domains, without the closure
    ("what-concerns-place", "place", None),
]


def _rows(
    state: AppState, text: str, params: dict[str, str], query: str, infer: bool = True
) -> list[dict[str, str]]:
    named = named_queries.NamedQuery(query, text, parameters=CATALOGUE[query].parameters)
    request = named_queries.request(named, params, format="json", max_rows=100000, infer=infer)
    doc = json.loads(state.graph.execute(request).body)
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]


@pytest.mark.parametrize(
    ("name", "relation", "old"), REWRITTEN, ids=[f"{r[1]}:{r[0]}" for r in REWRITTEN]
)
def test_named_query_answers_did_not_shrink(
    state: AppState, name: str, relation: str, old: tuple[str, str] | str | None
) -> None:
    text = CATALOGUE[name].text
    for params in _parameter_sets(name):
        if isinstance(old, tuple):
            assert old[0] in text, f"{name} no longer uses the single pattern {old[0]!r}"
            before = _rows(state, text.replace(old[0], old[1]), params, name)
        elif isinstance(old, str):
            before = _rows(state, sparql_prologue() + old, params, name)
        else:
            before = _rows(state, text, params, name, infer=False)
        after = _rows(state, text, params, name)
        print(f"{relation}: {name} {params or ''}: {len(before)} rows before, {len(after)} after")
        assert len(after) >= len(before)
        if name == "status-per-domain":  # the same rows, with counts that may only grow
            counts = {(r["domain"], r["status"]): int(r["measures"]) for r in after}
            for row in before:
                assert counts[(row["domain"], row["status"])] >= int(row["measures"]), row
            continue
        # a row before is kept when a row after agrees on each of its bound values (an OPTIONAL
        # column that was empty may now be filled)
        lost = [r for r in before if not any(r.items() <= a.items() for a in after)]
        assert not lost, f"{name}: rows lost: {lost[:3]}"


def _parameter_sets(name: str) -> list[dict[str, str]]:
    if name == "regions-by-role":
        base = "https://w3id.org/defensienota-2024/id/region-role/"
        roles = ("deter-and-defend", "stabilise", "protect", "influence-with-partners")
        return [{"role": base + r} for r in roles]
    if name == "dated-items-in-chapter":
        base = "https://w3id.org/defensienota-2024/id/section/"
        return [{"chapter": base + str(n)} for n in range(1, 9)]
    return [{}]
