"""A datatype on every value: for every datatype property with an ``rdfs:range`` in the ontology,
one wrongly typed value makes ``defensie-kg validate`` exit 1 and name the property.

The wrong values live in the broken fixtures of ``tests/shapes/`` (one per property, otherwise
complete, so nothing else fires): ``Value-{property}-datatype-XFAIL.ttl``, or the older fixture
of a class-targeted shape named below. A new datatype property without a fixture fails here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from defensie_kg.build import sources
from defensie_kg.cli import cli
from defensie_kg.namespaces import shorten
from defensie_kg.rdf import terms

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "tests" / "shapes"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RANGE = "<http://www.w3.org/2000/01/rdf-schema#range>"
DATATYPE_PROPERTY = "<http://www.w3.org/2002/07/owl#DatatypeProperty>"
# Properties whose datatype a class-targeted shape checks (the class is the property's domain).
OLDER = {
    "order": "NotaEntity-order-datatype-XFAIL.ttl",
    "value": "Figure-value-datatype-XFAIL.ttl",
    "referenceYear": "Figure-referenceYear-datatype-XFAIL.ttl",
    "iso3166Alpha2": "Country-iso3166Alpha2-datatype-XFAIL.ttl",
    "iso3166Alpha3": "Country-iso3166Alpha3-datatype-XFAIL.ttl",
}


def _datatype_properties() -> list[str]:
    ontology = sources.parse_turtle(ROOT / "ontology" / "defensie.ttl")
    typed = {s for s, p, o in ontology if p == RDF_TYPE and o == DATATYPE_PROPERTY}
    return sorted(terms.value(s) for s, p, _ in ontology if p == RANGE and s in typed)


PROPERTIES = _datatype_properties()


def test_the_ontology_has_datatype_properties_with_ranges() -> None:
    assert len(PROPERTIES) >= 17


@pytest.mark.parametrize("prop", PROPERTIES, ids=lambda p: p.rsplit("/", 1)[-1])
def test_a_wrongly_typed_value_fails_validate(prop: str, tmp_path: Path) -> None:
    name = prop.rsplit("/", 1)[-1]
    fixture = SHAPES / OLDER.get(name, f"Value-{name}-datatype-XFAIL.ttl")
    assert fixture.is_file(), f"{shorten(prop)} has no wrongly typed fixture: add {fixture.name}"
    # The project as the shape fixtures are checked: ontology, document structure, objectives.
    root = tmp_path / "project"
    shutil.copytree(ROOT / "ontology", root / "ontology")
    (root / "data").mkdir()
    for part in ("document.ttl", "tasks-objectives.ttl"):
        shutil.copy(ROOT / "data" / part, root / "data" / part)
    shutil.copy(fixture, root / "data" / "injected.ttl")
    runner = CliRunner()
    text = runner.invoke(cli, ["--root", str(root), "validate"])
    assert text.exit_code == 1, text.stdout
    assert f"Violation {shorten(prop)}:" in text.stdout
    report = json.loads(
        runner.invoke(cli, ["--root", str(root), "validate", "--format", "json"]).stdout
    )
    violations = [r for r in report["results"] if r["severity"] == "Violation"]
    assert violations and all(r["files"] == ["data/injected.ttl"] for r in violations)
    assert {r["component"] for r in violations if r["path"] == prop} == {
        "DatatypeConstraintComponent"
    }
