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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from defensie_kg import __version__
from defensie_kg.query import export
from defensie_kg.rdf import formats, results
from defensie_kg.web.deps import get_state
from defensie_kg.web.state import AppState
from defensie_kg.web.views import void
from defensie_kg.web.views.templating import Lang, render

router = APIRouter(tags=["Downloads"])
State = Annotated[AppState, Depends(get_state)]

CACHE_CONTROL = "public, max-age=3600"
VOID_FORMATS = tuple(formats.BY_NAME[n] for n in ("turtle", "jsonld", "ntriples", "rdfxml"))


# --- per-app cache -------------------------------------------------------------------------------


@dataclass
class Cache:
    """Dump bodies by file name, and the statistics, of one build; filled on first use."""

    fingerprint: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    bodies: dict[str, bytes] = field(default_factory=dict)
    stats: void.Stats | None = None


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


def body_of(state: AppState, cache: Cache, file: export.DumpFile) -> bytes:
    """The bytes of ``file``, computed once."""
    with cache.lock:
        if file.name not in cache.bodies:
            if file.gzipped:
                plain = body_of(state, cache, export.FILES[file.plain])
                cache.bodies[file.name] = gzip.compress(plain, mtime=0)
            else:
                cache.bodies[file.name] = export.dump(state.graph, file.fmt, file.variant)
        return cache.bodies[file.name]


def stats_of(state: AppState, cache: Cache) -> void.Stats:
    """The dataset statistics, computed once."""
    with cache.lock:
        if cache.stats is None:
            cache.stats = void.count(state)
        return cache.stats


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
async def download_page(request: Request, state: State, lang: Lang = "nl") -> Response:
    cache = cache_of(request, state)
    sizes = await run_in_threadpool(
        lambda: {name: len(body_of(state, cache, f)) for name, f in export.FILES.items()}
    )
    rows = [
        {
            "variant": variant,
            "description": description,
            "files": [
                (export.FILES[export.filename(formats.BY_NAME[n], variant, gz)], gz)
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
        files=export.FILES,
        built=built(state).isoformat(),
        version=__version__,
        triples=len(state.graph),
    )


@router.api_route("/download/{filename}", methods=["GET", "HEAD"], summary="One dump file")
async def download_file(filename: str, request: Request, state: State) -> Response:
    file = export.FILES.get(filename)
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
async def void_description(
    request: Request,
    state: State,
    format: Annotated[  # noqa: A002 - the parameter's name on the wire
        str | None, Query(description="turtle, jsonld, ntriples or rdfxml (overrides Accept).")
    ] = None,
) -> Response:
    fmt = formats.choose(format, request.headers.get("accept"), VOID_FORMATS)
    base = public_base(request, state)
    cache = cache_of(request, state)

    def make() -> bytes:
        sizes = {name: len(body_of(state, cache, f)) for name, f in export.FILES.items()}
        triples = void.describe(state, stats_of(state, cache), sizes, base, built(state))
        body = results.triples(fmt, triples)
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
    void_description,
    methods=["GET", "HEAD"],
    summary="VoID / DCAT description (well-known location)",
)
