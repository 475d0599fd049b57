"""How errors look over HTTP: plain text on /sparql, an HTML page for browsers, JSON elsewhere.

The app's exception handlers answer through :func:`kg_error_response` and
:func:`error_response`; the query front (:mod:`defensie_kg.web.fastpath`) writes the same
text and JSON bodies for the query routes.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from defensie_kg.errors import KGError, NotAcceptable
from defensie_kg.rdf import formats
from defensie_kg.web.routes import pages
from defensie_kg.web.views import templating


def kg_error_response(request: Request, exc: KGError) -> Response:
    """The response for an error a user caused, with its status."""
    status = getattr(exc, "status", 500)
    headers = {"Vary": "Accept"} if isinstance(exc, NotAcceptable) else {}
    return error_response(request, status, type(exc).__name__, str(exc), headers)


def error_response(
    request: Request,
    status: int,
    kind: str,
    message: str,
    headers: dict[str, str] | None = None,
    suggestions: list[dict[str, str]] | None = None,
) -> Response:
    """Errors as text/plain on /sparql (what SPARQL clients show), an HTML page for
    browsers (with ``suggestions``: pages to try instead), JSON elsewhere."""
    if request.url.path.startswith("/sparql"):
        return PlainTextResponse(f"{message}\n", status_code=status, headers=headers)
    if formats.prefers_html(request.headers.get("accept")):
        page = templating.render(
            request,
            "error.html",
            status_code=status,
            status=status,
            title=kind,
            message=message,
            suggestions=suggestions or [],
        )
        page.headers.update(headers or {})
        return page
    body = {"error": {"type": kind, "message": message, "status": status}}
    return JSONResponse(body, status_code=status, headers=headers)


async def suggestions(request: Request, status: int) -> list[dict[str, str]]:
    """For a browser's 404, resources whose labels match the last word of the address
    (looked up in the query workers, the word bound as a literal)."""
    state = getattr(request.app.state, "kg", None)
    words = [w for w in request.url.path.rsplit("/", 1)[-1].split("-") if len(w) > 3]
    wanted = status == 404 and formats.prefers_html(request.headers.get("accept"))
    if not wanted or state is None or not words or not state.graph_loaded:
        return []
    try:
        hits = await pages.find_labels(state, words[0], limit=8)
    except KGError:
        return []
    lang = templating.language(request)
    return [{"iri": h["iri"], "label": h[f"label_{lang}"]} for h in hits]
