"""The faceted measure browser (/measures) over HTTP, read with BeautifulSoup.

Its counts and rows are checked against direct SPARQL on the graph, written here
independently of the page's own query texts (the chapter facet through ``dn:partOf*``
where the page uses the closure's ``dn:partOf?``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from conftest import Recorder
from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState

ID = "https://w3id.org/defensienota-2024/id/"
NOTA = ID + "document/defensienota-2024"
HTML = {"Accept": "text/html"}
PATHS = {
    "chapter": "dn:sourceSection/dn:partOf*",
    "domain": "dn:inDomain",
    "status": "dn:status",
    "nato": "dn:contributesTo",
    "threat": "dn:addressesThreat",
    "place": "dn:concernsPlace",
    "partner": "dn:withPartner",
    "organisation": "dn:involvesOrganisation|dn:carriedOutBy|dn:strengthens",
}
TOP_PART = (
    f"?v dn:partOf <{NOTA}> FILTER NOT EXISTS {{ ?v dn:partOf ?up . ?up dn:partOf <{NOTA}> }}"
)
SELECTIONS: list[list[tuple[str, str]]] = [
    [],
    [("chapter", "section/4")],
    [("chapter", "section/3"), ("chapter", "section/4")],
    [("status", "decided"), ("chapter", "section/6")],
    [("domain", "domain/land"), ("status", "under-way"), ("status", "planned")],
    [("partner", "country/germany")],
]
HOSTILE = [
    "x",
    'en") } } SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } #',
    "> } ; DROP ALL ; <",
    f"{ID}measure/x> }} # ",
    ID + "measure/x> } UNION { ?s ?p ?o } #",
    "section/4> } UNION { ?s ?p ?o",
    "dn:x",
    "\u202e\x00\ufeff",
    "A" * 5000,
    "http://example.org/x",
    "",
    "status/planned",
]


def _sparql(state: AppState, text: str) -> list[dict[str, str]]:
    prefixed = "PREFIX dn: <https://w3id.org/defensienota-2024/def/>\n" + text
    body = state.graph.execute(QueryRequest(prefixed, format="json", max_rows=100000)).body
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]


def _iri(name: str, value: str) -> str:
    return f"{ID}status/{value}" if name == "status" else ID + value


def _grouped(selection: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in selection:
        out.setdefault(name, []).append(_iri(name, value))
    return out


def _constraints(selection: list[tuple[str, str]], skip: str | None = None) -> str:
    parts = []
    for index, (name, iris) in enumerate(_grouped(selection).items()):
        if name == skip:
            continue
        values = " ".join(f"<{iri}>" for iri in iris)
        parts.append(f"?m {PATHS[name]} ?sel{index} . VALUES ?sel{index} {{ {values} }}")
    return "\n".join(parts)


def direct_measures(state: AppState, selection: list[tuple[str, str]]) -> set[str]:
    rows = _sparql(
        state, f"SELECT DISTINCT ?m WHERE {{ ?m a dn:Measure . {_constraints(selection)} }}"
    )
    return {r["m"] for r in rows}


def direct_counts(state: AppState, selection: list[tuple[str, str]], facet: str) -> dict[str, int]:
    extra = TOP_PART if facet == "chapter" else ""
    rows = _sparql(
        state,
        f"""SELECT ?v (COUNT(DISTINCT ?m) AS ?n) WHERE {{
        ?m a dn:Measure ; {PATHS[facet]} ?v . FILTER(isIRI(?v)) {extra}
        {_constraints(selection, skip=facet)} }} GROUP BY ?v""",
    )
    return {r["v"]: int(r["n"]) for r in rows}


def page(client: TestClient, selection: list[tuple[str, str]], lang: str = "en") -> Any:
    response = client.get("/measures", params=[*selection, ("lang", lang)], headers=HTML)
    assert response.status_code == 200, response.text[:300]
    return BeautifulSoup(response.text, "html.parser")


def shown_counts(soup: Any, facet: str) -> dict[str, int]:
    section = soup.find("section", attrs={"data-facet": facet})
    return {
        li.a["data-value"]: int(li.find("span", class_="count").get_text())
        for li in section.find_all("li")
    }


def shown_rows(soup: Any) -> list[str]:
    return [tr["data-measure"] for tr in soup.select("table.measures tbody tr[data-measure]")]


@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: "&".join(f"{k}={v}" for k, v in s))
def test_rows_and_every_facet_count_equal_direct_sparql(
    client: TestClient, state: AppState, selection: list[tuple[str, str]]
) -> None:
    soup = page(client, selection)
    rows = shown_rows(soup)
    assert len(rows) == len(set(rows))
    assert set(rows) == direct_measures(state, selection)
    assert soup.find(id="measure-count").get_text() == str(len(rows))
    chosen = _grouped(selection)
    for facet in PATHS:
        expected = direct_counts(state, selection, facet)
        for iri in chosen.get(facet, []):
            expected.setdefault(iri, 0)
        assert shown_counts(soup, facet) == expected, facet


def test_the_graph_gives_every_facet_values(client: TestClient) -> None:
    soup = page(client, [])
    for facet in PATHS:
        assert shown_counts(soup, facet), f"the {facet} facet is empty"
    assert len(shown_rows(soup)) >= 300
    statuses = shown_counts(soup, "status")
    assert sum(statuses.values()) == len(shown_rows(soup))  # one status per measure


def test_filters_combine(client: TestClient) -> None:
    chapter = set(shown_rows(page(client, [("chapter", "section/4")])))
    status = set(shown_rows(page(client, [("status", "decided")])))
    both = set(shown_rows(page(client, [("chapter", "section/4"), ("status", "decided")])))
    assert both == chapter & status and 0 < len(both) < len(chapter)
    three = set(shown_rows(page(client, [("chapter", "section/3")])))
    either = set(shown_rows(page(client, [("chapter", "section/3"), ("chapter", "section/4")])))
    assert either == three | chapter


def test_a_value_link_leads_to_as_many_measures_as_its_count(client: TestClient) -> None:
    soup = page(client, [("chapter", "section/4")])
    domain = soup.find("section", attrs={"data-facet": "domain"})
    link = domain.find("li").a
    count = int(domain.find("li").find("span", class_="count").get_text())
    href = link["href"]
    assert href.startswith("/measures?") and "chapter=section%2F4" in href and "lang=en" in href
    followed = BeautifulSoup(client.get(href, headers=HTML).text, "html.parser")
    assert len(shown_rows(followed)) == count
    chosen = followed.find("section", attrs={"data-facet": "domain"}).find("li", class_="selected")
    assert chosen.a["data-value"] == link["data-value"]
    back = BeautifulSoup(client.get(chosen.a["href"], headers=HTML).text, "html.parser")
    assert shown_rows(back) == shown_rows(soup)  # clicking a selected value removes it


def test_full_iris_and_short_forms_are_the_same_selection(client: TestClient) -> None:
    short = shown_rows(page(client, [("domain", "domain/land")]))
    full = shown_rows(page(client, [("domain", f"{ID}domain/land")]))
    assert short == full and short


@pytest.mark.parametrize("selection", SELECTIONS[1:4], ids=str)
def test_downloads_equal_the_pages_rows(
    client: TestClient, selection: list[tuple[str, str]]
) -> None:
    soup = page(client, selection)
    rows = [
        [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in soup.select("table.measures tbody tr[data-measure]")
    ]
    iris = shown_rows(soup)
    by_suffix = client.get("/measures.csv", params=[*selection, ("lang", "en")])
    by_format = client.get("/measures", params=[*selection, ("lang", "en"), ("format", "csv")])
    assert by_suffix.headers["content-type"].startswith("text/csv")
    assert by_suffix.text == by_format.text
    table = list(csv.DictReader(io.StringIO(by_suffix.text)))
    assert [r["measure"] for r in table] == iris
    assert [[r["label"], r["section_label"], r["status_label"]] for r in table] == rows
    link = soup.find("a", attrs={"data-format": "csv"})["href"]
    assert "lang=en" in link and client.get(link).text == by_suffix.text
    data = client.get("/measures.json", params=[*selection, ("lang", "en")]).json()
    assert [m["measure"] for m in data["measures"]] == iris
    assert data["count"] == len(iris)
    assert data["selection"] == _grouped(selection)
    same = client.get("/measures", params=[*selection, ("lang", "en"), ("format", "json")])
    assert same.json() == data


def test_labels_follow_the_language_switch_and_it_keeps_the_selection(
    client: TestClient,
) -> None:
    selection = [("chapter", "section/4"), ("status", "planned")]
    nl, en = page(client, selection, "nl"), page(client, selection, "en")
    assert shown_rows(nl) == shown_rows(en)
    assert nl.find("section", attrs={"data-facet": "status"}).h2.get_text() == "Status"
    assert en.find("section", attrs={"data-facet": "nato"}).h2.get_text() == "NATO need"
    assert nl.find("section", attrs={"data-facet": "nato"}).h2.get_text() == "NAVO-behoefte"
    nl_labels = [tr.td.get_text() for tr in nl.select("table.measures tbody tr")]
    en_labels = [tr.td.get_text() for tr in en.select("table.measures tbody tr")]
    assert nl_labels != en_labels
    switch = nl.find("a", class_="lang")["href"]
    assert switch.startswith("/measures?") and "status=planned" in switch
    assert "lang=en" in switch


def test_home_page_links_the_browser(client: TestClient) -> None:
    soup = BeautifulSoup(client.get("/?lang=en", headers=HTML).text, "html.parser")
    assert soup.find("a", href="/measures?lang=en") is not None


@pytest.mark.parametrize("path", ["/measures", "/measures.csv", "/measures.json"])
def test_hostile_values_in_every_parameter(client: TestClient, path: str) -> None:
    with warnings.catch_warnings():  # GET+HEAD routes share an operation id
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")
        schema = client.app.openapi()  # type: ignore[attr-defined]
    template = "/measures.{suffix}" if path != "/measures" else "/measures"
    parameters = schema["paths"][template]["get"]["parameters"]
    names = [p["name"] for p in parameters if p["in"] == "query"]
    assert {"chapter", "status", "organisation", "lang"} <= set(names)
    for name in names:
        for value in HOSTILE:
            response = client.get(path, params={name: value}, headers=HTML)
            assert response.status_code in (200, 400), (name, value[:40], response.status_code)
            assert "Traceback" not in response.text and "/work/" not in response.text
    many = [("chapter", f"section/{i}") for i in range(11)]
    assert client.get(path, params=many).status_code == 400


def test_the_selection_never_changes_the_query_texts(
    recorded: tuple[TestClient, Recorder],
) -> None:
    client, recorder = recorded
    seen = set()
    for selection in SELECTIONS:
        recorder.texts.clear()
        assert client.get("/measures", params=selection).status_code == 200
        assert len(recorder.texts) == 9  # the list and one count per facet, all in the workers
        seen.add(frozenset(recorder.texts))
        assert not any(re.search(r"section/4|domain/land|germany", t) for t in recorder.texts)
    assert len(seen) == 1


def test_a_list_cut_by_the_row_cap_says_so(client: TestClient) -> None:
    """The row cap applies to page queries too; the page and the JSON say when it cut."""
    state = client.app.state.kg  # type: ignore[attr-defined]
    original = state.settings
    state.settings = original.with_overrides(max_rows=7)
    try:
        page = client.get("/measures", params={"lang": "en"})
        download = client.get("/measures.json")
    finally:
        state.settings = original
    doc = download.json()
    assert doc["truncated"] is True and doc["count"] == 7
    assert download.headers["x-result-truncated"] == "true"  # and so never cached
    assert "row limit" in BeautifulSoup(page.text, "html.parser").select_one("#truncated").text
    assert client.get("/measures.json").json()["truncated"] is False
