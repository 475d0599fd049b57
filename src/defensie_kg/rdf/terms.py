"""RDF terms and triples as plain strings, the currency of the build pipeline.

A term is its N-Triples text exactly as pyoxigraph prints it: ``<iri>``,
``_:label``, ``"lex"``, ``"lex"@lang`` or ``"lex"^^<datatype>``. Strings hash
and compare at C speed, need no conversion on the way into and out of
pyoxigraph, and make RDF 1.1 term equality plain string equality (pyoxigraph
writes ``"x"^^xsd:string`` as ``"x"``). rdflib is used only by the reference
paths (owlrl, pySHACL), through :func:`to_rdflib` / :func:`from_rdflib`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pyoxigraph as ox

from defensie_kg import namespaces

if TYPE_CHECKING:
    from rdflib import Graph

Term = str
Triple = tuple[str, str, str]

XSD = str(namespaces.XSD)
RDF_LANG_STRING = namespaces.RDF.langString


def iri(value: str) -> Term:
    """The term of an IRI given as a plain string."""
    return f"<{value}>"


def is_iri(term: Term) -> bool:
    return term.startswith("<")


def is_blank(term: Term) -> bool:
    return term.startswith("_:")


def literal_parts(term: Term) -> tuple[str, str | None, str]:
    """``(lexical form, language or None, datatype IRI)`` of a literal term."""
    close = term.rfind('"')
    lexical = _unescape(term[1:close])
    rest = term[close + 1 :]
    if rest.startswith("@"):
        return lexical, rest[1:], RDF_LANG_STRING
    if rest.startswith("^^<"):
        return lexical, None, rest[3:-1]
    return lexical, None, XSD + "string"


def value(term: Term) -> str:
    """What ``str()`` of the rdflib term gives: the IRI, the blank-node id or the lexical form."""
    if term.startswith("<"):
        return term[1:-1]
    if term.startswith("_:"):
        return term[2:]
    return literal_parts(term)[0]


def parse(data: bytes | None = None, *, path: str | None = None, **options: object) -> set[Triple]:
    """Triples of an RDF document parsed by pyoxigraph (Turtle unless ``format`` is given).

    Raises pyoxigraph's ``SyntaxError`` (with ``lineno``/``offset``) on bad input.
    """
    fmt = options.pop("format", ox.RdfFormat.TURTLE)
    quads = ox.parse(data, path=path, format=fmt, **options)  # type: ignore[arg-type]
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in quads}


def by_predicate(triples: Iterable[Triple]) -> dict[Term, set[tuple[Term, Term]]]:
    """``{predicate: {(subject, object)}}``: the index the rule code joins on."""
    index: dict[Term, set[tuple[Term, Term]]] = {}
    for s, p, o in triples:
        index.setdefault(p, set()).add((s, o))
    return index


def rdf_list(first: dict[Term, Term], rest: dict[Term, Term], head: Term) -> list[Term]:
    """The members of the RDF list starting at ``head`` (``rdf:first``/``rdf:rest`` maps)."""
    members: list[Term] = []
    seen: set[Term] = set()
    while head in first and head not in seen:
        seen.add(head)
        members.append(first[head])
        head = rest.get(head, "")
    return members


def to_rdflib(triples: Iterable[Triple]) -> Graph:
    """An rdflib Graph of the triples, for the reference implementations."""
    from rdflib import BNode, Graph, Literal, URIRef

    def node(term: Term) -> BNode | Literal | URIRef:
        # built by hand, not parsed: rdflib's parsers rename blank nodes
        if term.startswith("<"):
            return URIRef(term[1:-1])
        if term.startswith("_:"):
            return BNode(term[2:])
        lexical, language, datatype = literal_parts(term)
        if language or datatype == XSD + "string":
            return Literal(lexical, lang=language, normalize=False)
        return Literal(lexical, datatype=URIRef(datatype), normalize=False)

    graph = Graph()
    for s, p, o in triples:
        graph.add((node(s), node(p), node(o)))
    return graph


def from_rdflib(graph: Graph) -> set[Triple]:
    """The triples of an rdflib Graph as terms (through N-Triples, so literals normalise).

    Generalised triples (a literal as subject, which owlrl derives) are left
    out: RDF cannot say them.
    """
    from rdflib import Graph, Literal

    plain = Graph()
    for triple in graph:
        if not isinstance(triple[0], Literal):
            plain.add(triple)
    return parse(plain.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)


_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_SIMPLE = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPE.sub(_decode_escape, text)


def _decode_escape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] in "uU" and len(code) > 1:
        return chr(int(code[1:], 16))
    return _SIMPLE.get(code, code)
