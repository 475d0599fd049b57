"""Visuals: the nota's money as a bar chart, and measures ↔ NATO ↔ units ↔ materiel as a graph.

Both are server-rendered SVG inside an HTML page (no JavaScript), driven by a
SPARQL query on the live graph that the page shows and links to the editor.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from markupsafe import Markup
from starlette.exceptions import HTTPException

from defensie_kg.namespaces import DN, ID, expand, shorten
from defensie_kg.query import named_queries, sparql_text
from defensie_kg.web.deps import get_state
from defensie_kg.web.state import AppState
from defensie_kg.web.views import svg
from defensie_kg.web.views.templating import Lang, local, pick, render

router = APIRouter(tags=["Visuals"])
State = Annotated[AppState, Depends(get_state)]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ANNEX_SECTION = f"{ID}section/8-1-financial-consequences"  # the annex's structural lines

_PROLOGUE = """PREFIX dn: <https://w3id.org/defensienota-2024/def/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

# The page language is bound to ?lang as a literal (a VALUES row first in the WHERE group):
# every OPTIONAL that filters on it joins on a variable bound outside, so it sees ?lang.
BUDGET_QUERY = (
    _PROLOGUE
    + """PREFIX unit: <http://qudt.org/vocab/unit/>
# Every money figure of the nota (budget lines in euro) with its area, period and section.
SELECT ?line ?label ?value ?qualifier ?period ?periodLabel ?area ?areaLabel
       ?section ?sectionLabel ?sectionNumber ?sectionOrder WHERE {
  ?line a dn:BudgetLine ;
        dn:unit unit:CCY_EUR ;
        dn:value ?value ;
        dn:sourceSection ?section .
  OPTIONAL { ?line rdfs:label ?label . FILTER(lang(?label) = ?lang) }
  OPTIONAL { ?line dn:qualifier/skos:notation ?qualifier }
  OPTIONAL { ?line dn:period ?period }
  OPTIONAL { ?line dn:period/rdfs:label ?periodLabel . FILTER(lang(?periodLabel) = ?lang) }
  OPTIONAL { ?line dn:budgetArea ?area }
  OPTIONAL { ?line dn:budgetArea/rdfs:label ?areaLabel . FILTER(lang(?areaLabel) = ?lang) }
  OPTIONAL { ?section rdfs:label ?sectionLabel . FILTER(lang(?sectionLabel) = ?lang) }
  OPTIONAL { ?section dn:sectionNumber ?sectionNumber }
  OPTIONAL { ?section dn:order ?sectionOrder }
}
ORDER BY ?sectionOrder DESC(?value) ?line
"""
)

# A focus (one NATO requirement) is bound to ?requirement as an IRI.
GRAPH_QUERY = (
    _PROLOGUE
    + """# Measures with a NATO link, their requirement and evidence, the units
# and materiel around them: one row per edge (?kind says which).
SELECT DISTINCT ?kind ?measure ?requirement ?evidence ?relation ?node WHERE {
  ?measure dn:hasNatoLink ?link .
  ?link dn:natoRequirement ?requirement ;
        dn:evidence ?evidence .
  { BIND("nato" AS ?kind) }
  UNION { ?measure ?relation ?node . VALUES ?relation { dn:strengthens dn:carriedOutBy }
          ?node a dn:Unit . BIND("unit" AS ?kind) }
  UNION { ?requirement dn:capabilityUnit ?node .
          BIND(dn:capabilityUnit AS ?relation) BIND("unit" AS ?kind) }
  UNION { ?measure ?relation ?node .
          VALUES ?relation { dn:acquires dn:upgrades dn:concernsMateriel }
          BIND("materiel" AS ?kind) }
}
ORDER BY ?kind ?measure ?requirement ?node
"""
)

_TEXT = {
    "nl": {
        "measures": "Maatregelen",
        "nato": "NAVO-behoeften",
        "units": "Eenheden",
        "materiel": "Materieel",
        "explicit": "expliciet",
        "implied": "geïmpliceerd",
        "budget": "Geld in de Defensienota 2024",
        "graph": "Maatregelen, NAVO-behoeften, eenheden en materieel",
    },
    "en": {
        "measures": "Measures",
        "nato": "NATO requirements",
        "units": "Units",
        "materiel": "Materiel",
        "explicit": "explicit",
        "implied": "implied",
        "budget": "Money in the Defence White Paper 2024",
        "graph": "Measures, NATO requirements, units and materiel",
    },
}
_QUALIFIER_WORDS = {
    "nl": {"~": "circa ", ">": "ruim ", ">=": "minimaal ", "<=": "maximaal ", "=": ""},
    "en": {"~": "about ", ">": "over ", ">=": "at least ", "<=": "up to ", "=": ""},
}


# --- helpers -------------------------------------------------------------------------------


def shown(text: str, bindings: dict[str, str]) -> str:
    """The query as the page shows it and the editor opens it: the bound values written
    as the ``VALUES`` row the engine adds, so it runs as is."""
    return sparql_text.with_values(text, bindings)


def editor_link(text: str) -> str:
    """The query editor pre-filled with ``text``."""
    return "/query?query=" + quote(text, safe="")


def format_eur(value: Decimal, lang: str) -> str:
    """``€ 2,4 mld`` (nl) / ``€2.4 bn`` (en); millions as ``mln`` / ``mn``."""
    size = abs(value)
    if size >= 1_000_000_000:
        number, scale = value / Decimal(1_000_000_000), {"nl": "mld", "en": "bn"}[lang]
    elif size >= 1_000_000:
        number, scale = value / Decimal(1_000_000), {"nl": "mln", "en": "mn"}[lang]
    else:
        number, scale = value, ""
    rounded = f"{number:,.2f}".rstrip("0").rstrip(".")
    if lang == "nl":  # 1,234.5 → 1.234,5
        rounded = rounded.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return f"€ {rounded} {scale}".rstrip()
    return f"€{rounded} {scale}".rstrip()


# --- budget --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetRow:
    iri: str
    label: str
    value: Decimal
    shown: str
    qualifier: str
    period: str
    period_label: str
    area: str
    area_label: str
    section: str
    section_label: str

    def as_dict(self) -> dict[str, str]:
        values = (
            self.iri,
            self.label,
            str(self.value),
            self.shown,
            self.qualifier,
            self.period,
            self.period_label,
            self.area,
            self.area_label,
            self.section,
            self.section_label,
        )
        return dict(zip(BUDGET_FIELDS, values, strict=True))


BUDGET_FIELDS = [
    "budget_line",
    "label",
    "amount_eur",
    "shown",
    "qualifier",
    "period",
    "period_label",
    "area",
    "area_label",
    "section",
    "section_label",
]


async def budget_rows(state: AppState, lang: str) -> tuple[str, list[BudgetRow]]:
    """The query text and one row per budget line in euro (first row wins on duplicates)."""
    bindings = {"lang": named_queries.string_term(lang)}
    rows: dict[str, BudgetRow] = {}
    for r in await state.select(BUDGET_QUERY, bindings):
        if r["line"] in rows:
            continue
        try:
            value = Decimal(r["value"])
        except InvalidOperation:
            continue
        qualifier = r.get("qualifier", "=")
        section_label = r.get("sectionLabel", shorten(r["section"]))
        if r.get("sectionNumber"):
            section_label = f"{r['sectionNumber']} {section_label}"
        rows[r["line"]] = BudgetRow(
            iri=r["line"],
            label=r.get("label", shorten(r["line"])),
            value=value,
            shown=_QUALIFIER_WORDS[lang].get(qualifier, "") + format_eur(value, lang),
            qualifier=qualifier,
            period=r.get("period", ""),
            period_label=r.get("periodLabel", ""),
            area=r.get("area", ""),
            area_label=r.get("areaLabel", shorten(r.get("area", ""))),
            section=r["section"],
            section_label=section_label,
        )
    return shown(BUDGET_QUERY, bindings), list(rows.values())


def budget_chart(rows: list[BudgetRow], lang: str) -> Markup:
    """Bars grouped by section; the annex's structural lines first."""
    groups: dict[str, list[BudgetRow]] = defaultdict(list)
    for row in rows:
        groups[row.section].append(row)
    order = sorted(groups, key=lambda s: (s != ANNEX_SECTION, list(groups).index(s)))
    return svg.bar_chart(
        [
            svg.BarGroup(
                groups[s][0].section_label,
                [
                    svg.Bar(
                        r.label,
                        float(r.value),
                        r.shown,
                        f"{local(r.iri)}?lang={lang}",
                        note=", ".join(x for x in (r.area_label, r.period_label) if x),
                        data={"iri": r.iri, "value": str(r.value), "section": r.section},
                    )
                    for r in groups[s]
                ],
            )
            for s in order
        ],
        _TEXT[lang]["budget"],
    )


@router.get("/visuals", response_class=HTMLResponse, summary="Index of the visuals")
async def visuals_index(request: Request, state: State, lang: Lang = "nl") -> Response:
    targets = _requirements(state, lang)
    return render(request, "visuals.html", targets=targets, text=_TEXT[lang])


@router.get("/visuals/budget", response_class=HTMLResponse, summary="Budget bar chart")
async def budget_page(request: Request, state: State, lang: Lang = "nl") -> Response:
    text, rows = await budget_rows(state, lang)
    return render(
        request,
        "visuals_budget.html",
        rows=rows,
        chart=budget_chart(rows, lang),
        query=text,
        query_link=editor_link(text),
        text=_TEXT[lang],
    )


@router.get("/visuals/budget.json", summary="Budget lines as JSON")
async def budget_json(state: State, lang: Lang = "nl") -> Response:
    text, rows = await budget_rows(state, lang)
    return JSONResponse(
        {"unit": "EUR", "lang": lang, "query": text, "rows": [r.as_dict() for r in rows]}
    )


@router.get("/visuals/budget.csv", summary="Budget lines as CSV")
async def budget_csv(state: State, lang: Lang = "nl") -> Response:
    _, rows = await budget_rows(state, lang)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=BUDGET_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(r.as_dict() for r in rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="budget-lines.csv"'},
    )


# --- graph ---------------------------------------------------------------------------------


def _requirements(state: AppState, lang: str) -> list[dict[str, str]]:
    """Every NATO requirement (IRI, label, link), sorted by label."""
    found = {
        q.subject.value
        for q in state.graph.incoming(str(DN.NatoRequirement))
        if q.predicate.value == RDF_TYPE and isinstance(q.subject, ox.NamedNode)
    }
    labels = state.graph.labels(found)
    out = [{"iri": i, "label": pick(labels[i], lang, shorten(i)), "href": local(i)} for i in found]
    return sorted(out, key=lambda t: t["label"].lower())


def _focus(state: AppState, target: str | None) -> str | None:
    """The NATO requirement ``target`` names (full or prefixed IRI), or 404."""
    if not target:
        return None
    iri = expand(target)
    # the pyoxigraph stub lists Triple as a subject, but RDF 1.2 subjects never are triples
    known = {
        q.subject.value  # type: ignore[union-attr]
        for q in state.graph.incoming(str(DN.NatoRequirement))
        if q.predicate.value == RDF_TYPE
    }
    if iri not in known:
        raise HTTPException(404, f"{target!r} is not a NATO requirement in this graph")
    return iri


async def graph_data(
    state: AppState, lang: str, focus: str | None
) -> tuple[str, list[svg.Node], list[svg.Edge]]:
    """The query text, the nodes (in column order) and the edges of the graph view."""
    bindings = {"requirement": f"<{focus}>"} if focus else {}
    text = shown(GRAPH_QUERY, bindings)
    columns: dict[str, int] = {}
    nato: dict[tuple[str, str], str] = {}  # (measure, requirement) → evidence
    related: dict[tuple[str, str], str] = {}  # (source, unit or materiel) → relation
    for r in await state.select(GRAPH_QUERY, bindings):
        measure, requirement = r["measure"], r["requirement"]
        columns[measure], columns[requirement] = 0, 1
        if r["kind"] == "nato":
            nato[(measure, requirement)] = r["evidence"].rsplit("/", 1)[-1]
            continue
        node, relation = r["node"], r["relation"]
        columns[node] = 2 if r["kind"] == "unit" else 3
        source = requirement if relation == str(DN.capabilityUnit) else measure
        # dn:concernsMateriel is (also) inferred from acquires/upgrades: keep the specific one.
        if related.get((source, node)) in (None, str(DN.concernsMateriel)):
            related[(source, node)] = relation
    words = _TEXT[lang]
    edge_list = [svg.Edge(m, t, style, words.get(style, style)) for (m, t), style in nato.items()]
    edge_list += [svg.Edge(s, t, "relation", shorten(rel)) for (s, t), rel in related.items()]
    labels = state.graph.labels(set(columns))
    nodes = _arrange(
        {
            k: svg.Node(k, pick(labels.get(k, {}), lang, shorten(k)), f"{local(k)}?lang={lang}", c)
            for k, c in columns.items()
        },
        edge_list,
    )
    return text, nodes, edge_list


def _arrange(nodes: dict[str, svg.Node], edges: list[svg.Edge]) -> list[svg.Node]:
    """Column order: NATO requirements by label, then every other column by the mean
    position of its neighbours already placed (fewer crossing lines)."""
    neighbours: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        neighbours[e.source].add(e.target)
        neighbours[e.target].add(e.source)
    position: dict[str, float] = {}
    ordered: list[svg.Node] = []
    for column in (1, 0, 2, 3):
        members = [n for n in nodes.values() if n.column == column]

        def centre(node: svg.Node) -> float:
            placed = [position[m] for m in neighbours[node.key] if m in position]
            return sum(placed) / len(placed) if placed else 0.5

        if column == 1:
            members.sort(key=lambda n: n.label.lower())
        else:
            members.sort(key=lambda n: (centre(n), n.label.lower()))
        for index, node in enumerate(members):
            position[node.key] = (index + 0.5) / len(members)
        ordered += members
    return sorted(ordered, key=lambda n: n.column)  # stable: keeps the order within a column


@router.get(
    "/visuals/graph",
    response_class=HTMLResponse,
    summary="Measures ↔ NATO requirements ↔ units ↔ materiel",
)
async def graph_page(
    request: Request,
    state: State,
    lang: Lang = "nl",
    target: Annotated[
        str | None, Query(description="A NATO requirement (IRI or CURIE) to focus on.")
    ] = None,
) -> Response:
    focus = _focus(state, target)
    text, nodes, edges = await graph_data(state, lang, focus)
    words = _TEXT[lang]
    chart = svg.column_graph(
        [words["measures"], words["nato"], words["units"], words["materiel"]],
        nodes,
        edges,
        words["graph"],
    )
    return render(
        request,
        "visuals_graph.html",
        chart=chart,
        query=text,
        query_link=editor_link(text),
        focus=focus,
        targets=_requirements(state, lang),
        counts={c: sum(n.column == c for n in nodes) for c in range(4)},
        edges=len(edges),
        text=words,
    )
