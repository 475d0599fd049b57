"""OWL RL closure of ontology ∪ data, returned as the inferred triples only.

Two implementations give the same closure (a test compares them on the
nota graph, modulo the trivial triples listed in :func:`is_trivial`):

* ``"owlrl"`` — the pure-Python reference semantics; slow (tens of seconds).
* ``"fast"`` (default) — the Rust reasoner ``reasonable``, plus the few OWL RL
  rules it does not apply (property chains, ``scm-dom``/``scm-rng``, ``scm-spo``), run to
  a fixpoint. Inconsistencies are checked with the OWL RL rules for
  ``owl:Nothing``, disjoint classes and ``owl:differentFrom``.

Triples are :mod:`terms` strings. ``reasonable`` takes IRIs only, so literals
and blank nodes go in as stand-in IRIs (``urn:x-defensie-kg:term:N``) and are
mapped back: OWL RL never looks inside a literal except in the datatype rules,
whose conclusions are about literals as subjects and so trivial (see
:func:`is_trivial`); the test against owlrl guards this.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from typing import Literal as Choice

from defensie_kg.errors import Inconsistent
from defensie_kg.namespaces import OWL, RDF, RDFS
from defensie_kg.rdf import terms
from defensie_kg.rdf.terms import Term, Triple

Method = Choice["fast", "owlrl"]
log = logging.getLogger(__name__)
Index = dict[Term, set[tuple[Term, Term]]]

_RDF, _RDFS, _OWL = str(RDF), str(RDFS), str(OWL)
_ERR = "http://www.daml.org/2002/03/agents/agent-ont#"
_BUILTIN = ("<" + _RDF, "<" + _RDFS, "<" + _OWL, "<" + terms.XSD)
TYPE, FIRST, REST = f"<{_RDF}type>", f"<{_RDF}first>", f"<{_RDF}rest>"
SUBCLASS, SUBPROPERTY = f"<{_RDFS}subClassOf>", f"<{_RDFS}subPropertyOf>"
DOMAIN, RANGE = f"<{_RDFS}domain>", f"<{_RDFS}range>"
NOTHING, SAME_AS, DIFFERENT = f"<{_OWL}Nothing>", f"<{_OWL}sameAs>", f"<{_OWL}differentFrom>"
DISJOINT, CHAIN = f"<{_OWL}disjointWith>", f"<{_OWL}propertyChainAxiom>"
INVERSE = f"<{_OWL}inverseOf>"
_TOP = {f"<{_OWL}Thing>", f"<{_RDFS}Resource>"}
_UNINFORMATIVE_TYPES = _TOP | {
    f"<{_OWL}NamedIndividual>",
    f"<{_RDFS}Class>",
    f"<{_RDF}Property>",
    f"<{_ERR}ErrorMessage>",
}
_REFLEXIVE = {
    SAME_AS,
    SUBCLASS,
    SUBPROPERTY,
    f"<{_OWL}equivalentClass>",
    f"<{_OWL}equivalentProperty>",
}
_TO_TOP = {SUBCLASS, SUBPROPERTY, DOMAIN, RANGE}
_STAND_IN = "urn:x-defensie-kg:term:"


def close(ontology: set[Triple], data: set[Triple], method: Method = "fast") -> set[Triple]:
    """The triples OWL RL adds to ``ontology ∪ data``, without trivial ones.

    Raises :class:`Inconsistent` when the closure derives a contradiction.
    """
    base = ontology | data
    if method == "owlrl":
        everything = _owlrl(base)
    else:
        try:
            everything = _fast(base)
        except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException
            if type(exc).__name__ != "PanicException":
                raise
            log.warning("reasonable failed (%s); using the owlrl reference instead", exc)
            everything = _owlrl(base)
    return {t for t in everything - base if not is_trivial(t)}


def is_trivial(triple: Triple) -> bool:
    """True for closure output that carries no information about the nota.

    Dropped: statements about literals, reflexive sameAs/subClassOf/...,
    built-in vocabulary describing itself, ``x a owl:Thing`` and the like,
    ``... rdfs:subClassOf|domain|range owl:Thing``, and owlrl's error bookkeeping.
    """
    s, p, o = triple
    if s.startswith('"') or (s == o and p in _REFLEXIVE) or s.startswith(_BUILTIN):
        return True
    if p == TYPE and (o in _UNINFORMATIVE_TYPES or o.startswith(_BUILTIN[3])):
        return True
    return (p in _TO_TOP and o in _TOP) or p == f"<{_ERR}error>"


def _owlrl(base: set[Triple]) -> set[Triple]:
    from owlrl import OWLRL_Semantics  # the slow reference: imported only when asked for
    from rdflib import OWL, RDF

    working = terms.to_rdflib(base)
    closure = OWLRL_Semantics(working, False, False, rdfs=False)
    closure.closure()
    members = working.subjects(RDF.type, OWL.Nothing)
    nothing = [f"{s} is inferred to be owl:Nothing" for s in members]
    problems = sorted(closure.error_messages) + nothing
    if problems:
        raise Inconsistent(problems)
    return terms.from_rdflib(working)


def _fast(base: set[Triple]) -> set[Triple]:
    import reasonable  # Rust extension; imported on first use to keep start-up light

    codec = _StandIns()
    chains = _chain_axioms(base)
    reasoner = reasonable.PyReasoner()
    current = set(base)
    # The rules reasonable lacks go first, so its first call already sees their conclusions.
    # With chains read through sub-properties and inverses (_extension), that first call is
    # the only one on the nota (was three: 1.4 -> 0.5-0.8 s per closure) and at 582k quads
    # (33.0 -> 20.7 s, one run each, 2026-12-04). The loop below stays the guarantee.
    index, _ = _own_rules_to_fixpoint(chains, current)
    new = list(current)
    while new:
        reasoner.from_graph([codec.encode(t) for t in new])
        current |= codec.decode(_reason(reasoner))
        index, new = _own_rules_to_fixpoint(chains, current)
    problems = _clashes(index)
    if problems:
        raise Inconsistent(problems)
    return current


def _own_rules_to_fixpoint(
    chains: list[tuple[Term, list[Term]]], current: set[Triple]
) -> tuple[Index, list[Triple]]:
    """Apply the rules reasonable lacks until they add nothing; add their triples to
    ``current`` and return the index and what they added. Each call of reasonable costs
    about 0.25 s on the nota, one round of these rules 0.05 s: saturating them between calls
    (and before the first) saves calls."""
    added: list[Triple] = []
    while True:
        index = terms.by_predicate(current)
        found = _chains(chains, index) | _domains_and_ranges(index) | _subproperties(index)
        fresh = list(found - current)
        if not fresh:
            return index, added
        current.update(fresh)
        added += fresh


def _reason(reasoner: Any) -> list[tuple[str, str, str]]:
    """``reasoner.reason()`` as plain strings.

    reasonable answers in ``rdflib.URIRef``s. An earlier version swapped ``rdflib.URIRef`` for
    ``str`` process-wide during the call (0.36 vs 0.7 s at 50k triples); that patch reached into
    every thread, so we pay for the wrapping and take the plain strings back here.
    """
    return [(str(s), str(p), str(o)) for s, p, o in reasoner.reason()]


class _StandIns:
    """Two-way map between terms and the IRIs ``reasonable`` is given."""

    def __init__(self) -> None:
        self._to: dict[Term, str] = {}
        self._from: dict[str, Term] = {}

    def encode(self, triple: Triple) -> tuple[str, str, str]:
        return self._iri(triple[0]), self._iri(triple[1]), self._iri(triple[2])

    def decode(self, triples: Iterable[tuple[str, str, str]]) -> set[Triple]:
        memo = self._from
        return {
            (memo.get(s) or f"<{s}>", memo.get(p) or f"<{p}>", memo.get(o) or f"<{o}>")
            for s, p, o in triples
        }

    def _iri(self, term: Term) -> str:
        if term.startswith("<"):
            return term[1:-1]
        stand_in = self._to.get(term)
        if stand_in is None:
            stand_in = self._to[term] = f"{_STAND_IN}{len(self._to)}"
            self._from[stand_in] = term
        return stand_in


def _chain_axioms(base: set[Triple]) -> list[tuple[Term, list[Term]]]:
    """The property chains declared in the input (they never change while reasoning)."""
    index = terms.by_predicate(t for t in base if t[1] in (FIRST, REST, CHAIN))
    first = dict(index.get(FIRST, ()))
    rest = dict(index.get(REST, ()))
    return [(prop, terms.rdf_list(first, rest, head)) for prop, head in index.get(CHAIN, ())]


def _chains(axioms: list[tuple[Term, list[Term]]], index: Index) -> set[Triple]:
    """prp-spo2: a property chain p1 ∘ … ∘ pn implies its super-property.

    Each link is read with what prp-spo1 and prp-inv1/2 give it (the pairs of its
    sub-properties and of their inverses), so a chain over derived links, like
    ``dn:referredToBy`` (the inverse of ``dn:refersTo`` and its sub-properties), is found
    before reasonable has derived them: on the nota this spares reasonable's second call
    (0.3 s of a 1.0 s closure). The fixpoint in :func:`_fast` stays the guarantee.
    """
    found: set[Triple] = set()
    subs = _grouped(index.get(SUBPROPERTY, ()), reverse=True)
    declared = index.get(INVERSE, set())
    inverses = _grouped(declared | {(b, a) for a, b in declared})
    for prop, chain in axioms:
        if not chain:
            continue
        pairs = _extension(chain[0], index, subs, inverses)
        for link in chain[1:]:
            successors = _grouped(_extension(link, index, subs, inverses))
            pairs = {(x, z) for x, y in pairs for z in successors.get(y, ())}
        found |= {(x, prop, z) for x, z in pairs}
    return found


def _extension(
    prop: Term, index: Index, subs: dict[Term, set[Term]], inverses: dict[Term, set[Term]]
) -> set[tuple[Term, Term]]:
    """The pairs of ``prop`` with those of its sub-properties (prp-spo1) and of their
    inverses (prp-inv1/2), given ``subs`` (property → sub-properties) and ``inverses``: what
    OWL RL entails for ``prop`` that a chain most often needs."""
    pairs = set(index.get(prop, ()))
    for sub in subs.get(prop, ()):
        pairs |= index.get(sub, set())
    for inverse in inverses.get(prop, ()):
        for sub in {inverse} | subs.get(inverse, set()):
            pairs |= {(o, s) for s, o in index.get(sub, ())}
    return pairs


def _domains_and_ranges(index: Index) -> set[Triple]:
    """scm-dom1/2, scm-rng1/2: domains and ranges along class and property hierarchies."""
    supers = _grouped(index.get(SUBCLASS, ()))
    subs = _grouped(index.get(SUBPROPERTY, ()), reverse=True)
    found: set[Triple] = set()
    for relation in (DOMAIN, RANGE):
        for prop, cls in index.get(relation, ()):
            found |= {(prop, relation, sup) for sup in supers.get(cls, ())}
            found |= {(sub, relation, cls) for sub in subs.get(prop, ())}
    return found


def _subproperties(index: Index) -> set[Triple]:
    """scm-spo: ``rdfs:subPropertyOf`` is transitive (``reasonable`` stops after one step)."""
    supers = _grouped(index.get(SUBPROPERTY, ()))
    found: set[Triple] = set()
    for prop in list(supers):
        seen: set[Term] = set()
        todo = list(supers[prop])
        while todo:
            nxt = todo.pop()
            if nxt not in seen:
                seen.add(nxt)
                todo.extend(supers.get(nxt, ()))
        found |= {(prop, SUBPROPERTY, sup) for sup in seen}
    return found


def _clashes(index: Index) -> list[str]:
    """cls-nothing2, cax-dw and eq-diff1 of OWL RL."""
    members = _grouped(index.get(TYPE, ()), reverse=True)
    name = terms.value
    problems = [f"{name(x)} is inferred to be owl:Nothing" for x in sorted(members[NOTHING])]
    for c1, c2 in sorted(index.get(DISJOINT, ())):
        both = sorted(members.get(c1, set()) & members.get(c2, set()))
        problems += [
            f"{name(x)} is both {name(c1)} and {name(c2)}, which are disjoint" for x in both
        ]
    same = index.get(SAME_AS, set())
    for a, b in sorted(index.get(DIFFERENT, ())):
        if a == b or (a, b) in same:
            problems.append(f"{name(a)} is said to be the same as and different from {name(b)}")
    return problems


def _grouped(pairs: Iterable[tuple[Term, Term]], reverse: bool = False) -> dict[Term, set[Term]]:
    """``{a: {b, …}}`` over the pairs ``(a, b)``; with ``reverse``, ``{b: {a, …}}``.
    Missing keys read as empty sets."""
    grouped: dict[Term, set[Term]] = defaultdict(set)
    for a, b in pairs:
        if reverse:
            a, b = b, a
        grouped[a].add(b)
    return grouped
