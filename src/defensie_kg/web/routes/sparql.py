"""The SPARQL 1.1 Protocol endpoint at ``/sparql`` (query operation only).

GET with ``query=``, POST form-encoded, POST ``application/sparql-query``;
``default-graph-uri``/``named-graph-uri``; ``format`` overrides Accept;
``infer=false`` queries the asserted graphs only. Without a query: the
SPARQL Service Description. Updates are refused: the store is read-only.
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from defensie_kg.namespaces import INFERRED_GRAPH, SD, VOID
from defensie_kg.rdf import formats, results
from defensie_kg.web.deps import get_state
from defensie_kg.web.middleware import QUERY_TEXT
from defensie_kg.web.protocol import Incoming, to_request
from defensie_kg.web.responses import read_body, run_query
from defensie_kg.web.state import AppState

router = APIRouter(tags=["SPARQL"])
State = Annotated[AppState, Depends(get_state)]

_QUERY_DOC = """SPARQL 1.1 Protocol query operation.

Parameters: `query` (the query), `default-graph-uri` and `named-graph-uri`
(repeatable; graphs this store holds), `format` (json, xml, csv, tsv, turtle,
ntriples, jsonld, rdfxml, trig, nquads; overrides Accept), `infer` (false:
asserted triples only). Without `query`: the Service Description.
"""


@router.api_route("/sparql", methods=["GET", "HEAD"], summary="Query (GET)", description=_QUERY_DOC)
async def sparql_get(request: Request, state: State) -> Response:
    return await _handle(request, state, b"")


@router.post("/sparql", summary="Query (POST)", description=_QUERY_DOC)
async def sparql_post(request: Request, state: State) -> Response:
    body = await read_body(request, state.settings.max_body_bytes)
    return await _handle(request, state, body)


async def _handle(request: Request, state: AppState, body: bytes) -> Response:
    incoming = Incoming(
        method=request.method,
        raw_query_string=request.scope.get("query_string", b""),
        content_type=request.headers.get("content-type", ""),
        body=body,
        accept=request.headers.get("accept"),
    )
    query = to_request(incoming, state.settings.max_rows, state.settings.service_allowlist)
    if query is None:
        await state.wait_graph()  # it counts the graph's triples
        return service_description(request, state)
    request.scope[QUERY_TEXT] = query.text  # the access log hashes it
    return await run_query(state, query, head=request.method == "HEAD")


def service_description(request: Request, state: AppState) -> Response:
    """The SPARQL Service Description of this endpoint, in the RDF format asked for."""
    accept = request.headers.get("accept")
    if formats.prefers_html(accept):
        return RedirectResponse("/query", status_code=303)
    wanted = request.query_params.get("format")
    fmt = formats.lookup(wanted) if wanted else None
    if fmt is None or fmt not in formats.GRAPH_FORMATS:
        fmt = formats.negotiate(accept, _GRAPH_ONLY)
    body = results.triples(fmt, _description(str(request.url_for("sparql_get")), state))
    return Response(
        b"" if request.method == "HEAD" else body,
        media_type=fmt.content_type,
        headers={"Vary": "Accept"},
    )


_GRAPH_ONLY = tuple(f for f in formats.GRAPH_FORMATS if f.kind == "graph")
_FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF_XML",
    "trig": "TriG",
    "nquads": "N-Quads",
}


def _description(endpoint: str, state: AppState) -> list[ox.Triple]:
    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    rdf_type = n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    service, dataset, default = (
        ox.BlankNode("service"),
        ox.BlankNode("dataset"),
        ox.BlankNode("default"),
    )
    out = [
        ox.Triple(service, rdf_type, n(SD.Service)),
        ox.Triple(service, n(SD.endpoint), n(endpoint)),
        ox.Triple(service, n(SD.supportedLanguage), n(SD.SPARQL11Query)),
        ox.Triple(service, n(SD.feature), n(SD.UnionDefaultGraph)),
        ox.Triple(service, n(SD.feature), n(SD.BasicFederatedQuery))
        if state.settings.service_allowlist
        else None,
        ox.Triple(service, n(SD.defaultDataset), dataset),
        ox.Triple(dataset, rdf_type, n(SD.Dataset)),
        ox.Triple(dataset, n(SD.defaultGraph), default),
        ox.Triple(default, rdf_type, n(SD.Graph)),
        ox.Triple(
            default,
            n(VOID.triples),
            ox.Literal(str(sum(state.graph_sizes.values())), datatype=n(_XSD_INT)),
        ),
        ox.Triple(
            service,
            n("http://purl.org/dc/terms/title"),
            ox.Literal("Defensienota 2024 knowledge graph SPARQL endpoint", language="en"),
        ),
    ]
    for fmt in formats.FORMATS:
        out.append(
            ox.Triple(
                service,
                n(SD.resultFormat),
                n("http://www.w3.org/ns/formats/" + _FORMAT_IRIS[fmt.name]),
            )
        )
    for index, (graph, size) in enumerate(sorted(state.graph_sizes.items())):
        named, inner = ox.BlankNode(f"named{index}"), ox.BlankNode(f"graph{index}")
        out += [
            ox.Triple(dataset, n(SD.namedGraph), named),
            ox.Triple(named, n(SD.name), n(graph)),
            ox.Triple(named, n(SD.graph), inner),
            ox.Triple(inner, rdf_type, n(SD.Graph)),
            ox.Triple(inner, n(VOID.triples), ox.Literal(str(size), datatype=n(_XSD_INT))),
        ]
        if graph == str(INFERRED_GRAPH):
            out.append(
                ox.Triple(
                    named,
                    n("http://www.w3.org/2000/01/rdf-schema#comment"),
                    ox.Literal("OWL RL inferences (omit with infer=false)", language="en"),
                )
            )
    return [t for t in out if t is not None]


_XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"
