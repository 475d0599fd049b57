"""Named queries over HTTP: ``/queries`` (the catalogue) and ``/queries/{name}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from defensie_kg import formats, named_queries
from defensie_kg.web.deps import get_state
from defensie_kg.web.protocol import parse_pairs
from defensie_kg.web.responses import run_query
from defensie_kg.web.state import AppState

router = APIRouter(tags=["Named queries"])
State = Annotated[AppState, Depends(get_state)]
RESERVED = ("format", "infer")


@router.get("/queries", summary="List the named queries")
def catalogue(state: State) -> JSONResponse:
    """Every named query with title, description (en, nl) and typed parameters."""
    return JSONResponse([q.to_dict() for q in state.queries.values()])


@router.api_route("/queries/{name}", methods=["GET", "HEAD"], summary="Run a named query")
async def run(name: str, request: Request, state: State) -> Response:
    """Run the named query; its parameters come from the query string, typed and bound as
    RDF terms. `format` (or Accept) picks the result format; `infer=false` drops inferences."""
    name, fmt = _split_suffix(name)
    query = named_queries.find(state.queries, name)
    pairs = parse_pairs(request.scope.get("query_string", b""), "query string")
    values = {k: v for k, v in pairs if k not in RESERVED}
    options = dict(pairs)
    request_ = named_queries.request(
        query, values,
        accept=request.headers.get("accept"),
        format=fmt or options.get("format") or None,
        infer=options.get("infer", "true").lower() not in ("false", "0", "no", "off"),
        max_rows=state.settings.max_rows,
    )
    return await run_query(state, request_, head=request.method == "HEAD")


def _split_suffix(name: str) -> tuple[str, str | None]:
    stem, dot, suffix = name.rpartition(".")
    if dot and formats.by_suffix(suffix):
        return stem, suffix
    return name, None
