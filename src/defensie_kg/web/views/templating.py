"""Jinja templates and the helpers pages share: labels, local links, language."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from defensie_kg.namespaces import BASE, shorten

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

LANGUAGES = ("nl", "en")
# The page language, declared to FastAPI as an enumeration: every page that reads ``lang``
# takes it as a parameter of this type, so anything else is a 400 before the page runs.
Lang = Annotated[Literal["nl", "en"], Query(description="Page language: nl (default) or en.")]


@cache
def templates() -> Jinja2Templates:
    """The page templates, loaded on the first page: Jinja is not needed to answer queries,
    and importing it would delay a starting server's first answer."""
    from fastapi.templating import Jinja2Templates

    return Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def language(request: Request) -> str:
    """The page language: ``?lang=`` if given, else Dutch."""
    lang = request.query_params.get("lang", "nl")
    return lang if lang in LANGUAGES else "nl"


def local(iri: str) -> str:
    """The server path for an IRI under the project base; other IRIs stay as they are."""
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else iri


def pick(labels: dict[str, str], lang: str, fallback: str) -> str:
    """The label in ``lang``, else the other language, else any, else ``fallback``."""
    for key in (lang, *LANGUAGES, ""):
        if labels.get(key):
            return labels[key]
    return next(iter(labels.values()), fallback)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the shared context (language, helpers)."""
    lang = language(request)
    context.update(
        request=request,
        lang=lang,
        local=local,
        shorten=shorten,
        other_lang="en" if lang == "nl" else "nl",
    )
    return templates().TemplateResponse(request, template, context, status_code=status_code)
