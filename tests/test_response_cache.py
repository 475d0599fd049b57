"""The response cache over HTTP: hits, normalised keys, ETag/304, what is never kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import make_mini

from defensie_kg.settings import Settings
from defensie_kg.web.app import create_app

ASK = "ASK { ?s ?p ?o }"
ALL = "SELECT * WHERE { ?s ?p ?o }"  # more rows than max_rows: truncated


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = make_mini(tmp_path_factory.mktemp("cache") / "project")
    settings = Settings(root=root, query_timeout=2.0, query_workers=1, max_rows=5)
    with TestClient(create_app(settings)) as client:
        yield client


def stats(client: TestClient) -> dict[str, int]:
    result: dict[str, int] = client.get("/health").json()["response_cache"]
    return result


def test_a_repeated_query_is_a_hit_with_etag_and_cache_control(cached: TestClient) -> None:
    before = stats(cached)
    first = cached.get("/sparql", params={"query": ASK, "format": "json"})
    second = cached.get("/sparql", params={"query": ASK, "format": "json"})
    after = stats(cached)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    assert second.headers["x-content-type-options"] == "nosniff"  # outer middleware still runs
    assert after["misses"] == before["misses"] + 1 and after["hits"] == before["hits"] + 1
    assert 0 < after["bytes"] <= after["limit_bytes"]


def test_get_and_post_forms_of_one_request_share_an_entry(cached: TestClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }"
    first = cached.get("/sparql", params={"format": "json", "query": query})
    before = stats(cached)
    form = cached.post("/sparql", data={"query": query, "format": "json"})
    direct = cached.post(
        "/sparql?format=json",
        content=query.encode(),
        headers={"content-type": "application/sparql-query"},
    )
    after = stats(cached)
    assert form.content == direct.content == first.content
    assert form.headers["etag"] == direct.headers["etag"] == first.headers["etag"]
    assert after["hits"] == before["hits"] + 2


def test_if_none_match_gives_304(cached: TestClient) -> None:
    params = {"query": "ASK { ?s a ?c }", "format": "xml"}
    etag = cached.get("/sparql", params=params).headers["etag"]
    again = cached.get("/sparql", params=params, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = cached.get("/sparql", params=params, headers={"if-none-match": '"nope"'})
    assert other.status_code == 200 and other.content


def test_a_truncated_answer_is_never_cached(cached: TestClient) -> None:
    before = stats(cached)
    for _ in range(2):
        response = cached.get("/sparql", params={"query": ALL, "format": "json"})
        assert response.headers["x-result-truncated"] == "true"
        assert "etag" not in response.headers
    after = stats(cached)
    assert after["hits"] == before["hits"] and after["entries"] == before["entries"]


def test_a_failed_answer_is_never_cached(cached: TestClient) -> None:
    before = stats(cached)
    for _ in range(2):
        response = cached.get("/sparql", params={"query": "SELECT WHERE {"})
        assert response.status_code == 400 and "etag" not in response.headers
    after = stats(cached)
    assert after["hits"] == before["hits"] and after["entries"] == before["entries"]


def test_named_queries_and_pages_are_cached(cached: TestClient) -> None:
    for path, headers in (
        ("/queries/label-search?text=zzz-none&format=json", {}),
        ("/queries", {"accept": "text/html"}),
    ):
        first = cached.get(path, headers=headers)
        before = stats(cached)
        second = cached.get(path, headers=headers)
        assert first.status_code == second.status_code == 200, path
        assert first.content == second.content and "etag" in second.headers, path
        assert stats(cached)["hits"] == before["hits"] + 1, path


def test_health_is_never_cached(cached: TestClient) -> None:
    assert "etag" not in cached.get("/health").headers


def test_memory_stays_within_the_setting(tmp_path: Path) -> None:
    root = make_mini(tmp_path / "project")
    settings = Settings(root=root, query_workers=1, response_cache_bytes=20_000)
    with TestClient(create_app(settings)) as client:
        for limit in range(1, 40):
            query = f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {limit}"
            assert client.get("/sparql", params={"query": query}).status_code == 200
        now = stats(client)
        assert 0 < now["bytes"] <= 20_000 and now["entries"] < 39


def test_zero_turns_the_cache_off(tmp_path: Path) -> None:
    root = make_mini(tmp_path / "project")
    with TestClient(create_app(Settings(root=root, query_workers=1, response_cache_bytes=0))) as c:
        c.get("/sparql", params={"query": ASK})
        response = c.get("/sparql", params={"query": ASK})
        assert "etag" not in response.headers and stats(c)["hits"] == 0
