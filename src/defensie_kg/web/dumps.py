"""Downloads and dataset description: ``/download``, ``/context.jsonld``, ``/void``.

Every dump is :func:`export.dump` of the in-process graph, computed once per
build and kept in memory (a build never changes; a reload brings a new one), with
ETag / Last-Modified validators derived from the build, and 304 answers.
JSON-LD dumps embed the context published at ``/context.jsonld`` and use its
prefixes (pyoxigraph writes expanded JSON-LD only; we compact IRIs to CURIEs).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from defensie_kg import __version__, export, formats, results
from defensie_kg.errors import NotAcceptable
from defensie_kg.formats import Format
from defensie_kg.namespaces import DCAT, DN, GRAPH, ID, PREFIXES, VOID
from defensie_kg.web.deps import get_state
from defensie_kg.web.state import AppState
from defensie_kg.web.templating import render

router = APIRouter(tags=["Downloads"])
State = Annotated[AppState, Depends(get_state)]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
FOAF = "http://xmlns.com/foaf/0.1/"
IANA = "http://www.iana.org/assignments/media-types/"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
GZIP = "application/gzip"
CACHE_CONTROL = "public, max-age=3600"
VOID_FORMATS = tuple(formats.BY_NAME[n] for n in ("turtle", "jsonld", "ntriples", "rdfxml"))


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
    export.filename(formats.BY_NAME[name], variant, gz): DumpFile(
        export.filename(formats.BY_NAME[name], variant, gz), formats.BY_NAME[name], variant, gz
    )
    for variant in export.VARIANTS
    for name in export.DUMP_FORMATS
    for gz in (False, True)
}


# --- per-app cache -------------------------------------------------------------------------------


@dataclass
class Stats:
    """Counts for the VoID description."""

    triples: int
    graphs: dict[str, int]
    entities: int
    subjects: int
    objects: int
    classes: Counter[str]  # class → entities
    properties: Counter[str]  # property → triples
    vocabularies: list[str]
    examples: list[str]


@dataclass
class Cache:
    """Dump bodies by file name, and the statistics, of one build; filled on first use."""

    fingerprint: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    bodies: dict[str, bytes] = field(default_factory=dict)
    stats: Stats | None = None


_CACHE_LOCK = threading.Lock()


def cache_of(request: Request, state: AppState) -> Cache:
    """The app's cache for the build ``state`` serves.

    A build never changes, so its dumps are computed once; when the app swaps in
    a new build (reload), the cache of the old one is dropped.
    """
    app_state = request.app.state
    with _CACHE_LOCK:
        found: Cache | None = getattr(app_state, "dump_cache", None)
        if found is None or found.fingerprint != state.build.fingerprint:
            found = Cache(state.build.fingerprint)
            app_state.dump_cache = found
    return found


def body_of(state: AppState, cache: Cache, file: DumpFile) -> bytes:
    """The bytes of ``file``, computed once."""
    with cache.lock:
        if file.name not in cache.bodies:
            if file.gzipped:
                plain = body_of(state, cache, FILES[file.plain])
                cache.bodies[file.name] = gzip.compress(plain, mtime=0)
            else:
                cache.bodies[file.name] = export.dump(state.graph, file.fmt, file.variant)
        return cache.bodies[file.name]


def stats_of(state: AppState, cache: Cache) -> Stats:
    """The dataset statistics, computed once."""
    with cache.lock:
        if cache.stats is None:
            cache.stats = _count(state)
        return cache.stats


def _count(state: AppState) -> Stats:
    kg = state.graph
    base = state.settings.base_iri
    subjects: set[str] = set()
    objects: set[str] = set()
    members: dict[str, set[str]] = defaultdict(set)
    properties: Counter[str] = Counter()
    linked: set[str] = set()
    total = 0
    for quad in kg.quads():
        total += 1
        subjects.add(str(quad.subject))
        objects.add(str(quad.object))
        predicate = quad.predicate.value
        properties[predicate] += 1
        if predicate == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            members[quad.object.value].add(str(quad.subject))
        if predicate == str(DN.hasNatoLink):
            # the pyoxigraph stub lists Triple as a subject; RDF 1.2 subjects never are
            linked.add(quad.subject.value)  # type: ignore[union-attr]
    classes = Counter({c: len(s) for c, s in members.items()})
    entities = {s for s in subjects if s.startswith(f"<{base}")}
    measures = sorted(linked & {s.strip("<>") for s in members.get(str(DN.Measure), set())})
    targets = sorted(s.strip("<>") for s in members.get(str(DN.NatoPriorityTarget), set()))
    return Stats(
        total,
        dict(state.graph_sizes) or kg.graph_sizes(),
        len(entities),
        len(subjects),
        len(objects),
        classes,
        properties,
        sorted({_vocabulary(i) for i in [*classes, *properties]}),
        measures[:3] + targets[:3],
    )


def _vocabulary(iri: str) -> str:
    """The namespace a class or property belongs to."""
    known = [ns for p, ns in PREFIXES.items() if iri.startswith(ns) and not ns.startswith(str(ID))]
    if known:
        return max(known, key=len)
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


# --- validators ----------------------------------------------------------------------------------


def built(state: AppState) -> datetime:
    """When the dataset was built (the Last-Modified of everything here)."""
    stamp = state.build.meta.get("built")
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        moment = datetime.fromtimestamp(state.build.dataset.stat().st_mtime, UTC)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def etag(state: AppState, *parts: str) -> str:
    """A strong ETag from the build fingerprint and what identifies the representation."""
    digest = hashlib.sha256("\n".join((state.build.fingerprint, *parts)).encode()).hexdigest()
    return f'"{digest[:32]}"'


def not_modified(request: Request, tag: str, modified: datetime) -> bool:
    """True when the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    if request.method not in ("GET", "HEAD"):
        return False
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or tag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            moment = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return modified <= moment
    return False


async def conditional(
    request: Request,
    state: AppState,
    tag: str,
    media_type: str,
    make: Callable[[], bytes],
    headers: dict[str, str] | None = None,
) -> Response:
    """A response with validators: 304 when current, headers only for HEAD."""
    modified = built(state)
    validators = {
        "ETag": tag,
        "Last-Modified": format_datetime(modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        **(headers or {}),
    }
    if not_modified(request, tag, modified):
        return Response(status_code=304, headers=validators)
    body = await run_in_threadpool(make)
    if request.method == "HEAD":
        return Response(
            b"", media_type=media_type, headers={**validators, "Content-Length": str(len(body))}
        )
    return Response(body, media_type=media_type, headers=validators)


# --- routes --------------------------------------------------------------------------------


def public_base(request: Request, state: AppState) -> str:
    """Absolute base URL of this server, without the trailing slash."""
    return (state.settings.public_base or str(request.base_url)).rstrip("/")


@router.api_route(
    "/download",
    methods=["GET", "HEAD"],
    response_class=HTMLResponse,
    summary="Every dump of the dataset",
)
async def download_page(request: Request, state: State) -> Response:
    cache = cache_of(request, state)
    sizes = await run_in_threadpool(
        lambda: {name: len(body_of(state, cache, f)) for name, f in FILES.items()}
    )
    rows = [
        {
            "variant": variant,
            "description": description,
            "files": [
                (FILES[export.filename(formats.BY_NAME[n], variant, gz)], gz)
                for n in export.DUMP_FORMATS
                for gz in (False, True)
            ],
        }
        for variant, description in export.VARIANTS.items()
    ]
    return render(
        request,
        "download.html",
        rows=rows,
        sizes=sizes,
        formats=export.DUMP_FORMATS,
        by_name=formats.BY_NAME,
        variants=export.VARIANTS,
        files=FILES,
        built=built(state).isoformat(),
        version=__version__,
        triples=len(state.graph),
    )


@router.api_route("/download/{filename}", methods=["GET", "HEAD"], summary="One dump file")
async def download_file(filename: str, request: Request, state: State) -> Response:
    file = FILES.get(filename)
    if file is None:
        raise HTTPException(404, f"No dump named {filename!r}; see /download for the list.")
    headers = {"Content-Disposition": f'attachment; filename="{file.name}"'} if file.gzipped else {}
    cache = cache_of(request, state)
    return await conditional(
        request,
        state,
        etag(state, file.name),
        file.media_type,
        lambda: body_of(state, cache, file),
        headers,
    )


@router.api_route("/context.jsonld", methods=["GET", "HEAD"], summary="The JSON-LD context")
async def context(request: Request, state: State) -> Response:
    body = json.dumps({"@context": export.CONTEXT}, ensure_ascii=False, indent=2).encode("utf-8")
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    return await conditional(request, state, tag, "application/ld+json", lambda: body)


@router.api_route("/void", methods=["GET", "HEAD"], summary="VoID / DCAT description")
async def void(request: Request, state: State) -> Response:
    wanted = request.query_params.get("format")
    if wanted:
        fmt = formats.lookup(wanted)
        if fmt is None or fmt not in VOID_FORMATS:
            raise NotAcceptable(
                f"Format {wanted!r} is not available here; use one of "
                + ", ".join(f.name for f in VOID_FORMATS),
                [f.media_type for f in VOID_FORMATS],
            )
    else:
        fmt = formats.negotiate(request.headers.get("accept"), VOID_FORMATS)
    base = public_base(request, state)
    cache = cache_of(request, state)

    def make() -> bytes:
        body = results.triples(fmt, describe(state, cache, base))
        return export.with_context(body) if fmt.name == "jsonld" else body

    return await conditional(
        request,
        state,
        etag(state, "void", fmt.name, base),
        fmt.content_type,
        make,
        {"Vary": "Accept"},
    )


router.add_api_route(
    "/.well-known/void",
    void,
    methods=["GET", "HEAD"],
    summary="VoID / DCAT description (well-known location)",
)


# --- the description -----------------------------------------------------------------------------


def describe(state: AppState, cache: Cache, base: str) -> list[ox.Triple]:
    """VoID + DCAT triples for the dataset served at ``base``."""
    stats = stats_of(state, cache)
    sizes = {name: len(body_of(state, cache, f)) for name, f in FILES.items()}
    doc = f"{base}/void"
    dataset = ox.NamedNode(f"{doc}#dataset")
    out: list[ox.Triple] = []

    def add(
        s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        out.append(ox.Triple(s, ox.NamedNode(p), o))

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    def number(value: int, datatype: str = "integer") -> ox.Literal:
        return ox.Literal(str(value), datatype=iri(XSD + datatype))

    def text(value: str, lang: str | None = None) -> ox.Literal:
        return ox.Literal(value, language=lang) if lang else ox.Literal(value)

    moment = ox.Literal(built(state).isoformat(), datatype=iri(XSD + "dateTime"))
    add(iri(doc), RDF_TYPE, iri(VOID.DatasetDescription))
    add(iri(doc), FOAF + "primaryTopic", dataset)
    add(
        iri(doc),
        DCT + "title",
        text("VoID description of the Defensienota 2024 knowledge graph", "en"),
    )
    for kind in (VOID.Dataset, DCAT.Dataset):
        add(dataset, RDF_TYPE, iri(kind))
    add(dataset, DCT + "title", text("Defensienota 2024 — kennisgraaf", "nl"))
    add(
        dataset,
        DCT + "title",
        text("Defence White Paper 2024 (Netherlands) — knowledge graph", "en"),
    )
    add(
        dataset,
        DCT + "description",
        text(
            "De Defensienota 2024 'Sterk, slim en samen' als kennisgraaf: maatregelen, cijfers, "
            "programma's, organisaties, materieel en NAVO-doelstellingen, elk herleid tot de "
            "paragraaf waar ze vandaan komen, met ontologie, SHACL-shapes en OWL RL-afleidingen.",
            "nl",
        ),
    )
    add(
        dataset,
        DCT + "description",
        text(
            "The Dutch Defence White Paper 2024 'Strong, smart and together' as a knowledge graph: "
            "measures, figures, programmes, organisations, materiel and NATO targets, each traced "
            "to its source section, with an ontology, SHACL shapes and OWL RL inferences.",
            "en",
        ),
    )
    add(dataset, DCT + "license", iri(LICENSE))
    publisher = ox.BlankNode("publisher")
    add(dataset, DCT + "publisher", publisher)
    add(publisher, RDF_TYPE, iri(FOAF + "Organization"))
    add(publisher, FOAF + "name", text("Defensienota 2024 knowledge graph project", "en"))
    add(publisher, FOAF + "homepage", iri(f"{base}/"))
    add(dataset, DCT + "source", iri(f"{ID}document/defensienota-2024"))
    add(dataset, DCT + "issued", moment)
    add(dataset, DCT + "modified", moment)
    add(dataset, DCAT.version, text(__version__))
    add(dataset, "http://www.w3.org/2002/07/owl#versionInfo", text(__version__))
    for lang in ("nl", "en"):
        add(dataset, DCT + "language", iri(f"http://id.loc.gov/vocabulary/iso639-1/{lang}"))
    add(dataset, DCAT.landingPage, iri(f"{base}/"))
    add(dataset, "http://www.w3.org/2000/01/rdf-schema#seeAlso", iri(f"{base}/context.jsonld"))
    add(dataset, VOID.uriSpace, text(state.settings.base_iri))
    add(dataset, VOID.sparqlEndpoint, iri(f"{base}/sparql"))
    add(dataset, VOID.triples, number(stats.triples))
    add(dataset, VOID.entities, number(stats.entities))
    add(dataset, VOID.classes, number(len(stats.classes)))
    add(dataset, VOID.properties, number(len(stats.properties)))
    add(dataset, VOID.distinctSubjects, number(stats.subjects))
    add(dataset, VOID.distinctObjects, number(stats.objects))
    for example in stats.examples:
        add(dataset, VOID.exampleResource, iri(example))
    for vocabulary in stats.vocabularies:
        add(dataset, VOID.vocabulary, iri(vocabulary))
    for name, size in sorted(stats.graphs.items()):
        graph = iri(name)
        add(dataset, VOID.subset, graph)
        add(graph, RDF_TYPE, iri(VOID.Dataset))
        add(graph, DCT + "title", text(name.removeprefix(str(GRAPH))))
        add(graph, VOID.triples, number(size))
    for index, (cls, count) in enumerate(sorted(stats.classes.items())):
        part = iri(f"{doc}#class-{index}")
        add(dataset, VOID.classPartition, part)
        add(part, VOID["class"], iri(cls))
        add(part, VOID.entities, number(count))
    for index, (prop, count) in enumerate(sorted(stats.properties.items())):
        part = iri(f"{doc}#property-{index}")
        add(dataset, VOID.propertyPartition, part)
        add(part, VOID.property, iri(prop))
        add(part, VOID.triples, number(count))
    for name, file in FILES.items():
        url = iri(f"{base}/download/{name}")
        dist = iri(f"{doc}#{name}")
        add(dataset, VOID.dataDump, url)
        add(dataset, DCAT.distribution, dist)
        add(dist, RDF_TYPE, iri(DCAT.Distribution))
        add(
            dist,
            DCT + "title",
            text(
                f"{file.fmt.name}, {export.VARIANTS[file.variant]}"
                + (", gzip" if file.gzipped else ""),
                "en",
            ),
        )
        add(dist, DCAT.downloadURL, url)
        add(dist, DCAT.accessURL, iri(f"{base}/download"))
        add(dist, DCAT.mediaType, iri(IANA + file.fmt.media_type))
        if file.gzipped:
            add(dist, DCAT.compressFormat, iri(IANA + GZIP))
        add(dist, DCAT.byteSize, number(sizes[name], "nonNegativeInteger"))
        add(dist, DCT + "license", iri(LICENSE))
    return sorted(out, key=lambda t: str(t.subject))  # stable: groups statements by subject
