"""The queries every peer runs, and the check that all peers return the same rows.

Named queries (``queries/*.rq``) are sent with their parameter defaults
bound in an inline ``VALUES`` row, the same rewrite our engine makes, so a
peer without our parameter mechanism sees the same query. Our server also
gets the named-query URL. Six query shapes cover common access patterns.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from defensie_kg.query import named_queries, sparql_text

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {
    XSD + t
    for t in (
        "integer",
        "decimal",
        "double",
        "float",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}
PROLOGUE = """PREFIX dn: <https://w3id.org/defensienota-2024/def/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX measure: <https://w3id.org/defensienota-2024/id/measure/>
"""
SHAPES = {
    "shape-point-lookup": """SELECT ?label WHERE {
  measure:4-invest-nato-capability-targets rdfs:label ?label }""",
    "shape-nato-join-labels": """SELECT ?measure ?measureLabel ?requirement ?requirementLabel
WHERE {
  ?measure dn:hasNatoLink ?link . ?link dn:natoRequirement ?requirement .
  ?measure rdfs:label ?measureLabel . ?requirement rdfs:label ?requirementLabel .
  FILTER(lang(?measureLabel) = "en" && lang(?requirementLabel) = "en") }""",
    "shape-label-text-filter": """SELECT ?s ?label WHERE {
  ?s rdfs:label ?label . FILTER(CONTAINS(LCASE(STR(?label)), "nato")) }""",
    "shape-amount-aggregate": """SELECT ?unit (SUM(?value) AS ?total) (COUNT(?figure) AS ?figures)
WHERE { ?figure dn:value ?value ; dn:unit ?unit } GROUP BY ?unit""",
    "shape-property-path": """SELECT ?unit ?parent WHERE {
  ?unit org:subOrganizationOf+ ?parent }""",
    "shape-describe-measure": """SELECT ?p ?o WHERE {
  measure:4-invest-nato-capability-targets ?p ?o }""",
}


@dataclass(frozen=True)
class Query:
    """One workload query: its SPARQL text for every peer, and our named-query path if any."""

    name: str
    text: str
    named_path: str | None = None

    @property
    def kind(self) -> str:
        return "named" if self.named_path else "shape"


def named(queries_dir: Path) -> list[Query]:
    """Every named query, its parameter defaults bound in a VALUES row."""
    out = []
    for query in named_queries.load_all(queries_dir).values():
        terms = {
            p.name: named_queries.to_term(p, None)
            for p in query.parameters
            if p.default is not None
        }
        if len(terms) < len(query.parameters):
            continue  # a required parameter without default: no canonical run
        out.append(
            Query(
                query.name,
                sparql_text.with_values(query.text, terms),
                f"/queries/{query.name}?format=json",
            )
        )
    return out


def shapes() -> list[Query]:
    """The six query shapes over the nota graph."""
    return [Query(name, PROLOGUE + text) for name, text in SHAPES.items()]


def workload(queries_dir: Path, with_shapes: bool = True) -> list[Query]:
    """Named queries, then the shapes."""
    return named(queries_dir) + (shapes() if with_shapes else [])


def _term(binding: dict[str, str]) -> tuple[str, ...]:
    kind = binding.get("type", "")
    if kind == "bnode":
        return ("bnode",)  # labels differ from engine to engine
    if kind == "uri":
        return ("uri", binding["value"])
    value, datatype = binding["value"], binding.get("datatype", "")
    if binding.get("xml:lang"):
        return ("lang", value, binding["xml:lang"].lower())
    if datatype in NUMERIC:
        try:
            number = Decimal(value)
            return ("number", str(number.normalize()) if number else "0")
        except InvalidOperation:
            pass
    if datatype in ("", XSD + "string"):
        return ("string", value)
    return ("typed", value, datatype)


def rows(document: dict) -> Counter:
    """The SELECT result as a multiset of rows, each a sorted tuple of (variable, term)."""
    if "boolean" in document:
        return Counter({(("boolean", str(document["boolean"]).lower()),): 1})
    return Counter(
        tuple(sorted((name, _term(term)) for name, term in binding.items()))
        for binding in document["results"]["bindings"]
    )


def parse(body: bytes) -> dict:
    """A SPARQL JSON results document."""
    return json.loads(body)


def compare(answers: dict[str, Counter], reference: str) -> list[str]:
    """Differences of each peer's rows from ``reference``'s, as short messages (none: equal)."""
    base = answers[reference]
    problems = []
    for peer, got in answers.items():
        if peer == reference or got == base:
            continue
        missing, extra = base - got, got - base
        sample = next(iter(missing or extra))
        problems.append(
            f"{peer} vs {reference}: {sum(got.values())} rows vs {sum(base.values())}; "
            f"{sum(missing.values())} missing, {sum(extra.values())} extra; e.g. "
            f"{'missing' if missing else 'extra'} {_short(sample)}"
        )
    return problems


def _short(row: tuple) -> str:
    text = ", ".join(f"{name}={term[1] if len(term) > 1 else term[0]}" for name, term in row)
    return text if len(text) < 200 else text[:200] + "…"
