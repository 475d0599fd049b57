"""OWL RL closure of ontology ∪ data, returned as the inferred triples only.

Two implementations give the same closure (a test compares them on the
nota graph, modulo the trivial triples listed in :func:`is_trivial`):

* ``"owlrl"`` — the pure-Python reference semantics; slow (tens of seconds).
* ``"fast"`` (default) — the Rust reasoner ``reasonable``, plus the few OWL RL
  rules it does not apply (property chains, ``scm-dom``/``scm-rng``), run to
  a fixpoint. Inconsistencies are checked with the OWL RL rules for
  ``owl:Nothing``, disjoint classes and ``owl:differentFrom``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Literal as Choice
from typing import cast

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Identifier, Node

from defensie_kg.errors import Inconsistent

Triple = tuple[Node, Node, Node]
Method = Choice["fast", "owlrl"]

_BUILTIN = (str(RDF), str(RDFS), str(OWL), str(XSD))
_ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")
_TOP = {OWL.Thing, RDFS.Resource}
_UNINFORMATIVE_TYPES = _TOP | {OWL.NamedIndividual, RDFS.Class, RDF.Property}
_REFLEXIVE = {
    OWL.sameAs,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    OWL.equivalentClass,
    OWL.equivalentProperty,
}
_TO_TOP = {RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range}


def close(ontology: Graph, data: Graph, method: Method = "fast") -> Graph:
    """The triples OWL RL adds to ``ontology ∪ data``, without trivial ones.

    Raises :class:`Inconsistent` when the closure derives a contradiction.
    """
    base = {normalise(t) for t in ontology} | {normalise(t) for t in data}
    everything = _owlrl(base) if method == "owlrl" else _fast(base)
    inferred = Graph()
    for triple in everything - base:
        if not is_trivial(triple):
            inferred.add(triple)
    return inferred


def is_trivial(triple: Triple) -> bool:
    """True for closure output that carries no information about the nota.

    Dropped: statements about literals, reflexive sameAs/subClassOf/...,
    built-in vocabulary describing itself, ``x a owl:Thing`` and the like,
    ``... rdfs:subClassOf|domain|range owl:Thing``, and owlrl's error bookkeeping.
    """
    s, p, o = triple
    if isinstance(s, Literal) or (s == o and p in _REFLEXIVE):
        return True
    if isinstance(s, URIRef) and str(s).startswith(_BUILTIN):
        return True
    if p == RDF.type and (o in _UNINFORMATIVE_TYPES or o == _ERR.ErrorMessage):
        return True
    if p == RDF.type and isinstance(o, URIRef) and str(o).startswith(str(XSD)):
        return True
    return (p in _TO_TOP and o in _TOP) or p == _ERR.error


def normalise(triple: Triple) -> Triple:
    """RDF 1.1: ``"x"^^xsd:string`` and ``"x"`` are one term; use the short form."""
    s, p, o = triple
    if isinstance(o, Literal) and o.datatype == XSD.string:
        return s, p, Literal(str(o))
    return triple


def _owlrl(base: set[Triple]) -> set[Triple]:
    from owlrl import OWLRL_Semantics  # the slow reference: imported only when asked for

    working = _graph(base)
    closure = OWLRL_Semantics(working, False, False, rdfs=False)
    closure.closure()
    problems = sorted(closure.error_messages) + _nothing_members(working)
    if problems:
        raise Inconsistent(problems)
    return {normalise(t) for t in working}


def _fast(base: set[Triple]) -> set[Triple]:
    import reasonable  # Rust extension; imported on first use to keep start-up light

    schema = _Schema(base)
    current = set(base)
    while True:
        reasoner = reasonable.PyReasoner()
        reasoner.from_graph(list(current))
        current |= {normalise(t) for t in reasoner.reason()}
        index = _by_predicate(current)
        extra = (schema.chains(index) | schema.domains_and_ranges(index)) - current
        if not extra:
            break
        current |= extra
    problems = _clashes(index)
    if problems:
        raise Inconsistent(problems)
    return current


class _Schema:
    """The property chains declared in the input (they never change while reasoning)."""

    def __init__(self, triples: set[Triple]) -> None:
        graph = _graph(t for t in triples if not isinstance(t[0], Literal))
        self.chain_axioms = [
            (prop, list(Collection(graph, head)))
            for prop, head in graph.subject_objects(OWL.propertyChainAxiom)
        ]

    def chains(self, index: dict[Node, set[tuple[Node, Node]]]) -> set[Triple]:
        """prp-spo2: a property chain p1 ∘ … ∘ pn implies its super-property."""
        found: set[Triple] = set()
        for prop, chain in self.chain_axioms:
            pairs = set(index.get(chain[0], ()))
            for link in chain[1:]:
                successors: dict[Node, set[Node]] = defaultdict(set)
                for a, b in index.get(link, ()):
                    successors[a].add(b)
                pairs = {(x, z) for x, y in pairs for z in successors.get(y, ())}
            found |= {(x, prop, z) for x, z in pairs}
        return found

    @staticmethod
    def domains_and_ranges(index: dict[Node, set[tuple[Node, Node]]]) -> set[Triple]:
        """scm-dom1/2, scm-rng1/2: domains and ranges along class and property hierarchies."""
        supers: dict[Node, set[Node]] = defaultdict(set)
        for cls, sup in index.get(RDFS.subClassOf, ()):
            supers[cls].add(sup)
        subs: dict[Node, set[Node]] = defaultdict(set)
        for sub, prop in index.get(RDFS.subPropertyOf, ()):
            subs[prop].add(sub)
        found: set[Triple] = set()
        for relation in (RDFS.domain, RDFS.range):
            for prop, cls in index.get(relation, ()):
                found |= {(prop, relation, sup) for sup in supers.get(cls, ())}
                found |= {(sub, relation, cls) for sub in subs.get(prop, ())}
        return found


def _by_predicate(triples: Iterable[Triple]) -> dict[Node, set[tuple[Node, Node]]]:
    index: dict[Node, set[tuple[Node, Node]]] = defaultdict(set)
    for s, p, o in triples:
        index[p].add((s, o))
    return index


def _graph(triples: Iterable[Triple]) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def _clashes(index: dict[Node, set[tuple[Node, Node]]]) -> list[str]:
    """cls-nothing2, cax-dw and eq-diff1 of OWL RL."""
    members: dict[Node, set[Node]] = defaultdict(set)
    for x, cls in index.get(RDF.type, ()):
        members[cls].add(x)
    # graph nodes are Identifiers (URIRef, BNode, Literal), which are ordered; Node is not
    nothing = cast("set[Identifier]", members.get(OWL.Nothing, ()))
    problems = [f"{x} is inferred to be owl:Nothing" for x in sorted(nothing)]
    for c1, c2 in index.get(OWL.disjointWith, ()):
        both = cast("set[Identifier]", members.get(c1, set()) & members.get(c2, set()))
        problems += [f"{x} is both {c1} and {c2}, which are disjoint" for x in sorted(both)]
    same = index.get(OWL.sameAs, set())
    for a, b in index.get(OWL.differentFrom, ()):
        if a == b or (a, b) in same:
            problems.append(f"{a} is said to be both the same as and different from {b}")
    return problems


def _nothing_members(graph: Graph) -> list[str]:
    return [f"{s} is inferred to be owl:Nothing" for s in graph.subjects(RDF.type, OWL.Nothing)]
