"""The query routes in one step: ``/sparql`` and ``/queries/{name}`` past the middleware stack.

A query answer is bytes from a worker plus a few headers, yet through the app it passes
six middlewares (access log, security headers, query-string check, CORS, response cache,
FastAPI's error layers), each wrapping ``send``, then the router and a ``Request``.
:class:`QueryFront` sits outside them and answers exactly these requests itself, calling
the same functions they call: ``middleware.query_string_problem``, ``log_request`` and
``secured``, the response cache's key, ETag and store (``caching``), Starlette's own
CORS writer, the routes' own request readers (``protocol.to_request``,
``queries.prepare``) and the executor. Anything else — another path or method, a GET
without a query (the service description), a page (HTML asked for), a refused query
string, a CORS preflight, a request with a cookie, any request while rate limiting is on —
goes to the app unchanged.

Measured with wrk (distinct workload, 16 connections; bench/README.md): the main process
spends about half as much CPU per query this way, which is the difference between being
behind and ahead of Oxigraph on the cheap queries.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from defensie_kg.errors import KGError, NotAcceptable
from defensie_kg.query.store import QueryRequest, QueryResult
from defensie_kg.rdf import formats
from defensie_kg.web import caching, middleware
from defensie_kg.web.protocol import Incoming, to_request
from defensie_kg.web.responses import PayloadTooLarge, result_headers
from defensie_kg.web.routes import queries
from defensie_kg.web.routes.sparql import endpoint_url
from defensie_kg.web.state import AppState

_NAMED = "/queries/"
_JSON = b"application/json"
_TEXT = b"text/plain; charset=utf-8"


class QueryFront:
    """Answer query requests directly; pass every other request to ``app``."""

    def __init__(
        self, app: ASGIApp, stats: caching.CacheStats, cors: dict[str, Any], max_body: int
    ) -> None:
        self.app, self.stats, self.max_body = app, stats, max_body
        self.cors = CORSMiddleware(app, **cors)  # only its response-header writer is used

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = _route(scope)
        state: AppState | None = None
        if name is not None:
            state = getattr(scope["app"].state, "kg", None)
        if name is None or state is None or _declined(scope, state, self.max_body):
            await self.app(scope, receive, send)
            return
        await state.wait_graph()
        started = time.perf_counter()
        headers = {bytes(k).lower(): bytes(v) for k, v in scope["headers"]}
        body = b""
        if scope["method"] == "POST":
            body, receive = await caching.read_all(receive)
        try:
            query = _read(name, scope, headers, body, state)
        except KGError as exc:
            if name and formats.prefers_html(_accept(headers)):
                await self.app(scope, receive, send)  # the error page, with suggestions
            else:
                await self._error(scope, send, started, exc, None)
            return
        if query is None:  # the service description, or an HTML page
            await self.app(scope, receive, send)  # read_all's receive gives the body again
            return
        await self._answer(scope, send, started, headers, body, query, state)

    async def _answer(
        self,
        scope: Scope,
        send: Send,
        started: float,
        headers: dict[bytes, bytes],
        body: bytes,
        query: QueryRequest,
        state: AppState,
    ) -> None:
        digest = middleware.query_digest(query.text) if scope["path"] == "/sparql" else None
        key = caching.request_key(state.build.fingerprint, scope, headers, body)
        use_cache = self.stats.limit > 0 and key is not None
        entry = self.stats.get(key) if use_cache and key is not None else None
        if entry is not None:
            self.stats.hits += 1
            status, stored, content, etag = entry
        else:
            try:
                result = await state.execute(query)
            except KGError as exc:
                await self._error(scope, send, started, exc, digest)
                return
            status, stored, content = 200, _headers(result), result.body
            etag = b""
            if use_cache and key is not None:
                self.stats.misses += 1
                if caching.fits(200, dict(stored)):
                    etag = caching.etag_for(key)
                    stored += [(b"etag", etag), (b"cache-control", caching.CACHE_CONTROL)]
                    if len(content) <= self.stats.limit // 8:
                        self.stats.put(key, (status, stored, content, etag))
        if etag and caching.matches(headers.get(b"if-none-match"), etag):
            await caching.not_modified(self.stats, etag, self._sender(scope, send))
            middleware.log_request(scope, 304, started, None, digest, digest is not None)
            return
        rows = next((v.decode() for k, v in stored if k == b"x-result-rows"), None)
        head = scope["method"] == "HEAD"
        await self._send(scope, send, status, stored, b"" if head else content)
        middleware.log_request(scope, status, started, rows, digest, digest is not None)

    async def _error(
        self, scope: Scope, send: Send, started: float, exc: KGError, digest: str | None
    ) -> None:
        """A refused query the way the app answers it: text on /sparql, JSON elsewhere."""
        status = getattr(exc, "status", 500)
        if scope["path"] == "/sparql":
            content, media = f"{exc}\n".encode(), _TEXT
        else:
            content, media = middleware.error_json(type(exc).__name__, str(exc), status), _JSON
        headers = [(b"content-type", media), (b"content-length", str(len(content)).encode())]
        if isinstance(exc, NotAcceptable):
            headers.append((b"vary", b"Accept"))
        await self._send(
            scope, send, status, headers, b"" if scope["method"] == "HEAD" else content
        )
        middleware.log_request(scope, status, started, None, digest, scope["path"] == "/sparql")

    def _sender(self, scope: Scope, send: Send) -> Send:
        request_headers = Headers(scope=scope)

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": middleware.secured(message["headers"])}
                await self.cors.send(message, send, request_headers)
                return
            await send(message)

        return with_headers

    async def _send(
        self, scope: Scope, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        sender = self._sender(scope, send)
        await sender({"type": "http.response.start", "status": status, "headers": list(headers)})
        await sender({"type": "http.response.body", "body": body})


def _route(scope: Scope) -> str | None:
    """``""`` for /sparql, the name for /queries/{name}, ``None`` for anything else."""
    if scope["type"] != "http" or scope.get("root_path"):
        return None
    path, method = scope["path"], scope["method"]
    if path == "/sparql" and method in ("GET", "HEAD", "POST"):
        return ""
    if path.startswith(_NAMED) and method in ("GET", "HEAD"):
        name = path[len(_NAMED) :]
        return name if name and "/" not in name else None
    return None


def _declined(scope: Scope, state: AppState, max_body: int) -> bool:
    """Requests the app's own layers must see: rate limited, refused query strings, cookies
    (CORS answers those with the explicit origin), bodies above the limit (413 there)."""
    if state.settings.rate_limit > 0:
        return True
    if middleware.query_string_problem(scope.get("query_string", b""), max_body) is not None:
        return True
    for key, value in scope["headers"]:
        if key == b"cookie":
            return True
        if key == b"content-length" and (not value.isdigit() or int(value) > max_body):
            return True
    return scope["method"] == "POST" and not any(
        k == b"content-length" for k, _ in scope["headers"]
    )


def _read(
    name: str, scope: Scope, headers: dict[bytes, bytes], body: bytes, state: AppState
) -> QueryRequest | None:
    """The query to run, or ``None`` when the app answers (no query, or a page)."""
    accept = _accept(headers)
    raw = scope.get("query_string", b"")
    if name:
        return queries.prepare(name, raw, accept, state).request
    if len(body) > state.settings.max_body_bytes:
        raise PayloadTooLarge(f"Request body larger than {state.settings.max_body_bytes} bytes.")
    incoming = Incoming(
        method=scope["method"],
        raw_query_string=raw,
        content_type=headers.get(b"content-type", b"").decode("latin-1"),
        body=body,
        accept=accept,
        base_iri=endpoint_url(
            state.settings.public_base,
            headers.get(b"host", b"").decode("latin-1"),
            scope.get("scheme", "http"),
        ),
    )
    return to_request(incoming, state.settings.max_rows, state.settings.service_allowlist)


def _accept(headers: dict[bytes, bytes]) -> str | None:
    return headers[b"accept"].decode("latin-1") if b"accept" in headers else None


def _headers(result: QueryResult) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", result.format.content_type.encode()),
        (b"content-length", str(len(result.body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in result_headers(result).items()),
    ]
