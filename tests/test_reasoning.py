"""OWL RL closure: consistent, same result as the owlrl reference, and useful to queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from defensie_kg.build import reasoning, sources
from defensie_kg.build.pipeline import Build
from defensie_kg.errors import Inconsistent
from defensie_kg.query.store import KnowledgeGraph, QueryRequest
from defensie_kg.rdf import terms
from defensie_kg.settings import Settings

PREFIX = "PREFIX dn: <https://w3id.org/defensienota-2024/def/>\n"


def _ask(kg: KnowledgeGraph, body: str, infer: bool) -> bool:
    result = kg.execute(QueryRequest(PREFIX + f"ASK {{ {body} }}", format="json", infer=infer))
    return b"true" in result.body


@pytest.fixture(scope="module")
def mini_graph(mini_settings: Settings) -> KnowledgeGraph:
    from defensie_kg.build.pipeline import build

    return KnowledgeGraph.from_nquads(build(mini_settings).dataset)


def test_real_graph_is_consistent(real_build: Build) -> None:
    # build() raises Inconsistent otherwise; the inferred graph must be non-trivial.
    sizes = real_build.meta["graphs"]
    assert sizes["https://w3id.org/defensienota-2024/graph/inferred"] > 1000  # type: ignore[index]


@pytest.mark.slow
def test_fast_closure_equals_owlrl_reference(root: Path) -> None:
    loaded = sources.load(root)
    data = loaded.data_union()
    fast = reasoning.close(loaded.ontology, data, "fast")
    reference = reasoning.close(loaded.ontology, data, "owlrl")
    assert len(fast) > 1000
    assert fast - reference == set()
    assert reference - fast == set()


def test_property_chain_needs_reasoning(mini_graph: KnowledgeGraph) -> None:
    pattern = (
        "<https://w3id.org/defensienota-2024/id/measure/test-measure> dn:contributesTo "
        "<https://w3id.org/defensienota-2024/id/nato/test-priority-target>"
    )
    assert _ask(mini_graph, pattern, infer=True)
    assert not _ask(mini_graph, pattern, infer=False)


def test_subclass_and_transitive_suborganisation(mini_graph: KnowledgeGraph) -> None:
    target = (
        "<https://w3id.org/defensienota-2024/id/nato/test-priority-target> "
        "a dn:NatoCapabilityTarget"
    )
    assert _ask(mini_graph, target, infer=True)
    assert not _ask(mini_graph, target, infer=False)
    chain = (
        "<https://w3id.org/defensienota-2024/id/organisation/test-brigade> "
        "<http://www.w3.org/ns/org#transitiveSubOrganizationOf> "
        "<https://w3id.org/defensienota-2024/id/organisation/test-army>"
    )
    assert _ask(mini_graph, chain, infer=True)
    assert not _ask(mini_graph, chain, infer=False)


@pytest.mark.parametrize("method", ["fast", "owlrl"])
def test_disjoint_classes_are_inconsistent(root: Path, method: reasoning.Method) -> None:
    ontology = sources.load(root).ontology
    data = terms.parse(
        b"""
        @prefix dn: <https://w3id.org/defensienota-2024/def/> .
        <https://w3id.org/defensienota-2024/id/measure/x> a dn:Measure , dn:Organisation .
    """
    )
    with pytest.raises(Inconsistent, match="measure/x"):
        reasoning.close(ontology, data, method)


def test_trivial_triples_are_dropped(real_build: Build) -> None:
    kg = KnowledgeGraph.from_nquads(real_build.dataset)
    trivial = """ASK { GRAPH <https://w3id.org/defensienota-2024/graph/inferred> {
        { ?s a <http://www.w3.org/2002/07/owl#Thing> }
        UNION { ?s <http://www.w3.org/2002/07/owl#sameAs> ?s } } }"""
    assert b"false" in kg.execute(QueryRequest(trivial, format="json")).body


def test_reasonable_answers_in_plain_strings_and_rdflib_is_left_intact() -> None:
    import rdflib
    import reasonable

    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(
        [
            ("urn:x:a", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "urn:x:C"),
            ("urn:x:C", "http://www.w3.org/2000/01/rdf-schema#subClassOf", "urn:x:D"),
        ]
    )
    inferred = reasoning._reason(reasoner)
    assert ("urn:x:a", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "urn:x:D") in inferred
    assert all(type(term) is str for triple in inferred for term in triple)
    assert rdflib.URIRef("urn:x:a") != "urn:x:a"  # rdflib itself is never patched


def test_a_panic_in_reasonable_falls_back_to_owlrl(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    def panic(_base: object) -> None:
        raise PanicException("IriParseError")

    monkeypatch.setattr(reasoning, "_fast", panic)
    data = terms.parse(
        b"@prefix dn: <https://w3id.org/defensienota-2024/def/> .\n"
        b"<urn:x:p> a dn:PriorityTarget .\n"
        b"dn:PriorityTarget <http://www.w3.org/2000/01/rdf-schema#subClassOf> dn:NatoRequirement ."
    )
    inferred = reasoning.close(set(), data)
    nato_requirement = "<https://w3id.org/defensienota-2024/def/NatoRequirement>"
    assert ("<urn:x:p>", reasoning.TYPE, nato_requirement) in inferred
    assert "using the owlrl reference" in caplog.text


CHAIN_OVER_DERIVED_LINKS = b"""
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix : <urn:x:> .
:cites rdfs:subPropertyOf :refersTo .
:refersTo owl:inverseOf :referredToBy .
:mentionedIn owl:propertyChainAxiom ( :referredToBy :section ) .
:mentionedIn rdfs:subPropertyOf :related .
:item :cites :thing ; :section :s1 .
"""


@pytest.mark.parametrize("method", ["fast", "owlrl"])
def test_a_chain_over_derived_links_is_closed(method: reasoning.Method) -> None:
    """The chain's first link holds only by prp-spo1 then prp-inv; what follows from the chain
    (its super-property) must be there too, as owlrl has it."""
    inferred = reasoning.close(set(), terms.parse(CHAIN_OVER_DERIVED_LINKS), method)
    assert ("<urn:x:thing>", "<urn:x:mentionedIn>", "<urn:x:s1>") in inferred
    assert ("<urn:x:thing>", "<urn:x:related>", "<urn:x:s1>") in inferred


def test_chains_read_links_through_subproperties_and_inverses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Our chain rule sees the derived link before reasonable runs, so one call is enough."""
    calls = []
    real = reasoning._reason
    monkeypatch.setattr(reasoning, "_reason", lambda r: calls.append(1) or real(r))
    fast = reasoning.close(set(), terms.parse(CHAIN_OVER_DERIVED_LINKS), "fast")
    reference = reasoning.close(set(), terms.parse(CHAIN_OVER_DERIVED_LINKS), "owlrl")
    assert fast == reference
    assert len(calls) == 1
