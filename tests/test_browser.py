"""The site in a real browser: Debian's chromium, headless, driven by Playwright.

A live uvicorn server serves the REAL graph on a free loopback port. The tests
open the home page, a measure page, a section page and the query editor, run
a named query from the editor's example list, switch between Dutch and
English, and check that no page loads anything from another host or throws a
JavaScript error. Screenshots go to tests/artifacts/ (git-ignored).

Without /usr/bin/chromium (or the playwright package) they skip, saying so;
under CI=true that is a failure instead: CI installs chromium (.ci/run).
Playwright never downloads a browser here: it drives the system chromium.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from conftest import ROOT, served
from defensie_kg.build.pipeline import Build
from defensie_kg.settings import Settings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MEASURE = "/id/measure/4-2-land-tank-battalion"
MEASURE_LABEL = {
    "nl": "Aanschaf tanks en oprichting tankbataljon",
    "en": "Buy tanks and form a tank battalion",
}
SECTION = "/id/section/4-2-land"
TIMEOUT_MS = 30_000


def _unavailable(reason: str) -> None:
    """Skip with ``reason``; under CI=true, fail: CI must run these tests."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope: Playwright's sync API keeps an asyncio loop running in this thread while
    # it is open, which would break every later test that runs one (TestClient, anyio).
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (Debian: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (make setup installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def live_real_server(
    settings: Settings, real_build: Build, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A uvicorn process on a free loopback port serving the real project (its build is
    already in the session's cache, so it starts by loading it)."""
    env = {
        "DKG_QUERY_TIMEOUT": "10",
        "DKG_QUERY_WORKERS": "2",
        "DKG_CACHE_DIR": str(settings.cache_path),
    }
    log = tmp_path_factory.mktemp("real-server") / "server.log"
    with served(ROOT, env, log, startup=120) as url:
        yield url


class Watched:
    """A page with what went wrong on it: JS errors and requests to other hosts."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and parts.hostname not in ("127.0.0.1", "localhost"):
            self.foreign.append(request.url)

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base + path, wait_until="load")
        status = response.status if response is not None else None
        assert status == 200, f"{path}: HTTP {status}"
        return response

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture()
def site(browser: Any, live_real_server: str) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watched = Watched(page, live_real_server)
    try:
        yield watched
    finally:
        context.close()
    assert watched.errors == [], f"JavaScript errors: {watched.errors}"
    assert watched.foreign == [], f"requests to other hosts: {watched.foreign}"


def h1(site: Watched) -> str:
    return str(site.page.locator("h1").first.inner_text()).strip()


def test_home_page(site: Watched) -> None:
    site.goto("/")
    assert "Defensienota 2024" in h1(site)
    assert site.page.locator("header.site a.lang").count() == 1
    assert site.page.locator('a[href^="/query"]').count() >= 1
    site.shot("home")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_measure_page(site: Watched, lang: str) -> None:
    site.goto(f"{MEASURE}?lang={lang}")
    assert h1(site) == MEASURE_LABEL[lang]
    assert site.page.locator("html").get_attribute("lang") == lang
    site.shot(f"measure-{lang}")


def test_section_page_links_its_measures(site: Watched) -> None:
    site.goto(f"{SECTION}?lang=en")
    assert "Land" in h1(site)
    site.shot("section")
    link = site.page.locator(f'main a[href^="{MEASURE}"]').first
    link.click()
    site.page.wait_for_url(f"**{MEASURE}*")
    assert h1(site) == MEASURE_LABEL["en"]


def test_language_switch(site: Watched) -> None:
    site.goto(MEASURE)  # Dutch by default
    assert h1(site) == MEASURE_LABEL["nl"]
    site.page.locator("header.site a.lang").click()
    site.page.wait_for_url("**lang=en*")
    assert h1(site) == MEASURE_LABEL["en"]
    assert site.page.locator("html").get_attribute("lang") == "en"
    site.shot("language-switched-to-en")
    site.page.locator("header.site a.lang").click()
    site.page.wait_for_url("**lang=nl*")
    assert h1(site) == MEASURE_LABEL["nl"]


def _editor(site: Watched, path: str = "/query?lang=en") -> None:
    site.goto(path)
    site.page.wait_for_selector("#yasgui .tabPanel.active .yasqe .CodeMirror")


def _result_rows(site: Watched) -> Any:
    rows = site.page.locator(".tabPanel.active .yasr .dataTable tbody tr")
    rows.first.wait_for()
    return rows


def test_editor_runs_a_named_query_from_the_examples(site: Watched) -> None:
    _editor(site)
    assert site.page.locator("#editor-missing").count() == 0
    example = site.page.locator('[data-example="measures-by-nato-priority-target"]')
    title = example.inner_text().strip()
    example.click()
    rows = _result_rows(site)
    assert rows.count() >= 5
    assert site.page.locator(".tabPanel.active .yasr").inner_text().count("measure:") >= 5
    active_tab = site.page.locator(".tabsList .tab.active").inner_text()
    assert title in active_tab
    editor_text = site.page.locator(".tabPanel.active .CodeMirror").inner_text()
    assert "dn:hasNatoLink" in editor_text
    site.shot("editor-named-query")


def test_editor_result_iris_open_on_this_server(site: Watched) -> None:
    query = (
        "SELECT ?partner WHERE { <https://w3id.org/defensienota-2024/id/measure/"
        "4-2-land-tank-battalion> <https://w3id.org/defensienota-2024/def/withPartner> ?partner }"
    )
    _editor(site, f"/query?lang=en&query={quote(query)}")
    _result_rows(site)
    site.page.locator('.tabPanel.active .yasr .dataTable a[href*="/id/country/"]').first.click()
    site.page.wait_for_url(f"{site.base}/id/country/germany?lang=en")
    assert h1(site) == "Germany"


def test_editor_chart_and_download(site: Watched) -> None:
    _editor(site)
    site.page.locator('[data-example="chapter-measures-per-section"]').click()
    rows = _result_rows(site).count()
    site.page.locator(".tabPanel.active .yasr .select_chart").click()
    bars = site.page.locator(".tabPanel.active .dkg-chart svg rect.bar")
    bars.first.wait_for()
    assert bars.count() == rows
    site.shot("editor-chart")
    site.page.locator(".tabPanel.active .yasr .select_table").click()
    _result_rows(site)
    with site.page.expect_download() as info:
        site.page.locator(".tabPanel.active .yasr .yasr_downloadIcon").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    table = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert table[0][:3] == ["section", "label", "measures"]
    assert len(table) == rows + 1


def test_editor_prefills_from_query_parameter(site: Watched) -> None:
    query = (
        "SELECT (COUNT(?m) AS ?measures) WHERE { "
        "?m a <https://w3id.org/defensienota-2024/def/Measure> }"
    )
    _editor(site, f"/query?query={quote(query)}")
    rows = _result_rows(site)
    assert rows.count() == 1
    cell = rows.first.locator("td").nth(1).inner_text()
    number = re.search(r"\d+", cell)
    assert number is not None and int(number.group()) > 100, cell
    assert "COUNT(?m)" in site.page.locator(".tabPanel.active .CodeMirror").inner_text()
    site.shot("editor-prefilled")


def test_resource_page_opens_its_query_in_the_editor(site: Watched) -> None:
    site.goto(f"{SECTION}?lang=en")
    link = site.page.locator('a[href^="/query?query="]').first
    if link.count() == 0:
        pytest.skip("the resource page has no link to the query editor")
    link.click()
    site.page.wait_for_selector("#yasgui .tabPanel.active .yasqe .CodeMirror")
    assert _result_rows(site).count() >= 1
    assert "section/4-2-land" in site.page.locator(".tabPanel.active .CodeMirror").inner_text()


def test_editor_opens_a_named_query_from_the_address(site: Watched) -> None:
    _editor(site, "/query?lang=en&example=nato-link-evidence-counts")
    assert _result_rows(site).count() >= 1
    active = site.page.locator("#examples a.active")
    assert active.get_attribute("data-example") == "nato-link-evidence-counts"
    assert active.inner_text().strip() in site.page.locator(".tabsList .tab.active").inner_text()


def _measure_rows(site: Watched) -> int:
    return int(site.page.locator("table.measures tbody tr[data-measure]").count())


def _facet_link(site: Watched, facet: str, index: int = 0) -> Any:
    return site.page.locator(f'section[data-facet="{facet}"] li a').nth(index)


def test_measure_browser_facets_narrow_the_list(site: Watched) -> None:
    site.goto("/?lang=en")
    site.page.locator("a#measure-browser").click()
    site.page.wait_for_url("**/measures?lang=en")
    everything = _measure_rows(site)
    assert everything >= 300
    assert site.page.locator("#measure-count").inner_text() == str(everything)
    site.shot("measures-all")

    chapter = _facet_link(site, "chapter", 4)
    expected = int(
        site.page.locator('section[data-facet="chapter"] li').nth(4).locator(".count").inner_text()
    )
    chapter.click()
    site.page.wait_for_url("**/measures?chapter=*")
    in_chapter = _measure_rows(site)
    assert 0 < in_chapter == expected < everything
    assert "chapter=section%2F" in site.page.url
    assert site.page.locator('section[data-facet="chapter"] li.selected').count() == 1

    status = site.page.locator('section[data-facet="status"] li').first
    count = int(status.locator(".count").inner_text())
    status.locator("a").click()
    site.page.wait_for_url("**status=*")
    assert "chapter=section%2F" in site.page.url  # the selection is kept in the address
    assert _measure_rows(site) == count <= in_chapter
    site.shot("measures-chapter-and-status")

    shared = site.page.url  # the address is the selection: open it afresh
    site.page.goto(shared)
    assert _measure_rows(site) == count

    site.page.locator("header.site a.lang").click()
    site.page.wait_for_url("**lang=nl*")
    assert _measure_rows(site) == count  # the language switch keeps the selection
    assert site.page.locator('section[data-facet="nato"] h2').inner_text() == "NAVO-behoefte"

    site.page.locator("ul.chosen li a").first.click()  # remove a chosen value
    site.page.wait_for_url(lambda url: url.count("=") == 2)
    assert _measure_rows(site) > count or _measure_rows(site) == in_chapter


def test_measure_browser_downloads_the_selection(site: Watched) -> None:
    site.goto("/measures?chapter=section/4&lang=en")
    shown = [
        site.page.locator("table.measures tbody tr[data-measure]")
        .nth(i)
        .get_attribute("data-measure")
        for i in range(_measure_rows(site))
    ]
    with site.page.expect_download() as info:
        site.page.locator('a.download[data-format="csv"]').click()
    download = info.value
    assert download.suggested_filename == "measures.csv"
    table = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [row["measure"] for row in table] == shown
