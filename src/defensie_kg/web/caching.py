"""A bounded cache of finished responses, in the main process.

The dataset is immutable per build, so a successful answer to the same request
is the same bytes until the next build. :class:`ResponseCache` is a pure-ASGI
middleware (inside CORS and ours, so the access log and security headers see
hits too) that keeps whole response bodies for GET/HEAD and for ``POST /sparql``,
keyed by the build id and the normalised request: path, the decoded query-string
pairs in sorted order (query text, dataset parameters, ``infer``, ``format``,
bound parameters of a named query, ``lang``), a form body's pairs, a
``application/sparql-query`` body, and the headers that choose the answer
(``Accept``, ``Host``). Memory is bounded by ``response_cache_bytes``: the least
recently used entries go first, and one entry may take at most an eighth of it.

Only a complete ``200`` is kept: an error, a timeout (503), a truncated result
(``X-Result-Truncated``), a response that sets a cookie, or one larger than an
entry may be, never is. Every cacheable answer carries an ``ETag`` (from the build
id and the key) and ``Cache-Control``; a matching ``If-None-Match`` gets ``304``.
The reloader calls :meth:`ResponseCache.clear` when it swaps the build; the build
id in the key keeps an answer of the old build from being served after the swap.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from defensie_kg.errors import QueryError
from defensie_kg.web.protocol import FORM, SPARQL_QUERY, parse_pairs

CACHE_CONTROL = b"public, max-age=60"
UNCACHED = ("/health", "/ready", "/static/", "/docs", "/redoc", "/openapi.json")
_VARYING = (b"accept", b"host")
_ENTRY_OVERHEAD = 200  # bytes charged per entry besides its body and headers


class CacheStats:
    """The cache's counters and its entries (shared by the middleware and ``/health``)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.entries: OrderedDict[tuple[Any, ...], tuple[int, list[Any], bytes, bytes]] = (
            OrderedDict()
        )
        self.bytes = 0
        self.hits = self.misses = self.not_modified = 0

    def get(self, key: tuple[Any, ...]) -> tuple[int, list[Any], bytes, bytes] | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple[Any, ...], entry: tuple[int, list[Any], bytes, bytes]) -> None:
        size = _size(entry)
        if size > self.limit // 8:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= _size(old)
        self.entries[key] = entry
        self.bytes += size
        while self.bytes > self.limit and self.entries:
            _, dropped = self.entries.popitem(last=False)
            self.bytes -= _size(dropped)

    def clear(self) -> None:
        self.entries.clear()
        self.bytes = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "not_modified": self.not_modified,
            "entries": len(self.entries),
            "bytes": self.bytes,
            "limit_bytes": self.limit,
        }


def _size(entry: tuple[int, list[Any], bytes, bytes]) -> int:
    _, headers, body, etag = entry
    return len(body) + len(etag) + sum(len(k) + len(v) for k, v in headers) + _ENTRY_OVERHEAD


class ResponseCache:
    """Serve a finished response again for the same request on the same build."""

    def __init__(self, app: ASGIApp, stats: CacheStats, max_body: int) -> None:
        self.app, self.stats, self.max_body = app, stats, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or self.stats.limit <= 0
            or path.startswith(UNCACHED)
            or not (method in ("GET", "HEAD") or (method == "POST" and path == "/sparql"))
        ):
            await self.app(scope, receive, send)
            return
        state = getattr(scope["app"].state, "kg", None)
        if state is None:
            await self.app(scope, receive, send)
            return
        headers = {bytes(k).lower(): bytes(v) for k, v in scope.get("headers", [])}
        body = b""
        if method == "POST":
            declared = headers.get(b"content-length", b"")
            if not declared.isdigit() or int(declared) > self.max_body:
                await self.app(scope, receive, send)  # the route applies the body limit
                return
            body, receive = await read_all(receive)
        key = request_key(state.build.fingerprint, scope, headers, body)
        if key is None:  # malformed: the app answers with its own error
            await self.app(scope, receive, send)
            return
        head = method == "HEAD"
        entry = self.stats.get(key)
        if entry is not None:
            self.stats.hits += 1
            await self._replay(entry, headers, head, send)
            return
        self.stats.misses += 1
        etag = etag_for(key)
        await self._fill(key, etag, headers, head, scope, receive, send)

    async def _replay(
        self,
        entry: tuple[int, list[Any], bytes, bytes],
        headers: dict[bytes, bytes],
        head: bool,
        send: Send,
    ) -> None:
        status, stored, body, etag = entry
        if matches(headers.get(b"if-none-match"), etag):
            await self._not_modified(etag, send)
            return
        await send({"type": "http.response.start", "status": status, "headers": stored})
        await send({"type": "http.response.body", "body": b"" if head else body})

    async def _fill(
        self,
        key: tuple[Any, ...],
        etag: bytes,
        headers: dict[bytes, bytes],
        head: bool,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        limit = self.stats.limit // 8
        held: dict[str, Any] = {"start": None, "chunks": [], "size": 0, "ok": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {bytes(k).lower(): bytes(v) for k, v in message.get("headers", [])}
                fit = fits(message["status"], names)
                held["ok"] = fit and not head  # a HEAD body is empty: fill on GET only
                if fit:
                    extra = [(b"etag", etag), (b"cache-control", CACHE_CONTROL)]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                held["start"] = message
                if held["ok"] and matches(headers.get(b"if-none-match"), etag):
                    held["not_modified"] = True
                    return
            elif message["type"] == "http.response.body" and held["ok"]:
                chunk = message.get("body", b"")
                held["size"] += len(chunk)
                if held["size"] > limit:
                    held["ok"] = False
                    held["chunks"] = []
                else:
                    held["chunks"].append(chunk)
                if not message.get("more_body", False) and held["ok"]:
                    start = held["start"]
                    body = b"".join(held["chunks"])
                    self.stats.put(key, (start["status"], list(start["headers"]), body, etag))
            if held.get("not_modified"):
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    await self._not_modified(etag, send)
                return
            await send(message)

        await self.app(scope, receive, capture)

    async def _not_modified(self, etag: bytes, send: Send) -> None:
        await not_modified(self.stats, etag, send)


async def not_modified(stats: CacheStats, etag: bytes, send: Send) -> None:
    """A 304 for ``etag`` (from the cache, or instead of an answer just computed)."""
    stats.not_modified += 1
    headers = [(b"etag", etag), (b"cache-control", CACHE_CONTROL)]
    await send({"type": "http.response.start", "status": 304, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def etag_for(key: tuple[Any, ...]) -> bytes:
    """The ETag of the answer to the request ``key`` (build id included)."""
    return b'"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32].encode() + b'"'


def fits(status: int, headers: dict[bytes, bytes]) -> bool:
    """Whether an answer may be kept: a complete 200 that is not cut, sets no cookie and
    carries no ETag of its own (downloads keep theirs)."""
    return (
        status == 200
        and b"x-result-truncated" not in headers
        and b"set-cookie" not in headers
        and b"etag" not in headers
    )


def matches(header: bytes | None, etag: bytes) -> bool:
    if not header:
        return False
    return header.strip() == b"*" or etag in [
        t.strip().removeprefix(b"W/") for t in header.split(b",")
    ]


def request_key(
    build: str, scope: Scope, headers: dict[bytes, bytes], body: bytes
) -> tuple[Any, ...] | None:
    """The normalised request; ``None`` when it cannot be read (the app reports that)."""
    try:
        pairs = parse_pairs(scope.get("query_string", b""), "query string")
        if body:
            media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if media == FORM.encode():
                pairs += parse_pairs(body, "request body")
            elif media == SPARQL_QUERY.encode():
                pairs.append(("query", body.decode("utf-8")))
            else:
                return None
    except (QueryError, UnicodeDecodeError):
        return None
    return (
        build,
        scope.get("root_path", ""),
        scope["path"],
        tuple(sorted(pairs)),
        *(headers.get(name, b"") for name in _VARYING),
    )


async def read_all(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that hands it to the app again."""
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
