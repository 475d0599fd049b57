"""Every SHACL constraint rejects its deliberately broken fixture with exactly the expected
results, and every shape accepts its passing fixture (see tests/shapes/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Namespace, URIRef

from defensie_kg import reasoning, sources, validation

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "tests" / "shapes"
EXPECTATIONS = json.loads((SHAPES_DIR / "expectations.json").read_text())
Key = tuple[str, str | None, str, str, str]
SH = Namespace("http://www.w3.org/ns/shacl#")


@pytest.fixture(scope="module")
def base() -> tuple[Graph, Graph, Graph]:
    loaded = sources.load(ROOT)
    data = Graph()
    for name in ("document.ttl", "tasks-objectives.ttl"):
        data += sources.parse_turtle(ROOT / "data" / name)
    return loaded.ontology, data, loaded.shapes


def _results(base: tuple[Graph, Graph, Graph], fixture: Path) -> set[Key]:
    ontology, data, shapes = base
    combined = Graph()
    combined += data
    combined += sources.parse_turtle(fixture)
    inferred = reasoning.close(ontology, combined)
    report = validation.validate(combined, inferred, shapes)
    blanks = {str(b) for b in combined.all_nodes() if isinstance(b, BNode)}
    return {
        ("_:blank" if r.focus in blanks else r.focus, r.path, r.shape, r.severity, r.message)
        for r in report.results
    }


def test_every_constraint_has_a_fixture() -> None:
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    property_shapes = {
        str(s).rsplit("/", 1)[-1] for s in shapes.subjects(SH.path, None) if isinstance(s, URIRef)
    }
    fixtures = {str(e["file"]).removesuffix("-XFAIL.ttl") for e in EXPECTATIONS}
    assert property_shapes - fixtures == set()


@pytest.mark.parametrize("case", EXPECTATIONS, ids=lambda c: c["file"])
def test_fixture_gives_exactly_the_expected_results(
    base: tuple[Graph, Graph, Graph], case: dict[str, object]
) -> None:
    expected = {
        (r["focus"], r["path"], r["shape"], r["severity"], r["message"])  # type: ignore[index]
        for r in case["results"]  # type: ignore[attr-defined]
    }
    assert _results(base, SHAPES_DIR / str(case["file"])) == expected
