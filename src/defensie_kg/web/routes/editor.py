"""The query editor at ``/query``: YASGUI, served by this server, preset for ``/sparql``.

YASGUI's built files are not in the repository: ``python -m defensie_kg.web.assets
fetch`` (run by ``make setup``) puts the pinned, integrity-checked release
into the venv, and :func:`asset` serves exactly those files under
``/assets/yasgui/``. Without them ``/query`` still answers, with a notice
saying how to fetch them. The page's own code is ``/static/editor.js`` (no
inline script); it reads ``/query/config.json``: the prefixes and every named
query with its default parameter values bound.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from defensie_kg.namespaces import BASE, PREFIXES
from defensie_kg.query import named_queries, sparql_text
from defensie_kg.query.named_queries import NamedQuery
from defensie_kg.query.store import parse_term
from defensie_kg.web import assets
from defensie_kg.web.deps import get_state
from defensie_kg.web.state import AppState
from defensie_kg.web.views.templating import Lang, pick, render

router = APIRouter(tags=["Query editor"])
State = Annotated[AppState, Depends(get_state)]

ASSET = "yasgui"
# The plain editor's answer formats (no JavaScript: what a browser shows or saves).
PLAIN_FORMATS = (
    ("json", "JSON (SELECT, ASK)"),
    ("csv", "CSV (SELECT)"),
    ("tsv", "TSV (SELECT)"),
    ("turtle", "Turtle (CONSTRUCT, DESCRIBE)"),
    ("jsonld", "JSON-LD (CONSTRUCT, DESCRIBE)"),
)
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _servable() -> frozenset[str]:
    """The only file names ``/assets/yasgui/`` serves: the built JS and CSS the lock names."""
    asset = assets.load_lock()[ASSET]
    return frozenset(
        name for name in asset.files.values() if name[name.rfind(".") :] in _MEDIA_TYPES
    )


@router.get("/query", summary="The SPARQL query editor (YASGUI)", response_class=Response)
def editor_page(
    request: Request,
    state: State,
    lang: Lang = "nl",
    query: Annotated[str, Query(description="A query to prefill (and run).")] = "",
    example_name: Annotated[
        str | None, Query(alias="example", description="A named query to open.")
    ] = None,
) -> Response:
    """An HTML page with YASGUI preset for this endpoint and the named queries as examples.
    `query=` prefills (and runs) a query; `example=` opens a named query."""
    directory = assets.asset_dir(ASSET)
    examples = [
        {
            "name": q.name,
            "title": pick(q.title, lang, q.name),
            "description": pick(q.description, lang, ""),
        }
        for q in sorted(state.queries.values(), key=lambda q: pick(q.title, lang, q.name).lower())
    ]
    chosen = state.queries.get(example_name or "")
    if directory is None and not query and chosen is not None:
        query = example(chosen)["query"]  # the plain editor opens it server-side
    return render(
        request,
        "query.html",
        assets_ready=directory is not None,
        missing_reason=assets.unavailable_reason(ASSET) if directory is None else None,
        plain_formats=PLAIN_FORMATS,
        version=assets.load_lock()[ASSET].version,
        examples=examples,
        prefill=query,
    )


@router.get("/query/config.json", summary="Editor presets: prefixes and named queries")
def editor_config(state: State) -> JSONResponse:
    """The prefixes (`PREFIXES`) and every named query with name, title, description and its
    SPARQL text, with the parameters' default values bound by a `VALUES` row."""
    return JSONResponse(
        {
            "endpoint": "/sparql",
            "base": BASE,
            "prefixes": PREFIXES,
            "queries": [example(q) for q in state.queries.values()],
        }
    )


def example(query: NamedQuery) -> dict[str, Any]:
    """A named query as the editor shows it: runnable as is, defaults bound as the engine
    binds them (so it gives what ``/queries/{name}`` gives without parameters)."""
    defaults = {
        p.name: str(parse_term(named_queries.to_term(p, None)))
        for p in query.parameters
        if p.default is not None
    }
    body = "".join(
        line for line in query.text.splitlines(keepends=True) if not line.lstrip().startswith("#+")
    )
    if defaults:
        at = sparql_text.where_group_start(body)
        notes = "".join(
            f"  #   ?{p.name}: {p.description}\n"
            for p in query.parameters
            if p.name in defaults and p.description
        )
        names = " ".join(f"?{name}" for name in defaults)
        row = " ".join(defaults.values())
        body = (
            f"{body[:at]}\n  # parameters, set to their defaults; change them to ask about "
            f"something else:\n{notes}  VALUES ({names}) {{ ({row}) }}{body[at:]}"
        )
    title = query.title.get("en") or query.name
    text = f"# {title}\n# (named query {query.name}: /queries/{query.name})\n{body}"
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "parameters": [
            {"name": p.name, "type": p.type, "default": p.default, "description": p.description}
            for p in query.parameters
        ],
        "query": text,
    }


@router.api_route("/assets/yasgui/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
def asset(path: str) -> Response:
    """A file of the fetched YASGUI release; only the names pinned in the lock, so nothing
    else on disk (``..``, encoded or not) can be reached."""
    directory = assets.asset_dir(ASSET)
    if directory is None or path not in _servable():
        raise HTTPException(404, "Not Found")
    file = directory / path
    if not file.is_file():
        raise HTTPException(404, "Not Found")
    return FileResponse(
        file,
        media_type=_MEDIA_TYPES[file.suffix],
        headers={"Cache-Control": "public, max-age=86400"},
    )
