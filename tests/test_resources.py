"""Dereferenceable IRIs and HTML pages: negotiation, suffixes, alternates, search, crawl."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef

BASE = "https://w3id.org/defensienota-2024/"
MEASURE = "/id/measure/4-2-land-tank-battalion"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.mark.parametrize(
    ("accept", "media", "rdflib_format"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
    ],
)
def test_resource_rdf_by_accept_and_suffix(
    client: TestClient, accept: str, media: str, rdflib_format: str
) -> None:
    by_accept = client.get(MEASURE, headers={"Accept": accept})
    suffix = {"turtle": "ttl", "json-ld": "jsonld", "nt": "nt", "xml": "rdf"}[rdflib_format]
    by_suffix = client.get(f"{MEASURE}.{suffix}")
    for response in (by_accept, by_suffix):
        assert response.status_code == 200
        assert response.headers["content-type"] == f"{media}; charset=utf-8"
        graph = Graph().parse(data=response.content, format=rdflib_format)
        assert (URIRef(BASE + MEASURE[1:]), None, None) in graph
    assert by_accept.content == by_suffix.content


def test_browsers_get_html_with_alternates(client: TestClient) -> None:
    response = client.get(MEASURE, headers=HTML)
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]
    links = response.headers["link"]
    for suffix in ("ttl", "jsonld", "nt", "rdf"):
        assert f'<{MEASURE}.{suffix}>; rel="alternate"' in links


def test_page_shows_labels_not_iris_and_marks_inferred(client: TestClient) -> None:
    soup = BeautifulSoup(client.get(MEASURE + "?lang=en", headers=HTML).text, "html.parser")
    assert soup.h1.get_text() == "Buy tanks and form a tank battalion"
    rows = {
        tr.find("th").get_text(strip=True) if tr.find("th") else None: tr
        for tr in soup.select("table.outgoing tr")
    }
    assert "source section" in rows
    contributes = soup.find("a", string="contributes to").find_parent("tr")
    assert "inferred" in contributes["class"]
    assert contributes.find("a", href="/id/nato/pt-heavy-infantry-brigade?lang=en") is not None
    assert "Source in the nota" in soup.get_text()
    assert soup.find("svg", class_="diagram") is not None
    assert soup.find("a", href=re.compile(r"^/query\?query=")) is not None


def test_language_switch(client: TestClient) -> None:
    nl = BeautifulSoup(client.get(MEASURE + "?lang=nl", headers=HTML).text, "html.parser")
    en = BeautifulSoup(client.get(MEASURE + "?lang=en", headers=HTML).text, "html.parser")
    assert nl.h1.get_text() != en.h1.get_text()
    assert nl.find("a", class_="lang")["href"] == "?lang=en"


def test_section_page_lists_what_is_sourced_to_it(client: TestClient) -> None:
    soup = BeautifulSoup(
        client.get("/id/section/4-2-land?lang=en", headers=HTML).text, "html.parser"
    )
    sourced = soup.find("h2", string=re.compile("Sourced to this part"))
    items = sourced.find_next("ul").find_all("a")
    assert any(a["href"] == MEASURE + "?lang=en" for a in items)


def test_unknown_iri_is_a_helpful_404(client: TestClient) -> None:
    response = client.get("/id/measure/tank-battalion-that-does-not-exist", headers=HTML)
    assert response.status_code == 404
    soup = BeautifulSoup(response.text, "html.parser")
    assert "404" in soup.h1.get_text()
    assert soup.find("a", href="/search?lang=nl") is not None


def test_unknown_iri_as_json_is_a_json_404(client: TestClient) -> None:
    response = client.get("/id/measure/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


@pytest.mark.parametrize("path", ["/def", "/def/1.0.0", "/def/Measure", "/def/contributesTo"])
def test_ontology_and_terms_resolve(client: TestClient, path: str) -> None:
    assert client.get(path, headers=HTML).status_code == 200
    turtle = client.get(path, headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    assert len(Graph().parse(data=turtle.content, format="turtle")) > 5


def test_ontology_docs_list_classes_with_definitions(client: TestClient) -> None:
    soup = BeautifulSoup(client.get("/def?lang=en", headers=HTML).text, "html.parser")
    row = soup.find("tr", id="NatoPriorityTarget")
    assert "priority" in row.get_text().lower()
    assert soup.find("svg", class_="tree") is not None


@pytest.mark.parametrize(
    ("q", "iri"),
    [
        ("DCC", "organisation/dcc"),
        ("APOS", "programme/apos"),
        ("f-35", "materiel/f-35"),
        ("Defensie Cyber Commando", "organisation/dcc"),
    ],
)
def test_label_search_finds_abbreviations_and_names(client: TestClient, q: str, iri: str) -> None:
    hits = client.get(
        "/search",
        params={"q": q},
        headers={"Accept": "application/json"},
    ).json()["results"]
    assert BASE + "id/" + iri in [h["iri"] for h in hits[:5]]


def test_pasting_a_full_iri_redirects_to_its_page(client: TestClient) -> None:
    response = client.get("/search", params={"q": BASE + MEASURE[1:]}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == MEASURE


def test_etag_gives_304(client: TestClient) -> None:
    first = client.get(MEASURE, headers={"Accept": "text/turtle"})
    again = client.get(
        MEASURE, headers={"Accept": "text/turtle", "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


def test_every_internal_link_resolves(client: TestClient) -> None:
    """Crawl every HTML page reachable from the home page: no 404, no 500."""
    seen, queue, broken = {"/"}, deque(["/"]), []
    while queue:
        path = queue.popleft()
        response = client.get(path, headers=HTML)
        if response.status_code != 200:
            broken.append(f"{path}: {response.status_code}")
            continue
        if not response.headers["content-type"].startswith("text/html"):
            continue
        for anchor in BeautifulSoup(response.text, "html.parser").find_all("a", href=True):
            target = urljoin(path, anchor["href"])
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or target.startswith(("/query?", "/download/")):
                continue
            clean = parts.path + (f"?{parts.query}" if "lang=" not in parts.query else "")
            if clean not in seen:
                seen.add(clean)
                queue.append(clean)
    assert broken == [], broken[:20]
    assert len(seen) > 500


def test_iris_under_the_public_base_map_to_local_pages(client: TestClient) -> None:
    state = client.app.state.kg  # type: ignore[attr-defined]
    original = state.settings
    state.settings = original.with_overrides(public_base="https://kg.example.org/")
    try:
        response = client.get(
            "/", params={"uri": "https://kg.example.org" + MEASURE}, follow_redirects=False
        )
    finally:
        state.settings = original
    assert response.status_code == 303
    assert response.headers["location"] == MEASURE


def test_offered_queries_bind_the_page_iri_and_run(client: TestClient) -> None:
    """The DESCRIBE shown on a page and the SELECT its editor link opens are fixed texts with
    the page's IRI bound by a VALUES row; run on /sparql, each answers about that resource."""
    texts = {}
    for path in (MEASURE, "/id/section/4-2"):
        soup = BeautifulSoup(client.get(path + "?lang=en", headers=HTML).text, "html.parser")
        describe = soup.select_one("pre.snippet:not(.example-query)").get_text()
        link = soup.find("a", string=re.compile("query about this resource"))["href"]
        select = parse_qs(urlsplit(link).query)["query"][0]
        iri = BASE + path[1:]
        for query in (describe, select):
            assert query.count(iri) == 1
            assert f"VALUES (?resource) {{ (<{iri}>) }}" in query
        texts[path] = (describe.replace(iri, "X"), select.replace(iri, "X"))
        rows = client.get("/sparql", params={"query": select}, headers={"Accept": "text/csv"})
        assert rows.status_code == 200 and len(rows.text.splitlines()) > 2
        graph = Graph().parse(
            data=client.get(
                "/sparql", params={"query": describe}, headers={"Accept": "text/turtle"}
            ).text,
            format="turtle",
        )
        assert (URIRef(iri), None, None) in graph
    assert len(set(texts.values())) == 1
