"""Places (data/places.ttl): every country's ISO 3166-1 codes agree with pycountry, and its EU
Publications Office country authority IRI is built from its alpha-3 code.

How the EU IRI was verified: the Publications Office documents its Country authority table as
keyed by the ISO 3166-1 alpha-3 code ("The authority code relies on the ISO 3166-1/alpha-3
positions"); only countries without an ISO code get a made-up alphanumeric code
(https://op.europa.eu/en/web/eu-vocabularies/dataset/-/resource?uri=http://publications.europa.eu/resource/dataset/country).
So a country with an ISO alpha-3 code has the IRI
``http://publications.europa.eu/resource/authority/country/{ALPHA3}``, and a place without an
ISO code (Kosovo) gets no codes and no EU IRI at all: it is a dn:Place of kind country, not a
dn:Country, and its editorial note says why.
"""

from __future__ import annotations

from pathlib import Path

import pycountry
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDFS, SKOS

ROOT = Path(__file__).resolve().parents[1]
DN = Namespace("https://w3id.org/defensienota-2024/def/")
KIND = Namespace("https://w3id.org/defensienota-2024/id/place-kind/")
EU_COUNTRY = "http://publications.europa.eu/resource/authority/country/"


@pytest.fixture(scope="module")
def graph() -> Graph:
    g = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        g.parse(path)
    return g


def _countries(graph: Graph) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, DN.Country) if isinstance(s, URIRef))


def _one(graph: Graph, subject: URIRef, predicate: URIRef) -> str:
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, f"{subject} has {len(values)} values for {predicate}"
    value = values[0]
    assert isinstance(value, Literal) and value.language is None, f"{subject} {predicate}"
    return str(value)


def test_there_are_countries(graph: Graph) -> None:
    assert len(_countries(graph)) >= 30


def test_every_country_has_iso_codes_that_agree_with_pycountry(graph: Graph) -> None:
    wrong = []
    for country in _countries(graph):
        alpha2 = _one(graph, country, DN.iso3166Alpha2)
        alpha3 = _one(graph, country, DN.iso3166Alpha3)
        record = pycountry.countries.get(alpha_2=alpha2)
        if record is None or record.alpha_3 != alpha3:
            wrong.append(f"{country}: {alpha2}/{alpha3} vs pycountry {record and record.alpha_3}")
    assert wrong == []


def test_every_country_label_matches_its_iso_record(graph: Graph) -> None:
    """Guards against a right code on the wrong country: the English label must be one of the
    ISO names (short, official or common) or differ only by a qualifier ISO adds."""
    mismatched = []
    for country in _countries(graph):
        record = pycountry.countries.get(alpha_2=_one(graph, country, DN.iso3166Alpha2))
        names = {
            getattr(record, attr).lower()
            for attr in ("name", "official_name", "common_name")
            if getattr(record, attr, None)
        }
        labels = [
            str(v).lower()
            for v in graph.objects(country, RDFS.label)
            if isinstance(v, Literal) and v.language == "en"
        ]
        if not any(label in names or any(label in name for name in names) for label in labels):
            mismatched.append(f"{country}: {labels} not in {sorted(names)}")
    assert mismatched == []


def test_every_country_matches_exactly_the_eu_authority_iri_of_its_alpha3_code(
    graph: Graph,
) -> None:
    wrong = []
    for country in _countries(graph):
        alpha3 = _one(graph, country, DN.iso3166Alpha3)
        eu = sorted(
            str(o) for o in graph.objects(country, SKOS.exactMatch) if str(o).startswith(EU_COUNTRY)
        )
        if eu != [EU_COUNTRY + alpha3]:
            wrong.append(f"{country}: {eu}")
    assert wrong == []


def test_places_of_kind_country_that_are_not_countries_explain_why(graph: Graph) -> None:
    unexplained = [
        str(place)
        for place in graph.subjects(DN.placeKind, KIND.country)
        if (place, RDF.type, DN.Country) not in graph
        and not list(graph.objects(place, SKOS.editorialNote))
    ]
    assert unexplained == []


def test_codes_only_on_countries(graph: Graph) -> None:
    """dn:iso3166Alpha2/3 have domain dn:Country: on anything else they would quietly make it a
    country. Territories with ISO codes of their own (none named so far) stay without them."""
    stray = [
        str(s)
        for p in (DN.iso3166Alpha2, DN.iso3166Alpha3)
        for s in graph.subjects(p, None)
        if (s, RDF.type, DN.Country) not in graph
    ]
    assert stray == []
