"""Turn a validation :class:`Report` into text for people or JSON/Turtle for machines."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict

from rdflib import RDF, BNode, Graph, Literal, URIRef

from defensie_kg.namespaces import shorten
from defensie_kg.validation import SH, Report, Result


def to_text(report: Report, include_warnings: bool = True) -> str:
    """Results grouped by file, then by focus node, with message and offending value."""
    shown = report.results if include_warnings else report.violations
    groups: dict[str, dict[str, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for result in shown:
        groups[", ".join(result.files) or "(inferred or unknown file)"][result.focus].append(result)
    lines = []
    for file in sorted(groups):
        lines.append(file)
        for focus in sorted(groups[file]):
            lines.append(f"  {shorten(focus)}")
            for r in groups[file][focus]:
                where = f" {shorten(r.path)}" if r.path else ""
                value = f" (value: {_short_value(r.value)})" if r.value is not None else ""
                lines.append(f"    {r.severity}{where}: {r.message}{value}")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def summary(report: Report) -> str:
    """One line: conforms or not, with counts."""
    state = "conforms" if report.conforms else "does NOT conform"
    return (
        f"Validation: the data {state} "
        f"({len(report.violations)} violations, {len(report.warnings)} warnings)."
    )


def to_json(report: Report) -> str:
    """The report as JSON: ``conforms``, counts and every result."""
    return json.dumps(
        {
            "conforms": report.conforms,
            "violations": len(report.violations),
            "warnings": len(report.warnings),
            "results": [asdict(r) for r in report.results],
        },
        indent=2,
        ensure_ascii=False,
    )


def to_turtle(report: Report) -> str:
    """The report as a SHACL ``sh:ValidationReport`` in Turtle."""
    graph = Graph()
    graph.bind("sh", SH)
    root = URIRef("urn:defensie-kg:validation-report")
    graph.add((root, RDF.type, SH.ValidationReport))
    graph.add((root, SH.conforms, Literal(report.conforms)))
    for index, r in enumerate(report.results):
        node = URIRef(f"urn:defensie-kg:validation-report:{index}")
        graph.add((root, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.resultSeverity, SH[r.severity]))
        graph.add((node, SH.focusNode, _node(r.focus)))
        graph.add((node, SH.resultMessage, Literal(r.message)))
        graph.add((node, SH.sourceShape, _node(r.shape)))
        if r.path:
            graph.add((node, SH.resultPath, _node(r.path)))
        if r.value is not None:
            graph.add((node, SH.value, Literal(r.value)))
    return graph.serialize(format="turtle")


def _node(value: str) -> URIRef | BNode:
    return URIRef(value) if "://" in value or value.startswith("urn:") else BNode(value)


def _short_value(value: str) -> str:
    return shorten(value) if value.startswith("http") else repr(value[:80])
