"""A seeded generator of project directories shaped like the nota graph, at any size.

``generate(target, triples)`` writes ``ontology/`` and ``queries/`` (copied
from the real project), ``data/`` (the real nota files, or a tiny skeleton
with ``with_nota=False``) and ``data/generated-NNN.ttl``: measures with
Dutch and English labels and descriptions, NATO targets and links, units in
a hierarchy, sections, and figures with amounts. Every generated resource
uses the real ontology's classes and properties and hangs off resources of
the base data (sections, objectives, topics, organisations, countries,
NATO requirements), so reasoning, the SHACL shapes and the named queries
all apply, and ``defensie-kg --root TARGET build`` works on it.

``triples`` is the aimed-at size of the built dataset (asserted plus
inferred quads); the real size is what the build reports.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
DN = "https://w3id.org/defensienota-2024/def/"
ID = "https://w3id.org/defensienota-2024/id/"
# Built-dataset quads per generated measure (with its link, figure, share of units,
# targets and sections) and of the base data; measured on the nota graph.
QUADS_PER_MEASURE = 57
BASE_QUADS = {True: 18_500, False: 1_700}
MEASURES_PER_FILE = 2_000

PREFIXES = f"""@prefix dn: <{DN}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
"""
WORDS = [
    ("versterken", "strengthen"),
    ("NAVO-inzet", "NATO deployment"),
    ("drones", "drones"),
    ("munitie", "ammunition"),
    ("personeel", "personnel"),
    ("cyber", "cyber defence"),
    ("opleiding", "training"),
    ("vastgoed", "real estate"),
    ("brigade", "brigade"),
    ("fregatten", "frigates"),
    ("logistiek", "logistics"),
    ("innovatie", "innovation"),
    ("reservisten", "reservists"),
    ("luchtverdediging", "air defence"),
    ("satellieten", "satellites"),
    ("gereedheid", "readiness"),
    ("voorraden", "stocks"),
]
STATUSES = ("under-way", "decided", "planned", "being-explored", "to-be-phased-out")
DOMAINS = ["land", "maritime", "air", "cyber", "space", "information"]
CATEGORIES = ["combat", "combat-support", "combat-service-support"]
UNITS = ["CCY_EUR", "NUM", "PERCENT", "HA", "KiloM"]
PERIODS = ["per-year", "one-off", "cumulative", "level"]
QUALIFIERS = ["exact", "approximately", "at-least", "more-than", "at-most"]
NATO_KINDS = ["NatoCapabilityTarget", "NatoPriorityTarget", "NatoShortfall", "NatoRequest"]


@dataclass(frozen=True)
class Generated:
    """What was written: the project root, the number of measures and data files."""

    root: Path
    measures: int
    files: int
    aimed_quads: int


@dataclass
class Anchors:
    """Resources of the base data that generated resources point to (sorted IRIs)."""

    sections: list[str]
    objectives: list[str]
    topics: list[str]
    organisations: list[str]
    countries: list[str]
    requirements: list[str]


def measures_for(triples: int, with_nota: bool = True) -> int:
    """How many measures make a dataset of about ``triples`` quads."""
    return max(1, (triples - BASE_QUADS[with_nota]) // QUADS_PER_MEASURE)


def generate(
    target: Path, triples: int, seed: int = 2024, with_nota: bool = True, source: Path = ROOT
) -> Generated:
    """Write a buildable project of about ``triples`` quads to ``target``.

    Its ``ontology/``, ``data/`` and ``queries/`` are replaced; anything else
    (the build cache) is kept, so the same inputs give a cache hit.
    """
    for part in ("ontology", "data", "queries"):
        shutil.rmtree(target / part, ignore_errors=True)
    (target / "data").mkdir(parents=True)
    shutil.copytree(source / "ontology", target / "ontology")
    shutil.copytree(source / "queries", target / "queries")
    if with_nota:
        for path in sorted((source / "data").glob("*.ttl")):
            shutil.copy2(path, target / "data" / path.name)
    else:
        (target / "data" / "skeleton.ttl").write_text(SKELETON, encoding="utf-8")
    anchors = collect(target / "data")
    count = measures_for(triples, with_nota)
    rng = random.Random(seed)
    files = 0
    for start in range(0, count, MEASURES_PER_FILE):
        chunk = range(start, min(count, start + MEASURES_PER_FILE))
        text = PREFIXES + "".join(_block(i, rng, anchors) for i in chunk)
        (target / "data" / f"generated-{files:03d}.ttl").write_text(text, encoding="utf-8")
        files += 1
    return Generated(target, count, files, triples)


def collect(data_dir: Path) -> Anchors:
    """The anchor resources asserted in the Turtle files of ``data_dir``."""
    store = ox.Store()
    for path in sorted(data_dir.glob("*.ttl")):
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri())

    def of(*classes: str) -> list[str]:
        values = " ".join(f"<{DN}{c}>" for c in classes)
        rows = store.query(f"SELECT DISTINCT ?s WHERE {{ VALUES ?c {{ {values} }} ?s a ?c }}")
        return sorted(r["s"].value for r in rows if isinstance(r["s"], ox.NamedNode))

    anchors = Anchors(
        of("Chapter", "Section"),
        of("StrategicObjective"),
        of("Topic"),
        of("Unit", "Organisation", "GovernmentBody"),
        of("Country"),
        of(*NATO_KINDS),
    )
    for name, values in anchors.__dict__.items():
        if not values:
            raise ValueError(f"{data_dir}: no {name} to attach generated data to")
    return anchors


def _words(rng: random.Random, i: int) -> tuple[str, str]:
    picked = rng.sample(WORDS, 3)
    return (" ".join(w[0] for w in picked) + f" {i}", " ".join(w[1] for w in picked) + f" {i}")


def _labels(nl: str, en: str) -> str:
    return f'    rdfs:label "{nl}"@nl , "{en}"@en ;\n'


def _block(i: int, rng: random.Random, a: Anchors) -> str:
    """One measure with its figure, maybe a NATO link, and its share of units/targets/sections."""
    out = []
    section = f"<{ID}section/gen-{i // 40}>"
    if i % 40 == 0:
        parent = (
            f"<{ID}section/gen-{i // 1600}>"
            if i >= 1600 and i // 40 % 4
            else f"<{rng.choice(a.sections)}>"
        )
        out.append(
            f"{section} a dn:Section ;\n"
            + _labels(f"Paragraaf {i // 40}", f"Section {i // 40}")
            + f"    dn:order {10_000 + i // 40} ;\n    dn:partOf {parent} .\n\n"
        )
    unit = f"<{ID}organisation/gen-unit-{i // 8}>"
    if i % 8 == 0:
        k = i // 8
        parent = (
            f"<{ID}organisation/gen-unit-{k // 4}>"
            if k >= 4
            else f"<{rng.choice(a.organisations)}>"
        )
        out.append(
            f"{unit} a dn:Unit ;\n"
            + _labels(f"Eenheid {k}", f"Unit {k}")
            + f"    org:subOrganizationOf {parent} ;\n    dn:sourceSection {section} .\n\n"
        )
    if i % 20 == 0:
        k = i // 20
        out.append(
            f"<{ID}nato/gen-target-{k}> a dn:{rng.choice(NATO_KINDS)} ;\n"
            + _labels(f"NAVO-doel {k}", f"NATO target {k}")
            + f'    dcterms:description "NATO asks for capability {k}."@en ;\n'
            + f"    dn:sourceSection {section} .\n\n"
        )
    nl, en = _words(rng, i)
    measure, figure = f"<{ID}measure/gen-{i}>", f"<{ID}figure/gen-{i}>"
    link = f"<{ID}nato-link/gen-{i}>" if i % 2 == 0 else None
    out.append(
        f"{measure} a dn:Measure ;\n"
        + _labels(f"Maatregel {nl}", f"Measure {en}")
        + f'    dcterms:description "Defensie gaat {nl} verbeteren."@nl , '
        f'"Defence will improve {en}."@en ;\n'
        + f"    dn:capabilityCategory <{ID}capability-category/{rng.choice(CATEGORIES)}> ;\n"
        + f"    dn:inDomain <{ID}domain/{rng.choice(DOMAINS)}> ;\n"
        + f"    dn:status <{ID}status/{rng.choice(STATUSES)}> ;\n"
        + f'    dn:statusEvidence "{nl}"@nl ;\n'
        + f"    dn:servesObjective <{rng.choice(a.objectives)}> ;\n"
        + f"    dn:topic <{rng.choice(a.topics)}> ;\n"
        + f"    dn:strengthens {unit} ;\n"
        + f"    dn:withPartner <{rng.choice(a.countries)}> ;\n"
        + f"    dn:hasFigure {figure} ;\n"
        + (f"    dn:hasNatoLink {link} ;\n" if link else "")
        + f"    dn:sourceSection {section} .\n\n"
    )
    if link:
        requirement = (
            f"<{ID}nato/gen-target-{rng.randrange(i // 20 + 1)}>"
            if rng.random() < 0.7
            else f"<{rng.choice(a.requirements)}>"
        )
        explicit = rng.random() < 0.7
        out.append(
            f"{link} a dn:NatoLink ;\n"
            + _labels(f"NAVO-koppeling {i}", f"NATO link {i}")
            + f"    dn:natoRequirement {requirement} ;\n"
            + f"    dn:evidence <{ID}evidence/{'explicit' if explicit else 'implied'}> ;\n"
            + ("" if explicit else '    skos:editorialNote "Implied by the text."@en ;\n')
            + f"    dn:sourceSection {section} .\n\n"
        )
    out.append(_figure(i, rng, figure, section))
    return "".join(out)


def _figure(i: int, rng: random.Random, figure: str, section: str) -> str:
    budget = rng.random() < 0.4
    unit = "CCY_EUR" if budget else rng.choice(UNITS)
    amount = rng.randrange(1, 5_000) * (1_000_000 if unit == "CCY_EUR" else 1)
    target = rng.random() < 0.3
    kind = "BudgetLine" if budget else "QuantitativeTarget" if target else "Figure"
    return (
        f"{figure} a dn:{kind} ;\n"
        + _labels(f"Bedrag {i}", f"Amount {i}")
        + f'    dn:value "{amount}.{rng.randrange(100):02d}"^^xsd:decimal ;\n'
        + f"    dn:unit unit:{unit} ;\n"
        + f"    dn:period <{ID}period/{rng.choice(PERIODS)}> ;\n"
        + f"    dn:qualifier <{ID}qualifier/{rng.choice(QUALIFIERS)}> ;\n"
        + f'    dn:measuredQuantity "hoeveelheid {i}"@nl , "quantity {i}"@en ;\n'
        + (f"    dn:targetYear {2025 + rng.randrange(16)} ;\n" if target else "")
        + f"    dn:sourceSection {section} .\n\n"
    )


# The base data of a project without the nota: the few resources generated data points to,
# with the IRIs the named queries' default parameters use.
SKELETON = (
    PREFIXES
    + f"""
<{ID}document/defensienota-2024> a dn:Document ;
    rdfs:label "Defensienota (synthetisch)"@nl , "White paper (synthetic)"@en .
"""
    + "".join(
        f"""
<{ID}section/{n}> a dn:Chapter ;
    rdfs:label "Hoofdstuk {n}"@nl , "Chapter {n}"@en ;
    dn:sectionNumber "{n}" ; dn:order {n * 10} ;
    dn:partOf <{ID}document/defensienota-2024> .
<{ID}section/{n}-1> a dn:Section ;
    rdfs:label "Paragraaf {n}.1"@nl , "Section {n}.1"@en ;
    dn:sectionNumber "{n}.1" ; dn:order {n * 10 + 1} ;
    dn:partOf <{ID}section/{n}> .
"""
        for n in range(1, 9)
    )
    + "".join(
        f"""
<{ID}objective/{n}> a dn:StrategicObjective ;
    rdfs:label "Doel {n}"@nl , "Objective {n}"@en ;
    skos:prefLabel "Doel {n}"@nl , "Objective {n}"@en ;
    skos:definition "Synthetisch doel {n}."@nl ;
    skos:inScheme <{ID}scheme/strategic-objectives> ;
    skos:topConceptOf <{ID}scheme/strategic-objectives> ;
    dcterms:source <{ID}document/defensienota-2024> ;
    dn:sourceSection <{ID}section/1-1> .
"""
        for n in range(1, 4)
    )
    + f"""
<{ID}topic/innovation> a dn:Topic ; rdfs:label "innovatie"@nl , "innovation"@en ;
    skos:prefLabel "innovatie"@nl , "innovation"@en ;
    skos:definition "Synthetisch onderwerp."@nl ;
    skos:inScheme <{ID}scheme/topics> ; skos:topConceptOf <{ID}scheme/topics> ;
    dcterms:source <{ID}document/defensienota-2024> .
<{ID}topic/reservists> a dn:Topic ; rdfs:label "reservisten"@nl , "reservists"@en ;
    skos:prefLabel "reservisten"@nl , "reservists"@en ;
    skos:definition "Synthetisch onderwerp."@nl ;
    skos:inScheme <{ID}scheme/topics> ; skos:topConceptOf <{ID}scheme/topics> ;
    dcterms:source <{ID}document/defensienota-2024> .
<{ID}country/germany> a dn:Country ;
    rdfs:label "Duitsland"@nl , "Germany"@en ; dn:sourceSection <{ID}section/1-1> ;
    dn:placeKind <{ID}place-kind/country> ; dn:iso3166Alpha2 "DE" ; dn:iso3166Alpha3 "DEU" .
<{ID}country/ukraine> a dn:Country ;
    rdfs:label "Oekraïne"@nl , "Ukraine"@en ; dn:sourceSection <{ID}section/1-1> ;
    dn:placeKind <{ID}place-kind/country> ; dn:iso3166Alpha2 "UA" ; dn:iso3166Alpha3 "UKR" .
<{ID}organisation/defensie> a dn:GovernmentBody ;
    rdfs:label "Defensie"@nl , "Defence"@en ; dn:sourceSection <{ID}section/1-1> .
<{ID}nato/pt-heavy-infantry-brigade> a dn:NatoPriorityTarget ;
    rdfs:label "PT zware infanteriebrigade"@nl , "PT heavy infantry brigade"@en ;
    dcterms:description "A heavy infantry brigade."@en ;
    dn:sourceSection <{ID}section/1-1> .
"""
)
