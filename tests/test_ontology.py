"""The ontology itself: metadata, and nl+en labels, definitions, domain and range on every term."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef

from defensie_kg import namespaces
from defensie_kg.namespaces import ONTOLOGY_IRI

DN = Namespace(namespaces.DN)

SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")


@pytest.fixture(scope="module")
def ontology(root: Path) -> Graph:
    return Graph().parse(root / "ontology" / "defensie.ttl")


def _terms(graph: Graph, kind: URIRef) -> list[URIRef]:
    return sorted(
        t for t in graph.subjects(RDF.type, kind) if isinstance(t, URIRef) and str(t).startswith(DN)
    )


def test_ontology_metadata(ontology: Graph) -> None:
    onto = URIRef(ONTOLOGY_IRI)
    assert (onto, RDF.type, OWL.Ontology) in ontology
    for prop in (
        OWL.versionIRI,
        OWL.versionInfo,
        DCTERMS.title,
        DCTERMS.description,
        DCTERMS.license,
        DCTERMS.creator,
        DCTERMS.created,
        DCTERMS.modified,
    ):
        assert ontology.value(onto, prop) is not None, prop


def test_there_are_classes_and_properties(ontology: Graph) -> None:
    assert len(_terms(ontology, OWL.Class)) >= 50
    assert len(_terms(ontology, OWL.ObjectProperty)) >= 50


@pytest.mark.parametrize("kind", [OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty])
def test_every_term_has_nl_and_en_label_and_definition(ontology: Graph, kind: URIRef) -> None:
    missing = []
    for term in _terms(ontology, kind):
        for prop in (RDFS.label, SKOS.definition):
            langs = {o.language for o in ontology.objects(term, prop)}
            if not {"nl", "en"} <= langs:
                missing.append(f"{term} {prop}")
    assert missing == []


@pytest.mark.parametrize("kind", [OWL.ObjectProperty, OWL.DatatypeProperty])
def test_every_property_has_domain_and_range(ontology: Graph, kind: URIRef) -> None:
    missing = [
        t
        for t in _terms(ontology, kind)
        if ontology.value(t, RDFS.domain) is None or ontology.value(t, RDFS.range) is None
    ]
    assert missing == []


def test_key_axioms_are_present(ontology: Graph) -> None:
    assert (DN.NatoPriorityTarget, RDFS.subClassOf, DN.NatoCapabilityTarget) in ontology
    assert (DN.partOf, RDF.type, OWL.TransitiveProperty) in ontology
    assert ontology.value(DN.contributesTo, OWL.propertyChainAxiom) is not None
    assert (DN.hasNatoLink, OWL.inverseOf, DN.linkedMeasure) in ontology
