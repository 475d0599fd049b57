"""SHACL Core validation of string triples: a fast validator with pySHACL as the reference.

Triples are N-Triples term strings as pyoxigraph prints them (see ``terms.py``).
``validate(..., method="fast")`` compiles the shapes once, indexes only the
data predicates the shapes look at, and evaluates each constraint with plain
dict and set lookups. It reproduces pySHACL 0.40 (``inference="none"``,
``advanced=True``, ``allow_warnings=True``) on rdflib graphs built term by term
(``normalize=False``, blank-node labels kept) for the SHACL features it
implements; a shapes graph that uses anything else, or uses a feature in a way
pySHACL rejects or treats oddly, is validated by pySHACL instead
(:func:`unsupported` lists why), so the results are always pySHACL's.

pySHACL behaviour mimicked on purpose (each is tested against pySHACL):

* with ``allow_warnings`` a nested shape (``sh:or`` member, qualified value
  shape) of severity Warning or Info always conforms, and any other shape
  conforms unless it produces a result whose severity is not Warning/Info;
* ``sh:datatype`` fails a literal of the right datatype when rdflib marks it
  ill-typed: Python's ``int``/``Decimal``/``float`` decide (so ``" 1_0 "`` is
  a valid xsd:integer), range checks for xsd:int, xsd:byte, ...; datatypes
  rdflib does not know (xsd:gYear, ...) always pass;
* ``sh:pattern`` is a Python regex found anywhere in the string; of
  ``sh:flags`` only ``i`` and ``m`` count;
* ``sh:uniqueLang false`` and ``sh:qualifiedValueShape`` on a node shape are
  ignored; ``sh:deactivated "false"`` (a string, not a boolean) deactivates.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Literal

from defensie_kg.build.reporting import Result
from defensie_kg.rdf import terms
from defensie_kg.rdf.terms import Triple

Method = Literal["fast", "pyshacl"]

_LOG = logging.getLogger(__name__)

_SH = "http://www.w3.org/ns/shacl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_XSD = terms.XSD
_OWL_CLASS = "<http://www.w3.org/2002/07/owl#Class>"


def _sh(name: str) -> str:
    return f"<{_SH}{name}>"


_TYPE, _FIRST, _REST, _NIL = (f"<{_RDF}{n}>" for n in ("type", "first", "rest", "nil"))
_SUBCLASS, _RDFS_CLASS = f"<{_RDFS}subClassOf>", f"<{_RDFS}Class>"
_ALLOWED_SEVERITIES = frozenset({_sh("Warning"), _sh("Info")})

# What the fast path implements; any other sh: predicate means pySHACL.
_SUPPORTED = frozenset(
    ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "property", "path")
    + ("nodeKind", "pattern", "flags", "minCount", "maxCount", "datatype", "languageIn")
    + ("uniqueLang", "class", "in", "hasValue", "or", "qualifiedValueShape", "qualifiedMinCount")
    + ("qualifiedMaxCount", "qualifiedValueShapesDisjoint", "severity", "message", "deactivated")
    + ("name", "description", "order", "group", "defaultValue")
)
_SHAPE_TYPES = frozenset({_sh("NodeShape"), _sh("PropertyShape")})
# Constraint parameters whose components produce results of their own (sh:property does not).
_REPORTING = frozenset(
    _sh(n)
    for n in ("nodeKind", "pattern", "minCount", "maxCount", "datatype", "languageIn")
    + ("uniqueLang", "class", "in", "hasValue", "or", "qualifiedValueShape")
)

# rdflib's lexical-to-value mapping (rdflib.term.XSDToPython), which decides ill-typedness.
_INTEGER_RANGES: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "long": (None, None),
    "int": (-2147483648, 2147483647),
    "short": (-32768, 32767),
    "byte": (-128, 127),
    "unsignedLong": (0, None),
    "unsignedInt": (0, 4294967295),
    "unsignedShort": (0, 65535),
    "unsignedByte": (0, 255),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
}
_INTEGERS = {f"{_XSD}{n}": r for n, r in _INTEGER_RANGES.items()}
_BY_RDFLIB = frozenset(
    [f"{_XSD}{n}" for n in ("date", "time", "dateTime", "duration", "dayTimeDuration")]
    + [f"{_XSD}{n}" for n in ("yearMonthDuration", "hexBinary", "base64Binary")]
    + [f"{_RDF}XMLLiteral", f"{_RDF}HTML"]
)
_BOOLEAN, _DECIMAL = f"{_XSD}boolean", f"{_XSD}decimal"
_FLOATS = frozenset({f"{_XSD}float", f"{_XSD}double"})


class _Unsupported(Exception):
    """A shapes-graph feature (or misuse) the fast path leaves to pySHACL."""


def validate(
    data: Iterable[Triple], shapes: Iterable[Triple], method: Method = "fast"
) -> list[Result]:
    """The SHACL results of ``data`` against ``shapes`` (no inference: close the data first).

    ``method="fast"`` falls back to pySHACL, with a log line saying why, when
    :func:`unsupported` finds a feature it does not implement.
    """
    shapes = shapes if isinstance(shapes, Collection) else list(shapes)
    data = data if isinstance(data, Collection) else list(data)
    if method == "pyshacl":
        return _by_pyshacl(data, shapes)
    program = _compile(shapes)
    if program.problems:
        _LOG.warning(
            "SHACL: validating with pySHACL, the fast validator does not support: %s",
            "; ".join(program.problems),
        )
        return _by_pyshacl(data, shapes)
    return _Run(program, _Data(data, program)).results()


def unsupported(shapes: Iterable[Triple]) -> list[str]:
    """What in ``shapes`` makes :func:`validate` use pySHACL; empty when the fast path applies."""
    return _compile(shapes).problems


# ---------------------------------------------------------------- terms


def _canonical(term: str) -> str:
    """The term as rdflib identifies it: language tags in lower case, ``^^xsd:string`` dropped,
    xsd:normalizedString/xsd:token whitespace normalised (rdflib does it on construction)."""
    if term[0] != '"' or term[-1] == '"':
        return term
    close = term.rfind('"')
    if term[-1] != ">":
        return term[:close] + term[close:].lower()
    datatype = term[close + 4 : -1]
    if datatype == f"{_XSD}string":
        return term[: close + 1]
    if datatype in (f"{_XSD}normalizedString", f"{_XSD}token"):
        lexical = terms.literal_parts(term)[0]
        lexical = lexical.replace("\t", " ").replace("\n", " ").replace("\r", " ")
        if datatype.endswith("token"):
            lexical = re.sub(" +", " ", lexical.strip())
        escaped = lexical.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"{term[close + 1 :]}'
    return term


def _parts(term: str) -> tuple[str, str | None, str | None]:
    """``(lexical form, language, datatype)`` as rdflib sees a literal: plain ones have neither."""
    lexical, language, datatype = terms.literal_parts(term)
    if language is not None or datatype == f"{_XSD}string":
        return lexical, language, None
    return lexical, None, datatype


def _ill_typed(lexical: str, datatype: str) -> bool:
    """rdflib's ``Literal(lexical, datatype=...).ill_typed is True``, without rdflib if we can."""
    try:
        if datatype in _INTEGERS:
            number = int(lexical)  # Python's int(), as rdflib: whitespace and "1_0" are fine
            low, high = _INTEGERS[datatype]
            return (low is not None and number < low) or (high is not None and number > high)
        if datatype == _DECIMAL:
            Decimal(lexical)
            return False
        if datatype in _FLOATS:
            float(lexical)
            return False
    except Exception:  # rdflib catches every conversion error the same way
        return True
    if datatype == _BOOLEAN:
        return lexical not in ("true", "false", "1", "0")
    if datatype in _BY_RDFLIB:
        return _ill_typed_by_rdflib(lexical, datatype)
    return False  # xsd:string and friends always convert; unknown datatypes are never ill-typed


_RDFLIB_VERDICTS: dict[tuple[str, str], bool] = {}


def _ill_typed_by_rdflib(lexical: str, datatype: str) -> bool:
    # Dates, durations, binary and XML: rdflib's own parsers are the definition.
    key = (lexical, datatype)
    if key not in _RDFLIB_VERDICTS:
        import warnings

        from rdflib import Literal as RdflibLiteral
        from rdflib import URIRef

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = RdflibLiteral(lexical, datatype=URIRef(datatype), normalize=False)
        _RDFLIB_VERDICTS[key] = node.ill_typed is True
    return _RDFLIB_VERDICTS[key]


# ---------------------------------------------------------------- shapes


@dataclass(frozen=True)
class _Qualified:
    shape: str
    min_count: int | None
    max_count: int | None
    siblings: tuple[str, ...]


@dataclass
class _Shape:
    """One shape with its parameters read and checked once."""

    node: str
    path: str | None  # the predicate of a property shape
    severity: str = _sh("Violation")
    message: str | None = None
    deactivated: bool = False
    target_nodes: list[str] = field(default_factory=list)
    target_classes: list[str] = field(default_factory=list)
    subjects_of: list[str] = field(default_factory=list)
    objects_of: list[str] = field(default_factory=list)
    node_kind: str | None = None
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    min_count: int | None = None
    max_count: int | None = None
    datatype: str | None = None
    language_in: frozenset[str] | None = None
    unique_lang: bool = False
    classes: list[str] = field(default_factory=list)
    in_values: frozenset[str] | None = None
    has_values: list[str] = field(default_factory=list)
    ors: list[list[str]] = field(default_factory=list)
    qualified: list[_Qualified] = field(default_factory=list)
    properties: list[str] = field(default_factory=list)


@dataclass
class _Program:
    shapes: dict[str, _Shape]
    problems: list[str]


class _ShapesGraph:
    """Subject and object indexes of the (small) shapes graph."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.spo: dict[str, dict[str, list[str]]] = {}
        self.pos: dict[str, dict[str, list[str]]] = {}
        unique = {(s, p, _canonical(o)) for s, p, o in triples}
        # pySHACL adds this to every shapes graph (owl:Class instances are implicit class targets).
        unique.add((_OWL_CLASS, _SUBCLASS, _RDFS_CLASS))
        for s, p, o in unique:
            self.spo.setdefault(s, {}).setdefault(p, []).append(o)
            self.pos.setdefault(p, {}).setdefault(o, []).append(s)
        self.triples = unique

    def objects(self, s: str, p: str) -> list[str]:
        return self.spo.get(s, {}).get(p, [])

    def subjects(self, p: str, o: str | None = None) -> list[str]:
        by_object = self.pos.get(p, {})
        if o is not None:
            return by_object.get(o, [])
        return [s for subjects in by_object.values() for s in subjects]

    def items(self, head: str) -> list[str]:
        """Members of a well-formed RDF list; anything else is left to pySHACL."""
        members: list[str] = []
        seen: set[str] = set()
        while head != _NIL:
            first, rest = self.objects(head, _FIRST), self.objects(head, _REST)
            if head in seen or len(first) != 1 or len(rest) != 1:
                raise _Unsupported(f"malformed RDF list {head}")
            seen.add(head)
            members.append(first[0])
            head = rest[0]
        return members


def _compile(triples: Iterable[Triple]) -> _Program:
    graph = _ShapesGraph(triples)
    problems = sorted(_unsupported_vocabulary(graph))
    try:
        nodes = _find_shapes(graph)
        shapes = {node: _read_shape(graph, node, path) for node, path in nodes.items()}
    except _Unsupported as exc:
        return _Program({}, [*problems, str(exc)])
    problems += _structural_problems(graph, shapes)
    return _Program(shapes, problems)


def _unsupported_vocabulary(graph: _ShapesGraph) -> set[str]:
    found = set()
    for _, p, o in graph.triples:
        if p.startswith(f"<{_SH}") and p[len(_SH) + 1 : -1] not in _SUPPORTED:
            found.add(f"sh:{p[len(_SH) + 1 : -1]}")
        if p in (_TYPE, _SUBCLASS) and o.startswith(f"<{_SH}") and o not in _SHAPE_TYPES:
            found.add(f"instances of sh:{o[len(_SH) + 1 : -1]}")
    return found


def _find_shapes(graph: _ShapesGraph) -> dict[str, str | None]:
    """Shape nodes and their paths, found the way pySHACL's ShapesGraph finds them."""
    node_shapes = set(graph.subjects(_TYPE, _sh("NodeShape")))
    property_shapes = set(graph.subjects(_TYPE, _sh("PropertyShape")))
    if node_shapes & property_shapes:
        raise _Unsupported("a shape typed both sh:NodeShape and sh:PropertyShape")
    if any(graph.objects(s, _sh("path")) for s in node_shapes):
        raise _Unsupported("an sh:NodeShape with sh:path")
    implied = {
        s
        for p in ("targetClass", "targetNode", "targetObjectsOf", "targetSubjectsOf", "property")
        for s in graph.subjects(_sh(p))
    }
    for p in ("property", "qualifiedValueShape"):
        implied.update(graph.pos.get(_sh(p), {}))
    for lists in graph.pos.get(_sh("or"), {}):
        members = graph.items(lists)
        if not members:
            raise _Unsupported("an empty sh:or list")
        implied.update(members)
    found: dict[str, str | None] = {}
    for node in node_shapes | property_shapes | implied:
        if node[0] == '"':
            raise _Unsupported(f"a literal used as a shape: {node}")
        paths = graph.objects(node, _sh("path"))
        if len(paths) > 1 or (node in property_shapes and not paths):
            raise _Unsupported(f"{node} needs exactly one sh:path")
        if node in node_shapes or not paths:
            found[node] = None
            continue
        if paths[0][0] != "<":
            raise _Unsupported(f"sh:path of {node} is not a single predicate (complex paths)")
        found[node] = paths[0]
    return found


def _one(graph: _ShapesGraph, node: str, name: str) -> str | None:
    values = graph.objects(node, _sh(name))
    if len(values) > 1:
        raise _Unsupported(f"{node} has more than one sh:{name}")
    return values[0] if values else None


def _literal(term: str, name: str) -> tuple[str, str | None, str | None]:
    if term[0] != '"':
        raise _Unsupported(f"sh:{name} {term} is not a literal")
    return _parts(term)


def _integer(term: str, name: str, exact: bool) -> int:
    """An integer parameter as pySHACL reads it (sh:minCount: xsd:integer only)."""
    lexical, _, datatype = _literal(term, name)
    allowed = (f"{_XSD}integer",) if exact else tuple(_INTEGERS)
    if datatype not in allowed or _ill_typed(lexical, f"{_XSD}integer"):
        raise _Unsupported(f"sh:{name} {term} is not an integer pySHACL accepts")
    number = int(lexical)
    if number < 0:
        raise _Unsupported(f"sh:{name} {term} is negative")
    return number


def _boolean(term: str, name: str) -> bool:
    lexical, _, datatype = _literal(term, name)
    if datatype != _BOOLEAN:
        raise _Unsupported(f"sh:{name} {term} is not an xsd:boolean")
    return lexical.lower() in ("1", "true")  # rdflib's value, even for ill-typed forms


def _truthy(term: str) -> bool:
    """``bool(Literal.value)``: what pySHACL makes of sh:deactivated."""
    lexical, language, datatype = _literal(term, "deactivated")
    if datatype == _BOOLEAN:
        return lexical.lower() in ("1", "true")
    if datatype is None:
        return bool(lexical)
    if datatype in _INTEGERS:
        return not _ill_typed(lexical, f"{_XSD}integer") and int(lexical) != 0
    raise _Unsupported(f"sh:deactivated {term} is neither a boolean nor a string")


def _read_shape(graph: _ShapesGraph, node: str, path: str | None) -> _Shape:
    shape = _Shape(node, path)
    objects = graph.spo.get(node, {})

    def get(name: str) -> list[str]:
        return objects.get(_sh(name), [])

    shape.severity = _one(graph, node, "severity") or shape.severity
    message = _one(graph, node, "message")
    shape.message = None if message is None else terms.value(message)
    deactivated = _one(graph, node, "deactivated")
    shape.deactivated = deactivated is not None and _truthy(deactivated)
    shape.target_nodes = get("targetNode")
    shape.target_classes = list(get("targetClass"))
    implicit = set(graph.subjects(_SUBCLASS, _RDFS_CLASS)) | {_RDFS_CLASS}
    if any(t in implicit for t in graph.objects(node, _TYPE)):
        shape.target_classes.append(node)
    shape.subjects_of, shape.objects_of = get("targetSubjectsOf"), get("targetObjectsOf")
    shape.node_kind = _one(graph, node, "nodeKind")
    shape.datatype = _one(graph, node, "datatype")
    if path is None and (get("minCount") or get("maxCount") or get("uniqueLang")):
        raise _Unsupported(f"sh:minCount, sh:maxCount or sh:uniqueLang on node shape {node}")
    count = _one(graph, node, "minCount")
    shape.min_count = None if count is None else _integer(count, "minCount", exact=True)
    count = _one(graph, node, "maxCount")
    shape.max_count = None if count is None else _integer(count, "maxCount", exact=True)
    unique = _one(graph, node, "uniqueLang")
    shape.unique_lang = unique is not None and _boolean(unique, "uniqueLang")
    shape.patterns = _patterns(graph, node)
    languages = _one(graph, node, "languageIn")
    if languages is not None:
        tags = [_literal(t, "languageIn") for t in graph.items(languages)]
        if any(datatype is not None for _, _, datatype in tags):
            raise _Unsupported(f"sh:languageIn of {node} has a typed literal")
        shape.language_in = frozenset(lexical.lower() for lexical, _, _ in tags)
    shape.classes, shape.has_values = get("class"), get("hasValue")
    members = _one(graph, node, "in")
    shape.in_values = None if members is None else frozenset(graph.items(members))
    shape.ors = [graph.items(head) for head in get("or")]
    shape.properties = get("property")
    if path is not None:
        shape.qualified = _qualified(graph, node)
    return shape


def _patterns(graph: _ShapesGraph, node: str) -> list[re.Pattern[str]]:
    patterns = graph.objects(node, _sh("pattern"))
    if not patterns:
        return []
    flags = 0
    flag_term = _one(graph, node, "flags")
    if flag_term is not None:
        lexical, _, datatype = _literal(flag_term, "flags")
        if datatype is not None:
            raise _Unsupported(f"sh:flags {flag_term} is not a plain string")
        # pySHACL honours only these two of the XPath flags (s, x, q are ignored).
        flags |= re.I if "i" in lexical.lower() else 0
        flags |= re.M if "m" in lexical.lower() else 0
    compiled = []
    for term in patterns:
        lexical, _, datatype = _literal(term, "pattern")
        if datatype is not None and (
            datatype in _INTEGERS
            or datatype in _BY_RDFLIB
            or datatype in (_DECIMAL, _BOOLEAN)
            or datatype in _FLOATS
        ):
            raise _Unsupported(f"sh:pattern {term} is not a string")  # fmt: skip
        try:
            compiled.append(re.compile(lexical, flags))
        except re.error as exc:
            raise _Unsupported(f"sh:pattern {term} is not a Python regex: {exc}") from None
    return compiled


def _qualified(graph: _ShapesGraph, node: str) -> list[_Qualified]:
    value_shapes = graph.objects(node, _sh("qualifiedValueShape"))
    low, high = _one(graph, node, "qualifiedMinCount"), _one(graph, node, "qualifiedMaxCount")
    if not value_shapes:
        if low is not None or high is not None:
            raise _Unsupported(f"sh:qualifiedMin/MaxCount without sh:qualifiedValueShape on {node}")
        return []
    if low is None and high is None:
        raise _Unsupported(f"sh:qualifiedValueShape without a count on {node}")
    min_count = None if low is None else _integer(low, "qualifiedMinCount", exact=False)
    max_count = None if high is None else _integer(high, "qualifiedMaxCount", exact=False)
    disjoint = any(
        t[0] == '"' and _parts(t)[2] == _BOOLEAN and _boolean(t, "qualifiedValueShapesDisjoint")
        for t in graph.objects(node, _sh("qualifiedValueShapesDisjoint"))
    )
    result = []
    for value_shape in value_shapes:
        siblings: set[str] = set()
        if disjoint:
            for parent in graph.subjects(_sh("property"), node):
                for sibling_owner in graph.objects(parent, _sh("property")):
                    siblings.update(graph.objects(sibling_owner, _sh("qualifiedValueShape")))
            siblings.discard(value_shape)
        result.append(_Qualified(value_shape, min_count, max_count, tuple(sorted(siblings))))
    return result


def _references(shape: _Shape) -> list[str]:
    nested = [q.shape for q in shape.qualified] + [s for q in shape.qualified for s in q.siblings]
    return shape.properties + [m for members in shape.ors for m in members] + nested


def _structural_problems(graph: _ShapesGraph, shapes: dict[str, _Shape]) -> list[str]:
    problems = []
    for shape in shapes.values():
        for ref in shape.properties:
            if ref not in shapes or shapes[ref].path is None:
                problems.append(f"sh:property {ref} of {shape.node} is not a property shape")
    if problems:
        return problems
    # Recursive shapes: pySHACL has its own recursion heuristics; leave them to it.
    state: dict[str, int] = {}

    def cyclic(node: str) -> bool:
        if state.get(node) == 1:
            return True
        if state.get(node) == 2:
            return False
        state[node] = 1
        found = any(cyclic(ref) for ref in _references(shapes[node]) if ref in shapes)
        state[node] = 2
        return found

    if any(cyclic(node) for node in shapes):
        problems.append("recursive shapes")
    # Shapes whose results are reported need a message: pySHACL's generic ones are not copied.
    reporting = [s for s in shapes.values() if _targets(s)]
    seen: set[str] = set()
    while reporting:
        shape = reporting.pop()
        if shape.node in seen or shape.deactivated:
            continue
        seen.add(shape.node)
        reporting.extend(shapes[p] for p in shape.properties)
        produces = any(p in _REPORTING for p in graph.spo.get(shape.node, {}))
        if produces and shape.message is None:
            problems.append(f"{shape.node} has no sh:message (pySHACL's default text)")
    return problems


def _targets(shape: _Shape) -> bool:
    return bool(shape.target_nodes or shape.target_classes or shape.subjects_of or shape.objects_of)


# ---------------------------------------------------------------- data


class _Data:
    """The data predicates the shapes read, indexed subject → objects; classes and instances."""

    def __init__(self, triples: Iterable[Triple], program: _Program) -> None:
        wanted = {s.path for s in program.shapes.values() if s.path is not None}
        for shape in program.shapes.values():
            wanted.update(shape.subjects_of, shape.objects_of)
        wanted.update((_TYPE, _SUBCLASS))
        self.out: dict[str, dict[str, set[str]]] = {p: {} for p in wanted}
        out = self.out
        for s, p, o in triples:
            index = out.get(p)
            if index is not None:
                if o[0] == '"' and o[-1] != '"':
                    o = _canonical(o)
                objects = index.get(s)
                if objects is None:
                    index[s] = {o}
                else:
                    objects.add(o)
        self.types = out[_TYPE]
        self.instances: dict[str, set[str]] = {}
        for s, classes in self.types.items():
            for c in classes:
                self.instances.setdefault(c, set()).add(s)
        self.supers = out[_SUBCLASS]
        self.subs: dict[str, set[str]] = {}
        for s, classes in self.supers.items():
            for c in classes:
                self.subs.setdefault(c, set()).add(s)
        self._up: dict[str, set[str]] = {}

    def objects(self, subject: str, predicate: str) -> set[str]:
        return self.out[predicate].get(subject, _EMPTY)

    def instances_of(self, cls: str) -> set[str]:
        """SHACL instances: rdf:type/rdfs:subClassOf* in the data graph."""
        found: set[str] = set()
        for sub in _closure(cls, self.subs):
            found |= self.instances.get(sub, _EMPTY)
        return found

    def is_instance(self, node: str, cls: str) -> bool:
        if node[0] == '"':
            return False
        for t in self.types.get(node, _EMPTY):
            up = self._up.get(t)
            if up is None:
                up = self._up[t] = _closure(t, self.supers)
            if cls in up:
                return True
        return False


_EMPTY: set[str] = set()


def _closure(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), _EMPTY):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


# ---------------------------------------------------------------- evaluation

# (severity, focus, path, value, message, shape) as terms; message as text
_Raw = tuple[str, str, str | None, str | None, str | None, str]

_Fail = Callable[[str, str | None], None]

_KINDS = {
    "<": {"IRI", "BlankNodeOrIRI", "IRIOrLiteral"},
    "_": {"BlankNode", "BlankNodeOrIRI", "BlankNodeOrLiteral"},
    '"': {"Literal", "BlankNodeOrLiteral", "IRIOrLiteral"},
}


class _Run:
    """One validation: top-level shapes on their targets, nested shapes on demand."""

    def __init__(self, program: _Program, data: _Data) -> None:
        self.shapes = program.shapes
        self.data = data
        self.conformance: dict[tuple[str, str], bool] = {}
        self.checks: dict[str, list[Callable[[str], bool]]] = {}

    def results(self) -> list[Result]:

        raw: list[_Raw] = []
        for shape in self.shapes.values():
            focus = self.focus_nodes(shape)
            if focus:
                raw += self.report(shape, list(focus))
        return [
            Result(
                severity=terms.value(severity).rsplit("#", 1)[-1],
                focus=terms.value(focus),
                path=None if path is None else terms.value(path),
                value=None if value is None else terms.value(value),
                message=message or "",
                shape=terms.value(shape),
            )
            for severity, focus, path, value, message, shape in raw
        ]

    def focus_nodes(self, shape: _Shape) -> set[str]:
        data = self.data
        found = {_canonical(n) for n in shape.target_nodes}
        for cls in shape.target_classes:
            found |= data.instances_of(cls)
        for p in shape.subjects_of:
            found.update(data.out[p])
        for p in shape.objects_of:
            for objects in data.out[p].values():
                found |= objects
        return found

    def conforms(self, node: str, focus: str) -> bool:
        """pySHACL's conformance of a nested shape, with warnings allowed."""
        shape = self.shapes[node]
        if shape.deactivated or shape.severity in _ALLOWED_SEVERITIES:
            return True
        if _only_value_checks(shape):
            # The common case (sh:languageIn in a qualified value shape): no results to build.
            return all(check(focus) for check in self._checks(shape))
        key = (node, focus)
        known = self.conformance.get(key)
        if known is None:
            known = all(r[0] in _ALLOWED_SEVERITIES for r in self.report(shape, [focus]))
            self.conformance[key] = known
        return known

    def report(self, shape: _Shape, focus: Sequence[str]) -> list[_Raw]:
        """The results of ``focus`` (each once per occurrence) against ``shape``."""
        if shape.deactivated:
            return []
        if shape.path is None:
            pairs: list[tuple[str, Collection[str]]] = [(f, (f,)) for f in focus]
        else:
            index = self.data.out[shape.path]
            pairs = [(f, index.get(f, _EMPTY)) for f in focus]
        out: list[_Raw] = []
        base = (shape.severity,)
        tail = (shape.message, shape.node)

        def fail(f: str, v: str | None) -> None:
            out.append((*base, f, shape.path, v, *tail))

        self._values(shape, pairs, fail)
        self._counts(shape, pairs, fail)
        for ors in shape.ors:
            for f, values in pairs:
                for v in values:
                    if not any(self.conforms(m, v) for m in ors):
                        fail(f, v)
        for q in shape.qualified:
            for f, values in pairs:
                count = sum(
                    1
                    for v in values
                    if self.conforms(q.shape, v)
                    and not any(self.conforms(s, v) for s in q.siblings)
                )
                if q.max_count is not None and count > q.max_count:
                    fail(f, None)
                if q.min_count is not None and count < q.min_count:
                    fail(f, None)
        if shape.properties:
            nested = [v for _, values in pairs for v in values]
            if nested:
                for p in shape.properties:
                    out += self.report(self.shapes[p], nested)
        return out

    def _values(self, shape: _Shape, pairs: list[tuple[str, Collection[str]]], fail: _Fail) -> None:
        """Constraints checked value by value."""
        for check in self._checks(shape):
            for f, values in pairs:
                for v in values:
                    if not check(v):
                        fail(f, v)

    def _checks(self, shape: _Shape) -> list[Callable[[str], bool]]:
        """One test per value constraint of ``shape`` (several for sh:class and sh:pattern)."""
        known = self.checks.get(shape.node)
        if known is not None:
            return known
        checks: list[Callable[[str], bool]] = []
        self.checks[shape.node] = checks
        if shape.node_kind is not None:
            kind = shape.node_kind[len(_SH) + 1 : -1] if shape.node_kind.startswith("<") else ""
            checks.append(lambda v: kind in _KINDS[v[0]])
        if shape.datatype is not None:
            datatype = shape.datatype
            checks.append(lambda v: _has_datatype(v, datatype))
        checks += [_pattern_check(pattern) for pattern in shape.patterns]
        if shape.language_in is not None:
            languages = shape.language_in
            checks.append(lambda v: _language_in(v, languages))
        checks += [partial(self.data.is_instance, cls=cls) for cls in shape.classes]
        if shape.in_values is not None:
            checks.append(shape.in_values.__contains__)
        return checks

    @staticmethod
    def _counts(shape: _Shape, pairs: list[tuple[str, Collection[str]]], fail: _Fail) -> None:
        """Constraints on the value set of each focus node."""
        for f, values in pairs:
            if shape.min_count and len(values) < shape.min_count:
                fail(f, None)
            if shape.max_count is not None and len(values) > shape.max_count:
                fail(f, None)
            for hv in shape.has_values:
                if hv not in values:
                    fail(f, None)
            if shape.unique_lang:
                seen: set[str] = set()
                duplicated: set[str] = set()
                for v in values:
                    if v[0] == '"' and v[-1] != '"' and v[-1] != ">":
                        lang = v[v.rfind('"') + 2 :].lower()
                        (duplicated if lang in seen else seen).add(lang)
                for _ in duplicated:
                    fail(f, None)


def _only_value_checks(shape: _Shape) -> bool:
    """A node shape whose every constraint tests the focus node on its own."""
    return shape.path is None and not (
        shape.properties
        or shape.ors
        or shape.has_values
        or shape.min_count is not None
        or shape.max_count is not None
        or shape.unique_lang
    )


def _pattern_check(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """pySHACL's sh:pattern: ``re.search`` on the IRI or lexical form; blank nodes fail."""
    return lambda v: not v.startswith("_:") and pattern.search(terms.value(v)) is not None


def _has_datatype(term: str, rule: str) -> bool:
    """pySHACL's DatatypeConstraintComponent on one value."""
    if term[0] != '"':
        return False
    lexical, language, datatype = _parts(term)
    rule = rule[1:-1] if rule.startswith("<") else rule
    if datatype is not None and datatype == rule:
        return not _ill_typed(lexical, datatype)
    if rule == f"{_RDFS}Literal":
        return True
    if rule == f"{_RDFS}Datatype":
        return datatype is not None
    if rule == f"{_XSD}string":
        return datatype is None and language is None
    return rule == f"{_RDF}langString" and language is not None


def _language_in(term: str, languages: frozenset[str]) -> bool:
    if term[0] != '"' or term[-1] in '">':
        return False
    lang = term[term.rfind('"') + 2 :].lower()
    return "*" in languages or lang in languages or lang.split("-")[0] in languages


# ---------------------------------------------------------------- pySHACL


def _by_pyshacl(data: Iterable[Triple], shapes: Iterable[Triple]) -> list[Result]:
    """The reference: pySHACL on rdflib graphs of the same triples."""
    # Imported here: pySHACL and rdflib take ~0.5 s to import and the fast path needs neither.
    from pyshacl import validate as pyshacl_validate
    from rdflib import RDF, Namespace

    sh = Namespace(_SH)
    _, report, _ = pyshacl_validate(
        terms.to_rdflib(data),
        shacl_graph=terms.to_rdflib(shapes),
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,  # the graph is ours and thrown away: no defensive copy
    )

    def text(node: object, prop: object) -> str | None:
        found = report.value(node, prop)
        return None if found is None else str(found)

    results = []
    for node in report.subjects(RDF.type, sh.ValidationResult):
        results.append(
            Result(
                severity=(text(node, sh.resultSeverity) or "Violation").rsplit("#", 1)[-1],
                focus=text(node, sh.focusNode) or "",
                path=text(node, sh.resultPath),
                value=text(node, sh.value),
                message=text(node, sh.resultMessage) or "",
                shape=text(node, sh.sourceShape) or "",
            )
        )
    return results
