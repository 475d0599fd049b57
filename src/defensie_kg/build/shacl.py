"""SHACL Core validation of string triples, by rudof (pyrudof): the one engine that answers.

Triples are N-Triples term strings as pyoxigraph prints them (see ``rdf/terms.py``); data and
shapes go to rudof as N-Triples text, and each entry of its report becomes a :class:`Result`.
Only top-level results are entries: results nested under ``sh:detail`` (from ``sh:node`` and
friends) are not repeated. A complex ``sh:resultPath`` is kept as rudof writes it, e.g.
``(http://ex/a / ^(http://ex/b))``; a plain predicate path is its IRI.

rudof passes all 98 ``sht:Validate`` tests of the W3C SHACL Core suite (``tests/test_w3c_shacl.py``
runs them on every ``make test``). Why rudof and not pySHACL or a validator of our own:
ARCHITECTURE.md, "The SHACL engine". No SHACL inference happens here: close the data first.
"""

from __future__ import annotations

from collections.abc import Iterable

from defensie_kg.build.reporting import Result
from defensie_kg.rdf import terms
from defensie_kg.rdf.terms import Triple

_MESSAGE = "<http://www.w3.org/ns/shacl#message>"


def validate(data: Iterable[Triple], shapes: Iterable[Triple]) -> list[Result]:
    """The SHACL results of ``data`` against ``shapes``, each once."""
    import pyrudof  # imported here: the query layer and the CLI's help never need it

    shapes = list(shapes)
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    # An empty string is refused as "no input"; a comment is an empty graph.
    rudof.read_data(_ntriples(data) or "# no data\n", format=pyrudof.RDFFormat.NTriples)
    rudof.read_shacl(_ntriples(shapes) or "# no shapes\n", format=pyrudof.ShaclFormat.NTriples)
    messages = _messages(shapes)
    results = []
    for entry in rudof.validate_shacl():
        shape = _value(entry.source_shape) or ""
        results.append(
            Result(
                severity=_severity(entry.severity),
                focus=_value(entry.focus_node) or "",
                path=entry.path or None,
                value=_value(entry.value),
                message=_message(messages.get(shape), entry.message),
                shape=shape,
                component=(entry.constraint_component or "").rsplit("#")[-1],
            )
        )
    return results


def _severity(text: str) -> str:
    """ "Violation", "Warning", "Info", or the local name of a custom severity IRI
    (rudof prints those as ``Severity(IRI)``)."""
    if text.startswith("Severity(") and text.endswith(")"):
        iri = text[len("Severity(") : -1].strip("<>")
        return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return text


def _ntriples(triples: Iterable[Triple]) -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples)


def _messages(shapes: list[Triple]) -> dict[str, list[str]]:
    """``sh:message`` terms of each shape (rudof mixes them with its own default texts)."""
    found: dict[str, list[str]] = {}
    for s, p, o in shapes:
        if p == _MESSAGE:
            found.setdefault(terms.value(s), []).append(o)
    return found


def _value(text: str | None) -> str | None:
    """A term as rudof prints it (bare IRI, ``_:label``, ``"lexical"@tag``, ``"lexical"^^type``)
    as :func:`terms.value` gives it: the IRI, the label or the lexical form."""
    if text is None:
        return None
    if text.startswith("_:"):
        return text[2:]
    if text.startswith('"'):
        return text[1 : text.rfind('"')] if text.rfind('"') > 0 else text
    return text


def _message(own: list[str] | None, given: str | None) -> str:
    """The shape's ``sh:message`` (English or untagged first), else rudof's own text."""
    if own:
        return terms.value(sorted(own, key=lambda m: (not m.endswith(('"', '"@en')), m))[0])
    text = given or ""
    if text.startswith('"') and text.endswith('"') and text.count('"') == 2:
        return text[1:-1]
    return text
