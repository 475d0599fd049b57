"""SHACL validation of data ∪ inferred triples, as a typed report.

We close the graph ourselves (``reasoning.close``) and run pySHACL with its
own inference off and no ontology mix-in: the TBox is never validated and
the closure is computed once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")


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
        """True when there is no Violation (warnings do not block)."""
        return not self.violations


def validate(
    data: Graph, inferred: Graph, shapes: Graph, files_of: dict[Node, tuple[str, ...]] | None = None
) -> Report:
    """Validate ``data ∪ inferred`` against ``shapes``.

    ``files_of`` maps a subject to the data files asserting it, so the report
    can tell a contributor which file to open.
    """
    # Imported here: pySHACL takes ~0.4 s to import and a warm start never validates.
    from pyshacl import validate as pyshacl_validate

    combined = Graph()
    combined += data
    combined += inferred
    _, results_graph, _ = pyshacl_validate(
        combined,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,  # the combined graph is ours and thrown away: no defensive copy
    )
    files_of = files_of or {}
    results = [
        _result(results_graph, node, files_of)
        for node in results_graph.subjects(RDF.type, SH.ValidationResult)
    ]
    results.sort(key=lambda r: (r.files, r.focus, r.path or "", r.message))
    return Report(results)


def _result(graph: Graph, node: Node, files_of: dict[Node, tuple[str, ...]]) -> Result:
    def text(prop: URIRef) -> str | None:
        value = graph.value(node, prop)
        return None if value is None else str(value)

    focus = graph.value(node, SH.focusNode)
    severity = text(SH.resultSeverity) or str(SH.Violation)
    return Result(
        severity=severity.rsplit("#", 1)[-1],
        focus=str(focus),
        path=text(SH.resultPath),
        value=text(SH.value),
        message=text(SH.resultMessage) or "",
        shape=text(SH.sourceShape) or "",
        files=files_of.get(focus, ()) if focus is not None else (),
    )
