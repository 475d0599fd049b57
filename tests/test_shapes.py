"""Every SHACL constraint rejects its deliberately broken fixture with exactly the expected
results, and every shape accepts its passing fixture (see tests/shapes/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from defensie_kg.build import reasoning, sources, validation
from defensie_kg.rdf import terms
from defensie_kg.rdf.terms import Triple

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "tests" / "shapes"
EXPECTATIONS = json.loads((SHAPES_DIR / "expectations.json").read_text())
Key = tuple[str, str | None, str, str, str]
Base = tuple[set[Triple], set[Triple], set[Triple]]
SH_PATH = "<http://www.w3.org/ns/shacl#path>"


@pytest.fixture(scope="module")
def base() -> Base:
    loaded = sources.load(ROOT)
    data: set[Triple] = set()
    for name in ("document.ttl", "tasks-objectives.ttl"):
        data |= sources.parse_turtle(ROOT / "data" / name)
    return loaded.ontology, data, loaded.shapes


def _results(base: Base, fixture: Path) -> set[Key]:
    ontology, data, shapes = base
    combined = data | sources.parse_turtle(fixture)
    inferred = reasoning.close(ontology, combined)
    report = validation.validate(combined, inferred, shapes)
    blanks = {terms.value(t) for triple in combined for t in triple if terms.is_blank(t)}
    return {
        ("_:blank" if r.focus in blanks else r.focus, r.path, r.shape, r.severity, r.message)
        for r in report.results
    }


def test_every_constraint_has_a_fixture() -> None:
    shapes = sources.parse_turtle(ROOT / "ontology" / "shapes.ttl")
    property_shapes = {
        terms.value(s).rsplit("/", 1)[-1] for s, p, _ in shapes if p == SH_PATH and terms.is_iri(s)
    }
    fixtures = {str(e["file"]).removesuffix("-XFAIL.ttl") for e in EXPECTATIONS}
    assert property_shapes - fixtures == set()


@pytest.mark.parametrize("case", EXPECTATIONS, ids=lambda c: c["file"])
def test_fixture_gives_exactly_the_expected_results(base: Base, case: dict[str, object]) -> None:
    expected = {
        (r["focus"], r["path"], r["shape"], r["severity"], r["message"])  # type: ignore[index]
        for r in case["results"]  # type: ignore[attr-defined]
    }
    assert _results(base, SHAPES_DIR / str(case["file"])) == expected
