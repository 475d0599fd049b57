"""The read-only knowledge graph: a dataset of named graphs and how to query it.

Graphs: ``graph/ontology``, one ``graph/data/<file>`` per data file, and
``graph/inferred`` for the OWL RL closure. Queries see the union of all of
them by default, or the asserted graphs only with ``infer=False``.
The engine is pyoxigraph (Rust); see the README's performance section for
why. Mutating methods are deliberately absent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox

from defensie_kg.errors import (
    QuerySyntaxError,
    QueryTimeout,
    UnknownGraph,
)
from defensie_kg.namespaces import INFERRED_GRAPH, RDFS, SKOS
from defensie_kg.query import guards, prefixes, sparql_text
from defensie_kg.rdf import formats, results
from defensie_kg.rdf.formats import Format

_CHECK_EVERY = 256  # rows between deadline checks while reading results
_LABEL = ox.NamedNode(RDFS.label)
_NOTATION = ox.NamedNode(SKOS.notation)


@dataclass(frozen=True)
class QueryRequest:
    """Everything needed to run one query; plain data, so it crosses process boundaries."""

    text: str
    accept: str | None = None
    format: str | None = None  # format=/output= values, comma-separated (formats.wanted)
    infer: bool = True
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    bindings: tuple[tuple[str, str], ...] = ()  # variable name → term in N-Triples syntax
    max_rows: int = 10000
    service_allowlist: tuple[str, ...] = ()
    base_iri: str | None = None  # relative IRIs resolve against it (the endpoint's URL)


@dataclass(frozen=True)
class QueryResult:
    """A serialised answer."""

    body: bytes
    format: Format
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    rows: int
    truncated: bool = False
    variables: tuple[str, ...] = field(default=())


class KnowledgeGraph:
    """A frozen dataset held in an in-memory pyoxigraph store."""

    def __init__(self, store: ox.Store) -> None:
        self._store = store
        self._graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
        self._asserted = [ox.NamedNode(g) for g in self._graphs if g != str(INFERRED_GRAPH)]

    @classmethod
    def from_nquads(cls, path: Path) -> KnowledgeGraph:
        """Load a dataset written by the build (N-Quads)."""
        store = ox.Store()
        # lenient: the file is the build's own output (parsed, validated and written by the
        # engine, then kept in the cache), so its IRIs and tags need no second check. At 582k
        # quads this loads in 1.19-1.32 s instead of 1.69-1.79 s (2026-12-04), in the server
        # and in every query worker.
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS, lenient=True)
        return cls(store)

    @classmethod
    def from_bytes(cls, data: bytes) -> KnowledgeGraph:
        """Load a dataset from N-Quads bytes."""
        store = ox.Store()
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        return cls(store)

    @property
    def graph_names(self) -> list[str]:
        """The IRIs of every named graph, sorted."""
        return list(self._graphs)

    def graph_sizes(self) -> dict[str, int]:
        """Triple count per named graph (counted by the engine: this runs at start-up)."""
        sizes = dict.fromkeys(self._graphs, 0)
        query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        for row in cast(ox.QuerySolutions, self._store.query(query)):
            graph, count = row["g"], row["n"]
            if isinstance(graph, ox.NamedNode) and isinstance(count, ox.Literal):
                sizes[graph.value] = int(count.value)
        return sizes

    def __len__(self) -> int:
        return len(self._store)

    def quads(self, graphs: list[str] | None = None) -> Iterator[ox.Quad]:
        """Every quad, or those of the given graphs."""
        if graphs is None:
            yield from self._store
            return
        for name in graphs:
            yield from self._store.quads_for_pattern(None, None, None, ox.NamedNode(name))

    def outgoing(self, iri: str) -> list[ox.Quad]:
        """Every quad with ``iri`` as subject (all graphs)."""
        return list(self._store.quads_for_pattern(ox.NamedNode(iri), None, None, None))

    def incoming(self, iri: str, limit: int = 2000) -> list[ox.Quad]:
        """Up to ``limit`` quads with ``iri`` as object (all graphs)."""
        found = []
        for quad in self._store.quads_for_pattern(None, None, ox.NamedNode(iri), None):
            found.append(quad)
            if len(found) >= limit:
                break
        return found

    def exists(self, iri: str) -> bool:
        """True when ``iri`` is the subject of at least one triple."""
        return (
            next(iter(self._store.quads_for_pattern(ox.NamedNode(iri), None, None, None)), None)
            is not None
        )

    def first_value(self, iri: str, predicate: str) -> str | None:
        """The lexical value of one ``predicate`` of ``iri``, if any."""
        for quad in self._store.quads_for_pattern(
            ox.NamedNode(iri), ox.NamedNode(predicate), None, None
        ):
            return str(quad.object.value)  # type: ignore[union-attr]
        return None

    def labels(self, iris: set[str]) -> dict[str, dict[str, str]]:
        """``{iri: {lang: label}}`` from rdfs:label (skos:notation as a fallback)."""
        out: dict[str, dict[str, str]] = {}
        for iri in iris:
            names: dict[str, str] = {}
            for quad in self._store.quads_for_pattern(ox.NamedNode(iri), _LABEL, None, None):
                if isinstance(quad.object, ox.Literal):
                    names.setdefault(quad.object.language or "", quad.object.value)
            if not names:
                for quad in self._store.quads_for_pattern(ox.NamedNode(iri), _NOTATION, None, None):
                    names.setdefault("", quad.object.value)  # type: ignore[union-attr]
            out[iri] = names
        return out

    def execute(self, request: QueryRequest, deadline: float | None = None) -> QueryResult:
        """Run a query and serialise its result; raise a :class:`QueryError` for bad input."""
        guards.check(request.text, request.service_allowlist)
        answer = self._run(request)
        try:
            return serialise(request, answer, deadline)
        finally:
            # Engine results may only be freed by the thread that made them; an exception's
            # traceback would otherwise keep this one alive into another thread.
            del answer

    def _run(self, request: QueryRequest) -> object:
        options: dict[str, Any] = {}
        own_dataset = sparql_text.declares_dataset(request.text)
        if request.default_graphs:
            options["default_graph"] = self._known(request.default_graphs)
        elif own_dataset:
            pass  # FROM / FROM NAMED name graphs of this store; nothing is ever fetched
        elif request.infer:
            options["use_default_graph_as_union"] = True
        else:
            options["default_graph"] = list(self._asserted)
        if request.named_graphs:
            options["named_graphs"] = self._known(request.named_graphs)
        elif not request.infer and not own_dataset:
            options["named_graphs"] = list(self._asserted)
        text = request.text
        if request.bindings:
            terms = {name: str(parse_term(term)) for name, term in request.bindings}
            text = sparql_text.with_values(text, terms)
        if request.base_iri:
            options["base_iri"] = request.base_iri  # a BASE in the query still wins
        try:
            return self._store.query(text, prefixes=prefixes.PREDECLARED, **options)
        except SyntaxError as exc:
            if guards.is_update(request.text):
                raise guards.update_as_query() from None
            if "Prefix not found" in str(exc) and (unknown := prefixes.explain(request.text)):
                raise QuerySyntaxError(unknown) from None
            raise QuerySyntaxError(f"Query syntax error: {exc}") from None

    def _known(self, names: tuple[str, ...]) -> list[ox.NamedNode]:
        unknown = [n for n in names if n not in self._graphs]
        if unknown:
            raise UnknownGraph(
                f"Unknown graph {unknown[0]!r}: this store holds only " + ", ".join(self._graphs)
            )
        return [ox.NamedNode(n) for n in names]


def iri_term(iri: str) -> str:
    """``iri`` as one SPARQL term (``<...>``), checked and escaped by the engine.

    Raises ``ValueError`` when ``iri`` is not an absolute IRI.
    """
    return str(ox.NamedNode(iri))


def parse_term(text: str) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """A term from N-Triples syntax (``<iri>``, ``"lex"@nl``, ``"5"^^<...>``)."""
    quad = next(iter(ox.parse(f"<x:s> <x:p> {text} .".encode(), format=ox.RdfFormat.N_TRIPLES)))
    term: ox.NamedNode | ox.Literal | ox.BlankNode = quad.object
    return term


def serialise(request: QueryRequest, answer: object, deadline: float | None) -> QueryResult:
    """Serialise an engine answer (boolean, solutions or triples) as the request asks."""
    if isinstance(answer, ox.QueryBoolean):
        fmt = _pick(request, formats.RESULT_FORMATS)
        return QueryResult(results.boolean(fmt, bool(answer)), fmt, "ASK", 1)
    if isinstance(answer, ox.QuerySolutions):
        fmt = _pick(request, formats.RESULT_FORMATS)
        names = tuple(v.value for v in answer.variables)
        body, rows, cut = results.solutions(fmt, answer, request.max_rows, deadline)
        return QueryResult(body, fmt, "SELECT", rows, cut, names)
    fmt = _pick(request, formats.GRAPH_FORMATS)
    construct = cast(ox.QueryTriples, answer)
    triples, cut = _take(construct, request.max_rows, deadline)
    return QueryResult(results.triples(fmt, triples), fmt, "CONSTRUCT", len(triples), cut)


def _pick(request: QueryRequest, offered: tuple[Format, ...]) -> Format:
    # ``format``/``output`` in the light of the query form, else Accept (one rule: formats.choose)
    return formats.choose(request.format, request.accept, offered)


def _take(items: Iterable[ox.Triple], limit: int, deadline: float | None) -> tuple[list[Any], bool]:
    taken: list[Any] = []
    for count, item in enumerate(items):
        if count >= limit:
            return taken, True
        if deadline is not None and count % _CHECK_EVERY == 0 and time.monotonic() > deadline:
            raise QueryTimeout(
                "The query was stopped at the time limit while its results were read."
            )
        taken.append(item)
    return taken, False
