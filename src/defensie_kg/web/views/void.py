"""The VoID + DCAT-AP description of the dataset (served at ``/void`` by ``dumps``): the
static Turtle template ``void.ttl`` next to this module, plus what is counted or built."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyoxigraph as ox

from defensie_kg import __version__, release
from defensie_kg.namespaces import DCAT, DN, GRAPH, ID, PREFIXES, VOID
from defensie_kg.query import export
from defensie_kg.web.state import AppState

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
IANA = "http://www.iana.org/assignments/media-types/"
LICENSE = release.LICENSE
TEMPLATE = Path(__file__).with_name("void.ttl")
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
STABLE = "http://publications.europa.eu/resource/authority/planned-availability/STABLE"
AVAILABILITY = "http://data.europa.eu/r5r/availability"
# EU file type of each dump format (the template types each one)
FILE_TYPES = {
    "turtle": "RDF_TURTLE",
    "ntriples": "RDF_N_TRIPLES",
    "jsonld": "JSON_LD",
    "rdfxml": "RDF_XML",
    "trig": "RDF_TRIG",
    "nquads": "RDF_N_QUADS",
}
FORMAT_NAMES = {
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "jsonld": "JSON-LD",
    "rdfxml": "RDF/XML",
    "trig": "TriG",
    "nquads": "N-Quads",
}


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
    years: list[int] = field(default_factory=list)  # the first and last dn:year, if any


def count(state: AppState) -> Stats:
    """Triples, entities, class and property partitions, examples: one pass over the quads."""
    kg = state.graph
    base = state.settings.base_iri
    subjects: set[str] = set()
    objects: set[str] = set()
    members: dict[str, set[str]] = defaultdict(set)
    properties: Counter[str] = Counter()
    linked: set[str] = set()
    years: set[int] = set()
    total = 0
    for quad in kg.quads():
        total += 1
        subjects.add(str(quad.subject))
        objects.add(str(quad.object))
        predicate = quad.predicate.value
        properties[predicate] += 1
        if predicate == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            members[quad.object.value].add(str(quad.subject))
        if predicate == str(DN.year) and isinstance(quad.object, ox.Literal):
            years.add(int(quad.object.value))
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
        [min(years), max(years)] if years else [],
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
    """VoID + DCAT-AP triples for the dataset served at ``base``: the template ``void.ttl``
    resolved against ``{base}/void``, plus counts, dates and one distribution per download
    (``sizes`` of the dump files)."""
    doc = f"{base}/void"
    dataset = ox.NamedNode(f"{doc}#dataset")
    out = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(path=TEMPLATE, format=ox.RdfFormat.TURTLE, base_iri=doc)
    ]

    def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Triple(s, ox.NamedNode(p), o))

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    def number(value: int, datatype: str = "integer") -> ox.Literal:
        return ox.Literal(str(value), datatype=iri(XSD + datatype))

    def text(value: str, lang: str | None = None) -> ox.Literal:
        return ox.Literal(value, language=lang) if lang else ox.Literal(value)

    moment = ox.Literal(moment_built.isoformat(), datatype=iri(XSD + "dateTime"))
    add(dataset, DCT + "issued", ox.Literal(release.RELEASE_DATE, datatype=iri(XSD + "date")))
    add(dataset, DCT + "modified", moment)
    add(dataset, DCT + "bibliographicCitation", text(release.citation()))
    add(dataset, DCAT.version, text(__version__))
    add(dataset, "http://www.w3.org/2002/07/owl#versionInfo", text(__version__))
    add(dataset, VOID.uriSpace, text(state.settings.base_iri))
    if stats.years:
        temporal = iri(f"{doc}#temporal")
        add(dataset, DCT + "temporal", temporal)
        add(temporal, RDF_TYPE, iri(DCT + "PeriodOfTime"))
        add(temporal, DCAT.startDate, ox.Literal(str(stats.years[0]), datatype=iri(XSD + "gYear")))
        add(temporal, DCAT.endDate, ox.Literal(str(stats.years[-1]), datatype=iri(XSD + "gYear")))
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
        for lang, (what, packed) in _DESCRIBED.items():
            add(
                dist,
                DCT + "description",
                text(
                    what[file.variant].format(fmt=FORMAT_NAMES[file.fmt.name])
                    + (packed if file.gzipped else "")
                    + ".",
                    lang,
                ),
            )
        add(dist, DCAT.downloadURL, url)
        add(dist, DCAT.accessURL, iri(f"{base}/download"))
        add(dist, DCAT.mediaType, iri(IANA + file.fmt.media_type))
        add(dist, DCT + "format", iri(FILE_TYPE + FILE_TYPES[file.fmt.name]))
        if file.gzipped:
            add(dist, DCAT.compressFormat, iri(IANA + export.GZIP))
        add(dist, DCAT.byteSize, number(sizes[name], "nonNegativeInteger"))
        add(dist, DCT + "license", iri(LICENSE))
        add(dist, AVAILABILITY, iri(STABLE))
    return sorted(out, key=lambda t: str(t.subject))  # stable: groups statements by subject


# What a download holds, per language and variant, and the words added for a gzipped file.
_DESCRIBED = {
    "nl": (
        {
            "asserted": "De kennisgraaf als {fmt}: alleen de vastgelegde gegevens en de ontologie",
            "inferred": "De kennisgraaf als {fmt}: de vastgelegde gegevens, de ontologie en de "
            "OWL RL-afleidingen",
        },
        ", met gzip gecomprimeerd",
    ),
    "en": (
        {
            "asserted": "The knowledge graph as {fmt}: the asserted data and the ontology only",
            "inferred": "The knowledge graph as {fmt}: the asserted data, the ontology and the "
            "OWL RL inferences",
        },
        ", compressed with gzip",
    ),
}
