"""Cheap lexical checks that run before a query reaches the engine.

The engine parses queries only (an update is a syntax error to it), but we
want to tell the client *why*: "this endpoint is read-only" rather than a
parse error. And SERVICE must be refused before evaluation, since the
engine would open a connection. Both checks look at the query with strings,
IRIs and comments blanked out, so a keyword inside a literal never counts.
"""

from __future__ import annotations

import re

from defensie_kg.errors import QueryRefused, QuerySyntaxError, UpdateAsQuery
from defensie_kg.query.sparql_text import OPAQUE, first_keyword, scrub

_UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
}
_SERVICE = re.compile(r"(?<![\w?$:])SERVICE(?![\w:-])", re.I)
_SERVICE_TARGET = re.compile(r"(?<![\w?$:])SERVICE\s+(?:SILENT\s+)?(<[^>]*>|\S+)", re.I)


def is_update(text: str) -> bool:
    """True when the request's first keyword after the prologue is an update operation."""
    return first_keyword(text) in _UPDATE_WORDS


MAX_NESTING = 200
_BRACKETS = re.compile(r"[{}()\[\]]")


def nesting_depth(text: str) -> int:
    """The deepest nesting of ``{``/``(``/``[`` outside strings, IRIs and comments."""
    depth = deepest = 0
    for char in _BRACKETS.findall(scrub(text)):
        if char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})]":
            depth -= 1
    return deepest


def check(text: str, service_allowlist: tuple[str, ...] = ()) -> None:
    """Refuse updates, absurdly nested queries and, unless allow-listed, SERVICE calls."""
    if nesting_depth(text) > MAX_NESTING:
        # The engine's recursive parser would overflow its stack on such input.
        raise QuerySyntaxError(
            f"The query nests groups or expressions more than {MAX_NESTING} levels deep."
        )
    if is_update(text):
        raise update_as_query()
    scrubbed = scrub(text)
    # The look-behind makes the expression slow to scan with; most queries have no SERVICE.
    if "service" not in scrubbed.casefold() or not _SERVICE.search(scrubbed):
        return
    targets = [m.group(1) for m in _SERVICE_TARGET.finditer(_keep_iris(text, scrubbed))]
    allowed = {f"<{iri}>" for iri in service_allowlist}
    if not allowed or any(t not in allowed for t in targets) or not targets:
        raise QueryRefused(
            "SERVICE (federated query) is disabled on this endpoint: the server never opens "
            "connections on a query's behalf. An operator can allow endpoints with the "
            "service_allowlist setting."
        )


def update_as_query() -> UpdateAsQuery:
    """The error for update text sent where a query belongs."""
    return UpdateAsQuery(
        "This is SPARQL Update, sent as a query: not a query. The endpoint is read-only "
        "and takes queries only; edit the Turtle files in data/ and rebuild instead."
    )


def _keep_iris(text: str, scrubbed: str) -> str:
    # Put IRIs back (but not strings or comments) so SERVICE targets can be read.
    out = list(scrubbed)
    for match in OPAQUE.finditer(text):
        if match.group(0).startswith("<"):
            out[match.start() : match.end()] = match.group(0)
    return "".join(out)
