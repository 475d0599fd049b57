"""The SPARQL 1.1 Protocol endpoint at ``/sparql`` (query operation only).

GET with ``query=``, POST form-encoded, POST ``application/sparql-query``;
``default-graph-uri``/``named-graph-uri``; ``format`` overrides Accept;
``infer=false`` queries the asserted graphs only. Without a query: the
SPARQL Service Description. Updates are refused: the store is read-only.
"""

from __future__ import annotations

import re
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from defensie_kg.namespaces import INFERRED_GRAPH, SD, VOID
from defensie_kg.rdf import formats, results
from defensie_kg.web.deps import get_state
from defensie_kg.web.middleware import QUERY_TEXT
from defensie_kg.web.protocol import FORMAT_PARAMETERS, Incoming, parse_pairs, to_request
from defensie_kg.web.responses import read_body, run_query
from defensie_kg.web.state import AppState

router = APIRouter(tags=["SPARQL"])
State = Annotated[AppState, Depends(get_state)]

_QUERY_DOC = """SPARQL 1.1 Protocol query operation.

Parameters: `query` (the query), `default-graph-uri` and `named-graph-uri`
(repeatable; graphs this store holds), `format` or `output` (a name such as json, xml,
csv, tsv, turtle, ntriples, jsonld, rdfxml, trig, nquads, the names Fuseki and Virtuoso
read, or a media type; read in the light of the query form, and overriding Accept),
`infer` (false: asserted triples only). Relative IRIs in the query resolve against this
endpoint's URL unless the query has a BASE. Without `query`, a GET answers with the
Service Description; a form POST without `query` is a 400.
"""

# The parameters as declared to OpenAPI (so the schema lists them and the fuzzer sends
# them); the protocol reads them from the raw query string and body (web.protocol).
Text = Annotated[str | None, Query(description="The SPARQL query.")]
Graphs = Annotated[list[str] | None, Query(description="A graph this store holds.")]
Wanted = Annotated[str | None, Query(description="A format name or media type (overrides Accept).")]
Infer = Annotated[str | None, Query(description="false: asserted triples only.")]


@router.api_route("/sparql", methods=["GET", "HEAD"], summary="Query (GET)", description=_QUERY_DOC)
async def sparql_get(
    request: Request,
    state: State,
    query: Text = None,
    default_graph_uri: Annotated[Graphs, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[Graphs, Query(alias="named-graph-uri")] = None,
    format: Wanted = None,  # noqa: A002 - the parameter's name on the wire
    output: Wanted = None,
    infer: Infer = None,
) -> Response:
    return await _handle(request, state, b"")


@router.post("/sparql", summary="Query (POST)", description=_QUERY_DOC)
async def sparql_post(
    request: Request,
    state: State,
    format: Wanted = None,  # noqa: A002 - the parameter's name on the wire
    output: Wanted = None,
    infer: Infer = None,
) -> Response:
    body = await read_body(request, state.settings.max_body_bytes)
    return await _handle(request, state, body)


async def _handle(request: Request, state: AppState, body: bytes) -> Response:
    incoming = Incoming(
        method=request.method,
        raw_query_string=request.scope.get("query_string", b""),
        content_type=request.headers.get("content-type", ""),
        body=body,
        accept=request.headers.get("accept"),
        base_iri=endpoint_iri(request, state),
    )
    query = to_request(incoming, state.settings.max_rows, state.settings.service_allowlist)
    if query is None:
        await state.wait_graph()  # it counts the graph's triples
        return service_description(request, state)
    request.scope[QUERY_TEXT] = query.text  # the access log hashes it
    return await run_query(state, query, head=request.method == "HEAD")


_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def endpoint_iri(request: Request, state: AppState) -> str:
    """This endpoint's URL: under ``public_base`` when set, else the request's own host
    (only a well-formed host name; anything else gives ``http://localhost``)."""
    if state.settings.public_base:
        return state.settings.public_base.rstrip("/") + "/sparql"
    host = request.headers.get("host", "")
    scheme = "https" if request.url.scheme == "https" else "http"
    return f"{scheme}://{host if _HOST.match(host) else 'localhost'}/sparql"


def service_description(request: Request, state: AppState) -> Response:
    """The SPARQL Service Description of this endpoint, in the RDF format asked for."""
    accept = request.headers.get("accept")
    if formats.prefers_html(accept):
        return RedirectResponse("/query", status_code=303)
    pairs = parse_pairs(request.scope.get("query_string", b""), "query string")
    wanted = formats.wanted(v for n, v in pairs if n in FORMAT_PARAMETERS)
    fmt = formats.choose(wanted, accept, formats.TRIPLE_FORMATS)
    body = results.triples(fmt, _description(endpoint_iri(request, state), state))
    return Response(
        b"" if request.method == "HEAD" else body,
        media_type=fmt.content_type,
        headers={"Vary": "Accept"},
    )


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
        out.append(ox.Triple(service, n(SD.resultFormat), n(fmt.iri)))
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
