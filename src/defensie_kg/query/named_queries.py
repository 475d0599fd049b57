"""Named queries: ``queries/*.rq`` files with a header, run with typed parameters.

Header lines start with ``#+``::

    #+ title: Measures done together with a partner
    #+ title@nl: Maatregelen samen met een partner
    #+ description: ...
    #+ description@nl: ...
    #+ param: partner iri https://w3id.org/defensienota-2024/id/country/germany -- the partner

A parameter ``name`` is converted to an RDF term by its declared type, checked by the engine's
term parser, and bound to the variable ``?name`` through a ``VALUES`` block that the store adds
to the parsed query's text from that checked term (:func:`query.sparql_text.with_values`). A
request value is never pasted into the query as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from defensie_kg import namespaces
from defensie_kg.errors import BadParameter, UnknownQuery
from defensie_kg.namespaces import expand
from defensie_kg.query.store import QueryRequest, parse_term

XSD = str(namespaces.XSD)
TYPES = ("iri", "string", "integer", "decimal", "year", "boolean")
MAX_VALUE_LENGTH = 2000
_HEADER = re.compile(r"^#\+\s*([\w@-]+)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s+(\w+)\s+(\S+)\s*(?:--\s*(.*))?$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Parameter:
    """A typed parameter of a named query."""

    name: str
    type: str
    default: str | None
    description: str

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class NamedQuery:
    """A query file with its header."""

    name: str
    text: str
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    parameters: tuple[Parameter, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly summary (used by ``/queries`` and ``defensie-kg queries``)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "parameters": [p.__dict__ | {"required": p.required} for p in self.parameters],
        }


def load_all(directory: Path) -> dict[str, NamedQuery]:
    """Every ``*.rq`` file directly in ``directory`` (not ``checks/``), by name."""
    return {q.name: q for q in (parse(p) for p in sorted(directory.glob("*.rq")))}


def parse(path: Path) -> NamedQuery:
    """Read a query file and its ``#+`` header."""
    text = path.read_text(encoding="utf-8")
    meta: dict[str, dict[str, str]] = {"title": {}, "description": {}}
    params = []
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if not match:
            continue
        key, value = match.group(1), match.group(2).strip()
        base, _, lang = key.partition("@")
        if base == "param":
            params.append(_parameter(path, value))
        elif base in meta:
            meta[base][lang or "en"] = value
    return NamedQuery(path.stem, text, meta["title"], meta["description"], tuple(params))


def _parameter(path: Path, spec: str) -> Parameter:
    match = _PARAM.match(spec)
    if not match or match.group(2) not in TYPES:
        raise ValueError(
            f"{path}: bad '#+ param:' line {spec!r}; expected "
            f"'name type default|required -- description' with type in {TYPES}"
        )
    name, kind, default, description = match.groups()
    return Parameter(name, kind, None if default == "required" else default, description or "")


def find(queries: Mapping[str, NamedQuery], name: str) -> NamedQuery:
    """The named query ``name`` or :class:`UnknownQuery`."""
    if not _NAME.match(name) or name not in queries:
        raise UnknownQuery(f"No named query {name!r}; see /queries for the list.")
    return queries[name]


def request(query: NamedQuery, values: Mapping[str, str], **options: object) -> QueryRequest:
    """A :class:`QueryRequest` for ``query`` with its parameters bound as RDF terms."""
    known = {p.name for p in query.parameters}
    for name in values:
        if name not in known:
            raise BadParameter(
                name,
                f"'{query.name}' has no such parameter "
                f"(it takes: {', '.join(sorted(known)) or 'none'})",
            )
    bindings = tuple((p.name, to_term(p, values.get(p.name))) for p in query.parameters)
    return QueryRequest(query.text, bindings=bindings, **options)  # type: ignore[arg-type]


# Pure in its arguments; the same few values come back on every call of a query, and
# checking one costs a parse by the engine.
@lru_cache(maxsize=256)
def to_term(param: Parameter, raw: str | None) -> str:
    """The parameter's value as an N-Triples term, or :class:`BadParameter`."""
    value = param.default if raw is None or raw == "" else raw
    if value is None:
        raise BadParameter(param.name, f"required ({param.type}): {param.description}")
    if len(value) > MAX_VALUE_LENGTH:
        raise BadParameter(param.name, f"longer than {MAX_VALUE_LENGTH} characters")
    term = _CONVERTERS[param.type](param.name, value)
    try:
        parse_term(term)
    except (SyntaxError, ValueError, StopIteration):
        raise BadParameter(param.name, f"not a valid {param.type}: {value[:100]!r}") from None
    return term


def _iri(name: str, value: str) -> str:
    value = expand(value)
    if not _IRI.match(value):
        raise BadParameter(name, f"not an absolute IRI: {value[:100]!r}")
    return f"<{value}>"


def string_term(value: str) -> str:
    """``value`` as an N-Triples string literal."""
    return _string("", value)


def _string(name: str, value: str) -> str:
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def _integer(name: str, value: str) -> str:
    if not re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
        raise BadParameter(name, f"not an integer: {value[:100]!r}")
    return f'"{int(value)}"^^<{XSD}integer>'


def _decimal(name: str, value: str) -> str:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise BadParameter(name, f"not a decimal number: {value[:100]!r}") from None
    if not number.is_finite():
        raise BadParameter(name, f"not a finite number: {value[:100]!r}")
    return f'"{number}"^^<{XSD}decimal>'


def _year(name: str, value: str) -> str:
    if not re.fullmatch(r"\d{4}", value.strip()):
        raise BadParameter(name, f"not a year (four digits): {value[:100]!r}")
    return f'"{int(value.strip())}"^^<{XSD}integer>'


def _boolean(name: str, value: str) -> str:
    if value.strip().lower() not in ("true", "false"):
        raise BadParameter(name, f"not true or false: {value[:100]!r}")
    return f'"{value.strip().lower()}"^^<{XSD}boolean>'


_CONVERTERS = {
    "iri": _iri,
    "string": _string,
    "integer": _integer,
    "decimal": _decimal,
    "year": _year,
    "boolean": _boolean,
}
