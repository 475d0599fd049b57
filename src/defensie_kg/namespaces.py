"""Namespaces and the one prefix map shared by serialisers, queries and pages."""

from __future__ import annotations


class Namespace(str):
    """An IRI prefix; ``NS.term`` and ``NS["term"]`` give the full IRI as a plain str.

    Plain strings keep this module free of rdflib, so query workers start fast.
    """

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        return str(self) + name

    def __getitem__(self, name: str) -> str:  # type: ignore[override]
        return str(self) + name


BASE = "https://w3id.org/defensienota-2024/"
ONTOLOGY_IRI = BASE + "def"
DN = Namespace(BASE + "def/")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
SHAPES = Namespace(BASE + "def/shapes/")

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SH = Namespace("http://www.w3.org/ns/shacl#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")

# Graph names: one per source file, one for the closure.
ONTOLOGY_GRAPH = GRAPH["ontology"]
INFERRED_GRAPH = GRAPH["inferred"]


def data_graph(stem: str) -> str:
    """The named graph that holds ``data/<stem>.ttl``."""
    return str(GRAPH[f"data/{stem}"])


# Instance kinds get their own prefix so pages and query snippets stay short.
_KINDS = (
    "section",
    "document",
    "measure",
    "figure",
    "organisation",
    "country",
    "programme",
    "plan",
    "law",
    "materiel",
    "nato",
    "nato-link",
    "threat",
    "scenario",
    "region",
    "task",
    "objective",
    "pillar",
    "theme",
    "topic",
    "technology",
    "person",
    "abbreviation",
    "annex",
    "domain",
    "place",
    "threat-link",
    "status",
)

PREFIXES: dict[str, str] = {
    "dn": str(DN),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "org": str(ORG),
    "schema": str(SCHEMA),
    "qudt": str(QUDT),
    "unit": str(UNIT),
    "sh": str(SH),
    "void": str(VOID),
    "dcat": str(DCAT),
    "sd": str(SD),
    **{kind: f"{ID}{kind}/" for kind in _KINDS},
    "capcat": f"{ID}capability-category/",
    "evidence": f"{ID}evidence/",
    "period": f"{ID}period/",
    "qualifier": f"{ID}qualifier/",
    "role": f"{ID}region-role/",
    "placekind": f"{ID}place-kind/",
    "scheme": f"{ID}scheme/",
}


def sparql_prologue() -> str:
    """PREFIX declarations for every prefix in :data:`PREFIXES`."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def expand(name: str) -> str:
    """``dn:Measure`` → the full IRI for a known prefix; anything else unchanged.

    ``http://…`` is not a prefixed name even though ``http`` could be a prefix.
    """
    prefix, _, local = name.partition(":")
    if prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return name


def shorten(iri: str) -> str:
    """``dn:Measure`` for a known namespace, else the IRI unchanged."""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            local = iri[len(ns) :]
            if local and all(c.isalnum() or c in "-_." for c in local):
                best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri
