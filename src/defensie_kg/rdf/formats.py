"""The one table of formats: name ↔ media type ↔ suffix, and Accept negotiation."""

from __future__ import annotations

from dataclasses import dataclass

from defensie_kg.errors import NotAcceptable


@dataclass(frozen=True)
class Format:
    """A serialisation the server can produce."""

    name: str
    media_type: str
    suffix: str
    kind: str  # "results" (SELECT/ASK), "graph" (triples) or "dataset" (quads)
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"


FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "srj", "results", ("application/json",)),
    Format(
        "xml", "application/sparql-results+xml", "srx", "results", ("application/xml", "text/xml")
    ),
    Format("csv", "text/csv", "csv", "results"),
    Format("tsv", "text/tab-separated-values", "tsv", "results"),
    Format("turtle", "text/turtle", "ttl", "graph", ("application/x-turtle",)),
    Format("ntriples", "application/n-triples", "nt", "graph", ("text/plain",)),
    Format("jsonld", "application/ld+json", "jsonld", "graph"),
    Format("rdfxml", "application/rdf+xml", "rdf", "graph"),
    Format("trig", "application/trig", "trig", "dataset"),
    Format("nquads", "application/n-quads", "nq", "dataset"),
)
BY_NAME = {f.name: f for f in FORMATS}
_NAME_ALIASES = {
    "ttl": "turtle",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "json-ld": "jsonld",
    "rdf": "rdfxml",
    "rdf/xml": "rdfxml",
    "nq": "nquads",
    "n-quads": "nquads",
    "srj": "json",
    "srx": "xml",
}

RESULT_FORMATS = tuple(f for f in FORMATS if f.kind == "results")
GRAPH_FORMATS = tuple(f for f in FORMATS if f.kind in ("graph", "dataset"))


def by_suffix(suffix: str) -> Format | None:
    """The format whose file suffix is ``suffix`` (without the dot)."""
    return next((f for f in FORMATS if f.suffix == suffix), None)


def lookup(value: str) -> Format | None:
    """A format by name (``json``, ``ttl``...) or media type."""
    key = value.strip().lower()
    key = _NAME_ALIASES.get(key, key)
    if key in BY_NAME:
        return BY_NAME[key]
    return next((f for f in FORMATS if key == f.media_type or key in f.aliases), None)


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q-values, best first."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
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
    return [(media, q) for media, q, _, _ in ranges]


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
