"""Property-based tests: generated requests never get a 500, and every error is well formed.

- schemathesis reads the app's own OpenAPI schema (``/openapi.json``) and sends valid and
  invalid requests to every operation in it (at most 25 examples each);
- hypothesis sends generated requests to the routes the schema leaves out (the home page,
  ``/def.ttl``…, the YASGUI assets) and generated SPARQL to ``/sparql``.

Runs are derandomised (fixed seed, no example database), so CI sees the same examples
every time. Error bodies: ``text/plain`` on ``/sparql``; elsewhere JSON
``{"error": {"type", "message", "status"}}`` (or an HTML error page for a browser).
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any, cast

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from defensie_kg.settings import Settings
from defensie_kg.web.app import create_app
from defensie_kg.web.state import AppState

LEAK = re.compile(
    r"Traceback|File \"|/work/|/usr/|site-packages|\.py\"|<class '|"
    r"\b[A-Z]\w*(Error|Exception)\("
)
BOUNDED = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def assert_well_formed(
    path: str, status: int, headers: Any, body: bytes, wants_html: bool = False
) -> None:
    """Never a 500 (a 503 only for a time limit or a failed worker); errors well formed."""
    text = body.decode("utf-8", "replace")
    assert status < 500 or (status == 503 and ("time limit" in text or "worker" in text)), (
        path,
        status,
        text[:300],
    )
    assert not LEAK.search(text), (path, text[:500])
    if status < 400 or not body:
        return
    media = _header(headers, "content-type")
    if path.startswith("/sparql"):
        assert media.startswith("text/plain"), (path, status, media)
    elif media.startswith("text/html"):
        assert wants_html, (path, status, "HTML error for a client that did not ask for it")
    else:
        assert media.startswith("application/json"), (path, status, media)
        error = json.loads(body)["error"]
        assert set(error) >= {"type", "message", "status"}, error
        assert error["status"] == status and isinstance(error["message"], str)


def _header(headers: Any, name: str) -> str:
    """One header from httpx's headers or schemathesis' ``{name: [values]}``."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return ""


def _prefers_html(headers: Any) -> bool:
    accept = _header(headers, "accept")
    return "html" in accept.split(",")[0] or not accept or "*/*" in accept


# --- every operation of the OpenAPI schema --------------------------------------------------


# schemathesis loads the schema when this module is imported (its fixture-based loader does
# not work with pytest 9: it sets ``node._nodeid``), so the app starts with a stand-in state
# that the fixture below points at the session's loaded graph.
class _SessionState:
    """Stands in for the session's :class:`AppState` (set by the fixture below)."""

    target: AppState | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(type(self).target, name)


APP = create_app(Settings(root=ROOT), state=cast(AppState, _SessionState()))
with warnings.catch_warnings():  # GET+HEAD routes share an operation id
    warnings.filterwarnings("ignore", message="Duplicate Operation ID")
    schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(autouse=True, scope="module")
def _serve_the_session_graph(state: AppState) -> None:
    _SessionState.target = state


@schema.parametrize()
@BOUNDED
def test_every_operation_never_500_and_errors_well_formed(case: Any) -> None:
    response = case.call()
    assert_well_formed(
        case.path,
        response.status_code,
        response.headers,
        response.content,
        wants_html=_prefers_html(case.headers),
    )


def test_the_schema_documents_the_core_routes() -> None:
    documented = {op.ok().path for op in schema.get_all_operations()}
    assert {"/sparql", "/queries", "/queries/{name}", "/health", "/ready"} <= documented


# --- routes left out of the schema --------------------------------------------------------------

SEGMENT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="/?#"),
    max_size=40,
)
HIDDEN = st.one_of(
    st.just("/"),
    SEGMENT.map(lambda s: f"/def{s}"),
    SEGMENT.map(lambda s: f"/assets/yasgui/{s}"),
    SEGMENT.map(lambda s: f"/static/{s}"),
    st.just("/queries.json"),
)
ACCEPT = st.sampled_from(
    [
        "*/*",
        "text/html",
        "text/turtle",
        "application/json",
        "",
        "application/ld+json;q=0.5, text/html;q=0.1",
        "x/y",
    ]
)


@given(path=HIDDEN, accept=ACCEPT)
@settings(BOUNDED, max_examples=60)
def test_hidden_routes_never_500(client: TestClient, path: str, accept: str) -> None:
    headers = {"Accept": accept}
    response = client.get(path, headers=headers)
    assert_well_formed(
        path,
        response.status_code,
        response.headers,
        response.content,
        wants_html=_prefers_html(headers),
    )


# --- generated SPARQL -----------------------------------------------------------------------------

TOKENS = st.sampled_from(
    [
        "SELECT",
        "ASK",
        "CONSTRUCT",
        "DESCRIBE",
        "WHERE",
        "{",
        "}",
        "(",
        ")",
        "?s",
        "?p",
        "?o",
        "<urn:x:a>",
        '"a"',
        '"a"@en',
        "1",
        "1.5",
        "FILTER",
        "OPTIONAL",
        "UNION",
        "MINUS",
        "LIMIT",
        "OFFSET",
        "*",
        ".",
        ";",
        ",",
        "GRAPH",
        "SERVICE",
        "FROM",
        "NAMED",
        "PREFIX",
        "x:",
        "x:a",
        "<http://127.0.0.1:9/>",
        "<file:///etc/passwd>",
        "INSERT",
        "DATA",
        "DELETE",
        "DROP",
        "ALL",
        "LOAD",
        "#",
        "\\",
        "'",
        "BIND",
        "AS",
        "COUNT",
        "REGEX",
        "GROUP BY",
        "ORDER BY",
        "VALUES",
        "a",
        "=",
        "!",
        "||",
        "&&",
        "STR",
        "LANG",
        "DISTINCT",
        "^^",
        "@",
        "\n",
        "\x00",
        "é",
    ]
)
QUERIES = st.one_of(
    st.lists(TOKENS, max_size=40).map(" ".join),
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
)


@given(
    query=QUERIES,
    variant=st.sampled_from(["get", "form", "direct"]),
    accept=st.sampled_from(
        ["*/*", "text/csv", "application/sparql-results+xml", "text/turtle", "garbage", ""]
    ),
    extra=st.dictionaries(
        st.sampled_from(["format", "infer", "default-graph-uri", "named-graph-uri", "update"]),
        st.text(max_size=20),
        max_size=2,
    ),
)
@settings(BOUNDED, max_examples=200)
def test_generated_queries_never_500(
    mini_client: TestClient, query: str, variant: str, accept: str, extra: dict[str, str]
) -> None:
    headers = {"Accept": accept}
    if variant == "get":
        response = mini_client.get("/sparql", params={"query": query, **extra}, headers=headers)
    elif variant == "form":
        response = mini_client.post("/sparql", data={"query": query, **extra}, headers=headers)
    else:
        headers["Content-Type"] = "application/sparql-query"
        response = mini_client.post(
            "/sparql", params=extra, headers=headers, content=query.encode("utf-8", "surrogatepass")
        )
    assert_well_formed("/sparql", response.status_code, response.headers, response.content)


@given(
    name=st.sampled_from(["label-search", "measures-for-target"]),
    params=st.dictionaries(
        st.sampled_from(["text", "target", "format", "infer", "x"]),
        st.text(max_size=60),
        max_size=3,
    ),
    suffix=st.sampled_from(["", ".csv", ".json", ".ttl", ".xml", ".exe"]),
)
@settings(BOUNDED, max_examples=100)
def test_generated_named_query_parameters_never_500(
    mini_client: TestClient, name: str, params: dict[str, str], suffix: str
) -> None:
    response = mini_client.get(f"/queries/{name}{suffix}", params=params)
    assert response.status_code in (200, 400, 404, 406)
    assert_well_formed("/queries", response.status_code, response.headers, response.content)


@given(st.binary(max_size=64))
def test_percent_decoding_matches_the_standard_library(raw: bytes) -> None:
    # web.protocol decodes with the C escape decoder (measured faster); it must give the
    # bytes urllib gives for every well-formed percent-encoding.
    from urllib.parse import quote_from_bytes, unquote_to_bytes

    from defensie_kg.web.protocol import _unquote

    encoded = quote_from_bytes(raw, safe="").encode()
    assert _unquote(encoded) == unquote_to_bytes(encoded) == raw
