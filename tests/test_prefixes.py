"""Prefixes: the documented ones are predeclared everywhere; an unknown one is named in one line."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from defensie_kg.cli import cli
from defensie_kg.namespaces import PREFIXES
from defensie_kg.query import prefixes

NO_PROLOGUE = "SELECT ?m WHERE { ?m a dn:Measure ; dn:sourceSection ?s . } LIMIT 1"


def _run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT * WHERE { ?s zzq:p ?o }", ["zzq"]),
        ("SELECT * WHERE { ?s dn:p ?o ; measures:x ?y }", ["measures"]),
        ("PREFIX x: <http://x/> SELECT * WHERE { ?s x:p ?o }", []),
        ('SELECT * WHERE { ?s rdfs:label "zzq: not a name" ; <urn:zzq:a> ?o } # zzq:', []),
        ("SELECT * WHERE { ?s dn:p '1'^^xsd:integer ; dn:q dn:a:b }", []),
    ],
)
def test_unknown_prefixes_are_found_lexically(text: str, expected: list[str]) -> None:
    assert prefixes.unknown_prefixes(text) == expected


def test_message_is_one_line_with_the_probable_prefix() -> None:
    assert prefixes.message("zzq") == "unknown prefix 'zzq:'"
    assert prefixes.message("dnn").startswith("unknown prefix 'dnn:' (did you mean 'dn:'")
    assert "'dcterms:'" in prefixes.message("dc")
    assert "'measure:'" in prefixes.message("measures")
    assert "\n" not in prefixes.message("dnn")


def test_cli_runs_a_query_without_prefix_lines(mini_root: Path) -> None:
    code, out, err = _run(mini_root, "query", NO_PROLOGUE, "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0] == "m"
    assert len(out.splitlines()) == 2


def test_cli_unknown_prefix_is_one_line_and_exit_2(mini_root: Path) -> None:
    code, out, err = _run(mini_root, "query", "SELECT * WHERE { ?s zzq:p ?o }")
    assert code == 2
    assert err.strip() == "unknown prefix 'zzq:'"
    assert out == ""
    code, _, err = _run(mini_root, "query", "SELECT * WHERE { ?s dnn:p ?o }")
    assert code == 2
    assert err.strip().splitlines() == [
        f"unknown prefix 'dnn:' (did you mean 'dn:' <{PREFIXES['dn']}>?)"
    ]


def test_cli_prints_no_progress_when_not_a_terminal(mini_root: Path) -> None:
    code, _, err = _run(mini_root, "query", "ASK { ?s ?p ?o }")
    assert code == 0
    assert err == ""
    code, _, err = _run(mini_root, "query", "ASK { ?s ?p ?o }", "-v")
    assert code == 0
    assert err.strip() and all(line.startswith("  ") for line in err.splitlines())


def test_endpoint_runs_a_query_without_prefix_lines(mini_client: TestClient) -> None:
    response = mini_client.get("/sparql", params={"query": NO_PROLOGUE, "format": "json"})
    assert response.status_code == 200
    assert response.json()["results"]["bindings"]


def test_endpoint_unknown_prefix_is_400_one_line(mini_client: TestClient) -> None:
    response = mini_client.get("/sparql", params={"query": "SELECT * WHERE { ?s zzq:p ?o }"})
    assert response.status_code == 400
    assert "unknown prefix 'zzq:'" in response.text
    assert len(response.text.strip().splitlines()) == 1
    response = mini_client.post(
        "/sparql",
        content="SELECT * WHERE { ?s skoss:prefLabel ?o }",
        headers={"Content-Type": "application/sparql-query"},
    )
    assert response.status_code == 400
    assert "unknown prefix 'skoss:' (did you mean 'skos:'" in response.text


def test_service_description_declares_the_prefixes(mini_client: TestClient) -> None:
    response = mini_client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
    declared = {
        str(t.object.value)
        for t in graph
        if t.predicate == ox.NamedNode("http://www.w3.org/ns/shacl#prefix")
    }
    assert declared == set(PREFIXES)


def test_with_prologue_declares_only_what_a_remote_store_needs() -> None:
    text = "PREFIX dn: <http://example.org/other#>\nSELECT * WHERE { ?s dn:p ?o ; rdfs:label ?l }"
    out = prefixes.with_prologue(text)
    assert out.startswith(f"PREFIX rdfs: <{PREFIXES['rdfs']}>\n")
    assert out.count("PREFIX dn:") == 1  # the query's own declaration wins
    assert prefixes.with_prologue("ASK { ?s ?p ?o }") == "ASK { ?s ?p ?o }"
