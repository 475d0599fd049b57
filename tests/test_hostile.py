"""Hostile input: whatever a client sends, the answer is a clean 4xx (or a 503 for a query
stopped at the time limit), never another 5xx, and no body shows a traceback, a file
path or a Python exception. Nothing is ever written, fetched or read on a query's behalf.

Raw requests (bytes no HTTP client library would send: invalid UTF-8, `..` segments,
bad percent-escapes) go straight to the ASGI app, as uvicorn would hand them over.
"""

from __future__ import annotations

import re
import socket
import time
from typing import Any
from urllib.parse import quote, unquote

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient

LEAK = re.compile(
    r"Traceback|File \"|/work/|/usr/|/tmp/|site-packages|\.py\"|\.py'|"
    r"<class '|\b[A-Z]\w*(Error|Exception)\("
)
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
ASK = "ASK { ?s ?p ?o }"


def assert_clean(status: int, body: bytes, *, timeout_ok: bool = False) -> None:
    """A 4xx (or 2xx/3xx), or a 503 where a time limit may apply; no leak in the body."""
    assert status < 500 or (timeout_ok and status == 503), (status, body[:300])
    text = body.decode("utf-8", "replace")
    assert not LEAK.search(text), text[:500]


def raw(
    app: Any,
    method: str,
    target: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> tuple[int, dict[str, str], bytes]:
    """Send one request to an ASGI app exactly as given: no normalisation, no encoding."""
    path, _, query = target.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "raw_path": path,
        "query_string": query,
        "path": unquote(path.decode("latin-1")),  # what uvicorn puts there
        "headers": [
            (b"host", b"testserver"),
            (b"content-length", str(len(body)).encode()),
            *(headers or []),
        ],
    }
    sent: list[dict[str, Any]] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return chunks.pop() if chunks else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        await app(scope, receive, send)

    anyio.run(run)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers_out = {k.decode().lower(): v.decode("latin-1") for k, v in start["headers"]}
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], headers_out, content


def _count(client: TestClient | httpx.Client) -> str:
    response = client.get("/sparql", params={"query": COUNT, "format": "csv"})
    assert response.status_code == 200
    return response.text


# --- malformed queries and garbage ----------------------------------------------------------

GARBAGE = [
    "",
    " ",
    "SELECT",
    "}{",
    "SELECT * WHERE { ?s ?p ?o ",
    "SELECT * WHERE { ?s ?p ?o } }",
    "\x00",
    "\x00\x01\x02\x03",
    "\ufeffASK {}",
    "ASK {} \x00",
    "\ud7ff\ue000\uffff",
    "PREFIX : <" + "a" * 10_000,
    "SELECT ?" + "v" * 10_000 + " {}",
    "A" * 20_000,
    'SELECT * WHERE { ?s ?p "unterminated }',
    'ASK { FILTER(REGEX("a", "(((")) }',
    "SELECT (1/0 AS ?x) {}",
    "SELECT * { BIND(<> AS ?x) }",
    "BASE <javascript:alert(1)> ASK {}",
    "ASK { ?s ?p ?o } LIMIT -1",
    "SELECT * WHERE {} GROUP BY",
    "<script>alert(1)</script>",
    "%00",
    "ASK {} # \u202e\u2066",
]


@pytest.mark.parametrize("query", GARBAGE, ids=range(len(GARBAGE)))
@pytest.mark.parametrize("variant", ["get", "form", "direct"])
def test_malformed_queries_are_4xx_without_leaks(
    client: TestClient, variant: str, query: str
) -> None:
    if variant == "get":
        response = client.get("/sparql", params={"query": query})
    elif variant == "form":
        response = client.post("/sparql", data={"query": query})
    else:
        response = client.post(
            "/sparql",
            content=query.encode("utf-8", "surrogatepass"),
            headers={"Content-Type": "application/sparql-query"},
        )
    assert_clean(response.status_code, response.content)


@pytest.mark.parametrize("seed", range(8))
def test_binary_garbage_bodies_and_query_strings(client: TestClient, seed: int) -> None:
    import random

    noise = random.Random(seed).randbytes(4096)  # noqa: S311 - test data, not crypto
    for content_type in (b"application/sparql-query", b"application/x-www-form-urlencoded"):
        status, _, body = raw(
            client.app, "POST", b"/sparql", [(b"content-type", content_type)], noise
        )
        assert_clean(status, body)
        assert status == 400
    status, _, body = raw(client.app, "GET", b"/sparql?query=" + noise.replace(b"&", b""))
    assert_clean(status, body)
    assert status == 400


# --- sizes ------------------------------------------------------------------------------------

TWO_MB = "ASK {} #" + "x" * 2_000_000


def test_a_2mb_query_is_refused_in_every_variant(client: TestClient) -> None:
    direct = client.post(
        "/sparql", content=TWO_MB, headers={"Content-Type": "application/sparql-query"}
    )
    form = client.post("/sparql", data={"query": TWO_MB})
    get = raw(client.app, "GET", b"/sparql?query=" + quote(TWO_MB).encode())
    assert (direct.status_code, form.status_code, get[0]) == (413, 413, 414)
    for status, body in (
        (direct.status_code, direct.content),
        (form.status_code, form.content),
        get[::2],
    ):
        assert_clean(status, body)
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_a_2mb_query_to_a_live_server(live_server: str) -> None:
    response = httpx.post(
        f"{live_server}/sparql",
        content=TWO_MB,
        timeout=30,
        headers={"Content-Type": "application/sparql-query"},
    )
    assert response.status_code == 413
    # A 2 MB GET never reaches the app: uvicorn refuses an over-long request line.
    host, port = live_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            sock.sendall(
                b"GET /sparql?query=" + quote(TWO_MB).encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            answer = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            answer = b""  # the server closed the connection: refused too
    if answer:
        assert re.match(rb"HTTP/1\.1 4\d\d ", answer), answer[:100]
    assert httpx.get(f"{live_server}/sparql", params={"query": ASK}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000,
        "ASK { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
        "SELECT * WHERE { " + "OPTIONAL { " * 3000 + "?s ?p ?o" + " }" * 3000 + " }",
    ],
    ids=["groups", "parentheses", "optionals"],
)
def test_deep_nesting_is_refused_and_the_server_carries_on(client: TestClient, query: str) -> None:
    response = client.post(
        "/sparql", content=query, headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code in (400, 503)  # 503: the worker it crashed was replaced
    assert_clean(response.status_code, response.content, timeout_ok=True)
    for _ in range(3):
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 999999999999999999999", False),
        ("SELECT * WHERE { ?s ?p ?o } OFFSET 999999999999999999999", False),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 18446744073709551615", True),
        ("SELECT * WHERE { ?s ?p ?o } OFFSET 18446744073709551615", True),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 0 OFFSET 9223372036854775807", True),
        ("SELECT (99999999999999999999999999999 * 99999999999999999999999 AS ?x) {}", True),
        ("SELECT ?x { BIND(SUBSTR('abc', 9999999999999999999, 99999999999999) AS ?x) }", True),
    ],
)
def test_huge_numbers(client: TestClient, query: str, ok: bool) -> None:
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == (200 if ok else 400)
    assert_clean(response.status_code, response.content)


# --- updates, federation, remote and local datasets --------------------------------------------


OPERATIONS = {
    "service": "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "service-silent": "SELECT * {{ SERVICE SILENT <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "load": "LOAD <http://127.0.0.1:{port}/data.ttl>",
    "load-into": "LOAD SILENT <http://127.0.0.1:{port}/d.ttl> INTO GRAPH <urn:x:g>",
    "insert": "INSERT DATA {{ <urn:x:s> <urn:x:p> <urn:x:o> }}",
    "insert-where": "PREFIX x: <urn:x:> INSERT {{ ?s x:p 1 }} WHERE {{ ?s ?p ?o }}",
    "delete": "DELETE WHERE {{ ?s ?p ?o }}",
    "drop": "DROP ALL",
    "drop-lower": "# a comment first\ndrop silent default",
    "clear": "CLEAR ALL",
    "create-copy": "CREATE GRAPH <urn:x:g> ; COPY DEFAULT TO <urn:x:g>",
}


def _send(client: httpx.Client, variant: str, text: str) -> httpx.Response:
    if variant == "get-query":
        return client.get("/sparql", params={"query": text})
    if variant == "form-query":
        return client.post("/sparql", data={"query": text})
    if variant == "form-update":
        return client.post("/sparql", data={"update": text})
    media = "application/sparql-query" if variant == "direct-query" else "application/sparql-update"
    return client.post("/sparql", content=text.encode(), headers={"Content-Type": media})


VARIANTS = ["get-query", "form-query", "form-update", "direct-query", "direct-update"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_updates_and_federation_are_refused_in_every_variant(
    live_server: str, listener: tuple[int, list[object]], variant: str
) -> None:
    port, seen = listener
    with httpx.Client(base_url=live_server, timeout=10) as client:
        before = _count(client)
        for name, template in OPERATIONS.items():
            response = _send(client, variant, template.format(port=port))
            assert 400 <= response.status_code < 500, (name, response.status_code)
            assert response.status_code in (403, 400), name
            assert_clean(response.status_code, response.content)
        assert _count(client) == before
    time.sleep(0.3)
    assert seen == []


DATASETS = [
    "SELECT * FROM <file:///etc/passwd> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <file:///etc/passwd> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} FROM <file:///etc/shadow> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM <http://127.0.0.1:{port}/> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <http://127.0.0.1:{port}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "DESCRIBE <http://127.0.0.1:{port}/x>",
    "ASK {{ GRAPH <http://127.0.0.1:{port}/g> {{ ?s ?p ?o }} }}",
    'SELECT * {{ BIND(IRI("http://127.0.0.1:{port}/") AS ?x) }}',
]


@pytest.mark.parametrize("variant", ["get-query", "form-query", "direct-query"])
def test_from_never_reads_a_file_or_opens_a_connection(
    live_server: str, listener: tuple[int, list[object]], variant: str
) -> None:
    port, seen = listener
    with httpx.Client(base_url=live_server, timeout=10) as client:
        for template in DATASETS:
            response = _send(client, variant, template.format(port=port))
            assert response.status_code in (200, 400, 403), template
            assert b"root:" not in response.content
            assert_clean(response.status_code, response.content)
        graph = f"http://127.0.0.1:{port}/"
        response = client.get("/sparql", params={"query": ASK, "default-graph-uri": graph})
        assert response.status_code == 400
        response = client.get(
            "/sparql", params={"query": ASK, "named-graph-uri": "file:///etc/passwd"}
        )
        assert response.status_code == 400
    time.sleep(0.3)
    assert seen == []


# --- encodings -------------------------------------------------------------------------------

BAD_QUERY_STRINGS = [
    b"query=%ZZ",
    b"query=%",
    b"query=%2",
    b"query=%C3%28",
    b"query=%FF%FE%00",
    b"query=\xff\xfe",
    b"query=ASK%7B%7D&infer=%ZZ",
    b"%ZZ=1&query=ASK%7B%7D",
    b"query=ASK%7B%7D&default-graph-uri=%C0%AF",
    b"query=%ED%A0%80",  # a UTF-16 surrogate
    b"query=ASK%7B%7D&infer=maybe",
    b"query=ASK%7B%7D&format=%00",
]


@pytest.mark.parametrize("query_string", BAD_QUERY_STRINGS)
def test_invalid_encodings_in_query_strings_are_400(
    client: TestClient, query_string: bytes
) -> None:
    for path in (b"/sparql", b"/queries/nato-links"):
        status, _, body = raw(client.app, "GET", path + b"?" + query_string)
        assert_clean(status, body)
        assert 400 <= status < 500, (path, query_string, status)


@pytest.mark.parametrize(
    "body",
    [
        b"query=%ZZ",
        b"query=\xff",
        b"query=%C3%28",
        b"\xff\xfe=\x00",
        b"query=ASK%7B%7D&query",
        b"update=%ZZ",
        b"query=%E2%82",
    ],
)
def test_invalid_encodings_in_form_bodies_are_400(client: TestClient, body: bytes) -> None:
    status, _, content = raw(
        client.app,
        "POST",
        b"/sparql",
        [(b"content-type", b"application/x-www-form-urlencoded")],
        body,
    )
    assert_clean(status, content)
    assert 400 <= status < 500


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe\xfd", b"ASK {} \xc3\x28", b"\x00" * 100, b"\xed\xa0\x80", b"\xef\xbb\xbf\xff"],
)
def test_invalid_utf8_in_direct_bodies_is_400(client: TestClient, body: bytes) -> None:
    status, _, content = raw(
        client.app, "POST", b"/sparql", [(b"content-type", b"application/sparql-query")], body
    )
    assert_clean(status, content)
    assert status == 400


# --- headers ---------------------------------------------------------------------------------

ACCEPTS = [
    "",
    " ",
    "garbage",
    "a" * 10_000,
    "text/csv;q=abc",
    "*/*;q=0",
    ";;;,,,",
    "q=1",
    'application/sparql-results+json; charset=utf-8; foo="bar"',
    "text/*, */*;q=NaN",
    "*/*;q=-1",
    "*/*;q=1e999",
    "text/html;level=1;q=0.5, */*;q=0.1",
    "/",
    "*/",
    "\t",
    ", ".join(f"type{i}/sub{i};q=0.{i % 10}" for i in range(2000)),
]


@pytest.mark.parametrize("accept", ACCEPTS, ids=range(len(ACCEPTS)))
def test_odd_accept_headers(client: TestClient, accept: str) -> None:
    for query in (ASK, "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"):
        response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
        assert response.status_code in (200, 406)
        assert_clean(response.status_code, response.content)
    for path in ("/sparql", "/queries", "/queries/nato-links", "/", "/def", "/void"):
        response = client.get(path, headers={"Accept": accept})
        assert_clean(response.status_code, response.content)


CONTENT_TYPES = [
    "",
    "garbage",
    "application/sparql-query; charset=latin-1",
    "application/sparql-query; charset=utf-16",
    "APPLICATION/SPARQL-QUERY",
    "application/x-www-form-urlencoded; charset=utf-16",
    "multipart/form-data; b=x",
    "application/sparql-query;" + "x" * 10_000,
    "text/plain",
    "application/json",
    "application/sparql-update; charset=utf-8",
    ";",
    "application/sparql-query/x",
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES, ids=range(len(CONTENT_TYPES)))
def test_odd_content_types(client: TestClient, content_type: str) -> None:
    response = client.post("/sparql", content=b"ASK {}", headers={"Content-Type": content_type})
    assert 200 <= response.status_code < 500
    assert_clean(response.status_code, response.content)
    if response.status_code == 200:  # a query, or a form without one: the description
        assert content_type.split(";")[0].strip().lower() in (
            "application/sparql-query",
            "application/x-www-form-urlencoded",
        )


# --- named-query parameters --------------------------------------------------------------------

HOSTILE_VALUES = [
    '"',
    "'",
    ">",
    "}",
    "<",
    "\\u0022",
    "\\u003E",
    "\\",
    '""""',
    "\x00",
    "a\x00b",
    "\n",
    "\r\n",
    '") } UNION { ?s ?p ?o } #',
    '" . } DROP ALL ; #',
    "x> } SELECT * { ?s ?p ?o } #",
    "<http://example.org/a> } UNION { ?s ?p ?o",
    "http://example.org/a>",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "_:b0",
    "?s",
    "$s",
    "\u202e",
    "😀" * 100,
    "a" * 50_000,
    "%00",
    "%ZZ",
    "country:",
    ":",
    "unknown:prefix",
    "http://exa mple.org/",
    "http://example.org/{x}",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
def test_hostile_named_query_parameters(mini_client: TestClient, value: str) -> None:
    text = mini_client.get("/queries/label-search", params={"text": value, "format": "json"})
    assert text.status_code in (200, 400)
    assert_clean(text.status_code, text.content)
    if text.status_code == 200:  # bound as a literal: no injection widens the match
        rows = text.json()["results"]["bindings"]
        assert all(value.lower() in row["label"]["value"].lower() for row in rows)
    iri = mini_client.get("/queries/measures-for-target", params={"target": value})
    assert iri.status_code in (200, 400)
    assert_clean(iri.status_code, iri.content)
    if iri.status_code == 200:
        assert iri.json()["results"]["bindings"] == []


def test_hostile_parameter_names(mini_client: TestClient) -> None:
    for name in ("", "format", "infer", "text\x00", "a" * 10_000, "{", "query"):
        response = mini_client.get("/queries/label-search", params={name: "x", "text": "a"})
        assert_clean(response.status_code, response.content)
    for name in ("%2e%2e", "nato-links.exe", "nato-links.", ".csv", "a" * 5000, "nato-links/../x"):
        response = mini_client.get(f"/queries/{name}")
        assert response.status_code in (400, 404)
        assert_clean(response.status_code, response.content)


# --- pages, dumps, assets: odd paths ------------------------------------------------------------

PREFIXES = [
    b"/id/",
    b"/id/measure/",
    b"/def/",
    b"/download/",
    b"/assets/yasgui/",
    b"/static/",
    b"/graph/",
    b"/queries/",
    b"/visuals/",
    b"/",
]
SUFFIXES = [
    b"..",
    b"../..",
    b"../../../../etc/passwd",
    b"..%2F..%2F..%2Fetc%2Fpasswd",
    b"%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    b"%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"....//....//etc/passwd",
    b"..%5c..%5cwindows%5cwin.ini",
    b"%252e%252e%252fetc%252fpasswd",
    b"x%00.ttl",
    b"x\x00.ttl",
    b"%ff%fe",
    b"\xff\xfe",
    b"x" * 5000,
    b"a.exe",
    b"a.ttl.gz",
    b"a.",
    b".ttl",
    b"a..ttl",
    b"<script>alert(1)</script>",
    b"%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    b"a/b/c/d/e/f",
    b"A%2FB",
    b"~root",
    b"%",
    b"%zz",
    b"a;b=c",
    b"%20",
    b"\xc3\xabx.ttl",
    b"measure%2F..%2F..",
    b"/etc/passwd",
    b"//evil.example/",
    b"%2F%2Fevil.example",
    b"\\\\evil.example",
]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_odd_paths_are_404_or_400_never_500(client: TestClient, prefix: bytes) -> None:
    for suffix in SUFFIXES:
        for accept in (b"text/html", b"text/turtle", b"*/*"):
            status, headers, body = raw(client.app, "GET", prefix + suffix, [(b"accept", accept)])
            assert_clean(status, body)
            assert b"root:" not in body and b"[fonts]" not in body
            where = (prefix + suffix, accept, status)
            if status in (301, 302, 303, 307, 308):  # never to another host
                location = headers["location"]
                assert location.startswith("/") and not location.startswith("//"), where
                assert "evil.example" not in location.split("?")[0][:40], where
            else:
                assert status in (400, 404, 405, 406, 414), where


def test_very_long_paths(client: TestClient) -> None:
    for path in (
        b"/id/measure/" + b"a" * 100_000,
        b"/" + b"a/" * 20_000,
        b"/download/" + b"%2e" * 10_000,
        b"/static/" + b"../" * 10_000,
    ):
        status, _, body = raw(client.app, "GET", path)
        assert status in (400, 404, 414)
        assert_clean(status, body)


@pytest.mark.parametrize(
    "method", ["PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "PROPFIND", "GETX"]
)
def test_unsupported_methods(client: TestClient, method: str) -> None:
    for path in (
        b"/sparql",
        b"/queries/nato-links",
        b"/id/measure/x",
        b"/download/x",
        b"/static/style.css",
        b"/health",
    ):
        status, _, body = raw(client.app, method, path)
        assert 400 <= status < 500, (method, path, status)
        assert_clean(status, body)
