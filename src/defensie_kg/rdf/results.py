"""Serialise SPARQL results (rows or triples) in the W3C formats.

SELECT results are written by the engine (pyoxigraph's writers, in Rust). The row cap
is applied on the way: the engine first writes TSV, where every solution is exactly one
line (tabs and newlines inside terms are escaped), into a sink that counts lines and
stops the engine once the cap is passed; the kept lines are the answer, read back by
the engine's TSV parser and written in the format asked for. Measured with
``python -m bench.serialise --reps 9`` (every named query with its defaults, evaluation plus
writing, median; 2026-12-04): a plain Python JSON writer takes 1.22× the engine's direct
write (geomean, up to 2.04×); this TSV round trip 1.07× (up to 1.50×), and it is the only
way to cut a result cleanly without evaluating it twice.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable
from typing import IO, Protocol, cast

import pyoxigraph as ox

from defensie_kg.errors import QueryTimeout
from defensie_kg.namespaces import PREFIXES

_TSV = ox.QueryResultsFormat.TSV


class Format(Protocol):
    """What a writer needs of a :class:`defensie_kg.rdf.formats.Format` (the registry
    imports this module for its writers, so this one does not import it back)."""

    @property
    def name(self) -> str: ...
    @property
    def rdf(self) -> ox.RdfFormat | None: ...
    @property
    def results(self) -> ox.QueryResultsFormat | None: ...
    @property
    def boolean(self) -> Callable[[bool], str] | None: ...


def solutions(
    fmt: Format, answer: ox.QuerySolutions, max_rows: int, deadline: float | None = None
) -> tuple[bytes, int, bool]:
    """A SELECT result in ``fmt``, cut after ``max_rows`` solutions: (body, rows, cut).

    Past ``deadline`` (checked each time the engine hands over a buffer) it raises
    :class:`QueryTimeout`; the query workers are also killed at their time limit."""
    if fmt.results is None:
        raise ValueError(f"{fmt.name} is not a results format")
    sink = _Lines(max_rows + 1, deadline)  # the header line, then one line per solution
    with contextlib.suppress(_Stop):  # the sink had enough, or the time is up
        answer.serialize(cast(IO[bytes], sink), format=_TSV)  # it writes, which is all it needs
    if sink.late:
        raise QueryTimeout("The query was stopped at the time limit while its results were read.")
    tsv = b"".join(sink.chunks)
    if sink.full:
        tsv = tsv[: _end_of_line(tsv, max_rows + 1)]
    rows = tsv.count(b"\n") - 1
    if fmt.results == _TSV:
        return tsv, rows, sink.full
    body = ox.parse_query_results(tsv, format=_TSV).serialize(format=fmt.results)
    return body or b"", rows, sink.full


class _Stop(Exception):
    """Raised from the sink to stop the engine's writer."""


class _Lines:
    """A file-like sink that keeps what the engine writes until it holds more than
    ``limit`` lines, or until ``deadline``, then stops the writer."""

    def __init__(self, limit: int, deadline: float | None) -> None:
        self.limit, self.deadline = limit, deadline
        self.chunks: list[bytes] = []
        self.lines = 0
        self.full = self.late = False

    def write(self, data: bytes) -> int:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.late = True
            raise _Stop
        self.chunks.append(bytes(data))
        self.lines += data.count(b"\n")
        if self.lines > self.limit:
            self.full = True
            raise _Stop
        return len(data)

    def flush(self) -> None:
        pass


def _end_of_line(data: bytes, count: int) -> int:
    """The offset just past the ``count``-th newline of ``data``."""
    at = -1
    for _ in range(count):
        at = data.index(b"\n", at + 1)
    return at + 1


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
