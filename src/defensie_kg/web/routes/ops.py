"""Operations endpoints: ``/health`` (liveness) and ``/ready`` (readiness).

``/health`` answers as long as the process serves HTTP. ``/ready`` answers 200
only when the graph is loaded, every query worker has started (``serve``
listens before that) and the query executor answers a trivial ``ASK {}``
within :data:`PROBE_SECONDS` (a remote store that is down, or every worker busy
past that, gives 503). Both report the error of a failed reload, while the
last good build keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from defensie_kg.errors import KGError
from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState

log = logging.getLogger("defensie_kg")
router = APIRouter(tags=["Operations"])
PROBE_SECONDS = 3.0


@router.get("/health", summary="Liveness")
def health(request: Request) -> JSONResponse:
    """200 `{"status": "ok"}` while the server runs; `detail` reports a failed reload."""
    body: dict[str, Any] = {"status": "ok"}
    cache = getattr(request.app.state, "response_cache", None)
    if cache is not None:
        body["response_cache"] = cache.to_dict()
    error = _reload_error(request)
    if error:
        body["detail"] = {"last_reload_error": error}
    return JSONResponse(body)


@router.get(
    "/ready",
    summary="Readiness",
    responses={503: {"description": "No graph loaded, or the store does not answer"}},
)
async def ready(request: Request) -> JSONResponse:
    """200 when the graph is loaded and valid and the store answers; 503 otherwise."""
    state: AppState | None = getattr(request.app.state, "kg", None)
    if state is None or not state.graph_loaded or getattr(state.executor, "starting", False):
        return _unavailable({}, "NotReady", "The knowledge graph is not loaded yet.")
    report = state.build.report
    body: dict[str, Any] = {
        "triples": sum(state.graph_sizes.values()),
        "conforms": report.conforms,
        "blocked": report.blocked,
        "build": state.build.fingerprint,
        "last_reload_error": _reload_error(request),
    }
    if report.blocked and state.settings.require_valid:
        return _unavailable(body, "NotValid", "The loaded data does not conform to the shapes.")
    try:
        await asyncio.wait_for(run_in_threadpool(_probe, state), timeout=PROBE_SECONDS)
    except TimeoutError:
        return _unavailable(
            body,
            "StoreUnavailable",
            f"The store did not answer a trivial query within {PROBE_SECONDS:g} s.",
        )
    except KGError as exc:
        return _unavailable(body, type(exc).__name__, str(exc))
    except Exception:  # an executor's own failure: not ready, and logged, never a 500
        log.exception("readiness probe failed")
        return _unavailable(body, "StoreUnavailable", "The store failed to answer.")
    return JSONResponse({"status": "ready", **body})


def _probe(state: AppState) -> None:
    """Ask the executor the cheapest question: its own ``ping()`` if it has one."""
    ping = getattr(state.executor, "ping", None)
    if callable(ping):
        ping()
        return
    state.executor.execute(QueryRequest("ASK {}", format="json", max_rows=1))


def _reload_error(request: Request) -> str | None:
    reloader = getattr(request.app.state, "reloader", None)
    return getattr(reloader, "last_error", None)


def _unavailable(body: dict[str, Any], kind: str, message: str) -> JSONResponse:
    error = {"type": kind, "message": message, "status": 503}
    return JSONResponse({"status": "unavailable", **body, "error": error}, status_code=503)
