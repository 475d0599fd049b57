"""The FastAPI application, built by :func:`create_app` from a :class:`Settings`.

The lifespan builds (or loads the cached build of) the knowledge graph and
starts the query workers, or takes a state the caller started
(:func:`start_state`: ``serve`` starts listening while the workers and the
in-process graph load); routes live in their own modules; errors are mapped
to statuses by the handlers here (:mod:`defensie_kg.web.errors`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from defensie_kg import __version__
from defensie_kg.build.pipeline import Build, build
from defensie_kg.errors import KGError, NotValid
from defensie_kg.query import named_queries
from defensie_kg.query.pool import QueryPool
from defensie_kg.query.store import KnowledgeGraph
from defensie_kg.settings import Settings
from defensie_kg.web import middleware
from defensie_kg.web.caching import CacheStats, ResponseCache
from defensie_kg.web.errors import error_response, kg_error_response, suggestions
from defensie_kg.web.fastpath import QueryFront
from defensie_kg.web.reloading import Reloader
from defensie_kg.web.routes import downloads as dumps
from defensie_kg.web.routes import editor, measures, ops, pages, queries, sparql, visuals
from defensie_kg.web.state import AppState, Executor, GraphLoad

log = logging.getLogger("defensie_kg")
STATIC = Path(__file__).parent / "static"
CORS: dict[str, Any] = {
    "allow_origins": ["*"],
    "allow_credentials": False,
    "allow_methods": ["GET", "POST", "HEAD", "OPTIONS"],
    "allow_headers": ["Accept", "Content-Type"],
    "expose_headers": ["X-Result-Rows", "X-Result-Truncated", "Link"],
}


def load_state(settings: Settings) -> AppState:
    """Build or load the graph and start the executor: everything the routes need."""
    result = _servable(settings, build(settings))
    graph = KnowledgeGraph.from_nquads(result.dataset)
    executor, sizes = _executor(settings, result, graph)
    catalogue = named_queries.load_all(settings.root / "queries")
    return AppState(settings, result, graph, executor, catalogue, sizes)


def start_state(settings: Settings, result: Build, pool: QueryPool) -> AppState:
    """The state of a server whose query workers are still starting: it loads its own copy
    of the graph in the background once the first worker is up (not to slow that one
    down), and only the routes that need that copy wait for it."""
    _servable(settings, result)

    def load() -> KnowledgeGraph:
        pool.wait_first()
        return KnowledgeGraph.from_nquads(result.dataset)

    catalogue = named_queries.load_all(settings.root / "queries")
    return AppState(settings, result, GraphLoad(load), pool, catalogue)


def _servable(settings: Settings, result: Build) -> Build:
    if result.report.blocked:
        if settings.require_valid:
            raise NotValid("the data does not conform to the shapes; run `defensie-kg validate`")
        log.warning("serving data with %d SHACL violations", len(result.report.violations))
    return result


def _executor(
    settings: Settings, result: Build, graph: KnowledgeGraph
) -> tuple[Executor, dict[str, int]]:
    """The worker pool over the build, or the store at ``store_url``; with the graph sizes."""
    if not settings.store_url:
        pool = QueryPool(result.dataset, settings.query_workers, settings.query_timeout)
        return pool, graph.graph_sizes()
    from defensie_kg.query.remote import (
        RemoteStore,  # needs httpx, only when serving a remote store
    )

    store = RemoteStore.from_settings(settings, graphs=graph.graph_names)
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


def create_app(
    settings: Settings,
    state: AppState | None = None,
    start: Callable[[Settings], AppState] = load_state,
) -> FastAPI:
    """The web application; pass ``state`` to share one loaded graph between apps (tests),
    or ``start`` to make the state at start-up some other way than :func:`load_state`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = state is None
        app.state.kg = start(settings) if owned else state
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
    app.state.response_cache = CacheStats(settings.response_cache_bytes)
    app.add_middleware(
        ResponseCache, stats=app.state.response_cache, max_body=settings.max_body_bytes
    )
    app.add_middleware(CORSMiddleware, **CORS)
    middleware.install(app, settings)
    # Outermost of ours: answers the query routes itself (see web/fastpath.py).
    app.add_middleware(
        QueryFront, stats=app.state.response_cache, cors=CORS, max_body=settings.max_body_bytes
    )
    for module in (sparql, queries, pages, measures, editor, visuals, dumps, ops):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KGError)
    async def kg_error(request: Request, exc: KGError) -> Response:
        return kg_error_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(
            request,
            exc.status_code,
            "HTTPError",
            str(exc.detail),
            dict(exc.headers or {}),
            await suggestions(request, exc.status_code),
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
