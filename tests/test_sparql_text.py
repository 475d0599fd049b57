"""Fast paths keep their meaning: lexical checks (memo, substring pre-checks), %-decoding."""

from __future__ import annotations

from urllib.parse import quote, unquote_to_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from defensie_kg.errors import QueryRefused
from defensie_kg.query import guards, sparql_text
from defensie_kg.web import protocol


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
    prologue = "PREFIX a: <urn:a> # " + "x" * (1 << 15) + "\n"
    assert sparql_text.first_keyword(prologue + "insert data {}") == "INSERT"
    assert sparql_text.first_keyword("PREFIX a: <urn:a> ask {}") == "ASK"


@given(st.binary(max_size=60), st.sampled_from(["", "/", "\\", "\\%x"]))
def test_percent_decoding_matches_urllib(raw: bytes, safe: str) -> None:
    encoded = quote(raw, safe=safe).encode()
    if b"%" in encoded and protocol._BAD_ESCAPE.search(encoded):
        return  # refused before decoding (400)
    assert protocol._unquote(encoded) == unquote_to_bytes(encoded)
    if "%" not in safe:
        assert protocol._unquote(encoded) == raw


def test_backslashes_and_escaped_backslashes_decode_literally() -> None:
    assert protocol._unquote(b"a\\%5Cx41%5c%41\\x41") == b"a\\\\x41\\A\\x41"
