"""The graph from Python, for notebooks and scripts.

Open the graph (the one installed with the package, or a checkout's when you run from one),
ask it a named query or your own SPARQL, and get rows as dicts::

    >>> import defensie_kg.api as dkg
    >>> kg = dkg.open()
    >>> rows = kg.query("measures-by-nato-priority-target")
    >>> len(rows) >= 10
    True
    >>> row = next(r for r in rows if r["measure"].endswith("/4-2-land-tank-battalion"))
    >>> row["measure"]
    'https://w3id.org/defensienota-2024/id/measure/4-2-land-tank-battalion'
    >>> row["materiel_label"]
    'main battle tank'

Every IRI comes with its label in a ``<name>_label`` column, in the language you choose
(English unless you say otherwise; the query's own ``?xLabel`` columns are left as they are)::

    >>> kg.query("measures-by-nato-priority-target", lang="nl")[0]["evidence_label"]
    'expliciet'

Parameters of a named query are keyword arguments; prefixed names work for IRIs::

    >>> figures = kg.query("programme-figures", programme="programme:secfund")
    >>> figures[0]["label"], figures[0]["value"], figures[0]["unit_label"]
    ('Maximum SecFund investment per company', Decimal('5000000'), 'euro')

Your own SPARQL needs no PREFIX lines for the project's prefixes (``dn:``, ``measure:``,
``rdfs:`` …); keyword arguments bind variables (``str`` with a known prefix or ``http`` → IRI,
``int``/``float``/``bool`` → typed literal, other ``str`` → plain literal)::

    >>> kg.query("SELECT (COUNT(?m) AS ?n) WHERE { ?m a dn:Measure }")[0]["n"] > 100
    True
    >>> text = "SELECT ?label WHERE { ?x rdfs:label ?label FILTER(lang(?label) = 'en') }"
    >>> kg.query(text, x="materiel:battle-tank")[0]["label"]
    'main battle tank'

``infer=False`` asks the asserted triples only, without the OWL RL inferences::

    >>> count = "SELECT (COUNT(*) AS ?n) WHERE { ?m a dn:NotaEntity }"
    >>> kg.query(count, infer=False)[0]["n"] < kg.query(count)[0]["n"]
    True

A table for pandas (``pip install 'defensie-kg[pandas]'``)::

    >>> frame = rows.to_dataframe()
    >>> list(frame.columns[:3])
    ['target', 'target_label', 'targetLabel']
    >>> frame["measure"].nunique() >= 10
    True

One resource, property by property, and the validation report::

    >>> tank = kg.describe("measure:4-2-land-tank-battalion")
    >>> tank["rdfs:label"]
    ['Buy tanks and form a tank battalion']
    >>> "https://w3id.org/defensienota-2024/def/Measure" in tank["rdf:type"]
    True
    >>> report = kg.validate()
    >>> report.blocked, len(report.violations)
    (False, 0)
"""

from __future__ import annotations

import builtins
import datetime
import json
import re
import sys
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from defensie_kg import terminal
from defensie_kg.build.pipeline import Build, build
from defensie_kg.build.reporting import Report
from defensie_kg.errors import KGError
from defensie_kg.namespaces import PREFIXES, XSD, shorten
from defensie_kg.query import named_queries
from defensie_kg.query.store import KnowledgeGraph, QueryRequest
from defensie_kg.settings import Settings

if TYPE_CHECKING:  # pandas is an optional extra
    import pandas

__all__ = ["Graph", "Rows", "open"]

_INTEGERS = {XSD[n] for n in ("integer", "int", "long", "nonNegativeInteger", "positiveInteger")}
_INTEGERS |= {XSD.gYear}
_FLOATS = {XSD.double, XSD.float}
_PREFIX_LINE = re.compile(r"^\s*PREFIX\s+([\w-]*):", re.IGNORECASE | re.MULTILINE)


def open(  # noqa: A001 - `defensie_kg.api.open()` is the name a notebook expects
    root: str | Path | None = None, *, lang: str = "en", infer: bool = True
) -> Graph:
    """The graph at ``root`` (default: a checkout in the current directory, else the graph
    installed with the package), built or loaded from its cache.

    ``lang`` is the language of the labels (``"en"`` or ``"nl"``); ``infer=False`` makes every
    query see the asserted triples only.
    """
    settings = Settings.from_env(root=Path(root) if root is not None else None)
    return Graph(build(settings), settings, lang=lang, infer=infer)


class Rows(builtins.list[dict[str, Any]]):
    """The rows of a SELECT result: a list of dicts, one key per variable (unbound: absent)."""

    def __init__(self, rows: Iterable[dict[str, Any]], columns: Iterable[str]) -> None:
        super().__init__(rows)
        self.columns = builtins.list(columns)

    def to_dataframe(self) -> pandas.DataFrame:
        """The rows as a pandas DataFrame (needs the ``pandas`` extra)."""
        try:
            import pandas
        except ImportError:
            raise ImportError(
                "to_dataframe() needs pandas: pip install 'defensie-kg[pandas]'"
            ) from None
        return pandas.DataFrame.from_records(self, columns=self.columns)

    def __str__(self) -> str:
        bindings = [{k: _binding(v) for k, v in row.items()} for row in self]
        plain = [c for c in self.columns if not c.endswith("_label")]
        doc = {"head": {"vars": plain}, "results": {"bindings": bindings}}
        labels = {
            row[c]: row[f"{c}_label"]
            for row in self
            for c in plain
            if f"{c}_label" in row and isinstance(row.get(c), str)
        }
        return terminal.table(doc, labels)


class Graph:
    """A built graph, ready to query. Make one with :func:`open`."""

    def __init__(self, built: Build, settings: Settings, lang: str = "en", infer: bool = True):
        self.build = built
        self.settings = settings
        self.lang = lang
        self.infer = infer
        self.store = KnowledgeGraph.from_nquads(built.dataset)
        self._queries = named_queries.load_all(settings.root / "queries")

    @property
    def named_queries(self) -> dict[str, str]:
        """The named queries: name → English title."""
        return {name: q.title.get("en", "") for name, q in self._queries.items()}

    def __repr__(self) -> str:
        return f"<defensie_kg graph: {len(self.store)} quads, {len(self._queries)} named queries>"

    def query(
        self, query: str, *, lang: str | None = None, infer: bool | None = None, **params: Any
    ) -> Rows:
        """Run a named query (by name, or a ``.rq`` path) or SPARQL text; rows as dicts.

        IRIs come as full IRIs, each with a ``<name>_label``; numbers as ``int``,
        ``Decimal`` or ``float``, booleans as ``bool``, dates as ``datetime.date``, other
        literals as ``str``. ASK gives one row ``{"boolean": …}``.
        """
        options = {"format": "json", "infer": self.infer if infer is None else infer}
        options["max_rows"] = sys.maxsize
        if query in self._queries:
            values = {k: _raw(v) for k, v in params.items()}
            request = named_queries.request(self._queries[query], values, **options)
        elif query.endswith(".rq") and Path(query).is_file():
            values = {k: _raw(v) for k, v in params.items()}
            request = named_queries.request(named_queries.parse(Path(query)), values, **options)
        else:
            bindings = tuple((name, _term(value)) for name, value in params.items())
            request = QueryRequest(_with_prefixes(query), bindings=bindings, **options)  # type: ignore[arg-type]
        result = self.store.execute(request)
        doc = json.loads(result.body)
        if "boolean" in doc:
            return Rows([{"boolean": doc["boolean"]}], ["boolean"])
        return self._rows(doc, lang or self.lang)

    def _rows(self, doc: Mapping[str, Any], lang: str) -> Rows:
        names: list[str] = doc["head"]["vars"]
        bindings = doc["results"]["bindings"]
        iri_vars = [n for n in names if any(b.get(n, {}).get("type") == "uri" for b in bindings)]
        labelled = [n for n in iri_vars if f"{n}_label" not in names]
        found = self.store.labels(terminal.iris_of(doc))
        labels = {iri: terminal.pick_label(names_, lang) for iri, names_ in found.items()}
        columns: list[str] = []
        for name in names:
            columns.append(name)
            if name in labelled:
                columns.append(f"{name}_label")
        rows = []
        for binding in bindings:
            row: dict[str, Any] = {}
            for name in names:
                if name in binding:
                    row[name] = _value(binding[name])
                    if name in labelled and binding[name]["type"] == "uri":
                        row[f"{name}_label"] = labels.get(binding[name]["value"], "")
            rows.append(row)
        return Rows(rows, columns)

    def describe(self, iri: str, lang: str | None = None) -> dict[str, list[Any]]:
        """Every property of ``iri`` (a full IRI or a prefixed name), asserted or inferred.

        Keys are prefixed property names; values are sorted lists. Of a text in several
        languages only the one in ``lang`` is kept (when there is one).
        """
        full = named_queries.to_term(_IRI_PARAM, iri)[1:-1]
        if not self.store.exists(full):
            raise KGError(f"{iri}: no such resource in the graph")
        chosen = lang or self.lang
        grouped: dict[str, set[tuple[str, Any]]] = {}
        for quad in self.store.outgoing(full):
            term = quad.object
            language = getattr(term, "language", None) or ""
            value = _value(_binding_of(term))
            grouped.setdefault(shorten(quad.predicate.value), set()).add((language, value))
        out: dict[str, list[Any]] = {}
        for key, values in sorted(grouped.items()):
            languages = {language for language, _ in values}
            keep = [v for language, v in values if language in ("", chosen)]
            if not keep or languages <= {""}:
                keep = [v for _, v in values]
            out[key] = sorted(keep, key=str)
        return out

    def validate(self) -> Report:
        """The SHACL report of this build: ``.violations`` and ``.warnings``; ``.blocked`` is
        true when a violation would stop ``serve``; ``.conforms`` is ``sh:conforms`` (false
        with warnings too)."""
        return self.build.report


_IRI_PARAM = named_queries.Parameter("iri", "iri", None, "an IRI or a prefixed name")


def _with_prefixes(text: str) -> str:
    declared = {m.group(1) for m in _PREFIX_LINE.finditer(text)}
    used = {p for p in PREFIXES if p not in declared and re.search(rf"\b{re.escape(p)}:", text)}
    lines = [f"PREFIX {p}: <{PREFIXES[p]}>" for p in sorted(used)]
    return "\n".join([*lines, text]) if lines else text


def _raw(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _term(value: Any) -> str:
    """A Python value as an N-Triples term, for binding a variable of SPARQL text."""
    if isinstance(value, bool):
        return f'"{str(value).lower()}"^^<{XSD.boolean}>'
    if isinstance(value, int):
        return f'"{value}"^^<{XSD.integer}>'
    if isinstance(value, float | Decimal):
        kind = XSD.decimal if isinstance(value, Decimal) else XSD.double
        return f'"{value}"^^<{kind}>'
    text = str(value)
    prefix, _, local = text.partition(":")
    if text.startswith(("http://", "https://")) or (prefix in PREFIXES and local):
        return named_queries.to_term(_IRI_PARAM, text)
    return named_queries.string_term(text)


def _binding_of(term: Any) -> dict[str, str]:
    kind = type(term).__name__
    if kind == "NamedNode":
        return {"type": "uri", "value": term.value}
    if kind == "BlankNode":
        return {"type": "bnode", "value": term.value}
    return {"type": "literal", "value": term.value, "datatype": term.datatype.value}


def _binding(value: Any) -> dict[str, str]:
    text = str(value)
    if text.startswith(("http://", "https://")):
        return {"type": "uri", "value": text}
    exact = isinstance(value, int | float | Decimal | datetime.date)
    return {"type": "literal", "value": text, **({"datatype": XSD.decimal} if exact else {})}


def _value(term: Mapping[str, str]) -> Any:
    """A SPARQL JSON term as a Python value."""
    value = term["value"]
    if term["type"] != "literal":
        return value
    datatype = term.get("datatype", "")
    try:
        if datatype in _INTEGERS:
            return int(value)
        if datatype == XSD.decimal:
            return Decimal(value)
        if datatype in _FLOATS:
            return float(value)
        if datatype == XSD.boolean:
            return value in ("true", "1")
        if datatype == XSD.date:
            return datetime.date.fromisoformat(value)
    except ValueError:
        return value
    return value
