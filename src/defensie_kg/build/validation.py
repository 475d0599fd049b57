"""SHACL validation of data ∪ inferred triples, as a typed report.

We close the graph ourselves (``reasoning.close``) and validate with SHACL
inference off and no ontology mix-in: the TBox is never validated and the
closure is computed once. :mod:`shacl` does the checking (rudof, one engine for
every shape); this module adds which file asserts each focus node and orders the results.
"""

from __future__ import annotations

from defensie_kg.build import shacl
from defensie_kg.build.reporting import Report, Result
from defensie_kg.rdf.terms import Triple


def validate(
    data: set[Triple],
    inferred: set[Triple],
    shapes: set[Triple],
    files_of: dict[str, tuple[str, ...]] | None = None,
) -> Report:
    """Validate ``data ∪ inferred`` against ``shapes``.

    ``files_of`` maps a subject (as :func:`terms.value` gives it, like a
    result's focus) to the data files asserting it, so the report can tell a
    contributor which file to open.
    """
    files_of = files_of or {}
    results = [
        Result(**{**r.__dict__, "files": files_of.get(r.focus, ())})
        for r in shacl.validate(data | inferred, shapes)
    ]
    results.sort(key=lambda r: (r.files, r.focus, r.path or "", r.message))
    return Report(results)
