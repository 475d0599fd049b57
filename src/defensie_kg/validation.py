"""SHACL validation of data ∪ inferred triples, as a typed report.

We close the graph ourselves (``reasoning.close``) and run pySHACL with its
own inference off and no ontology mix-in: the TBox is never validated and
the closure is computed once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from defensie_kg import terms
from defensie_kg.terms import Term, Triple


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
    data: set[Triple],
    inferred: set[Triple],
    shapes: set[Triple],
    files_of: dict[Term, tuple[str, ...]] | None = None,
) -> Report:
    """Validate ``data ∪ inferred`` against ``shapes``.

    ``files_of`` maps a subject to the data files asserting it, so the report
    can tell a contributor which file to open.
    """
    files_of = files_of or {}
    results = [
        Result(**{**r.__dict__, "files": files_of.get(_focus_term(r.focus), ())})
        for r in _pyshacl(data | inferred, shapes)
    ]
    results.sort(key=lambda r: (r.files, r.focus, r.path or "", r.message))
    return Report(results)


def _focus_term(focus: str) -> Term:
    return terms.iri(focus) if ":" in focus else "_:" + focus


def _pyshacl(graph: set[Triple], shapes: set[Triple]) -> list[Result]:
    # Imported here: pySHACL takes ~0.4 s to import and a warm start never validates.
    from pyshacl import validate as pyshacl_validate
    from rdflib import RDF, Namespace, URIRef
    from rdflib.term import Node

    sh = Namespace("http://www.w3.org/ns/shacl#")
    _, report, _ = pyshacl_validate(
        terms.to_rdflib(graph),
        shacl_graph=terms.to_rdflib(shapes),
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,  # the data graph is ours and thrown away: no defensive copy
    )

    def result(node: Node) -> Result:
        def text(prop: URIRef) -> str | None:
            value = report.value(node, prop)
            return None if value is None else str(value)

        severity = text(sh.resultSeverity) or str(sh.Violation)
        return Result(
            severity=severity.rsplit("#", 1)[-1],
            focus=text(sh.focusNode) or "",
            path=text(sh.resultPath),
            value=text(sh.value),
            message=text(sh.resultMessage) or "",
            shape=text(sh.sourceShape) or "",
        )

    return [result(node) for node in report.subjects(RDF.type, sh.ValidationResult)]
