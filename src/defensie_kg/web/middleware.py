"""Cross-cutting HTTP behaviour: access logs, security headers, request limits.

Small pure-ASGI middlewares (nothing is buffered, so streamed dumps stay
streamed), installed outside every route so they see every response:

- :class:`AccessLog` writes one JSON line per request on the
  ``defensie_kg.access`` logger: method, path, status, duration_ms, client and,
  for SPARQL requests, a sha256 prefix of the query text and the row count
  (from ``X-Result-Rows``). Never the query text, the query string or a body.
- :class:`SecurityHeaders` adds ``X-Content-Type-Options: nosniff`` and a
  ``Referrer-Policy`` to every response, and a Content-Security-Policy without
  inline script (plus ``X-Frame-Options``) to HTML and SVG. A route that sets its own
  header keeps it.
- :class:`QueryStringCheck` refuses a query string longer than ``max_body_bytes``
  (414), so a huge GET query is turned away like a huge POST body (413), and one
  with raw bytes that are not percent-encoded ASCII (400).
- :class:`RateLimit` allows ``rate_limit`` requests per minute per client
  address (a token bucket in memory; 0 turns it off) and answers 429 with
  ``Retry-After`` past that. ``/health`` and ``/ready`` are never limited.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from defensie_kg.settings import Settings

access_log = logging.getLogger("defensie_kg.access")

# HTML gets no inline script and nothing from elsewhere.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's own /docs and /redoc pages load Swagger UI / ReDoc from a CDN with an
# inline bootstrap script; they show the API description only, never data.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net "
    "https://fonts.googleapis.com; font-src 'self' https://fonts.gstatic.com; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; worker-src blob:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
DOCUMENTS = ("text/html", "image/svg+xml")  # media types a browser renders with scripts
EVERY_RESPONSE = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
UNLIMITED = ("/health", "/ready")
HASH_CHARS = 16  # of the query's sha256: enough to group repeats, useless to read it back
MAX_LOGGED_PATH = 300
# Where /sparql leaves the query text it decoded, so the access log need not decode it again.
QUERY_TEXT = "defensie_kg.query_text"
MAX_CLIENTS = 10_000  # rate-limit buckets kept before idle ones are dropped
_PRINTABLE_ASCII = re.compile(rb"[\x21-\x7e]*")  # RFC 3986: anything else is %-encoded


def install(app: FastAPI, settings: Settings) -> None:
    """Add the middleware this module defines to ``app`` (last added runs first)."""
    app.add_middleware(QueryStringCheck, limit=settings.max_body_bytes)
    if settings.rate_limit > 0:
        app.add_middleware(RateLimit, per_minute=settings.rate_limit)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog, max_body=settings.max_body_bytes)


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration plus ours: access lines (JSON) on stdout, the rest
    on stderr. Pass it with ``access_log=False``: uvicorn's own access line would show the
    query string, and with it the query."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["plain"] = {"format": "%(message)s"}
    config["handlers"]["access_json"] = {
        "formatter": "plain",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["defensie_kg"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    config["loggers"]["defensie_kg.access"] = {
        "handlers": ["access_json"],
        "level": "INFO",
        "propagate": False,
    }
    return config


def _header(message: Message, name: bytes) -> str | None:
    for key, value in message.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def send_error(
    send: Send,
    scope: Scope,
    status: int,
    kind: str,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """An error the way the app words them: plain text on /sparql, JSON elsewhere."""
    if scope["path"].startswith("/sparql"):
        body, media = f"{message}\n".encode(), b"text/plain; charset=utf-8"
    else:
        body, media = error_json(kind, message, status), b"application/json"
    headers = [
        *(headers or []),
        (b"access-control-allow-origin", b"*"),
        (b"content-type", media),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    head = scope.get("method") == "HEAD"
    await send({"type": "http.response.body", "body": b"" if head else body})


def error_json(kind: str, message: str, status: int) -> bytes:
    """The JSON body of an error outside /sparql (as the app's handlers write it)."""
    return json.dumps({"error": {"type": kind, "message": message, "status": status}}).encode()


class QueryStringCheck:
    """A query string longer than ``max_body_bytes`` is refused (414), as a body would be;
    one with raw bytes outside printable ASCII (not percent-encoded) is a 400."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        problem = query_string_problem(query, self.limit)
        if problem is None:
            await self.app(scope, receive, send)
        else:
            await send_error(send, scope, *problem)


def query_string_problem(query: bytes, limit: int) -> tuple[int, str, str] | None:
    """(status, kind, message) when the query string is refused, else ``None``."""
    if len(query) > limit:
        return (
            414,
            "URITooLong",
            f"Query string longer than {limit} bytes; send long queries with POST.",
        )
    if not _PRINTABLE_ASCII.fullmatch(query):
        return 400, "BadRequest", "The query string must be percent-encoded ASCII."
    return None


class AccessLog:
    """One JSON line per request; for SPARQL, a hash of the query instead of its text."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        is_sparql = scope["path"] == "/sparql"
        body = bytearray()
        response: dict[str, Any] = {"status": 0, "rows": None}

        async def receive_body() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) <= self.max_body:
                body.extend(message.get("body", b""))
            return message

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["rows"] = _header(message, b"x-result-rows")
            await send(message)

        try:
            await self.app(scope, receive_body if is_sparql else receive, send_and_note)
        except BaseException:
            response["status"] = response["status"] or 500
            raise
        finally:
            digest = _query_hash(scope, bytes(body), self.max_body) if is_sparql else None
            log_request(scope, response["status"], started, response["rows"], digest, is_sparql)


def log_request(
    scope: Scope,
    status: int,
    started: float,
    rows: str | None,
    digest: str | None,
    is_sparql: bool,
) -> None:
    """Write the access line of one request (``digest``: :func:`query_digest` of its query)."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    entry: dict[str, Any] = {
        "method": scope.get("method"),
        "path": scope["path"][:MAX_LOGGED_PATH],
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "client": (scope.get("client") or ("-",))[0],
    }
    if is_sparql:
        entry["query_sha256"] = digest
    if rows is not None and rows.isdigit():
        entry["rows"] = int(rows)
    _log_line(json.dumps(entry, separators=(",", ":")))


def query_digest(text: str) -> str:
    """What the access log keeps of a query: a prefix of its sha256."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:HASH_CHARS]


def _log_line(line: str) -> None:
    """``access_log.info(line)`` without looking up the caller's frame, file and line
    (a stack walk per request that no access-log format shows)."""
    access_log.handle(
        access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, line, (), None)
    )


def _query_hash(scope: Scope, body: bytes, limit: int) -> str | None:
    """sha256 prefix of the query, however it was sent (the same text gives the same hash)."""
    text = scope.get(QUERY_TEXT)
    if text is None:  # not a query the endpoint read (refused, malformed): decode it here
        text = _query_text(scope, body) if len(body) <= limit else None
    if text is None:
        return None
    return query_digest(text)


def _query_text(scope: Scope, body: bytes) -> str | None:
    def from_form(raw: bytes) -> str | None:
        pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True, errors="replace")
        return next((value for name, value in pairs if name in ("query", "update")), None)

    content_type = ""
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            content_type = value.decode("latin-1").split(";")[0].strip().lower()
    if scope.get("method") == "POST" and content_type in (
        "application/sparql-query",
        "application/sparql-update",
    ):
        return body.decode("utf-8", "replace")
    if scope.get("method") == "POST" and content_type == "application/x-www-form-urlencoded":
        found = from_form(body)
        if found is not None:
            return found
    return from_form(scope.get("query_string", b""))


class SecurityHeaders:
    """nosniff and Referrer-Policy everywhere; a strict CSP on HTML."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": secured(message.get("headers", []), policy)}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def secured(headers: list[tuple[bytes, bytes]], policy: str = CSP) -> list[tuple[bytes, bytes]]:
    """``headers`` plus the security headers they lack (a CSP when the body is a document)."""
    out = list(headers)
    present = {bytes(k).lower() for k, _ in out}
    extra = list(EVERY_RESPONSE)
    content_type = next((bytes(v) for k, v in out if bytes(k).lower() == b"content-type"), b"")
    if content_type.decode("latin-1").startswith(DOCUMENTS):
        extra += [(b"content-security-policy", policy.encode()), (b"x-frame-options", b"DENY")]
    return out + [(k, v) for k, v in extra if k not in present]


class RateLimit:
    """A token bucket per client address: ``per_minute`` requests, refilled continuously."""

    def __init__(
        self, app: ASGIApp, per_minute: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app, self.clock = app, clock
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0  # tokens per second
        self.buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, last seen)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED:
            await self.app(scope, receive, send)
            return
        wait = self.take((scope.get("client") or ("unknown",))[0])
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry = max(1, math.ceil(wait))
        await send_error(
            send,
            scope,
            429,
            "TooManyRequests",
            f"Too many requests: at most {self.capacity:g} per minute per client. "
            f"Try again in {retry} s.",
            [(b"retry-after", str(retry).encode())],
        )

    def take(self, client: str) -> float:
        """Spend one token of ``client``; 0 when allowed, else seconds until one is back."""
        now = self.clock()
        tokens, last = self.buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.refill)
        if tokens >= 1:
            self.buckets[client] = (tokens - 1, now)
            if len(self.buckets) > MAX_CLIENTS:
                self._forget_idle(now)
            return 0.0
        self.buckets[client] = (tokens, now)
        return (1 - tokens) / self.refill

    def _forget_idle(self, now: float) -> None:
        # A full bucket is the same as no bucket; if that frees too little, drop the
        # least recently seen half.
        for client, (tokens, last) in list(self.buckets.items()):
            if tokens + (now - last) * self.refill >= self.capacity:
                del self.buckets[client]
        if len(self.buckets) > MAX_CLIENTS:
            by_age = sorted(self.buckets, key=lambda c: self.buckets[c][1])
            for client in by_age[: len(by_age) // 2]:
                del self.buckets[client]
