"""The SPARQL Service Description: the static Turtle template next to this module, plus what
is counted (graph sizes) or configured (result formats, federated query)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from defensie_kg.namespaces import INFERRED_GRAPH, RDF, RDFS, SD, VOID, XSD
from defensie_kg.query import prefixes
from defensie_kg.rdf import formats
from defensie_kg.web.state import AppState

TEMPLATE = Path(__file__).with_name("service_description.ttl")


def describe(endpoint: str, state: AppState) -> list[ox.Triple]:
    """The description of the endpoint at ``endpoint`` (its absolute URL)."""
    static = [
        q.triple for q in ox.parse(path=TEMPLATE, format=ox.RdfFormat.TURTLE, base_iri=endpoint)
    ]
    service, dataset = ox.NamedNode(f"{endpoint}#service"), ox.NamedNode(f"{endpoint}#dataset")
    default = ox.NamedNode(f"{endpoint}#default-graph")
    out = [*static, _triple(default, VOID.triples, _count(sum(state.graph_sizes.values())))]
    out += [_triple(service, SD.resultFormat, ox.NamedNode(f.iri)) for f in formats.FORMATS]
    if state.settings.service_allowlist:
        out.append(_triple(service, SD.feature, ox.NamedNode(SD.BasicFederatedQuery)))
    out += prefixes.description(service)  # the predeclared prefixes (query layer)
    for index, (graph, size) in enumerate(sorted(state.graph_sizes.items())):
        named, inner = (ox.NamedNode(f"{endpoint}#{kind}-{index}") for kind in ("named", "graph"))
        out += [
            _triple(dataset, SD.namedGraph, named),
            _triple(named, SD.name, ox.NamedNode(graph)),
            _triple(named, SD.graph, inner),
            _triple(inner, RDF.type, ox.NamedNode(SD.Graph)),
            _triple(inner, VOID.triples, _count(size)),
        ]
        if graph == str(INFERRED_GRAPH):
            note = ox.Literal("OWL RL inferences (omit with infer=false)", language="en")
            out.append(_triple(named, RDFS.comment, note))
    return out


def _triple(subject: ox.NamedNode, predicate: str, value: ox.NamedNode | ox.Literal) -> ox.Triple:
    return ox.Triple(subject, ox.NamedNode(predicate), value)


def _count(number: int) -> ox.Literal:
    return ox.Literal(str(number), datatype=ox.NamedNode(XSD.integer))
