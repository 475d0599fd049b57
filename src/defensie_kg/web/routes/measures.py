"""``/measures``: the faceted measure browser, and its selection as CSV or JSON.

Every filter is a declared GET parameter (so the URL is the shareable selection); values
are IRIs under the project base (or their short form ``kind/slug``), or for ``status`` one
of a declared enumeration, and they reach the query only as bound terms
(:mod:`defensie_kg.web.views.measures`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.exceptions import HTTPException

from defensie_kg.web.deps import get_state
from defensie_kg.web.state import AppState
from defensie_kg.web.views import measures as model
from defensie_kg.web.views.templating import Lang, render

router = APIRouter(tags=["Pages"])
State = Annotated[AppState, Depends(get_state)]
Format = Literal["html", "csv", "json"]
Status = Literal["under-way", "decided", "planned", "being-explored", "to-be-phased-out"]


def _values(what: str) -> object:
    return Query(
        description=f"{what}: an IRI under https://w3id.org/defensienota-2024/id/ or its short "
        f"form kind/slug; repeat the parameter for several values (any of them), at most "
        f"{model.MAX_VALUES}.",
    )


Chapter = Annotated[list[str] | None, _values("Chapter or other top part (e.g. section/4)")]
Domain = Annotated[list[str] | None, _values("Domain (e.g. domain/land)")]
Nato = Annotated[list[str] | None, _values("NATO need the measure contributes to")]
Threat = Annotated[list[str] | None, _values("Threat the measure answers")]
Place = Annotated[list[str] | None, _values("Place the measure concerns")]
Partner = Annotated[list[str] | None, _values("Partner the measure is carried out with")]
Organisation = Annotated[
    list[str] | None, _values("Organisation that carries out, takes part in or is strengthened")
]
Statuses = Annotated[
    list[Status] | None,
    Query(description="Status of the measure; repeat for several (any of them)."),
]
FormatParam = Annotated[
    Format | None, Query(description="html (default), csv or json: the same selection.")
]


def _selection(
    chapter: Chapter = None,
    domain: Domain = None,
    status: Statuses = None,
    nato: Nato = None,
    threat: Threat = None,
    place: Place = None,
    partner: Partner = None,
    organisation: Organisation = None,
) -> dict[str, list[str]]:
    """The filters of a request, validated: facet name → chosen IRIs (400 otherwise)."""
    raw = {
        "chapter": chapter,
        "domain": domain,
        "status": status,
        "nato": nato,
        "threat": threat,
        "place": place,
        "partner": partner,
        "organisation": organisation,
    }
    try:
        return model.selection({k: list(v or []) for k, v in raw.items()})
    except model.BadSelection as exc:
        raise HTTPException(400, str(exc)) from exc


Selection = Annotated[dict[str, list[str]], Depends(_selection)]


async def _answer(
    request: Request, state: AppState, chosen: dict[str, list[str]], fmt: str, lang: str
) -> Response:
    page = await model.page(state, chosen, lang)
    response: Response
    if fmt == "csv":
        response = Response(
            page.as_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="measures.csv"'},
        )
    elif fmt == "json":
        response = Response(page.as_json(), media_type="application/json")
    else:
        lang_href = "/measures?" + model.query_string(chosen, "en" if lang == "nl" else "nl")
        response = render(request, "measures.html", page=page, lang_href=lang_href)
    if page.truncated:
        # as on /sparql: a cut list says so, and the response cache never keeps it
        response.headers["X-Result-Truncated"] = "true"
    return response


@router.get("/measures", summary="Faceted measure browser (HTML, CSV or JSON)")
async def measures(
    request: Request,
    state: State,
    chosen: Selection,
    format: FormatParam = None,  # noqa: A002 - the parameter's public name
    lang: Lang = "nl",
) -> Response:
    return await _answer(request, state, chosen, format or "html", lang)


@router.get("/measures.{suffix}", summary="The measure browser's selection as CSV or JSON")
async def measures_download(
    suffix: Literal["csv", "json"],
    request: Request,
    state: State,
    chosen: Selection,
    lang: Lang = "nl",
) -> Response:
    return await _answer(request, state, chosen, suffix, lang)
