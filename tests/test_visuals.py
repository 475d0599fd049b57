"""The visuals: budget bar chart and the measures ↔ NATO ↔ units ↔ materiel graph."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from defensie_kg.web.routes.visuals import format_eur
from defensie_kg.web.views.templating import local

ROOT = Path(__file__).resolve().parents[1]
DN = Namespace("https://w3id.org/defensienota-2024/def/")
EUR = URIRef("http://qudt.org/vocab/unit/CCY_EUR")
SVG = "{http://www.w3.org/2000/svg}"
EVIDENCE = "https://w3id.org/defensienota-2024/id/evidence/"


def _svg(page: str) -> ElementTree.Element:
    """The chart of a page (the one ``<svg>`` with a namespace), parsed as XML."""
    found = re.search(r'<svg xmlns="http://www.w3.org/2000/svg".*?</svg>', page, re.S)
    assert found, "no chart on the page"
    return ElementTree.fromstring(found.group(0))  # noqa: S314 - our own output


def _query_of(page: str) -> str:
    link = re.search(r'href="(/query\?query=[^"]+)"', page)
    assert link
    return parse_qs(urlsplit(html.unescape(link.group(1))).query)["query"][0]


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def _bars(root: ElementTree.Element) -> dict[str, ElementTree.Element]:
    return {a.get("data-iri", ""): a for a in root.iter(f"{SVG}a") if a.get("class") == "bar"}


# --- budget ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "nl", "en"),
    [
        ("2400000000", "€ 2,4 mld", "€2.4 bn"),
        ("24000000000", "€ 24 mld", "€24 bn"),
        ("1500000000", "€ 1,5 mld", "€1.5 bn"),
        ("260000000", "€ 260 mln", "€260 mn"),
        ("5000000", "€ 5 mln", "€5 mn"),
        ("1234567", "€ 1,23 mln", "€1.23 mn"),
        ("500000", "€ 500.000", "€500,000"),
    ],
)
def test_amounts_are_formatted_per_language(value: str, nl: str, en: str) -> None:
    assert format_eur(Decimal(value), "nl") == nl
    assert format_eur(Decimal(value), "en") == en


def test_budget_chart_has_a_bar_per_annex_line(client: TestClient) -> None:
    annex = Graph().parse(ROOT / "data" / "annex.ttl", format="turtle")
    lines = {
        str(s): annex.value(s, DN.value).toPython()
        for s in annex.subjects(RDF.type, DN.BudgetLine)
        if annex.value(s, DN.unit) == EUR
    }
    assert len(lines) >= 4
    for lang, unit in (("nl", "mld"), ("en", "bn")):
        page = client.get(f"/visuals/budget?lang={lang}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        bars = _bars(_svg(page.text))
        for iri, value in lines.items():
            bar = bars[iri]
            assert Decimal(bar.get("data-value", "")) == value
            assert bar.get("href") == f"{local(iri)}?lang={lang}"
            label = annex.value(URIRef(iri), URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
            texts = [t.text or "" for t in bar.iter(f"{SVG}text")]
            amount = texts[-1]
            assert amount.endswith(format_eur(Decimal(value), lang)), amount
            assert label is not None and texts[0]
        assert unit in page.text
    # the annex group comes first
    first = next(a for a in _svg(client.get("/visuals/budget").text).iter(f"{SVG}a"))
    assert first.get("data-iri") in lines


def test_budget_chart_labels_follow_the_language(client: TestClient, data: Graph) -> None:
    line = URIRef("https://w3id.org/defensienota-2024/id/figure/8-1-financial-consequences-people")
    labels = {
        lit.language: str(lit)
        for lit in data.objects(line, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
    }
    for lang in ("nl", "en"):
        bar = _bars(_svg(client.get(f"/visuals/budget?lang={lang}").text))[str(line)]
        assert labels[lang] in bar.find(f"{SVG}title").text  # type: ignore[union-attr]


def test_budget_chart_covers_every_money_figure(client: TestClient, data: Graph) -> None:
    expected = {
        str(s) for s in data.subjects(RDF.type, DN.BudgetLine) if data.value(s, DN.unit) == EUR
    }
    page = client.get("/visuals/budget").text
    assert set(_bars(_svg(page))) == expected
    rows = client.get("/visuals/budget.json").json()["rows"]
    assert {r["budget_line"] for r in rows} == expected
    csv = client.get("/visuals/budget.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == len(expected) + 1
    for link in ('href="/visuals/budget.csv', 'href="/visuals/budget.json'):
        assert link in page


def test_budget_page_shows_and_links_its_query(client: TestClient) -> None:
    page = client.get("/visuals/budget").text
    query = _query_of(page)
    assert "dn:BudgetLine" in query
    shown = re.search(r'<pre class="snippet">(.*?)</pre>', page, re.S)
    assert shown and html.unescape(shown.group(1)) == query  # the text shown is the query run
    result = client.get("/sparql", params={"query": query, "format": "json"})
    assert result.status_code == 200
    assert result.json()["results"]["bindings"]


# --- graph ----------------------------------------------------------------------------------------


def _edges(root: ElementTree.Element) -> set[tuple[str, str, str]]:
    return {
        (p.get("data-source", ""), p.get("data-target", ""), p.get("data-style", ""))
        for p in root.iter(f"{SVG}path")
    }


def test_graph_has_an_edge_per_nato_link_with_its_evidence(client: TestClient, data: Graph) -> None:
    nato = Graph().parse(ROOT / "data" / "nato.ttl", format="turtle")
    page = client.get("/visuals/graph")
    assert page.status_code == 200
    edges = _edges(_svg(page.text))
    tank = (
        "https://w3id.org/defensienota-2024/id/measure/4-2-land-tank-battalion",
        "https://w3id.org/defensienota-2024/id/nato/pt-heavy-infantry-brigade",
        "explicit",
    )
    assert tank in edges
    links = list(nato.subjects(RDF.type, DN.NatoLink))
    assert links
    for link in links:
        measure = data.value(None, DN.hasNatoLink, link)
        evidence = str(nato.value(link, DN.evidence)).removeprefix(EVIDENCE)
        assert (str(measure), str(nato.value(link, DN.natoRequirement)), evidence) in edges


def test_graph_columns_and_links(client: TestClient) -> None:
    root = _svg(client.get("/visuals/graph?lang=en").text)
    nodes = {a.get("data-iri", ""): a for a in root.iter(f"{SVG}a") if a.get("class") == "node"}
    tank = "https://w3id.org/defensienota-2024/id/measure/4-2-land-tank-battalion"
    assert nodes[tank].get("href") == f"{local(tank)}?lang=en"
    assert "Buy tanks" in (nodes[tank].find(f"{SVG}title").text or "")  # type: ignore[union-attr]
    edges = _edges(root)
    unit = "https://w3id.org/defensienota-2024/id/organisation/tankbataljon"
    materiel = "https://w3id.org/defensienota-2024/id/materiel/battle-tank"
    assert (tank, unit, "relation") in edges and (tank, materiel, "relation") in edges
    headings = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "heading"]
    assert headings == ["Measures", "NATO requirements", "Units", "Materiel"]
    styles = {e[2] for e in edges}
    assert {"explicit", "implied"} <= styles


def test_graph_focus_on_one_requirement(client: TestClient) -> None:
    target = "https://w3id.org/defensienota-2024/id/nato/pt-heavy-infantry-brigade"
    for given in (target, "nato:pt-heavy-infantry-brigade"):
        page = client.get("/visuals/graph", params={"target": given})
        assert page.status_code == 200
        edges = _edges(_svg(page.text))
        nato_targets = {t for _, t, style in edges if style in ("explicit", "implied")}
        assert nato_targets == {target}
        assert f"<{target}>" in _query_of(page.text)
    assert client.get("/visuals/graph", params={"target": "nato:nope"}).status_code == 404
    assert (
        client.get(
            "/visuals/graph", params={"target": "measure:4-2-land-tank-battalion"}
        ).status_code
        == 404
    )


def test_visuals_index(client: TestClient) -> None:
    page = client.get("/visuals?lang=en")
    assert page.status_code == 200
    for link in ("/visuals/budget?lang=en", "/visuals/graph?lang=en", "/visuals/graph?target="):
        assert link in page.text


def test_neighbourhood_and_tree_are_well_formed_and_escaped() -> None:
    """The resource-page and ontology-page drawings come from the same element writer."""
    from defensie_kg.web.views import svg

    drawing = svg.neighbourhood(
        'A <b> & "c"', [svg.Spoke("p", "T & U", "/id/x?a=1&b=2", inward=True, inferred=True)]
    )
    ns = "{http://www.w3.org/2000/svg}"
    root = ElementTree.fromstring(drawing)  # noqa: S314 - our own output
    assert root.get("aria-label") == 'A <b> & "c"'
    assert root.find(f"{ns}line").get("stroke-dasharray") == "4 3"  # type: ignore[union-attr]
    assert root.find(f"{ns}a").get("href") == "/id/x?a=1&b=2"  # type: ignore[union-attr]
    tree = ElementTree.fromstring(svg.tree([(0, "Root", "/def/A"), (1, "B & C", "/def/B")]))  # noqa: S314
    assert [t.text for t in tree.iter(f"{ns}text")] == ["Root", "B & C"]
    assert len(list(tree.iter(f"{ns}path"))) == 1
