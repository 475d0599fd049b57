"""/def/{Class}: every property the class's instances use, with counts and an example query."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlparse

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from defensie_kg.namespaces import DN, sparql_prologue
from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState
from defensie_kg.web.views.class_usage import DECLARED, INSTANCES, IS_CLASS, USED, class_usage


def _page(client: TestClient, path: str) -> BeautifulSoup:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def _rows(soup: BeautifulSoup) -> dict[str, tuple[str, int]]:
    out = {}
    for tr in soup.select("table.class-usage tr")[1:]:
        cells = tr.find_all("td")
        out[cells[0].code.get_text()] = (cells[1].get_text(" ", strip=True), int(cells[2].text))
    return out


def test_measure_page_lists_every_property_measures_use(
    client: TestClient, state: AppState
) -> None:
    rows = _rows(_page(client, "/def/Measure?lang=en"))
    text = (
        sparql_prologue()
        + "SELECT ?p (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a dn:Measure ; ?p ?o } GROUP BY ?p"
    )
    body = state.graph.execute(QueryRequest(text, format="json")).body
    used = [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]
    counts = {r["p"]: int(r["n"]) for r in used}
    dn_used = {p for p in counts if p.startswith(DN)}
    assert len(dn_used) >= 28
    for prop in dn_used:
        short = "dn:" + prop[len(DN) :]
        assert short in rows, f"{short} is used by measures but not listed"
        assert rows[short][1] == counts[prop], short
    # declared for dn:Measure, inherited from dn:NotaEntity, and not used at all are all shown
    assert rows["dn:acquires"][0] == "declared"
    assert rows["dn:withPartner"][0] == "inherited from dn:NotaEntity"
    assert rows["dn:signedBy"][1] == 0


def test_subclass_page_shows_inherited_properties(client: TestClient) -> None:
    rows = _rows(_page(client, "/def/BudgetLine?lang=en"))
    assert rows["dn:value"][0] == "inherited from dn:Figure"
    assert rows["dn:value"][1] > 0
    assert rows["dn:budgetArea"][0] == "declared"


def test_class_page_links_to_an_example_query_that_returns_rows(
    client: TestClient, state: AppState
) -> None:
    soup = _page(client, "/def/Measure?lang=en")
    link = soup.select_one("a.example-query")
    assert link is not None
    query = parse_qs(urlparse(str(link["href"])).query)["query"][0]
    assert "dn:Measure" in query
    doc = json.loads(state.graph.execute(QueryRequest(query, format="json")).body)
    assert doc["results"]["bindings"]


def test_a_property_page_has_no_class_section(client: TestClient) -> None:
    soup = _page(client, "/def/servedBy?lang=en")
    assert soup.select("table.class-usage") == []


def test_the_class_is_bound_not_spliced(client: TestClient, state: AppState) -> None:
    for text in (IS_CLASS, DECLARED, USED, INSTANCES):
        assert "?class" in text and "Measure" not in text  # fixed texts; the class is a binding
    response = client.get("/def/Measure%3E%20%7D%20%7D%20SELECT", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert asyncio.run(class_usage(state, DN + "NoSuchClass", "en")) is None
