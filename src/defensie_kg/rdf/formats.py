"""The one format registry, and the one way a request picks a format.

Each format is one :class:`Format` entry: media type (and the other media types that mean
it), file suffix, the ``format=``/``output=`` names clients send (short names, the ones
Fuseki and Virtuoso read, SPARQLWrapper's), its IRI in the W3C formats namespace (for the
Service Description) and its writer. Media type, suffix and IRI come from pyoxigraph's
``RdfFormat`` / ``QueryResultsFormat`` where pyoxigraph knows them.

Negotiation (:func:`choose`): the ``format``/``output`` parameters first, read in the light
of the query form (``xml`` is SPARQL Results XML for a SELECT, RDF/XML for a CONSTRUCT;
``json`` is SPARQL Results JSON or JSON-LD), else the ``Accept`` header. Anything that
cannot be produced for the query form is a 406 naming what can.

Adding a format: one entry in :data:`FORMATS` (with its writer in :mod:`rdf.results` if
pyoxigraph cannot write it), plus its line in ``tests/test_formats.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

from defensie_kg.errors import NotAcceptable
from defensie_kg.rdf import results as writers

RESULTS, GRAPH, DATASET, PAGE = "results", "graph", "dataset", "page"
_W3C = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """A serialisation the server can produce."""

    name: str
    media_type: str
    suffix: str
    kind: str  # RESULTS (SELECT/ASK), GRAPH (triples), DATASET (quads) or PAGE (HTML)
    aliases: tuple[str, ...] = ()  # other media types that ask for it
    names: tuple[str, ...] = ()  # other format=/output= names that ask for it
    iri: str = ""  # the W3C formats IRI (sd:resultFormat)
    rdf: ox.RdfFormat | None = None  # RDF formats: pyoxigraph writes them
    results: ox.QueryResultsFormat | None = None  # results formats: pyoxigraph writes SELECT
    boolean: Callable[[bool], str] | None = None  # ASK writer

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"

    def answers(self, key: str) -> bool:
        """True when ``key`` (a lower-cased name or media type) asks for this format."""
        return (
            key == self.name or key in self.names or key == self.media_type or (key in self.aliases)
        )


def _media(raw: str) -> str:
    return raw.split(";")[0].strip()


def _rdf(name: str, rdf: ox.RdfFormat, aliases: tuple[str, ...], names: tuple[str, ...]) -> Format:
    kind = DATASET if rdf in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS) else GRAPH
    iri = _W3C + "JSON-LD" if rdf == ox.RdfFormat.JSON_LD else rdf.iri  # W3C's, not pyoxigraph's
    return Format(
        name, _media(rdf.media_type), rdf.file_extension, kind, aliases, names, iri, rdf=rdf
    )


def _results(
    name: str,
    fmt: ox.QueryResultsFormat,
    aliases: tuple[str, ...],
    names: tuple[str, ...],
    boolean: Callable[[bool], str],
) -> Format:
    media, suffix = _media(fmt.media_type), fmt.file_extension
    return Format(name, media, suffix, RESULTS, aliases, names, fmt.iri, None, fmt, boolean)


FORMATS: tuple[Format, ...] = (
    _results(
        "json",
        ox.QueryResultsFormat.JSON,
        ("application/json", "text/javascript", "application/javascript"),
        ("srj", "sparql-results+json"),
        writers.json_boolean,
    ),
    _results(
        "xml",
        ox.QueryResultsFormat.XML,
        ("application/xml", "text/xml"),
        ("srx", "sparql", "sparql-results+xml"),
        writers.xml_boolean,
    ),
    _results("csv", ox.QueryResultsFormat.CSV, (), (), writers.csv_boolean),
    _results("tsv", ox.QueryResultsFormat.TSV, (), (), writers.tsv_boolean),
    _rdf(
        "turtle",
        ox.RdfFormat.TURTLE,
        ("application/x-turtle", "application/turtle"),
        ("ttl", "n3"),  # Turtle is N3 too (SPARQLWrapper's N3 accepts text/turtle)
    ),
    _rdf(
        "ntriples",
        ox.RdfFormat.N_TRIPLES,
        ("text/plain",),
        ("nt", "n-triples", "ntriple"),
    ),
    _rdf(
        "jsonld",
        ox.RdfFormat.JSON_LD,
        ("application/x-json+ld",),
        ("json-ld", "json"),  # json on a graph: JSON-LD (Fuseki, Virtuoso)
    ),
    _rdf(
        "rdfxml",
        ox.RdfFormat.RDF_XML,
        ("application/xml", "text/xml"),
        ("rdf", "rdf+xml", "rdf/xml", "xml"),  # xml on a graph: RDF/XML
    ),
    _rdf("trig", ox.RdfFormat.TRIG, (), ()),
    _rdf("nquads", ox.RdfFormat.N_QUADS, (), ("nq", "n-quads")),
)
HTML = Format("html", "text/html", "html", PAGE, ("application/xhtml+xml",))

BY_NAME = {f.name: f for f in FORMATS}
RESULT_FORMATS = tuple(f for f in FORMATS if f.kind == RESULTS)
GRAPH_FORMATS = tuple(f for f in FORMATS if f.kind in (GRAPH, DATASET))
TRIPLE_FORMATS = tuple(f for f in FORMATS if f.kind == GRAPH)


def by_suffix(suffix: str) -> Format | None:
    """The format whose file suffix is ``suffix`` (without the dot)."""
    return next((f for f in FORMATS if f.suffix == suffix), None)


def lookup(value: str, offered: tuple[Format, ...] = FORMATS) -> Format | None:
    """The offered format a ``format=`` value names (a name or a media type), if any."""
    key = _media(value).lower()
    return next((f for f in offered if f.answers(key)), None)


def wanted(values: Iterable[str]) -> str | None:
    """What a request's ``format``/``output`` parameters ask for, as one string for
    :class:`~defensie_kg.query.store.QueryRequest` (``None`` when they are absent or empty).

    Clients send several: SPARQLWrapper repeats its choice as ``format`` and ``output``,
    and adds the media types (``format=tsv&format=text/tab-separated-values``).
    """
    parts = [v.strip() for v in values if v.strip()]
    return ",".join(parts) or None


def choose(requested: str | None, accept: str | None, offered: tuple[Format, ...]) -> Format:
    """The format to answer in: the first ``requested`` value (comma-separated names or
    media types) that names an offered format, else (nothing requested) the client's
    ``Accept`` preference. Raises :class:`NotAcceptable` naming what could be served."""
    if not requested:
        return negotiate(accept, offered)
    for value in requested.split(","):
        found = lookup(value, offered)
        if found is not None:
            return found
    raise NotAcceptable(
        f"Format {requested[:80]!r} is not available for this request; use one of "
        + ", ".join(f.name for f in offered)
        + " (or their media types)",
        [f.media_type for f in offered],
    )


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q-values, best first."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    return list(_ranges(header))


# Clients send the same few Accept headers again and again; parsing one is ~10 µs of a
# cheap query's worker time (profiled), so the parsed form is kept for the last 256.
@lru_cache(maxsize=256)
def _ranges(header: str) -> tuple[tuple[str, float], ...]:
    ranges = []
    for position, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        # More specific ranges win ties; then the order the client gave.
        ranges.append((media, q, -media.count("*"), -position))
    ranges.sort(key=lambda r: (r[1], r[2], r[3]), reverse=True)
    return tuple((media, q) for media, q, _, _ in ranges)


def prefers_html(accept: str | None) -> bool:
    """True when the client's most preferred media type is HTML (a browser)."""
    ranges = parse_accept(accept)
    return bool(ranges) and ranges[0][0] in ("text/html", "application/xhtml+xml")


def negotiate(accept: str | None, offered: tuple[Format, ...]) -> Format:
    """The offered format the client prefers; the first offered one for ``*/*``.

    Raises :class:`NotAcceptable` listing what could be served.
    """
    best: tuple[float, int, Format] | None = None
    ranges = parse_accept(accept)
    for rank, fmt in enumerate(offered):
        q = _quality(fmt, ranges)
        if q > 0 and (best is None or (q, -rank) > (best[0], best[1])):
            best = (q, -rank, fmt)
    if best is None:
        available = [f.media_type for f in offered]
        raise NotAcceptable(
            "None of the media types in the Accept header can be produced here; "
            "available: " + ", ".join(available),
            available,
        )
    return best[2]


def _quality(fmt: Format, ranges: list[tuple[str, float]]) -> float:
    # The most specific matching range decides (RFC 9110 §12.5.1).
    names = (fmt.media_type, *fmt.aliases)
    for specificity in (0, 1, 2):
        for media, q in ranges:
            if specificity == 0 and media in names:
                return q
            # Wildcards match the type we actually send, not its aliases.
            if specificity == 1 and media.endswith("/*") and fmt.media_type.startswith(media[:-1]):
                return q
            if specificity == 2 and media == "*/*":
                return q
    return 0.0
