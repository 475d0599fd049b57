"""The validation report: its types, and its text for people or JSON/Turtle for machines."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import pyoxigraph as ox

from defensie_kg.namespaces import RDF, SH, XSD, shorten


@dataclass(frozen=True)
class Result:
    """One SHACL result: what is wrong, where, and which file asserts the focus node."""

    severity: str  # "Violation", "Warning" or "Info"
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str
    files: tuple[str, ...] = ()
    # local name of sh:sourceConstraintComponent, e.g. "MinCountConstraintComponent"
    component: str = ""


@dataclass
class Report:
    """All results of one validation run."""

    results: list[Result] = field(default_factory=list)

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Result]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        """``sh:conforms`` as the SHACL spec defines it: no result at all, of any severity."""
        return not self.results

    @property
    def blocked(self) -> bool:
        """The project's gate: a Violation blocks (exit 1, no serving); a Warning does not."""
        return bool(self.violations)


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
    """One line: conforms or not (``sh:conforms``), whether that blocks, with counts."""
    if report.conforms:
        state = "conforms"
    elif report.blocked:
        state = "does NOT conform"
    else:
        state = "has warnings only, which do not block"
    return (
        f"Validation: the data {state} "
        f"({len(report.violations)} violations, {len(report.warnings)} warnings)."
    )


def to_json(report: Report) -> str:
    """The report as JSON: ``conforms``, counts and every result."""
    return json.dumps(
        {
            "conforms": report.conforms,
            "blocked": report.blocked,
            "violations": len(report.violations),
            "warnings": len(report.warnings),
            "results": [asdict(r) for r in report.results],
        },
        indent=2,
        ensure_ascii=False,
    )


def to_turtle(report: Report) -> str:
    """The report as a SHACL ``sh:ValidationReport`` in Turtle."""
    root = ox.NamedNode("urn:defensie-kg:validation-report")
    conforms = ox.Literal(str(report.conforms).lower(), datatype=ox.NamedNode(XSD_BOOLEAN))
    triples = [
        ox.Triple(root, _iri(RDF.type), _iri(SH.ValidationReport)),
        ox.Triple(root, _iri(SH.conforms), conforms),
    ]
    for index, r in enumerate(report.results):
        node = ox.NamedNode(f"urn:defensie-kg:validation-report:{index}")
        statements = [
            (RDF.type, _iri(SH.ValidationResult)),
            (SH.resultSeverity, _iri(SH[r.severity])),
            (SH.focusNode, _node(r.focus)),
            (SH.resultMessage, ox.Literal(r.message)),
            (SH.sourceShape, _node(r.shape)),
        ]
        if r.path and not r.path.startswith(("(", "^")):  # a complex path stays in the text
            statements.append((SH.resultPath, _node(r.path)))
        if r.component:
            statements.append((SH.sourceConstraintComponent, _iri(SH[r.component])))
        if r.value is not None:
            statements.append((SH.value, ox.Literal(r.value)))
        triples.append(ox.Triple(root, _iri(SH.result), node))
        triples += [ox.Triple(node, _iri(p), o) for p, o in statements]
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes={"sh": str(SH)})
    return (text or b"").decode("utf-8")


XSD_BOOLEAN = XSD.boolean


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _node(value: str) -> ox.NamedNode | ox.BlankNode:
    is_iri = "://" in value or value.startswith("urn:")
    return ox.NamedNode(value) if is_iri else ox.BlankNode(value)


def _short_value(value: str) -> str:
    return shorten(value) if value.startswith("http") else repr(value[:80])
