"""Linked-data pages: every IRI under the base resolves here, by content negotiation.

Pattern (documented in the README): the IRI itself answers. Browsers get
HTML; machines get Turtle, JSON-LD, N-Triples or RDF/XML by ``Accept`` or by
a suffix (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``, and ``.html``). Each
response links its other forms with ``Link: rel="alternate"``.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from defensie_kg.namespaces import (
    BASE,
    DN,
    ONTOLOGY_GRAPH,
    data_graph,
)
from defensie_kg.query import named_queries, sparql_text
from defensie_kg.query.store import iri_term
from defensie_kg.rdf import formats, results
from defensie_kg.rdf.formats import Format
from defensie_kg.web.deps import get_state
from defensie_kg.web.state import AppState
from defensie_kg.web.views import class_usage, ontology_docs
from defensie_kg.web.views import describe as model
from defensie_kg.web.views.templating import Lang, local, pick, render

router = APIRouter(tags=["Linked data"])
State = Annotated[AppState, Depends(get_state)]
HTML = formats.HTML
RDF_FORMATS = tuple(formats.BY_NAME[n] for n in ("turtle", "jsonld", "ntriples", "rdfxml"))
OFFERED = (HTML, *RDF_FORMATS)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KIND = re.compile(r"^[a-z][a-z-]*$")
_TERM = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


@router.get("/", summary="Home page")
async def home(
    request: Request,
    state: State,
    lang: Lang = "nl",
    uri: Annotated[str | None, Query(description="An IRI to open (redirects to its page).")] = None,
) -> Response:
    if uri:
        return _redirect_to(uri, state)
    return render(request, "home.html", **await _home_context(state, lang))


@router.api_route("/id/{kind}/{slug}", methods=["GET", "HEAD"], summary="A resource (HTML or RDF)")
async def resource(
    kind: str, slug: str, request: Request, state: State, lang: Lang = "nl"
) -> Response:
    slug, fmt = _suffix(slug)
    if not _KIND.match(kind) or not _SLUG.match(slug):
        raise HTTPException(404, "No resource has this address.")
    iri = f"{BASE}id/{kind}/{slug}"
    if not state.graph.exists(iri):
        raise HTTPException(404, f"Nothing in the graph is called {iri}.")
    chosen = fmt or formats.negotiate(request.headers.get("accept"), OFFERED)
    # The page sections (status, summaries, threats answered, place) run in the workers.
    parts = await model.sections(state, iri, lang) if chosen is HTML else None
    return await run_in_threadpool(_serve, request, state, iri, chosen, lang, parts=parts)


@router.api_route("/def", methods=["GET", "HEAD"], summary="The ontology (HTML docs or RDF)")
async def ontology(request: Request, state: State, lang: Lang = "nl") -> Response:
    return await _ontology(request, state, None, lang)


@router.api_route("/def{suffix}", methods=["GET", "HEAD"], include_in_schema=False)
async def ontology_suffixed(
    suffix: str, request: Request, state: State, lang: Lang = "nl"
) -> Response:
    fmt = formats.by_suffix(suffix.lstrip(".")) if suffix.startswith(".") else None
    if fmt is None and suffix != ".html":
        raise HTTPException(404, "No such form of the ontology.")
    return await _ontology(request, state, fmt or HTML, lang)


@router.api_route("/def/{term}", methods=["GET", "HEAD"], summary="An ontology term")
async def term(term: str, request: Request, state: State, lang: Lang = "nl") -> Response:
    version = ontology_docs.VERSION_PATH.split("/")[1]
    if term == version or term.startswith(version + "."):
        return await _ontology(request, state, _suffix(term[len(version) :] or "x")[1], lang)
    name, fmt = _suffix(term)
    if not _TERM.match(name):
        raise HTTPException(404, "No ontology term has this name.")
    iri = f"{DN}{name}"
    wants_html = (fmt or formats.negotiate(request.headers.get("accept"), OFFERED)) is HTML
    usage = await class_usage.class_usage(state, iri, lang) if wants_html else None
    return _serve(request, state, iri, fmt, lang, usage)


@router.api_route("/graph/{path:path}", methods=["GET", "HEAD"], summary="A named graph")
def named_graph(path: str, request: Request, state: State) -> Response:
    name, fmt = _suffix(path)
    iri = f"{BASE}graph/{name}"
    if iri not in state.graph_sizes:
        raise HTTPException(404, "No named graph has this name.")
    chosen = fmt or formats.negotiate(request.headers.get("accept"), OFFERED)
    if chosen is HTML:
        return render(
            request,
            "graph.html",
            iri=iri,
            size=state.graph_sizes[iri],
            alternates=_alternates(f"/graph/{name}"),
        )
    body = results.triples(chosen, (q.triple for q in state.graph.quads([iri])))
    return _rdf_response(request, state, body, chosen, f"/graph/{name}")


@router.get("/search", summary="Search labels (nl, en) and abbreviations")
async def search(
    request: Request,
    state: State,
    q: Annotated[str, Query(description="Words to look for (bound as a literal).")] = "",
    lang: Lang = "nl",
) -> Response:
    text = q.strip()[:200]
    if text.startswith(("http://", "https://")):
        return _redirect_to(text, state)
    hits = await find_labels(state, text) if text else []
    if request.url.path.endswith(".json") or "application/json" in request.headers.get(
        "accept", ""
    ):
        return Response(_json(hits), media_type="application/json")
    return render(request, "search.html", q=text, hits=hits)


SEARCH_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s (SAMPLE(?l) AS ?label) (MIN(?rank) AS ?best) WHERE {
  ?s rdfs:label|skos:altLabel|skos:notation ?l .
  BIND(LCASE(STR(?l)) AS ?low) BIND(LCASE(?q) AS ?needle)
  FILTER(CONTAINS(?low, ?needle))
  BIND(IF(?low = ?needle, 0, IF(STRSTARTS(?low, ?needle), 1, 2)) AS ?rank)
} GROUP BY ?s ORDER BY ?best STR(?label) LIMIT 100"""


async def find_labels(state: AppState, text: str, limit: int = 100) -> list[dict[str, str]]:
    """Resources whose label, alternative label or notation contains ``text`` (any case);
    ``text`` is bound to ``?q`` as a literal, the query text never changes."""
    rows = (await state.select(SEARCH_QUERY, {"q": named_queries.string_term(text)}))[:limit]
    names = state.graph.labels({r["s"] for r in rows})
    return [
        {
            "iri": r["s"],
            "match": r["label"],
            "label_nl": pick(names.get(r["s"], {}), "nl", r["label"]),
            "label_en": pick(names.get(r["s"], {}), "en", r["label"]),
        }
        for r in rows
    ]


def _json(hits: list[dict[str, str]]) -> str:
    return json.dumps({"results": hits}, ensure_ascii=False)


def _suffix(name: str) -> tuple[str, Format | None]:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        return name, None
    if suffix == "html":
        return stem, HTML
    fmt = formats.by_suffix(suffix)
    if fmt is None or fmt not in RDF_FORMATS:
        raise HTTPException(
            404, f"Unknown suffix .{suffix[:20]}; use .html, .ttl, .jsonld, .nt or .rdf."
        )
    return stem, fmt


def _redirect_to(uri: str, state: AppState) -> Response:
    """Send a pasted IRI to its page; IRIs under the configured public base work too."""
    public = state.settings.public_base
    if public and uri.startswith(public):
        uri = BASE + uri[len(public) :].lstrip("/")
    if not uri.startswith(BASE):
        raise HTTPException(404, "Only IRIs under " + BASE + " resolve here.")
    return RedirectResponse(local(uri), status_code=303)


def _serve(
    request: Request,
    state: AppState,
    iri: str,
    fmt: Format | None,
    lang: str = "nl",
    usage: class_usage.ClassUsage | None = None,
    parts: model.Sections | None = None,
) -> Response:
    if not state.graph.exists(iri):
        raise HTTPException(404, f"Nothing in the graph is called {iri}.")
    chosen = fmt or formats.negotiate(request.headers.get("accept"), OFFERED)
    path = local(iri)
    if chosen is HTML:
        page = model.describe(state.graph, iri, lang)
        bound = {"resource": iri_term(iri)}
        response = render(
            request,
            "resource.html",
            page=page,
            alternates=_alternates(path),
            snippet=sparql_text.with_values(_DESCRIBE, bound),
            query_link="/query?query=" + quote(sparql_text.with_values(_ABOUT, bound)),
            sourced=_sourced_here(page),
            usage=usage,
            parts=parts or model.Sections(),
        )
        return _finish(request, state, response, path)
    quads = state.graph.outgoing(iri) + state.graph.incoming(iri)
    triples = sorted({q.triple for q in quads}, key=str)
    return _rdf_response(request, state, results.triples(chosen, triples), chosen, path)


# The queries a page offers to copy or open in the editor are fixed texts; the page's IRI is
# bound to ?resource by a VALUES row of the engine's own serialisation, never spliced in.
_DESCRIBE = "DESCRIBE ?resource WHERE {\n}"
_ABOUT = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?property ?value ?label WHERE {
  ?resource ?property ?value .
  OPTIONAL { ?value rdfs:label ?label FILTER(lang(?label) = "en") }
}"""


def _sourced_here(page: model.Description) -> list[model.Value]:
    for group in page.incoming:
        if group.predicate == model.SOURCE:
            return group.values
    return []


def _rdf_response(
    request: Request, state: AppState, body: bytes, fmt: Format, path: str
) -> Response:
    response = Response(b"" if request.method == "HEAD" else body, media_type=fmt.content_type)
    return _finish(request, state, response, path, len(body))


def _finish(
    request: Request, state: AppState, response: Response, path: str, length: int | None = None
) -> Response:
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = (
        ", ".join(
            f'<{path}.{f.suffix}>; rel="alternate"; type="{f.media_type}"' for f in RDF_FORMATS
        )
        + f', <{path}.html>; rel="alternate"; type="text/html"'
    )
    tag = hashlib.sha256(f"{state.build.fingerprint}{request.url}".encode()).hexdigest()[:32]
    response.headers["ETag"] = f'"{tag}"'
    if request.headers.get("if-none-match") == f'"{tag}"':
        return Response(status_code=304, headers={"ETag": f'"{tag}"', "Vary": "Accept"})
    if length is not None and request.method == "HEAD":
        response.headers["Content-Length"] = str(length)
    return response


def _alternates(path: str) -> list[tuple[str, str]]:
    return [(f"{path}.{f.suffix}", f.name) for f in RDF_FORMATS]


async def _ontology(
    request: Request, state: AppState, fmt: Format | None, lang: str = "nl"
) -> Response:
    chosen = fmt or formats.negotiate(request.headers.get("accept"), OFFERED)
    if chosen is HTML:
        return _finish(
            request,
            state,
            render(request, "ontology.html", **await ontology_docs.context(state, lang)),
            "/def",
        )
    triples = sorted({q.triple for q in state.graph.quads([ONTOLOGY_GRAPH])}, key=str)
    return _rdf_response(request, state, results.triples(chosen, triples), chosen, "/def")


def _with_labels(
    state: AppState, rows: list[dict[str, str]], key: str, lang: str
) -> list[dict[str, str]]:
    names = state.graph.labels({r[key] for r in rows})
    for row in rows:
        row["label"] = pick(names.get(row[key], {}), lang, row[key])
        row["href"] = local(row[key])
    return rows


async def _home_context(state: AppState, lang: str) -> dict[str, Any]:
    prefix = (
        f"PREFIX dn: <{DN}>\nPREFIX org: <http://www.w3.org/ns/org#>\n"
        f"PREFIX document: <{BASE}id/document/>\n"
    )
    counts = await state.select(
        prefix
        + """SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {
        ?x a ?class FILTER(STRSTARTS(STR(?class), STR(dn:))) } GROUP BY ?class ORDER BY DESC(?n)""",
    )
    # Direct parts only: dn:partOf is transitive, so read the asserted document graph.
    parts = await state.select(
        prefix
        + f"""SELECT ?s ?parent ?order WHERE {{ GRAPH <{data_graph("document")}> {{
        ?s dn:partOf ?parent ; dn:order ?order }} }} ORDER BY ?order""",
    )
    top = str(BASE) + "id/document/defensienota-2024"
    chapters = [p for p in parts if p["parent"] == top]
    children: dict[str, list[dict[str, str]]] = {}
    for part in _with_labels(state, [p for p in parts if p["parent"] != top], "s", lang):
        children.setdefault(part["parent"], []).append(part)
    targets = await state.select(prefix + "SELECT DISTINCT ?s WHERE { ?s a dn:NatoRequirement }")
    orgs = await state.select(
        prefix
        + """SELECT DISTINCT ?s WHERE { ?s a dn:Organisation
        FILTER NOT EXISTS { ?s org:subOrganizationOf ?parent } }""",
    )
    domains = await state.select(prefix + "SELECT ?s WHERE { ?s a dn:Domain }")
    for row in counts:
        row["s"] = row["class"]
    return {
        "triples": sum(state.graph_sizes.values()),
        "graphs": len(state.graph_sizes),
        "classes": _with_labels(state, counts, "s", lang),
        "chapters": _with_labels(state, chapters, "s", lang),
        "sections": children,
        "targets": sorted(_with_labels(state, targets, "s", lang), key=lambda r: r["label"]),
        "organisations": sorted(_with_labels(state, orgs, "s", lang), key=lambda r: r["label"])[
            :60
        ],
        "domains": _with_labels(state, domains, "s", lang),
        "queries": list(state.queries.values()),
        "measures": next((int(r["n"]) for r in counts if r["class"] == DN.Measure), 0),
    }
