"""OWL 2 DL: the ontology plus the asserted data, loaded into the reasoners Protégé users have
(Pellet and HermiT, as shipped in owlready2 0.47, on Java from Debian's default-jre-headless),
with no flags. Both must find it consistent, and Pellet must derive no type or property value
beyond the project's OWL RL closure (see ontology/README.md, "OWL 2 DL")."""

from __future__ import annotations

import io
import os
import shutil
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from defensie_kg.build import reasoning, sources
from defensie_kg.rdf import terms
from defensie_kg.rdf.terms import Triple

ROOT = Path(__file__).resolve().parents[1]
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
TRIVIAL = {f"<{OWL}Thing>", f"<{OWL}NamedIndividual>"}

owlready2 = pytest.importorskip("owlready2")


@pytest.fixture(scope="module")
def java() -> str:
    found = shutil.which(owlready2.JAVA_EXE) or shutil.which("java")
    if found is None:
        message = "no Java: apt-get install default-jre-headless (.ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def loaded() -> sources.Sources:
    return sources.load(ROOT)


def _world(loaded: sources.Sources, folder: Path, java: str) -> object:
    """A fresh owlready2 world holding ontology + asserted data, read from N-Triples."""
    owlready2.JAVA_EXE = java
    path = folder / "ontology-and-data.nt"
    triples = loaded.ontology | loaded.data_union()
    path.write_text("".join(f"{s} {p} {o} .\n" for s, p, o in triples), encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    return world


def _beyond(derived: set[Triple], closure: set[Triple]) -> list[Triple]:
    """Derived facts the closure lacks. Types and object values compare exactly; literal values
    per subject and property, by count: owlready2 re-serialises literals its own way ("10.0" for
    10, mangled escapes for "…"), so a new value shows as one more value than the closure has."""
    literals: Counter[tuple[str, str]] = Counter()
    for s, p, o in closure:
        if o.startswith('"'):
            literals[s, p] += 1
    derived_literals: Counter[tuple[str, str]] = Counter()
    beyond = []
    for s, p, o in sorted(derived):
        if not o.startswith('"'):
            if (s, p, o) not in closure:
                beyond.append((s, p, o))
            continue
        derived_literals[s, p] += 1
        if derived_literals[s, p] > literals[s, p]:
            beyond.append((s, p, o))
    return beyond


def test_pellet_finds_it_consistent_and_adds_nothing_beyond_owl_rl(
    loaded: sources.Sources, tmp_path: Path, java: str
) -> None:
    world = _world(loaded, tmp_path, java)
    # Raises OwlReadyInconsistentOntologyError when inconsistent; no flags.
    owlready2.sync_reasoner_pellet(
        world, infer_property_values=True, infer_data_property_values=True, debug=0
    )
    out = io.BytesIO()
    world.get_ontology("http://inferrences/").save(file=out, format="ntriples")
    derived = {
        t
        for t in terms.parse(out.getvalue(), format=ox.RdfFormat.N_TRIPLES)
        if not t[0].startswith("<http://inferrences") and t[2] not in TRIVIAL
    }
    assert len(derived) > 1000  # types and property values: the check has something to check
    data = loaded.data_union()
    beyond = _beyond(derived, loaded.ontology | data | reasoning.close(loaded.ontology, data))
    assert beyond == [], f"Pellet derives {len(beyond)} facts the OWL RL closure lacks"


def test_hermit_finds_it_consistent(loaded: sources.Sources, tmp_path: Path, java: str) -> None:
    world = _world(loaded, tmp_path, java)
    owlready2.sync_reasoner_hermit(world, debug=0)  # raises when inconsistent; no flags


def test_every_term_used_is_declared(loaded: sources.Sources) -> None:
    # OWL 2 DL needs each class and property declared; Protégé otherwise guesses their kind.
    rdf, rdfs = (
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://www.w3.org/2000/01/rdf-schema#",
    )
    builtin = tuple(f"<{ns}" for ns in (rdf, rdfs, OWL, XSD))
    graph = loaded.ontology | loaded.data_union()
    declared: dict[str, set[str]] = {}
    for s, p, o in graph:
        if p == f"<{rdf}type>":
            declared.setdefault(s, set()).add(o)
    properties = {
        f"<{OWL}{k}>" for k in ("ObjectProperty", "DatatypeProperty", "AnnotationProperty")
    }
    classes = {f"<{OWL}Class>", f"<{rdfs}Datatype>"}
    class_positions = {
        f"<{rdf}type>",
        f"<{rdfs}subClassOf>",
        f"<{rdfs}domain>",
        f"<{OWL}disjointWith>",
    }
    undeclared = set()
    for _, p, o in graph:
        if not p.startswith(builtin) and not declared.get(p, set()) & properties:
            undeclared.add(p)
        if o.startswith(builtin) or not o.startswith("<"):
            continue
        if p in class_positions and not declared.get(o, set()) & classes:
            undeclared.add(o)
        if p == f"<{rdfs}subPropertyOf>" and not declared.get(o, set()) & properties:
            undeclared.add(o)
    assert sorted(undeclared) == []
