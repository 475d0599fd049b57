"""The page sections of issue 15 on resource pages, over HTTP with BeautifulSoup, checked
against direct SPARQL: a measure's status and evidence, its summary links both ways, the
measures that answer a threat (with the threat links' evidence and notes), what concerns
a place."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState

ID = "https://w3id.org/defensienota-2024/id/"
HTML = {"Accept": "text/html"}
TANKS = "measure/4-2-land-tank-battalion"


def _sparql(state: AppState, text: str) -> list[dict[str, str]]:
    prefixed = (
        "PREFIX dn: <https://w3id.org/defensienota-2024/def/>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" + text
    )
    body = state.graph.execute(QueryRequest(prefixed, format="json", max_rows=100000)).body
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]


def _page(client: TestClient, path: str, lang: str = "en") -> Any:
    response = client.get(f"/id/{path}?lang={lang}", headers=HTML)
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def _listed(soup: Any, heading: str) -> list[str]:
    """The resources linked first in each item of the list under ``heading``."""
    found = soup.find("h2", id=heading)
    assert found is not None, f"no section #{heading}"
    return [li.a["href"].split("?")[0] for li in found.find_next("ul").find_all("li")]


def _local(iris: set[str]) -> set[str]:
    return {"/" + iri[len("https://w3id.org/defensienota-2024/") :] for iri in iris}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_measure_page_shows_status_and_evidence(
    client: TestClient, state: AppState, lang: str
) -> None:
    soup = _page(client, TANKS, lang)
    box = soup.find(id="status")
    rows = _sparql(
        state,
        f"SELECT ?status ?evidence WHERE {{ <{ID}{TANKS}> dn:status ?status ; "
        f'dn:statusEvidence ?evidence FILTER(lang(?evidence) = "{lang}") }}',
    )
    assert rows
    assert box.find("a", class_="status")["href"].split("?")[0] == _local({rows[0]["status"]}).pop()
    assert [q.get_text() for q in box.find_all("q")] == sorted({r["evidence"] for r in rows})
    # prominent: before the table of properties
    assert box.find_next("table", class_="outgoing") is not None


def test_every_sampled_measure_page_shows_its_status(client: TestClient, state: AppState) -> None:
    rows = _sparql(state, "SELECT ?m ?s WHERE { ?m a dn:Measure ; dn:status ?s } ORDER BY ?m")
    for row in rows[::15]:
        soup = _page(client, row["m"][len(ID) :])
        link = soup.find(id="status").find("a", class_="status")
        assert link["href"].split("?")[0] == _local({row["s"]}).pop(), row["m"]


def test_summary_links_show_both_directions(client: TestClient, state: AppState) -> None:
    summarised_by = {
        r["s"]
        for r in _sparql(
            state,
            f"SELECT ?s WHERE {{ {{ ?s dn:summarises <{ID}{TANKS}> }} UNION "
            f"{{ <{ID}{TANKS}> dn:summarisedBy ?s }} }}",
        )
    }
    assert summarised_by
    assert set(_listed(_page(client, TANKS), "summarised-by")) == _local(summarised_by)
    summary = sorted(summarised_by)[0]
    summarises = {
        r["m"] for r in _sparql(state, f"SELECT ?m WHERE {{ <{summary}> dn:summarises ?m }}")
    }
    listed = set(_listed(_page(client, summary[len(ID) :]), "summarises"))
    assert listed == _local(summarises) and _local({ID + TANKS}) <= listed


def test_threat_page_lists_the_measures_that_answer_it(client: TestClient, state: AppState) -> None:
    rows = _sparql(
        state,
        """SELECT ?t (COUNT(DISTINCT ?l) AS ?n) WHERE {
        ?l dn:answersThreat ?t ; dn:evidence <https://w3id.org/defensienota-2024/id/evidence/implied>
        } GROUP BY ?t ORDER BY DESC(?n) ?t LIMIT 1""",
    )
    threat = rows[0]["t"]
    expected = _sparql(
        state,
        f"""SELECT DISTINCT ?m ?via WHERE {{ ?via dn:broaderThreat* <{threat}> .
        ?m a dn:Measure ; dn:addressesThreat ?via }}""",
    )
    soup = _page(client, threat[len(ID) :])
    assert set(_listed(soup, "answered-by")) == _local({r["m"] for r in expected})
    items = soup.find("h2", id="answered-by").find_next("ul").find_all("li")
    assert len(items) == len({(r["m"], r["via"]) for r in expected})
    implied = [li for li in items if li.find("a", class_="evidence", string="implied")]
    assert implied and all(li.find("small", class_="note").get_text() for li in implied)
    notes = {
        r["note"]
        for r in _sparql(
            state,
            f"""SELECT ?note WHERE {{ ?l dn:answersThreat <{threat}> ;
            dn:evidence <{ID}evidence/implied> ; skos:editorialNote ?note }}""",
        )
    }
    assert {li.find("small", class_="note").get_text() for li in implied} <= notes


def test_place_page_lists_what_concerns_it(client: TestClient, state: AppState) -> None:
    rows = _sparql(
        state,
        """SELECT ?p (COUNT(DISTINCT ?x) AS ?n) WHERE { ?p a dn:Place . ?x dn:concernsPlace ?p }
        GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT 1""",
    )
    place = rows[0]["p"]
    things = {
        r["x"] for r in _sparql(state, f"SELECT ?x WHERE {{ ?x dn:concernsPlace <{place}> }}")
    }
    soup = _page(client, place[len(ID) :])
    assert set(_listed(soup, "concerns")) == _local(things)
    assert soup.find("h2", id="concerns").find_next("ul").find("span", class_="kind")


def test_pages_without_these_links_have_no_such_sections(client: TestClient) -> None:
    soup = _page(client, "status/planned")
    for heading in ("status", "summarises", "summarised-by", "answered-by", "concerns"):
        assert soup.find(id=heading) is None
