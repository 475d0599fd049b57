"""Threat links after chapter 1 (data/threat-links.ttl): named after their measure and threat,
sourced in the measure's section, implied ones explained, and reasoning derives the direct link."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

ROOT = Path(__file__).resolve().parents[1]
DN = Namespace("https://w3id.org/defensienota-2024/def/")
ID = "https://w3id.org/defensienota-2024/id/"
IMPLIED = URIRef(ID + "evidence/implied")


def _graph() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path)
    return graph


def test_threat_links_follow_the_naming_and_source_rules() -> None:
    graph = _graph()
    links = set(graph.subjects(RDF.type, DN.ThreatLink))
    assert len(links) >= 40
    wrong = []
    for link in sorted(links, key=str):
        measures = list(graph.subjects(DN.hasThreatLink, link))
        threats = list(graph.objects(link, DN.answersThreat))
        if len(measures) != 1 or len(threats) != 1:
            wrong.append(f"{link}: {len(measures)} measures, {len(threats)} threats")
            continue
        measure_slug = str(measures[0]).removeprefix(ID + "measure/")
        threat_slug = str(threats[0]).removeprefix(ID + "threat/")
        if str(link) != f"{ID}threat-link/{measure_slug}--{threat_slug}":
            wrong.append(f"{link}: should be threat-link/{measure_slug}--{threat_slug}")
        if list(graph.objects(link, DN.sourceSection)) != list(
            graph.objects(measures[0], DN.sourceSection)
        ):
            wrong.append(f"{link}: dn:sourceSection differs from its measure's")
        notes = [
            n
            for n in graph.objects(link, SKOS.editorialNote)
            if isinstance(n, Literal) and n.language == "en"
        ]
        if (link, DN.evidence, IMPLIED) in graph and not notes:
            wrong.append(f"{link}: implied without an English editorial note")
    assert wrong == [], "\n".join(wrong)


def test_answered_threats_are_threat_resources_with_a_source() -> None:
    """Every threat answered after chapter 1 is a threat resource with a source section."""
    graph = _graph()
    for threat in set(graph.objects(None, DN.answersThreat)):
        assert (threat, RDF.type, DN.Threat) in graph or (
            threat,
            RDF.type,
            DN.HybridThreat,
        ) in graph
        assert list(graph.objects(threat, DN.sourceSection)), threat
