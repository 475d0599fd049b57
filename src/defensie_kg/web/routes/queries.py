"""Named queries over HTTP: ``/queries`` (the catalogue) and ``/queries/{name}``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from defensie_kg.errors import QueryError
from defensie_kg.query import named_queries
from defensie_kg.query.store import QueryRequest
from defensie_kg.rdf import formats
from defensie_kg.web.deps import get_state
from defensie_kg.web.protocol import FORMAT_PARAMETERS, parse_pairs
from defensie_kg.web.responses import run_query
from defensie_kg.web.state import AppState
from defensie_kg.web.views.templating import Lang, language, local, pick, render

router = APIRouter(tags=["Named queries"])
Wanted = Annotated[str | None, Query(description="A format name or media type (overrides Accept).")]
State = Annotated[AppState, Depends(get_state)]
RESERVED = ("format", "output", "infer", "lang")


@router.get("/queries", summary="List the named queries")
def catalogue(request: Request, state: State, lang: Lang = "nl") -> Response:
    """Every named query with title, description (en, nl) and typed parameters
    (JSON, or an HTML page for browsers)."""
    if formats.prefers_html(request.headers.get("accept")):
        return render(request, "queries.html", queries=list(state.queries.values()))
    return JSONResponse([q.to_dict() for q in state.queries.values()])


@router.get("/queries.json", include_in_schema=False)
def catalogue_json(state: State) -> JSONResponse:
    return JSONResponse([q.to_dict() for q in state.queries.values()])


@router.api_route("/queries/{name}", methods=["GET", "HEAD"], summary="Run a named query")
async def run(
    name: str,
    request: Request,
    state: State,
    format: Wanted = None,  # noqa: A002 - the parameter's name on the wire
    output: Wanted = None,
    infer: Annotated[str | None, Query(description="false: asserted triples only.")] = None,
    lang: Lang = "nl",
) -> Response:
    """Run the named query; its own parameters (listed at `/queries`) come from the query
    string, typed and bound as RDF terms, never spliced into its text. `format` or `output`
    (or Accept) picks the result format; `infer=false` drops inferences."""
    call = prepare(
        name, request.scope.get("query_string", b""), request.headers.get("accept"), state
    )
    if call.request is None:
        await state.wait_graph()  # the page labels IRIs from the in-process graph
        return await _html(request, state, call.query, call.values)
    return await run_query(state, call.request, head=request.method == "HEAD")


@dataclass(frozen=True)
class Call:
    """A request for a named query: the query, its parameter values, and the query request
    to run (``None`` when the answer is the HTML page with the form and a table)."""

    query: named_queries.NamedQuery
    values: dict[str, str]
    request: QueryRequest | None


def prepare(name: str, raw_query_string: bytes, accept: str | None, state: AppState) -> Call:
    """Read ``/queries/{name}?…``: which query, its values bound as terms, which format."""
    name, fmt = _split_suffix(name)
    query = named_queries.find(state.queries, name)
    pairs = parse_pairs(raw_query_string, "query string")
    values = {k: v for k, v in pairs if k not in RESERVED}
    options = dict(pairs)
    wanted = formats.wanted(v for k, v in pairs if k in FORMAT_PARAMETERS)
    if fmt == "html" or (fmt is None and wanted is None and formats.prefers_html(accept)):
        return Call(query, values, None)
    request = named_queries.request(
        query,
        values,
        accept=accept,
        format=fmt or wanted,
        infer=options.get("infer", "true").lower() not in ("false", "0", "no", "off"),
        max_rows=state.settings.max_rows,
    )
    return Call(query, values, request)


def _split_suffix(name: str) -> tuple[str, str | None]:
    stem, dot, suffix = name.rpartition(".")
    if dot and (suffix == "html" or formats.by_suffix(suffix)):
        return stem, suffix
    return name, None


async def _html(
    request: Request, state: AppState, query: named_queries.NamedQuery, values: dict[str, str]
) -> Response:
    """The query's form, and its results as a table with labels and links."""
    error, table = None, None
    try:
        prepared = named_queries.request(
            query, values, format="json", max_rows=state.settings.max_rows
        )
        result = await state.execute(prepared)
        table = _table(json.loads(result.body), state, language(request))
    except QueryError as exc:
        error = str(exc)
    return render(
        request,
        "query_run.html",
        query=query,
        values=values,
        table=table,
        error=error,
        status_code=400 if error else 200,
    )


def _table(doc: dict[str, object], state: AppState, lang: str) -> dict[str, object]:
    names: list[str] = doc["head"]["vars"]  # type: ignore[index]
    bindings: list[dict[str, dict[str, str]]] = doc["results"]["bindings"]  # type: ignore[index]
    iris = {b[n]["value"] for b in bindings for n in names if n in b and b[n]["type"] == "uri"}
    labels = state.graph.labels(iris)
    rows = []
    for binding in bindings:
        cells = []
        for name in names:
            cell = binding.get(name)
            if cell is None:
                cells.append({"text": ""})
            elif cell["type"] == "uri":
                cells.append(
                    {
                        "text": pick(labels.get(cell["value"], {}), lang, cell["value"]),
                        "href": local(cell["value"]),
                    }
                )
            else:
                cells.append({"text": cell["value"]})
        rows.append(cells)
    return {"columns": names, "rows": rows}
