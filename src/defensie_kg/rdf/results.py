"""Serialise SPARQL results (rows or triples) in the W3C formats.

We serialise ourselves rather than through the engine so that a result can
be cut at the row cap and still be a well-formed document.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, cast

import pyoxigraph as ox

from defensie_kg.namespaces import PREFIXES, RDF, XSD

_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTR = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


def escape(text: str) -> str:
    """XML character data (as ``xml.sax.saxutils.escape``, without importing urllib and
    http.client with it: query workers start faster)."""
    return text.translate(_XML_TEXT)


def quoteattr(text: str) -> str:
    """A quoted XML attribute value, quoted as ``xml.sax.saxutils.quoteattr`` does."""
    text = text.translate(_XML_ATTR)
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'


XSD_STRING = XSD.string
RDF_LANGSTRING = RDF.langString
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = Sequence[Term | None]


class Format(Protocol):
    """What a writer needs of a :class:`defensie_kg.rdf.formats.Format` (the registry
    imports this module for its writers, so this one does not import it back)."""

    @property
    def name(self) -> str: ...
    @property
    def rdf(self) -> ox.RdfFormat | None: ...
    @property
    def rows(self) -> Callable[[Sequence[str], Iterable[Row]], str] | None: ...
    @property
    def boolean(self) -> Callable[[bool], str] | None: ...


def solutions(fmt: Format, variables: Sequence[str], rows: Iterable[Row]) -> bytes:
    """A SELECT result in ``fmt`` (a results format: its registry entry names the writer)."""
    if fmt.rows is None:
        raise ValueError(f"{fmt.name} is not a results format")
    return fmt.rows(variables, rows).encode("utf-8")


def boolean(fmt: Format, value: bool) -> bytes:
    """An ASK result in ``fmt``."""
    if fmt.boolean is None:
        raise ValueError(f"{fmt.name} is not a results format")
    return fmt.boolean(value).encode("utf-8")


def json_boolean(value: bool) -> str:
    return json.dumps({"head": {}, "boolean": value})


def xml_boolean(value: bool) -> str:
    return (
        '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n"
    )


# CSV/TSV have no boolean form in the spec; a one-cell table is what endpoints send.
def csv_boolean(value: bool) -> str:
    return f"_askResult\r\n{'true' if value else 'false'}\r\n"


def tsv_boolean(value: bool) -> str:
    return f"?_askResult\r\n{'true' if value else 'false'}\r\n"


def triples(fmt: Format, items: Iterable[ox.Triple | ox.Quad]) -> bytes:
    """Triples (or quads, for TriG/N-Quads) in an RDF format."""
    rdf_format = fmt.rdf
    if rdf_format is None:
        raise ValueError(f"{fmt.name} is not an RDF format")
    items = list(items)
    if rdf_format.supports_datasets:
        items = [
            i if isinstance(i, ox.Quad) else ox.Quad(i.subject, i.predicate, i.object)
            for i in items
        ]
    else:
        items = [i.triple if isinstance(i, ox.Quad) else i for i in items]
    prefixes = (
        PREFIXES
        if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML)
        else None
    )
    # each branch above leaves a list of only quads or only triples
    homogeneous = cast("list[ox.Quad] | list[ox.Triple]", items)
    return ox.serialize(homogeneous, format=rdf_format, prefixes=prefixes) or b""


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {k: _json_term(getattr(term, k)) for k in ("subject", "predicate", "object")},
    }


def json_rows(variables: Sequence[str], rows: Iterable[Row]) -> str:
    bindings = [
        {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
        for row in rows
    ]
    return json.dumps(
        {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}, ensure_ascii=False
    )


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return (
                f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
            )
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def xml_rows(variables: Sequence[str], rows: Iterable[Row]) -> str:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head><results>")
    for row in rows:
        out.append("<result>")
        for v, t in zip(variables, row, strict=True):
            if t is not None:
                out.append(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>")
        out.append("</result>")
    out.append("</results></sparql>\n")
    return "".join(out)


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def csv_rows(variables: Sequence[str], rows: Iterable[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        writer.writerow([_csv_value(t) for t in row])
    return buffer.getvalue()


def _tsv_term(term: Term | None) -> str:
    # TSV cells use SPARQL/Turtle syntax, with tabs and newlines escaped.
    return "" if term is None else str(term).replace("\t", "\\t").replace("\n", "\\n")


def tsv_rows(variables: Sequence[str], rows: Iterable[Row]) -> str:
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join(_tsv_term(t) for t in row) for row in rows]
    return "\n".join(lines) + "\n"
