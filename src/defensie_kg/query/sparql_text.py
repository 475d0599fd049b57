"""Lexical helpers over SPARQL text: blank out strings/IRIs/comments, find the WHERE group.

Used to inspect queries cheaply (``guards``) and to bind named-query
parameters with an inline ``VALUES`` block: the engine's own substitution
only accepts projected variables, and a ``VALUES`` row of already-parsed
RDF terms keeps values out of the query's grammar.
"""

from __future__ import annotations

import re
from functools import lru_cache

OPAQUE = re.compile(
    r"'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\""
    r"|<[^<>\"{}|^`\\\x00-\x20]*>|#[^\n]*",
    re.S,
)
_PROLOGUE = re.compile(r"^\s*(?:BASE\s*|PREFIX\s+[\w.-]*:\s*)", re.I)


_MEMO_CHARS = 1 << 14  # longer texts are looked at afresh: the memos stay small


def scrub(text: str) -> str:
    """``text`` with strings, IRIs and comments replaced by spaces (same length)."""
    if len(text) > _MEMO_CHARS:
        return _scrub(text)
    return _scrub_memo(text)


def _scrub(text: str) -> str:
    return OPAQUE.sub(lambda m: " " * len(m.group(0)), text)


# One query is looked at up to six times (guards, dataset clauses, the WHERE group for
# parameters): the regular expression is most of a cheap query's cost in the worker.
_scrub_memo = lru_cache(maxsize=64)(_scrub)


def first_keyword(text: str) -> str:
    """The first keyword after the prologue, upper-cased ('' if none)."""
    if len(text) > _MEMO_CHARS:
        return _first_keyword(text)
    return _first_keyword_memo(text)


def _first_keyword(text: str) -> str:
    rest = scrub(text)
    while match := _PROLOGUE.match(rest):
        rest = rest[match.end() :]
    word = re.match(r"\s*([A-Za-z]+)", rest)
    return word.group(1).upper() if word else ""


_first_keyword_memo = lru_cache(maxsize=64)(_first_keyword)


def declares_dataset(text: str) -> bool:
    """True when the query has its own FROM or FROM NAMED clause."""
    scrubbed = scrub(text)
    # The look-behind makes the expression slow to scan with; most queries have no FROM.
    if "from" not in scrubbed.casefold():
        return False
    return _FROM.search(scrubbed) is not None


_FROM = re.compile(r"(?<![\w?$:])FROM(?![\w:-])", re.I)


def where_group_start(text: str) -> int:
    """Index just after the ``{`` that opens the query's WHERE group."""
    scrubbed = scrub(text)
    start = scrubbed.find("{")
    if start < 0:
        raise ValueError("query has no group pattern")
    if first_keyword(text) == "CONSTRUCT" and not re.search(
        r"CONSTRUCT\s+WHERE\s*$", scrubbed[:start], re.I
    ):
        start = scrubbed.find("{", _matching_brace(scrubbed, start) + 1)
        if start < 0:
            raise ValueError("CONSTRUCT query has no WHERE group")
    return start + 1


def _matching_brace(scrubbed: str, start: int) -> int:
    depth = 0
    for index in range(start, len(scrubbed)):
        if scrubbed[index] == "{":
            depth += 1
        elif scrubbed[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("unbalanced braces in query")


def with_values(text: str, bindings: dict[str, str]) -> str:
    """``text`` with ``VALUES (?a ?b) { (t1 t2) }`` first in its WHERE group.

    ``bindings`` maps variable names to terms already parsed and re-serialised
    by the engine, so each is exactly one RDF term.
    """
    if not bindings:
        return text
    at = where_group_start(text)
    names = " ".join(f"?{name}" for name in bindings)
    row = " ".join(bindings.values())
    return f"{text[:at]} VALUES ({names}) {{ ({row}) }} {text[at:]}"
