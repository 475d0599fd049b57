"""``dn:mentionedIn`` is complete by construction (issue 20).

Every property a measure or figure uses to point at an organisation, partner, materiel,
technology, programme, law, plan, place or threat is a subproperty of ``dn:refersTo``; the
ontology's chain ``dn:referredToBy ∘ dn:sourceSection ⊑ dn:mentionedIn`` lets the OWL RL closure
derive that the thing referred to is mentioned in the referring item's source section. Data
added on any branch is covered without a curated list.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import make_mini
from defensie_kg.build.pipeline import Build, build
from defensie_kg.namespaces import sparql_prologue
from defensie_kg.query.store import KnowledgeGraph, QueryRequest
from defensie_kg.settings import Settings

# The referring properties a researcher would expect to show up as mentions (the issue's list).
REFERRING = (
    "dn:involvesOrganisation dn:withPartner dn:concernsMateriel dn:concernsTechnology "
    "dn:involvesProgramme dn:concernsLaw dn:concernsPlan dn:concernsPlace dn:addressesThreat"
)
PAIRS = (
    sparql_prologue()
    + """SELECT DISTINCT ?entity ?section WHERE {
  ?item a ?kind ; dn:sourceSection ?section ; ?p ?entity .
  VALUES ?kind { dn:Measure dn:Figure }
  VALUES ?p { %s }
  %s
}"""
)


def _pairs(kg: KnowledgeGraph, missing: bool, infer: bool = True) -> set[tuple[str, str]]:
    extra = "FILTER NOT EXISTS { ?entity dn:mentionedIn ?section }" if missing else ""
    text = PAIRS % (REFERRING, extra)
    body = kg.execute(QueryRequest(text, format="json", infer=infer, max_rows=100000)).body
    rows = json.loads(body)["results"]["bindings"]
    return {(r["entity"]["value"], r["section"]["value"]) for r in rows}


def test_every_referred_entity_is_mentioned_in_the_referring_section(real_build: Build) -> None:
    kg = KnowledgeGraph.from_nquads(real_build.dataset)
    pairs = _pairs(kg, missing=False)
    assert len(pairs) > 250
    assert _pairs(kg, missing=True) == set()


def test_the_issue_examples_are_mentioned(real_build: Build) -> None:
    kg = KnowledgeGraph.from_nquads(real_build.dataset)
    for entity, section in [
        ("country:germany", "section:4-2-land"),
        ("country:germany", "section:6-2"),
        ("organisation:dcc", "section:4-2-cyber"),
        ("organisation:dcc", "section:5-2"),
        ("materiel:boxer", "section:4-2-land"),
        ("materiel:f-35", "section:4-2-air"),
        ("materiel:drone", "section:4-3"),
    ]:
        ask = sparql_prologue() + f"ASK {{ {entity} dn:mentionedIn {section} }}"
        assert b"true" in kg.execute(QueryRequest(ask, format="json")).body, (entity, section)


def test_a_new_reference_is_mentioned_without_curation(tmp_path: Path) -> None:
    extra = """@prefix dn: <https://w3id.org/defensienota-2024/def/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix section: <https://w3id.org/defensienota-2024/id/section/> .
@prefix measure: <https://w3id.org/defensienota-2024/id/measure/> .
@prefix materiel: <https://w3id.org/defensienota-2024/id/materiel/> .
measure:test-mention a dn:Measure ;
    rdfs:label "testmaatregel"@nl , "test measure"@en ;
    dn:sourceSection section:5-2 ;
    dn:acquires materiel:test-rifle .
materiel:test-rifle a dn:Materiel ;
    rdfs:label "testgeweer"@nl , "test rifle"@en ;
    dn:sourceSection section:4-2-land .
"""
    project = make_mini(tmp_path / "project", {"extra.ttl": extra})
    kg = KnowledgeGraph.from_nquads(build(Settings(root=project)).dataset)
    ask = sparql_prologue() + "ASK { materiel:test-rifle dn:mentionedIn section:5-2 }"
    assert b"true" in kg.execute(QueryRequest(ask, format="json")).body
    # and up the document tree: the chapter that holds 5.2
    ask = sparql_prologue() + "ASK { materiel:test-rifle dn:mentionedIn section:5 }"
    assert b"true" in kg.execute(QueryRequest(ask, format="json")).body


def test_a_mention_the_text_only_implies_is_marked(real_build: Build) -> None:
    from defensie_kg.query import named_queries

    kg = KnowledgeGraph.from_nquads(real_build.dataset)
    catalogue = named_queries.load_all(Path(__file__).resolve().parents[1] / "queries")
    request = named_queries.request(catalogue["where-mentioned"], {}, format="json")
    rows = json.loads(kg.execute(request).body)["results"]["bindings"]
    evidence = {r["part"]["value"].rsplit("/", 1)[1]: r for r in rows}
    assert evidence["1-1"]["evidence"]["value"].endswith("explicit")
    implied = evidence["4-3"]
    assert implied["evidence"]["value"].endswith("implied")
    assert "sabotage" in implied["note"]["value"]
