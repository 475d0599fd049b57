"""A release says its version once: the package, the ontology, CITATION.cff, CHANGELOG.md, the
dumps and their names; `defensie-kg export` writes a SHA-256 checksum of every dump."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient
from rdflib import DCAT, DCTERMS, RDF, XSD, Graph, Literal, URIRef

from defensie_kg import __version__, release
from defensie_kg.cli import cli
from defensie_kg.namespaces import ONTOLOGY_IRI, OWL

ROOT = Path(__file__).resolve().parents[1]


def test_the_ontology_carries_the_package_version() -> None:
    graph = ox.Store()
    graph.load(path=str(ROOT / "ontology" / "defensie.ttl"), format=ox.RdfFormat.TURTLE)
    ontology = ox.NamedNode(ONTOLOGY_IRI)
    info = [
        q.object.value
        for q in graph.quads_for_pattern(ontology, ox.NamedNode(OWL.versionInfo), None)
    ]
    iri = [
        q.object.value
        for q in graph.quads_for_pattern(ontology, ox.NamedNode(OWL.versionIRI), None)
    ]
    assert info == [__version__]
    assert iri == [f"{ONTOLOGY_IRI}/{__version__}"]


def test_citation_cff_names_this_release() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == __version__
    assert str(cff["date-released"]) == release.RELEASE_DATE
    assert cff["license"] == release.LICENSE_ID
    assert cff["title"] == release.TITLE


def test_citation_cff_is_valid_cff_1_2() -> None:
    """The schema check of the `cffconvert` package (a dev dependency)."""
    done = subprocess.run(
        [sys.executable, "-m", "cffconvert.cli.cli", "--validate", "-i", "CITATION.cff"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_changelog_starts_with_this_release() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    first = re.search(r"^## \[(\S+)\] - (\d{4}-\d{2}-\d{2})$", text, re.MULTILINE)
    assert first and first.groups() == (__version__, release.RELEASE_DATE)


def test_export_names_dumps_with_the_version_and_writes_checksums(
    mini_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dumps"
    result = CliRunner().invoke(cli, ["--root", str(mini_root), "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    sums = (out / "SHA256SUMS").read_text().splitlines()
    files = sorted(p.name for p in out.iterdir() if p.name != "SHA256SUMS")
    assert len(files) == 24 and len(sums) == 24
    assert all(name.startswith(f"defensienota-2024-{__version__}-") for name in files)
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    turtle = (out / f"defensienota-2024-{__version__}-asserted.ttl").read_text()
    assert f'owl:versionInfo "{__version__}"' in turtle
    assert "\r" not in result.stderr  # no progress display when stdout is not a terminal


def test_void_gives_version_release_date_licence_and_citation(client: TestClient) -> None:
    void = Graph().parse(data=client.get("/void", headers={"Accept": "text/turtle"}).text)
    dataset = next(void.subjects(RDF.type, DCAT.Dataset))
    assert str(void.value(dataset, URIRef(str(DCAT) + "version"))) == __version__
    assert void.value(dataset, DCTERMS.issued) == Literal(release.RELEASE_DATE, datatype=XSD.date)
    assert str(void.value(dataset, DCTERMS.license)) == release.LICENSE
    citation = str(void.value(dataset, DCTERMS.bibliographicCitation))
    assert citation == release.citation() and __version__ in citation
