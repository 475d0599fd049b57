"""Dumps of the whole dataset: every RDF format, asserted-only or with inferences.

Used by ``defensie-kg export`` and by the server's ``/download`` pages, so a
file downloaded from the server is byte-identical to one exported locally (whose name also
carries the version).
N-Triples and N-Quads are sorted, for stable diffs. Every dump is byte-identical from
one run (and process, and hash seed) to the next: the store renames blank nodes when it
loads a file, so the dumps give them RDFC-1.0 canonical labels again (:func:`canonical`).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from defensie_kg import __version__
from defensie_kg.namespaces import INFERRED_GRAPH, PREFIXES, shorten
from defensie_kg.query.store import KnowledgeGraph
from defensie_kg.rdf import formats, results
from defensie_kg.rdf.formats import Format

NAME = "defensienota-2024"
VARIANTS = {"asserted": "asserted triples only", "inferred": "asserted plus OWL RL inferences"}
DUMP_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads")


def graphs_for(kg: KnowledgeGraph, variant: str) -> list[str]:
    """The named graphs a variant contains."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; use one of {', '.join(VARIANTS)}")
    names = kg.graph_names
    return names if variant == "inferred" else [g for g in names if g != str(INFERRED_GRAPH)]


CONTEXT: dict[str, str] = dict(PREFIXES)


def _compact(value: Any, key: str | None = None) -> Any:
    if isinstance(value, list):
        return [_compact(v, key) for v in value]
    if isinstance(value, dict):
        return {(k if k.startswith("@") else shorten(k)): _compact(v, k) for k, v in value.items()}
    if isinstance(value, str) and key in ("@id", "@type"):
        return shorten(value)
    return value


def with_context(expanded: bytes) -> bytes:
    """Expanded JSON-LD (pyoxigraph's) as ``{"@context": …, "@graph": …}`` with CURIEs.

    The context holds prefix definitions only (published at ``/context.jsonld``),
    and ``shorten`` only makes CURIEs whose prefix is in it, so expanding the
    result gives back the same triples.
    """
    nodes = json.loads(expanded or b"[]")
    document = {"@context": CONTEXT, "@graph": _compact(nodes)}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def canonical(quads: list[ox.Quad]) -> list[ox.Quad]:
    """``quads`` with RDFC-1.0 canonical blank-node labels, sorted.

    Only the quads that mention a blank node go through the canonicalisation (their labels
    depend on those alone), as in the build's cache.
    """
    blank = [q for q in quads if _has_blank(q)]
    if not blank:
        return sorted(quads, key=str)
    dataset = ox.Dataset(blank)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted([q for q in quads if not _has_blank(q)] + list(dataset), key=str)


def _has_blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def dump(kg: KnowledgeGraph, fmt: Format, variant: str) -> bytes:
    """The dataset (``variant``) serialised as ``fmt``; triples formats merge the graphs."""
    quads = canonical(list(kg.quads(graphs_for(kg, variant))))
    if fmt.kind == "graph":
        unique = sorted({q.triple for q in quads}, key=str)
        body = results.triples(fmt, unique)
    else:
        body = results.triples(fmt, quads)
    if fmt.name == "jsonld":
        body = with_context(body)
    if fmt.name in ("ntriples", "nquads"):
        lines = sorted(set(body.decode("utf-8").splitlines()))
        body = ("\n".join(lines) + "\n").encode("utf-8")
    return body


def filename(fmt: Format, variant: str, gzipped: bool = False, version: str = "") -> str:
    """``defensienota-2024[-<version>]-<variant>.<suffix>[.gz]``.

    Release dumps (``defensie-kg export``) carry the version in their names; the server's
    ``/download`` files keep stable names without it.
    """
    stem = f"{NAME}-{version}" if version else NAME
    return f"{stem}-{variant}.{fmt.suffix}" + (".gz" if gzipped else "")


CHECKSUMS = "SHA256SUMS"
Step = Callable[[int, int, str], None]


def write_all(
    kg: KnowledgeGraph,
    directory: Path,
    gzipped: bool = True,
    version: str = __version__,
    step: Step | None = None,
) -> list[Path]:
    """Every format × variant into ``directory`` (plus .gz copies), named with ``version``,
    and a ``SHA256SUMS`` file for them (``sha256sum -c SHA256SUMS`` checks it); returns the
    paths, the checksum file last. ``step(number, total, name)`` hears of each dump."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    jobs = [(variant, name) for variant in VARIANTS for name in DUMP_FORMATS]
    for number, (variant, name) in enumerate(jobs, 1):
        fmt = formats.BY_NAME[name]
        if step:
            step(number, len(jobs), filename(fmt, variant, version=version))
        body = dump(kg, fmt, variant)
        path = directory / filename(fmt, variant, version=version)
        path.write_bytes(body)
        written.append(path)
        if gzipped:
            packed = directory / filename(fmt, variant, gzipped=True, version=version)
            packed.write_bytes(gzip.compress(body, mtime=0))
            written.append(packed)
    sums = directory / CHECKSUMS
    sums.write_text("".join(f"{sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in written))
    return [*written, sums]


GZIP = "application/gzip"


@dataclass(frozen=True)
class DumpFile:
    """One downloadable file: a format × variant, plain or gzipped."""

    name: str
    fmt: Format
    variant: str
    gzipped: bool

    @property
    def media_type(self) -> str:
        return GZIP if self.gzipped else self.fmt.content_type

    @property
    def plain(self) -> str:
        return self.name.removesuffix(".gz")


FILES: dict[str, DumpFile] = {
    filename(formats.BY_NAME[name], variant, gz): DumpFile(
        filename(formats.BY_NAME[name], variant, gz), formats.BY_NAME[name], variant, gz
    )
    for variant in VARIANTS
    for name in DUMP_FORMATS
    for gz in (False, True)
}
