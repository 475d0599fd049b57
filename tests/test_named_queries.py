"""Named queries: headers, typed parameters bound as terms, goldens checked against the nota,
and identical answers from the Python API, the CLI and HTTP."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from defensie_kg.cli import cli
from defensie_kg.errors import BadParameter
from defensie_kg.query import named_queries
from defensie_kg.query.named_queries import NamedQuery
from defensie_kg.web.state import AppState

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
CATALOGUE = named_queries.load_all(ROOT / "queries")
GOLDENS = sorted(
    GOLDEN / f"{name}.json" for name in CATALOGUE if (GOLDEN / f"{name}.json").is_file()
)


Row = tuple[tuple[str, str | None], ...]


def _rows(body: bytes, columns: set[str]) -> Counter[Row]:
    """Result rows as sorted (column, value) tuples, restricted to ``columns``."""
    doc = json.loads(body)
    names = sorted(n for n in doc["head"]["vars"] if n in columns)
    return Counter(
        tuple((n, b[n]["value"] if n in b else None) for n in names)
        for b in doc["results"]["bindings"]
    )


def _expected(rows: list[dict[str, str | None]], columns: set[str]) -> Counter[Row]:
    return Counter(tuple((n, row.get(n)) for n in sorted(columns)) for row in rows)


def test_there_are_enough_named_queries() -> None:
    assert len(CATALOGUE) >= 38


@pytest.mark.parametrize("query", CATALOGUE.values(), ids=lambda q: q.name)
def test_every_query_has_titles_and_descriptions_in_en_and_nl(query: NamedQuery) -> None:
    assert set(query.title) >= {"en", "nl"}
    assert set(query.description) >= {"en", "nl"}
    for param in query.parameters:
        assert f"?{param.name}" in query.text, f"parameter {param.name} is not used"


@pytest.mark.parametrize("query", CATALOGUE.values(), ids=lambda q: q.name)
def test_every_query_has_a_golden(query: NamedQuery) -> None:
    assert (GOLDEN / f"{query.name}.json").is_file()


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.stem)
def test_golden_rows(path: Path, state: AppState) -> None:
    golden = json.loads(path.read_text())
    assert golden.get("source"), "a golden must say where in the nota its answer comes from"
    query = named_queries.find(CATALOGUE, golden["query"])
    request = named_queries.request(query, golden.get("params", {}), format="json", max_rows=100000)
    result = state.graph.execute(request)
    if "boolean" in golden:
        assert json.loads(result.body)["boolean"] is golden["boolean"]
        return
    rows = golden["rows"]
    columns = {k for row in rows for k in row} or set(json.loads(result.body)["head"]["vars"])
    assert _rows(result.body, columns) == _expected(rows, columns)


@pytest.mark.parametrize("name", ["measures-with-partner", "measures-by-nato-priority-target"])
def test_python_cli_and_http_agree(name: str, state: AppState, client: TestClient) -> None:
    query = CATALOGUE[name]
    python = state.graph.execute(
        named_queries.request(query, {}, format="csv", max_rows=100000)
    ).body
    cli_out = CliRunner().invoke(cli, ["--root", str(ROOT), "query", name, "--format", "csv"])
    http = client.get(f"/queries/{name}", params={"format": "csv"})
    assert http.status_code == 200
    assert python == cli_out.stdout_bytes == http.content


HOSTILE = ['x" } ; DROP ALL ; SELECT * { "', "a>b", "}", "\\u0022", "'''", "\n\n#", "x" * 1999]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_string_is_bound_as_one_literal(value: str, mini_settings, mini_client) -> None:  # type: ignore[no-untyped-def]
    response = mini_client.get("/queries/label-search", params={"text": value, "format": "json"})
    assert response.status_code == 200
    assert json.loads(response.content)["results"]["bindings"] == []


@pytest.mark.parametrize(
    "value",
    ["not an iri", "<http://x>", "http://x> . ?s ?p ?o . <y", "javascript:alert(1)>", "a" * 3000],
)
def test_bad_iri_parameter_is_a_400_naming_it(value: str, mini_client) -> None:  # type: ignore[no-untyped-def]
    response = mini_client.get("/queries/measures-for-target", params={"target": value})
    assert response.status_code == 400
    assert "parameter 'target'" in response.json()["error"]["message"]


def test_missing_required_parameter_is_a_400(mini_client) -> None:  # type: ignore[no-untyped-def]
    response = mini_client.get("/queries/label-search")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("parameter 'text': required")


def test_unknown_parameter_is_a_400(mini_client) -> None:  # type: ignore[no-untyped-def]
    response = mini_client.get("/queries/label-search", params={"text": "a", "txet": "b"})
    assert response.status_code == 400
    assert "parameter 'txet'" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("kind", "value"),
    [("integer", "1.5"), ("decimal", "NaN"), ("year", "20245"), ("boolean", "maybe")],
)
def test_typed_parameters_are_checked(kind: str, value: str) -> None:
    param = named_queries.Parameter("p", kind, None, "")
    with pytest.raises(BadParameter, match="parameter 'p'"):
        named_queries.to_term(param, value)


def test_prefixed_iri_parameter_is_expanded() -> None:
    param = named_queries.Parameter("p", "iri", None, "")
    assert named_queries.to_term(param, "country:germany") == (
        "<https://w3id.org/defensienota-2024/id/country/germany>"
    )


def test_catalogue_over_http(client: TestClient) -> None:
    listing = client.get("/queries").json()
    assert {q["name"] for q in listing} == set(CATALOGUE)
    entry = next(q for q in listing if q["name"] == "measures-with-partner")
    assert entry["parameters"][0]["name"] == "partner"
    assert entry["parameters"][0]["type"] == "iri"
