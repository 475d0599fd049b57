"""The SPARQL 1.1 Protocol endpoint at ``/sparql`` (query operation only).

GET with ``query=``, POST form-encoded, POST ``application/sparql-query``;
``default-graph-uri``/``named-graph-uri``; ``format`` overrides Accept;
``infer=false`` queries the asserted graphs only. Without a query: the
SPARQL Service Description. Updates are refused: the store is read-only.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from defensie_kg.rdf import formats, results
from defensie_kg.web.deps import get_state
from defensie_kg.web.middleware import QUERY_TEXT
from defensie_kg.web.protocol import FORMAT_PARAMETERS, Incoming, parse_pairs, to_request
from defensie_kg.web.responses import read_body, run_query
from defensie_kg.web.state import AppState
from defensie_kg.web.views import service_description as sd_view

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
    """This endpoint's URL (see :func:`endpoint_url`)."""
    return endpoint_url(
        state.settings.public_base, request.headers.get("host", ""), request.url.scheme
    )


def endpoint_url(public_base: str, host: str, scheme: str) -> str:
    """This endpoint's URL: under ``public_base`` when set, else the request's own host
    (only a well-formed host name; anything else gives ``http://localhost``)."""
    if public_base:
        return public_base.rstrip("/") + "/sparql"
    scheme = "https" if scheme == "https" else "http"
    return f"{scheme}://{host if _HOST.match(host) else 'localhost'}/sparql"


def service_description(request: Request, state: AppState) -> Response:
    """The SPARQL Service Description of this endpoint, in the RDF format asked for."""
    accept = request.headers.get("accept")
    if formats.prefers_html(accept):
        return RedirectResponse("/query", status_code=303)
    pairs = parse_pairs(request.scope.get("query_string", b""), "query string")
    wanted = formats.wanted(v for n, v in pairs if n in FORMAT_PARAMETERS)
    fmt = formats.choose(wanted, accept, formats.TRIPLE_FORMATS)
    body = results.triples(fmt, sd_view.describe(endpoint_iri(request, state), state))
    return Response(
        b"" if request.method == "HEAD" else body,
        media_type=fmt.content_type,
        headers={"Vary": "Accept"},
    )
