"""Every error a user can cause, with where it happened and what to fix.

The CLI maps these to exit codes in one place (``cli.py``) and the web app to
HTTP statuses in one place (``web/app.py``). Nothing else catches them.
"""

from __future__ import annotations

from pathlib import Path


class KGError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""


class TurtleSyntaxError(KGError):
    """A Turtle file does not parse."""

    def __init__(self, path: Path, line: int, column: int, message: str) -> None:
        self.path, self.line, self.column, self.message = path, line, column, message
        super().__init__(f"{path}:{line}:{column}: {message}")


class InputMissing(KGError):
    """A file or directory the build needs is not there."""


class Inconsistent(KGError):
    """The OWL RL closure found a contradiction (owl:Nothing, disjoint classes...)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the data is inconsistent under OWL RL:\n" + "\n".join(problems))


class NotValid(KGError):
    """SHACL validation found violations and the caller asked for valid data."""


class QueryError(KGError):
    """Base for problems with a query a client sent: answered with a 4xx."""

    status = 400


class QuerySyntaxError(QueryError):
    """The query does not parse; the message is the parser's."""


class QueryRefused(QueryError):
    """The query parses but asks for something this endpoint never does."""

    status = 403


class UpdateRefused(QueryRefused):
    """SPARQL Update sent to a read-only endpoint."""


class UpdateAsQuery(QuerySyntaxError):
    """SPARQL Update text sent as a query (``query=``): a malformed query, so a 400.

    (An update sent as an update, ``update=`` or ``application/sparql-update``, is refused
    with 403: :class:`UpdateRefused`.)"""


class UnknownGraph(QueryError):
    """A default-graph-uri or named-graph-uri that the store does not hold."""


class NotAcceptable(QueryError):
    """No result format the client accepts fits the query form."""

    status = 406

    def __init__(self, message: str, available: list[str]) -> None:
        self.available = available
        super().__init__(message)


class UnknownQuery(QueryError):
    """No named query has this name."""

    status = 404


class BadParameter(QueryError):
    """A named-query parameter is missing or not of its declared type."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(f"parameter '{name}': {message}")


class QueryTimeout(KGError):
    """The query ran past the time limit and was stopped."""

    status = 503


class StoreUnavailable(KGError):
    """The (remote) store did not answer."""

    status = 503


def to_wire(exc: KGError) -> tuple[str, str, list[str]]:
    """A picklable form of a query error, for sending it across a process boundary."""
    return type(exc).__name__, str(exc), list(getattr(exc, "available", []))


def from_wire(name: str, message: str, available: list[str]) -> KGError:
    """Rebuild an error sent with :func:`to_wire`."""
    if name == "NotAcceptable":
        return NotAcceptable(message, available)
    kinds: dict[str, type[KGError]] = {
        cls.__name__: cls
        for cls in (
            UpdateAsQuery,
            QuerySyntaxError,
            QueryRefused,
            UpdateRefused,
            UnknownGraph,
            QueryTimeout,
            StoreUnavailable,
            QueryError,
        )
    }
    return kinds.get(name, QueryError)(message)
