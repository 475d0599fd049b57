"""The FastAPI application, built by :func:`create_app` from a :class:`Settings`.

The lifespan builds (or loads the cached build of) the knowledge graph and
starts the query workers; routes live in their own modules; errors are
mapped to statuses here and nowhere else.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from defensie_kg import __version__, formats, named_queries
from defensie_kg.build import Build, build
from defensie_kg.engine import QueryPool
from defensie_kg.errors import KGError, NotAcceptable, NotValid
from defensie_kg.settings import Settings
from defensie_kg.store import KnowledgeGraph
from defensie_kg.web import (
    dumps,
    editor,
    middleware,
    ops,
    pages,
    queries,
    sparql,
    templating,
    visuals,
)
from defensie_kg.web.reloading import Reloader
from defensie_kg.web.state import AppState, Executor

log = logging.getLogger("defensie_kg")
STATIC = Path(__file__).parent / "static"


def load_state(settings: Settings) -> AppState:
    """Build or load the graph and start the executor: everything the routes need."""
    result = build(settings)
    if not result.report.conforms:
        if settings.require_valid:
            raise NotValid("the data does not conform to the shapes; run `defensie-kg validate`")
        log.warning("serving data with %d SHACL violations", len(result.report.violations))
    graph = KnowledgeGraph.from_nquads(result.dataset)
    executor, sizes = _executor(settings, result, graph)
    catalogue = named_queries.load_all(settings.root / "queries")
    return AppState(settings, result, graph, executor, catalogue, sizes)


def _executor(
    settings: Settings, result: Build, graph: KnowledgeGraph
) -> tuple[Executor, dict[str, int]]:
    """The worker pool over the build, or the store at ``store_url``; with the graph sizes."""
    if not settings.store_url:
        pool = QueryPool(result.dataset, settings.query_workers, settings.query_timeout)
        return pool, graph.graph_sizes()
    from defensie_kg.remote import RemoteStore  # needs httpx, only when serving a remote store

    store = RemoteStore(settings.store_url, settings.query_timeout, graphs=graph.graph_names)
    try:
        sizes = store.graph_sizes()
    except KGError as exc:  # serve anyway: /sparql answers 503 until the store is back
        log.warning("%s", exc)
        return store, graph.graph_sizes()
    if sizes != graph.graph_sizes():
        log.warning(
            "the store at %s does not hold this build; run `defensie-kg load --store %s`",
            store.public_url,
            store.public_url,
        )
    return store, sizes


def create_app(settings: Settings, state: AppState | None = None) -> FastAPI:
    """The web application; pass ``state`` to share one loaded graph between apps (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = state is None
        app.state.kg = load_state(settings) if owned else state
        app.state.reloader = Reloader(app, settings, load_state)
        if owned:
            app.state.reloader.start()
        try:
            yield
        finally:
            if owned:
                app.state.reloader.stop()
                app.state.kg.executor.close()

    app = FastAPI(
        title="Defensienota 2024 knowledge graph",
        version=__version__,
        description="SPARQL endpoint, named queries and linked-data pages over the Dutch "
        "Defence White Paper 2024.",
        lifespan=lifespan,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=False,
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["Accept", "Content-Type"],
        expose_headers=["X-Result-Rows", "X-Result-Truncated", "Link"],
    )
    middleware.install(app, settings)
    for module in (sparql, queries, pages, editor, visuals, dumps, ops):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_error_handlers(app)
    return app


def _suggestions(request: Request) -> list[dict[str, str]]:
    # For an unknown /id/... address, offer resources whose labels match its last word.
    state = getattr(request.app.state, "kg", None)
    words = [w for w in request.url.path.rsplit("/", 1)[-1].split("-") if len(w) > 3]
    if state is None or not words:
        return []
    try:
        hits = pages.find_labels(state, words[0], limit=8)
    except KGError:
        return []
    lang = templating.language(request)
    return [{"iri": h["iri"], "label": h[f"label_{lang}"]} for h in hits]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KGError)
    async def kg_error(request: Request, exc: KGError) -> Response:
        status = getattr(exc, "status", 500)
        headers = {}
        if isinstance(exc, NotAcceptable):
            headers["Vary"] = "Accept"
        return error_response(request, status, type(exc).__name__, str(exc), headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(
            request, exc.status_code, "HTTPError", str(exc.detail), dict(exc.headers or {})
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return error_response(request, 400, "BadRequest", problems)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(
            request,
            500,
            "InternalError",
            "Something went wrong on our side; the error has been logged.",
        )


def error_response(
    request: Request, status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """Errors as text/plain on /sparql (what SPARQL clients show), an HTML page for
    browsers, JSON elsewhere."""
    if request.url.path.startswith("/sparql"):
        return PlainTextResponse(f"{message}\n", status_code=status, headers=headers)
    if formats.prefers_html(request.headers.get("accept")):
        page = templating.render(
            request,
            "error.html",
            status_code=status,
            status=status,
            title=kind,
            message=message,
            suggestions=_suggestions(request),
        )
        page.headers.update(headers or {})
        return page
    body = {"error": {"type": kind, "message": message, "status": status}}
    return JSONResponse(body, status_code=status, headers=headers)
