"""The VoID + DCAT description of the dataset (served at ``/void`` by ``dumps``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

import pyoxigraph as ox

from defensie_kg import __version__
from defensie_kg.namespaces import DCAT, DN, GRAPH, ID, PREFIXES, VOID
from defensie_kg.query import export
from defensie_kg.web.state import AppState

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
FOAF = "http://xmlns.com/foaf/0.1/"
IANA = "http://www.iana.org/assignments/media-types/"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"


@dataclass
class Stats:
    """Counts for the VoID description."""

    triples: int
    graphs: dict[str, int]
    entities: int
    subjects: int
    objects: int
    classes: Counter[str]  # class → entities
    properties: Counter[str]  # property → triples
    vocabularies: list[str]
    examples: list[str]


def count(state: AppState) -> Stats:
    """Triples, entities, class and property partitions, examples: one pass over the quads."""
    kg = state.graph
    base = state.settings.base_iri
    subjects: set[str] = set()
    objects: set[str] = set()
    members: dict[str, set[str]] = defaultdict(set)
    properties: Counter[str] = Counter()
    linked: set[str] = set()
    total = 0
    for quad in kg.quads():
        total += 1
        subjects.add(str(quad.subject))
        objects.add(str(quad.object))
        predicate = quad.predicate.value
        properties[predicate] += 1
        if predicate == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            members[quad.object.value].add(str(quad.subject))
        if predicate == str(DN.hasNatoLink):
            # the pyoxigraph stub lists Triple as a subject; RDF 1.2 subjects never are
            linked.add(quad.subject.value)  # type: ignore[union-attr]
    classes = Counter({c: len(s) for c, s in members.items()})
    entities = {s for s in subjects if s.startswith(f"<{base}")}
    measures = sorted(linked & {s.strip("<>") for s in members.get(str(DN.Measure), set())})
    targets = sorted(s.strip("<>") for s in members.get(str(DN.NatoPriorityTarget), set()))
    return Stats(
        total,
        dict(state.graph_sizes) or kg.graph_sizes(),
        len(entities),
        len(subjects),
        len(objects),
        classes,
        properties,
        sorted({_vocabulary(i) for i in [*classes, *properties]}),
        measures[:3] + targets[:3],
    )


def _vocabulary(iri: str) -> str:
    """The namespace a class or property belongs to."""
    known = [ns for p, ns in PREFIXES.items() if iri.startswith(ns) and not ns.startswith(str(ID))]
    if known:
        return max(known, key=len)
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def describe(
    state: AppState, stats: Stats, sizes: dict[str, int], base: str, moment_built: datetime
) -> list[ox.Triple]:
    """VoID + DCAT triples for the dataset served at ``base``; ``sizes`` of the dump files."""
    doc = f"{base}/void"
    dataset = ox.NamedNode(f"{doc}#dataset")
    out: list[ox.Triple] = []

    def add(
        s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        out.append(ox.Triple(s, ox.NamedNode(p), o))

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    def number(value: int, datatype: str = "integer") -> ox.Literal:
        return ox.Literal(str(value), datatype=iri(XSD + datatype))

    def text(value: str, lang: str | None = None) -> ox.Literal:
        return ox.Literal(value, language=lang) if lang else ox.Literal(value)

    moment = ox.Literal(moment_built.isoformat(), datatype=iri(XSD + "dateTime"))
    add(iri(doc), RDF_TYPE, iri(VOID.DatasetDescription))
    add(iri(doc), FOAF + "primaryTopic", dataset)
    add(
        iri(doc),
        DCT + "title",
        text("VoID description of the Defensienota 2024 knowledge graph", "en"),
    )
    for kind in (VOID.Dataset, DCAT.Dataset):
        add(dataset, RDF_TYPE, iri(kind))
    add(dataset, DCT + "title", text("Defensienota 2024 — kennisgraaf", "nl"))
    add(
        dataset,
        DCT + "title",
        text("Defence White Paper 2024 (Netherlands) — knowledge graph", "en"),
    )
    add(
        dataset,
        DCT + "description",
        text(
            "De Defensienota 2024 'Sterk, slim en samen' als kennisgraaf: maatregelen, cijfers, "
            "programma's, organisaties, materieel en NAVO-doelstellingen, elk herleid tot de "
            "paragraaf waar ze vandaan komen, met ontologie, SHACL-shapes en OWL RL-afleidingen.",
            "nl",
        ),
    )
    add(
        dataset,
        DCT + "description",
        text(
            "The Dutch Defence White Paper 2024 'Strong, smart and together' as a knowledge graph: "
            "measures, figures, programmes, organisations, materiel and NATO targets, each traced "
            "to its source section, with an ontology, SHACL shapes and OWL RL inferences.",
            "en",
        ),
    )
    add(dataset, DCT + "license", iri(LICENSE))
    publisher = ox.BlankNode("publisher")
    add(dataset, DCT + "publisher", publisher)
    add(publisher, RDF_TYPE, iri(FOAF + "Organization"))
    add(publisher, FOAF + "name", text("Defensienota 2024 knowledge graph project", "en"))
    add(publisher, FOAF + "homepage", iri(f"{base}/"))
    add(dataset, DCT + "source", iri(f"{ID}document/defensienota-2024"))
    add(dataset, DCT + "issued", moment)
    add(dataset, DCT + "modified", moment)
    add(dataset, DCAT.version, text(__version__))
    add(dataset, "http://www.w3.org/2002/07/owl#versionInfo", text(__version__))
    for lang in ("nl", "en"):
        add(dataset, DCT + "language", iri(f"http://id.loc.gov/vocabulary/iso639-1/{lang}"))
    add(dataset, DCAT.landingPage, iri(f"{base}/"))
    add(dataset, "http://www.w3.org/2000/01/rdf-schema#seeAlso", iri(f"{base}/context.jsonld"))
    add(dataset, VOID.uriSpace, text(state.settings.base_iri))
    add(dataset, VOID.sparqlEndpoint, iri(f"{base}/sparql"))
    add(dataset, VOID.triples, number(stats.triples))
    add(dataset, VOID.entities, number(stats.entities))
    add(dataset, VOID.classes, number(len(stats.classes)))
    add(dataset, VOID.properties, number(len(stats.properties)))
    add(dataset, VOID.distinctSubjects, number(stats.subjects))
    add(dataset, VOID.distinctObjects, number(stats.objects))
    for example in stats.examples:
        add(dataset, VOID.exampleResource, iri(example))
    for vocabulary in stats.vocabularies:
        add(dataset, VOID.vocabulary, iri(vocabulary))
    for name, size in sorted(stats.graphs.items()):
        graph = iri(name)
        add(dataset, VOID.subset, graph)
        add(graph, RDF_TYPE, iri(VOID.Dataset))
        add(graph, DCT + "title", text(name.removeprefix(str(GRAPH))))
        add(graph, VOID.triples, number(size))
    for index, (cls, count) in enumerate(sorted(stats.classes.items())):
        part = iri(f"{doc}#class-{index}")
        add(dataset, VOID.classPartition, part)
        add(part, VOID["class"], iri(cls))
        add(part, VOID.entities, number(count))
    for index, (prop, count) in enumerate(sorted(stats.properties.items())):
        part = iri(f"{doc}#property-{index}")
        add(dataset, VOID.propertyPartition, part)
        add(part, VOID.property, iri(prop))
        add(part, VOID.triples, number(count))
    for name, file in export.FILES.items():
        url = iri(f"{base}/download/{name}")
        dist = iri(f"{doc}#{name}")
        add(dataset, VOID.dataDump, url)
        add(dataset, DCAT.distribution, dist)
        add(dist, RDF_TYPE, iri(DCAT.Distribution))
        add(
            dist,
            DCT + "title",
            text(
                f"{file.fmt.name}, {export.VARIANTS[file.variant]}"
                + (", gzip" if file.gzipped else ""),
                "en",
            ),
        )
        add(dist, DCAT.downloadURL, url)
        add(dist, DCAT.accessURL, iri(f"{base}/download"))
        add(dist, DCAT.mediaType, iri(IANA + file.fmt.media_type))
        if file.gzipped:
            add(dist, DCAT.compressFormat, iri(IANA + export.GZIP))
        add(dist, DCAT.byteSize, number(sizes[name], "nonNegativeInteger"))
        add(dist, DCT + "license", iri(LICENSE))
    return sorted(out, key=lambda t: str(t.subject))  # stable: groups statements by subject
