"""The SHACL engine (rudof, behind ``build/shacl.py``): one engine for every shape, results that
agree with pySHACL on the project's shapes, the spec's ``sh:conforms``, and no nested results at
the top level. The W3C SHACL Core suite itself runs in ``tests/test_w3c_shacl.py``."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from defensie_kg.build import reasoning, shacl, sources
from defensie_kg.build.reporting import Report, Result, summary, to_json
from defensie_kg.rdf import terms
from defensie_kg.rdf.terms import Triple

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = sorted((ROOT / "tests" / "shapes").glob("*.ttl"))
PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
"""
Key = tuple[str, str, str | None, str | None, str, str]


def _ttl(text: str) -> set[Triple]:
    return terms.parse((PREFIXES + text).encode())


def _key(r: Result) -> Key:
    return (r.severity, r.focus, r.path, r.value, r.message, r.shape)


def _by_pyshacl(data: set[Triple], shapes: set[Triple]) -> Counter[Key]:
    """pySHACL's results (inference off, warnings allowed), as the same keys."""
    from pyshacl import validate
    from rdflib import Namespace

    sh = Namespace("http://www.w3.org/ns/shacl#")
    _, report, _ = validate(
        terms.to_rdflib(data),
        shacl_graph=terms.to_rdflib(shapes),
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,
    )

    def text(node: object, prop: object) -> str | None:
        found = report.value(node, prop)
        return None if found is None else str(found)

    return Counter(
        (
            (text(n, sh.resultSeverity) or "").rsplit("#", 1)[-1],
            text(n, sh.focusNode) or "",
            text(n, sh.resultPath),
            text(n, sh.value),
            text(n, sh.resultMessage) or "",
            text(n, sh.sourceShape) or "",
        )
        for n in report.objects(None, sh.result)
    )


@pytest.fixture(scope="module")
def loaded() -> sources.Sources:
    return sources.load(ROOT)


def test_the_shape_fixtures_agree_with_pyshacl(loaded: sources.Sources) -> None:
    # Every fixture of tests/shapes/ in one graph: every constraint of shapes.ttl fires somewhere.
    data: set[Triple] = set()
    for name in ("document.ttl", "tasks-objectives.ttl"):
        data |= sources.parse_turtle(ROOT / "data" / name)
    for fixture in FIXTURES:
        data |= sources.parse_turtle(fixture)
    graph = data | reasoning.close(loaded.ontology, data)
    ours = Counter(_key(r) for r in shacl.validate(graph, loaded.shapes))
    assert len(ours) > 60
    assert ours == _by_pyshacl(graph, loaded.shapes)


def test_the_nota_graph_agrees_with_pyshacl(loaded: sources.Sources) -> None:
    data = loaded.data_union()
    graph = data | reasoning.close(loaded.ontology, data)
    results = shacl.validate(graph, loaded.shapes)
    assert not [r for r in results if r.severity == "Violation"]
    assert Counter(_key(r) for r in results) == _by_pyshacl(graph, loaded.shapes)


def test_one_engine_for_every_feature(caplog: pytest.LogCaptureFixture) -> None:
    # Features the old fast path handed to pySHACL: the one engine answers them all, silently.
    shapes = _ttl("""
        ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:closed true ;
            sh:ignoredProperties ( rdf:type ) ; sh:property ex:len, ex:inv, ex:range, ex:eq ;
            sh:not [ sh:class ex:D ] .
        ex:len sh:path ex:p ; sh:minLength 3 .
        ex:inv sh:path [ sh:inversePath ex:q ] ; sh:minCount 1 .
        ex:range sh:path ex:n ; sh:maxInclusive 5 .
        ex:eq sh:path ex:p ; sh:equals ex:n .
    """)
    data = _ttl('ex:x a ex:D ; ex:p "ab" ; ex:n 7 ; ex:z 1 .')
    with caplog.at_level(logging.DEBUG):
        results = shacl.validate(data, shapes)
    assert {r.component for r in results} == {
        "ClosedConstraintComponent",
        "MinLengthConstraintComponent",
        "MinCountConstraintComponent",
        "MaxInclusiveConstraintComponent",
        "EqualsConstraintComponent",
        "NotConstraintComponent",
    }
    assert next(r.path for r in results if r.component.startswith("MinCount")) == (
        "^(http://example.org/q)"
    )
    assert "pySHACL" not in caplog.text


def test_nested_results_stay_nested() -> None:
    # sh:node: one result for the value that fails the node shape, not its inner results too.
    shapes = _ttl("""
        ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:property ex:P .
        ex:P sh:path ex:p ; sh:node ex:T ; sh:message "p must be a T" .
        ex:T a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
    """)
    results = shacl.validate(_ttl("ex:x ex:p ex:y ."), shapes)
    assert [(r.focus, r.value, r.component, r.message) for r in results] == [
        ("http://example.org/x", "http://example.org/y", "NodeConstraintComponent", "p must be a T")
    ]


def test_conforms_follows_the_spec_and_warnings_do_not_block() -> None:
    shapes = _ttl("""
        ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:property ex:P .
        ex:P sh:path ex:p ; sh:minCount 1 ; sh:severity sh:Warning ; sh:message "add ex:p" .
    """)
    report = Report(shacl.validate(_ttl("ex:x a ex:C ."), shapes))
    assert [r.severity for r in report.results] == ["Warning"]
    assert report.conforms is False  # any result, of any severity
    assert report.blocked is False  # the project's gate: only a Violation blocks
    assert '"conforms": false' in to_json(report) and '"blocked": false' in to_json(report)
    assert "warnings only" in summary(report)
    assert Report([]).conforms and not Report([]).blocked


def test_blank_nodes_literals_and_empty_input() -> None:
    shapes = _ttl("""
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:nodeKind sh:IRI ; sh:message "an IRI" ;
            sh:property [ sh:path ex:p ; sh:datatype rdf:langString ; sh:message "tagged" ] .
    """)
    data = _ttl('_:b a ex:C ; ex:p "say \\"hi\\", ok", "x"^^xsd:integer .')
    found = {(r.focus, r.value, r.message) for r in shacl.validate(data, shapes)}
    label = terms.value(next(s for s, _, _ in data))
    assert found == {
        (label, label, "an IRI"),
        (label, 'say "hi", ok', "tagged"),
        (label, "x", "tagged"),
    }
    assert shacl.validate(set(), shapes) == []
