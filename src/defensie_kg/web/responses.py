"""Shared response helpers: reading bodies within limits, query results as HTTP."""

from __future__ import annotations

from fastapi import Request, Response

from defensie_kg.errors import QueryError
from defensie_kg.query.store import QueryRequest, QueryResult
from defensie_kg.web.state import AppState


class PayloadTooLarge(QueryError):
    """The request body is larger than ``max_body_bytes``."""

    status = 413


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or :class:`PayloadTooLarge` as soon as it passes ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body larger than {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def run_query(state: AppState, query: QueryRequest, head: bool = False) -> Response:
    """Run a query and turn its result into a response."""
    return result_response(await state.execute(query), head)


def result_response(result: QueryResult, head: bool = False) -> Response:
    """HTTP response for a serialised result; the row cap is signalled in headers."""
    headers = result_headers(result)
    body = b"" if head else result.body
    if head:
        headers["Content-Length"] = str(len(result.body))
    return Response(body, media_type=result.format.content_type, headers=headers)


def result_headers(result: QueryResult) -> dict[str, str]:
    """The headers of a query answer besides its type and length (rows, the cut)."""
    headers = {"Vary": "Accept", "X-Result-Rows": str(result.rows)}
    if result.truncated:
        headers["X-Result-Truncated"] = "true"
        headers["Warning"] = '199 - "result truncated at the row limit (max_rows)"'
    return headers
