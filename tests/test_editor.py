"""The query editor without a browser: /query, /query/config.json, /assets/yasgui/ and the
setup step that fetches YASGUI (defensie_kg.web.assets)."""

from __future__ import annotations

import http.client
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from defensie_kg.namespaces import PREFIXES
from defensie_kg.web import assets
from defensie_kg.web.routes import editor
from defensie_kg.web.state import AppState

LOCKED = assets.load_lock()["yasgui"]
TRAVERSALS = [
    "/assets/yasgui/../../etc/passwd",
    "/assets/yasgui/%2e%2e/%2e%2e/etc/passwd",
    "/assets/yasgui/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/assets/yasgui/..%2f..%2f..%2fetc%2fpasswd",
    "/assets/yasgui/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/assets/yasgui/..%5c..%5cetc%5cpasswd",
    "/assets/yasgui//etc/passwd",
    "/assets/yasgui/%2fetc%2fpasswd",
    "/assets/yasgui/./yasgui.min.js/../../../../etc/passwd",
    "/assets/yasgui/.installed.json",
    "/assets/yasgui/package.json",
    "/assets/yasgui/",
    "/assets/yasgui/yasgui.min.js.map",
]


@pytest.fixture()
def fetched() -> Path:
    where = assets.asset_dir("yasgui")
    if where is None:
        message = "YASGUI is not fetched: run `python -m defensie_kg.web.assets fetch`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return where


@pytest.fixture()
def without_assets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(editor.assets, "asset_dir", lambda name="yasgui": None)


def _soup(client: TestClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def _loaded_urls(soup: BeautifulSoup) -> list[str]:
    """Every script and stylesheet URL the page loads."""
    scripts = soup.find_all("script")
    assert all(s.get("src") for s in scripts), "inline <script> found"
    sheets = [link["href"] for link in soup.find_all("link") if "stylesheet" in link.get("rel", [])]
    return [str(s["src"]) for s in scripts] + [str(h) for h in sheets]


def test_assets_are_fetched(fetched: Path) -> None:
    marker = json.loads((fetched / assets.MARKER).read_text())
    assert (marker["version"], marker["integrity"]) == (LOCKED.version, LOCKED.integrity)
    assert fetched.is_relative_to(Path(sys.prefix)), "assets belong in the venv, not the repo"


def test_editor_page_loads_only_local_files(client: TestClient, fetched: Path) -> None:
    soup = _soup(client, "/query")
    urls = _loaded_urls(soup)
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url
        assert parts.path.startswith(("/assets/", "/static/")), url
        assert client.get(url).status_code == 200, url
    assert f"/assets/yasgui/yasgui.min.js?v={LOCKED.version}" in urls
    assert f"/assets/yasgui/yasgui.min.css?v={LOCKED.version}" in urls
    assert "/static/editor.js" in urls
    assert soup.find(id="yasgui") is not None
    assert soup.find(id="editor-missing") is None


def test_editor_page_lists_every_named_query(client: TestClient, state: AppState) -> None:
    soup = _soup(client, "/query?lang=en")
    names = [a["data-example"] for a in soup.select("#examples a[data-example]")]
    assert sorted(names) == sorted(state.queries)
    titles = {a["data-example"]: a.get_text(strip=True) for a in soup.select("#examples a")}
    assert all(titles[n] == q.title["en"] for n, q in state.queries.items())
    dutch = _soup(client, "/query?lang=nl")
    assert dutch.html["lang"] == "nl"
    assert {a.get_text(strip=True) for a in dutch.select("#examples a")} == {
        q.title.get("nl", q.title["en"]) for q in state.queries.values()
    }


def test_config_has_prefixes_and_every_named_query(client: TestClient, state: AppState) -> None:
    response = client.get("/query/config.json")
    assert response.status_code == 200
    config = response.json()
    assert config["prefixes"] == PREFIXES
    assert config["endpoint"] == "/sparql"
    assert sorted(q["name"] for q in config["queries"]) == sorted(state.queries)
    for entry in config["queries"]:
        query = state.queries[entry["name"]]
        assert entry["title"] == query.title and entry["description"] == query.description
        assert [p["name"] for p in entry["parameters"]] == [p.name for p in query.parameters]
        assert "#+" not in entry["query"]
        for param in query.parameters:
            if param.type == "iri" and param.default:
                assert f"<{param.default}>" in entry["query"], (entry["name"], param.name)
        if query.parameters:
            assert "VALUES (" in entry["query"]


def test_config_queries_give_what_the_named_queries_give(client: TestClient) -> None:
    """Each example, run as text on /sparql, returns the rows of /queries/{name} with its
    default parameters: the defaults are really bound."""
    for entry in client.get("/query/config.json").json()["queries"]:
        as_text = client.post("/sparql", data={"query": entry["query"], "format": "json"})
        named = client.get(f"/queries/{entry['name']}", params={"format": "json"})
        assert as_text.status_code == named.status_code == 200, entry["name"]
        assert as_text.json() == named.json(), entry["name"]
        assert named.json()["results"]["bindings"], f"{entry['name']} gives no rows"


def test_asset_route_serves_the_pinned_files(client: TestClient, fetched: Path) -> None:
    js = client.get("/assets/yasgui/yasgui.min.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert js.content == (fetched / "yasgui.min.js").read_bytes()
    css = client.get("/assets/yasgui/yasgui.min.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.head("/assets/yasgui/yasgui.min.js").status_code == 200


@pytest.mark.parametrize("path", TRAVERSALS)
def test_asset_route_refuses_traversal(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert b"root:" not in response.content


def test_asset_route_refuses_raw_traversal_over_the_wire(live_server: str) -> None:
    """Over a real socket, so the client normalises nothing: the server sees ``..``."""
    host = urlsplit(live_server)
    for path in TRAVERSALS:
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        assert response.status == 404, path
        assert b"root:" not in body, path


def test_without_assets_a_plain_editor_works_and_says_why(
    client: TestClient, without_assets: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        editor.assets, "unavailable_reason", lambda name="yasgui": "the registry was offline"
    )
    soup = _soup(client, "/query?lang=en&query=" + "SELECT%20*%20%3Cscript%3Ealert(1)%3C/script%3E")
    notice = soup.find(id="editor-missing")
    assert notice is not None
    assert "python -m defensie_kg.web.assets fetch" in notice.get_text()
    assert "the registry was offline" in notice.get_text()  # why
    assert not any(url.startswith("/assets/") for url in _loaded_urls(soup))
    assert soup.find(id="yasgui") is None
    form = soup.find("form", id="plain-editor")
    assert form is not None and form["action"] == "/sparql" and form["method"] == "post"
    textarea = form.find("textarea", attrs={"name": "query"})
    assert textarea.get_text() == "SELECT * <script>alert(1)</script>"  # shown as text ...
    assert not [s for s in soup.find_all("script") if "alert" in s.get("src", "")]  # ... not run
    # the named queries are the examples: each opens in the text box, and runs from there
    hrefs = [a["href"] for a in soup.select("#examples a")]
    assert hrefs and all(h.startswith("/query?example=") for h in hrefs)
    opened = _soup(client, hrefs[0])
    text = opened.find("form", id="plain-editor").find("textarea").get_text()
    assert "SELECT" in text or "CONSTRUCT" in text
    fmt = opened.find("select", attrs={"name": "format"}).find("option")["value"]
    answer = client.post("/sparql", data={"query": text, "format": fmt})
    assert answer.status_code == 200, answer.text[:300]
    assert client.get("/assets/yasgui/yasgui.min.js").status_code == 404


# --- the setup step: python -m defensie_kg.web.assets fetch ---------------------------------


def test_lock_pins_a_version_and_an_integrity() -> None:
    assert LOCKED.package == "@zazuko/yasgui"
    assert LOCKED.version.count(".") == 2 and LOCKED.version.replace(".", "").isdigit()
    assert LOCKED.integrity.startswith("sha512-")
    assert set(LOCKED.files.values()) >= {"yasgui.min.js", "yasgui.min.css"}


def _tarball(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    members = {
        "package/build/yasgui.min.js": b"window.Yasgui = {};\n",
        "package/build/yasgui.min.css": b".yasgui {}\n",
        "package/package.json": b'{"name": "@zazuko/yasgui"}\n',
        "package/build/yasgui.esm.js": b"export {};\n",
        **(extra or {}),
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _fake_npm(bindir: Path, tarball: Path, log: Path, fail: bool = False) -> None:
    bindir.mkdir(exist_ok=True)
    script = bindir / "npm"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, shutil, sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"if {fail!r}: sys.exit('npm: network unreachable')\n"
        "args = sys.argv[1:]\n"
        "dest = args[args.index('--pack-destination') + 1]\n"
        f"shutil.copy({str(tarball)!r}, dest + '/zazuko-yasgui-9.9.9.tgz')\n"
        "print(json.dumps([{'filename': 'zazuko-yasgui-9.9.9.tgz'}]))\n",
        encoding="utf-8",
    )
    script.chmod(0o755)


def _registry(
    monkeypatch: pytest.MonkeyPatch, asset: assets.Asset, tarball: Path | None
) -> list[str]:
    """A stand-in for the registry behind ``assets._get``; ``None``: offline."""
    asked: list[str] = []
    address = "https://registry.example/yasgui-9.9.9.tgz"

    def get(url: str, limit: int) -> bytes:
        asked.append(url)
        if tarball is None:
            raise assets.Unreachable("the package registry could not be reached (offline)")
        if url == asset.document:
            dist = {"tarball": address, "integrity": assets.integrity_of(tarball)}
            return json.dumps({"dist": dist}).encode()
        assert url == address
        return tarball.read_bytes()

    monkeypatch.setattr(assets, "_get", get)
    return asked


def _asset(integrity: str) -> assets.Asset:
    return assets.Asset("yasgui", "@zazuko/yasgui", "9.9.9", integrity, dict(LOCKED.files))


def test_fetch_checks_integrity_and_takes_only_pinned_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tarball = _tarball(tmp_path / "pkg.tgz", {"../../escaped.txt": b"x", "/escaped-abs.txt": b"x"})
    asset = _asset(assets.integrity_of(tarball))
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm: the standard library fetches
    asked = _registry(monkeypatch, asset, tarball)
    root = tmp_path / "share"

    where, changed = assets.fetch(asset, root=root)
    assert changed and where == root / "yasgui"
    assert asked[0] == "https://registry.npmjs.org/@zazuko%2Fyasgui/9.9.9"
    assert sorted(p.name for p in where.iterdir()) == sorted(
        [*LOCKED.files.values(), assets.MARKER]
    )
    assert (where / "yasgui.min.js").read_bytes() == b"window.Yasgui = {};\n"
    assert not (tmp_path / "escaped.txt").exists() and not any(tmp_path.rglob("escaped.txt"))

    _registry(monkeypatch, asset, None)  # present: the registry is not even asked again
    assert assets.fetch(asset, root=root) == (where, False)

    tampered = _asset("sha512-" + "A" * 86 + "==")
    _registry(monkeypatch, tampered, tarball)
    with pytest.raises(assets.AssetError, match="not the pinned"):
        assets.fetch(tampered, root=root, force=True)
    assert (where / "yasgui.min.js").is_file(), "a failed fetch leaves the old files alone"


def test_a_tarball_that_does_not_match_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tarball = _tarball(tmp_path / "pkg.tgz")
    asset = _asset("sha512-" + "B" * 86 + "==")

    def get(url: str, limit: int) -> bytes:  # a registry that publishes no digest
        if url == asset.document:
            return json.dumps({"dist": {"tarball": "https://registry.example/x.tgz"}}).encode()
        return tarball.read_bytes()

    monkeypatch.setattr(assets, "_get", get)
    with pytest.raises(assets.AssetError, match="does not match the pinned integrity"):
        assets.fetch(asset, root=tmp_path / "share")
    assert not (tmp_path / "share" / "yasgui").exists()


def test_npm_is_only_a_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tarball = _tarball(tmp_path / "pkg.tgz")
    asset = _asset(assets.integrity_of(tarball))
    log = tmp_path / "npm.log"
    _fake_npm(tmp_path / "bin", tarball, log)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    _registry(monkeypatch, asset, None)  # the direct download fails: npm is tried
    where, changed = assets.fetch(asset, root=tmp_path / "share")
    assert changed and (where / "yasgui.min.js").is_file()
    assert log.read_text().split()[:2] == ["pack", "@zazuko/yasgui@9.9.9"]
    assert "--ignore-scripts" in log.read_text()
    _fake_npm(tmp_path / "bin", tarball, log, fail=True)
    with pytest.raises(assets.Unreachable):
        assets.fetch(asset, root=tmp_path / "again")


def test_offline_setup_succeeds_and_notes_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm either
    monkeypatch.setattr(assets, "assets_root", lambda: tmp_path / "share")
    _registry(monkeypatch, LOCKED, None)
    assert assets.main(["fetch", "--force"]) == 0
    assert "plain editor" in capsys.readouterr().err
    assert "could not be reached" in (assets.unavailable_reason("yasgui") or "")


@pytest.mark.slow
def test_fetch_with_python_alone_and_no_npm_on_path(tmp_path: Path) -> None:
    """The real registry, the real pinned tarball, npm hidden: exit 0 either way; fetched
    and verified when the registry answers, else the reason noted for /query."""
    script = (
        "import sys, shutil; from pathlib import Path\n"
        "from defensie_kg.web import assets\n"
        "assert shutil.which('npm') is None\n"
        f"assets.assets_root = lambda: Path({str(tmp_path)!r})\n"
        "sys.exit(assets.main(['fetch']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PATH": str(tmp_path / "empty-bin")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    fetched = tmp_path / "yasgui"
    if (tmp_path / "yasgui.unavailable").exists():
        assert "could not be reached" in (tmp_path / "yasgui.unavailable").read_text()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI could not reach the package registry")
    else:
        assert (fetched / "yasgui.min.js").stat().st_size > 100_000
        marker = json.loads((fetched / assets.MARKER).read_text())
        assert marker["integrity"] == LOCKED.integrity


def test_tarball_digest_is_sri_sha512(tmp_path: Path) -> None:
    file = tmp_path / "x"
    file.write_bytes(b"abc")
    assert assets.integrity_of(file) == (
        "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
    )
