"""The lexical checks keep their meaning behind their fast paths (memo, substring pre-checks)."""

from __future__ import annotations

import pytest

from defensie_kg import guards, sparql_text
from defensie_kg.errors import QueryRefused


@pytest.mark.parametrize("keyword", ["SERVICE", "service", "sErViCe"])
def test_service_refused_in_any_case(keyword: str) -> None:
    with pytest.raises(QueryRefused):
        guards.check(f"SELECT * {{ {keyword} <http://example.org/> {{ ?s ?p ?o }} }}")


@pytest.mark.parametrize("keyword", ["FROM", "from", "FrOm"])
def test_from_found_in_any_case(keyword: str) -> None:
    assert sparql_text.declares_dataset(f"SELECT * {keyword} <urn:g> {{ ?s ?p ?o }}")


def test_keywords_inside_strings_iris_and_comments_do_not_count() -> None:
    text = 'SELECT * { ?s ?p "from service" . ?s <urn:from> ?o } # SERVICE FROM'
    assert not sparql_text.declares_dataset(text)
    guards.check(text)


def test_long_texts_scrub_the_same_as_short_ones() -> None:
    short = 'SELECT ?s { ?s ?p "x" } # c\n'
    padded = short + " " * (1 << 15)
    assert sparql_text.scrub(padded) == sparql_text.scrub(short) + " " * (1 << 15)
    assert sparql_text.scrub(short) == "SELECT ?s { ?s ?p     }    \n"
