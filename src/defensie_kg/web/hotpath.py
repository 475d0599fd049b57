"""``/sparql`` and ``/queries/{name}`` called directly, past FastAPI's routing.

On a cheap query the server spends most of its time per request outside the
query: matching the path against every route, solving dependencies, the
exception middleware. This middleware sits inside ours (access log, security
headers, limits, CORS) and calls the two query routes' own functions for
exactly the requests the router would give them; everything else, and any
other method, goes on to the app unchanged. Errors are answered as the app's
exception handler answers them.
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from defensie_kg.errors import KGError
from defensie_kg.web.errors import kg_error_response
from defensie_kg.web.routes import queries, sparql
from defensie_kg.web.state import AppState

_NAMED = "/queries/"
_SPARQL_METHODS = ("GET", "HEAD", "POST")
_NAMED_METHODS = ("GET", "HEAD")


class HotPath:
    """Run the query routes without the router (same functions, same responses)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if path == "/sparql" and method in _SPARQL_METHODS:
            name = None
        elif (
            path.startswith(_NAMED)
            and method in _NAMED_METHODS
            and len(path) > len(_NAMED)
            and "/" not in path[len(_NAMED) :]
        ):
            name = path[len(_NAMED) :]
        else:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        state: AppState = scope["app"].state.kg
        try:
            if name is not None:
                response = await queries.run(name, request, state)
            elif method == "POST":
                response = await sparql.sparql_post(request, state)
            else:
                response = await sparql.sparql_get(request, state)
        except KGError as exc:
            response = kg_error_response(request, exc)
        await response(scope, receive, send)
