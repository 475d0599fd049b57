"""Serve queries from a remote SPARQL 1.1 store, and load the built dataset into one.

:class:`RemoteStore` is an executor (see ``web/state.py``) like the worker
pool: the same guards run before anything is sent, the same dataset rules
apply (``infer``, default and named graphs, bound parameters), and the
remote's answer is parsed and serialised again by ``results.py``, so
formats, the row cap and the headers are those of the embedded store.

Queries go out with the SPARQL 1.1 Protocol, asking for SPARQL JSON results
(SELECT/ASK) or N-Triples (CONSTRUCT/DESCRIBE). The dataset is always named
explicitly with ``default-graph-uri``/``named-graph-uri``: a store's own
default graph may or may not be the union of its graphs. :meth:`load` pushes
each named graph with the SPARQL 1.1 Graph Store HTTP Protocol.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from defensie_kg.errors import (
    KGError,
    QuerySyntaxError,
    QueryTimeout,
    StoreUnavailable,
    UnknownGraph,
)
from defensie_kg.namespaces import GRAPH, INFERRED_GRAPH
from defensie_kg.query import guards, prefixes, sparql_text
from defensie_kg.query.store import QueryRequest, QueryResult, iri_term, parse_term, serialise
from defensie_kg.settings import Settings

log = logging.getLogger(__name__)

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
# What we ask for, best first; whatever comes is parsed by its Content-Type.
_ACCEPT_RESULTS = (
    f"{RESULTS_JSON}, application/sparql-results+xml;q=0.9, text/tab-separated-values;q=0.8"
)
_ACCEPT_TRIPLES = f"{N_TRIPLES}, text/turtle;q=0.9, application/rdf+xml;q=0.8"
FORM = "application/x-www-form-urlencoded"
_GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")
_CHUNK = 64 * 1024
_ERROR_BODY = 4000  # bytes of an error response kept for the message
# What stores write when they stop a query at their own time limit.
_STOPPED = re.compile(r"time[ -]?out|timed out|cancell?ed|aborted|execution time", re.I)
_SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { %s GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


class ChallengeAuth(httpx.Auth):
    """Credentials sent the way the store asks: nothing until it answers 401, then HTTP
    Digest if its ``WWW-Authenticate`` offers Digest, else Basic; later requests go
    straight to the scheme it chose. Digest is httpx's own :class:`httpx.DigestAuth`
    (it keeps the store's challenge, so later requests take one round trip)."""

    requires_request_body = True  # a request answered 401 is sent again, body and all

    def __init__(self, user: str, password: str) -> None:
        self._digest = httpx.DigestAuth(user, password)
        self._basic = httpx.BasicAuth(user, password)
        self._chosen: httpx.Auth | None = None

    def __repr__(self) -> str:  # never the password
        return "ChallengeAuth(***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._chosen is not None:
            yield from self._chosen.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        offered = response.headers.get_list("www-authenticate")
        digest = any(h.strip().lower().startswith("digest") for h in offered)
        self._chosen = self._digest if digest else self._basic
        yield from self._chosen.auth_flow(request)


class LoadFailed(StoreUnavailable):
    """The store did not take the dataset, or holds other counts after loading."""


class RemoteStore:
    """A SPARQL 1.1 endpoint (Oxigraph, Fuseki, GraphDB, Virtuoso...) as the query executor.

    ``url`` is the query endpoint; ``gsp_url`` the Graph Store Protocol endpoint
    used by :meth:`load` (default: ``url``). ``graphs`` are the graph names of
    the build being served; without them they are read from the store (the
    graphs under this project's ``graph/`` namespace). Credentials: ``user`` and
    ``password`` answer the store's challenge with HTTP Basic or Digest (see
    :class:`ChallengeAuth`); credentials in the URL are sent with Basic, as httpx does.
    """

    def __init__(
        self,
        url: str,
        timeout: float = 10.0,
        *,
        gsp_url: str | None = None,
        graphs: Iterable[str] | None = None,
        connect_timeout: float = 3.0,
        load_timeout: float = 120.0,
        user: str = "",
        password: str = "",
        auth: httpx.Auth | None = None,
    ) -> None:
        self.url, self.gsp_url = url, gsp_url or url
        self.timeout, self.load_timeout = timeout, load_timeout
        self._connect_timeout = min(connect_timeout, timeout)
        self._graphs = sorted(set(graphs)) if graphs is not None else None
        if auth is None and user:
            auth = ChallengeAuth(user, password)
        # Redirects are not followed: a 301/302 would turn the POST into a GET without the query.
        self._client = httpx.Client(auth=auth, headers={"User-Agent": "defensie-kg"})

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> RemoteStore:
        """The store at ``settings.store_url``, with the settings' time limit and credentials."""
        return cls(
            settings.store_url,
            settings.query_timeout,
            user=settings.store_user,
            password=settings.store_password.get_secret_value(),
            **options,
        )

    # -- the Executor protocol ------------------------------------------------

    def execute(self, request: QueryRequest) -> QueryResult:
        """Run ``request`` on the store; the same errors as the embedded store, plus
        :class:`StoreUnavailable` when the store does not answer."""
        guards.check(request.text, request.service_allowlist)
        deadline = time.monotonic() + self.timeout
        text = prefixes.with_prologue(request.text)
        if request.bindings:
            terms = {name: str(parse_term(term)) for name, term in request.bindings}
            text = sparql_text.with_values(text, terms)
        if request.base_iri:  # the endpoint's own URL; a BASE in the query comes later, and wins
            text = f"BASE {iri_term(request.base_iri)}\n{text}"  # checked and escaped as an IRI
        graph_form = sparql_text.first_keyword(request.text) in _GRAPH_FORMS
        form = urlencode([("query", text), *self._dataset(request)]).encode()
        headers = {
            "Accept": _ACCEPT_TRIPLES if graph_form else _ACCEPT_RESULTS,
            "Content-Type": FORM,
        }
        with self._send(
            "POST", self.url, deadline=deadline, content=form, headers=headers
        ) as response:
            self._raise_for_status(response)
            body = _Body(response.iter_bytes(_CHUNK), deadline, self._too_slow)
            try:
                answer = _parse(response, io.BufferedReader(body, _CHUNK), graph_form)
                return serialise(request, answer, deadline)
            except SyntaxError as exc:
                raise self._malformed(exc, body.tail, response) from None

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    # -- store information ----------------------------------------------------

    @property
    def public_url(self) -> str:
        """The query endpoint without credentials, for messages."""
        return _public(self.url)

    @property
    def graph_names(self) -> list[str]:
        """The graphs queries see: those of the build, or those found in the store."""
        if self._graphs is None:
            found = sorted(self._count_graphs(None))
            if not found:
                raise StoreUnavailable(
                    f"The SPARQL store at {_public(self.url)} holds none of this knowledge "
                    f"graph's graphs; load it with `defensie-kg load --store {_public(self.url)}`."
                )
            self._graphs = found
        return list(self._graphs)

    def graph_sizes(self) -> dict[str, int]:
        """Triple count per named graph, from one grouped COUNT query."""
        counts = self._count_graphs(self._graphs)
        if self._graphs is None:
            return dict(sorted(counts.items()))
        return {name: counts.get(name, 0) for name in self._graphs}

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the store answers a trivial query."""
        self._select_rows("ASK {}")

    # -- loading --------------------------------------------------------------

    def load(
        self,
        dataset: Path,
        prune: bool = True,
        step: Callable[[int, int, str], None] | None = None,
    ) -> dict[str, int]:
        """Put every named graph of ``dataset`` (N-Quads) into the store, replacing it.

        One Graph Store Protocol PUT per graph. With ``prune``, graphs under this
        project's ``graph/`` namespace that the dataset no longer has are deleted.
        The counts in the store are checked afterwards (:class:`LoadFailed`).
        ``step(number, total, graph)`` hears of each graph before it is sent.
        """
        graphs = _split(dataset)
        for number, (name, triples) in enumerate(graphs.items(), 1):
            if step:
                step(number, len(graphs), f"{name}…")
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            self._gsp("PUT", name, body)
        if prune:
            for stale in sorted(set(self._count_graphs(None)) - set(graphs)):
                log.info("deleting graph %s, which the build no longer has", stale)
                self._gsp("DELETE", stale)
        self._graphs = sorted(graphs)
        sizes = self.graph_sizes()
        expected = {name: len(set(triples)) for name, triples in graphs.items()}
        wrong = [name for name in expected if sizes.get(name) != expected[name]]
        if wrong:
            raise LoadFailed(
                f"After loading, the store at {_public(self.url)} holds {sizes.get(wrong[0], 0)} "
                f"triples in <{wrong[0]}> instead of {expected[wrong[0]]} "
                f"({len(wrong)} graph(s) differ); is --gsp the Graph Store endpoint of the same "
                "dataset as --store?"
            )
        return sizes

    # -- internals -------------------------------------------------------------

    def _dataset(self, request: QueryRequest) -> list[tuple[str, str]]:
        # The embedded store's rules (store.KnowledgeGraph._run), said with protocol parameters.
        own = sparql_text.declares_dataset(request.text)
        everything: list[str] = []
        if not own or request.default_graphs or request.named_graphs:
            everything = self.graph_names
        chosen = everything if request.infer else [g for g in everything if g != INFERRED_GRAPH]
        if request.default_graphs:
            default = self._known(request.default_graphs, everything)
        else:
            default = [] if own else chosen
        if request.named_graphs:
            named = self._known(request.named_graphs, everything)
        else:
            named = [] if own else chosen
        return [("default-graph-uri", g) for g in default] + [("named-graph-uri", g) for g in named]

    @staticmethod
    def _known(names: tuple[str, ...], graphs: list[str]) -> list[str]:
        unknown = [n for n in names if n not in graphs]
        if unknown:
            raise UnknownGraph(
                f"Unknown graph {unknown[0]!r}: this store holds only " + ", ".join(graphs)
            )
        return list(names)

    def _count_graphs(self, names: list[str] | None) -> dict[str, int]:
        if names is None:
            rows = self._select_rows(_SIZES % "")
        else:
            values = " ".join(iri_term(name) for name in names)
            rows = self._select_rows(_SIZES % f"VALUES ?g {{ {values} }}")
        counts: dict[str, int] = {}
        for row in rows:
            graph, count = row["g"], row["n"]
            ours = names is not None or str(graph).startswith(f"<{GRAPH}")
            if ours and isinstance(graph, ox.NamedNode) and isinstance(count, ox.Literal):
                counts[graph.value] = int(count.value)
        return counts

    def _select_rows(self, query: str) -> list[ox.QuerySolution]:
        deadline = time.monotonic() + self.timeout
        with self._send(
            "POST",
            self.url,
            deadline=deadline,
            content=urlencode({"query": query}).encode(),
            headers={"Accept": RESULTS_JSON, "Content-Type": FORM},
        ) as response:
            self._raise_for_status(response)
            body = _Body(response.iter_bytes(_CHUNK), deadline, self._too_slow)
            try:
                answer = _parse(response, io.BufferedReader(body, _CHUNK), graph_form=False)
                return list(answer) if isinstance(answer, ox.QuerySolutions) else []
            except SyntaxError as exc:
                raise self._malformed(exc, body.tail, response) from None

    def _gsp(self, method: str, graph: str, body: bytes | None = None) -> None:
        headers = {"Content-Type": N_TRIPLES} if body is not None else {}
        deadline = time.monotonic() + self.load_timeout
        with self._send(
            method,
            self.gsp_url,
            deadline=deadline,
            params={"graph": graph},
            content=body,
            headers=headers,
        ) as response:
            if response.status_code < 300 or (method == "DELETE" and response.status_code == 404):
                return
            where = _public(self.gsp_url)
            detail = f"{response.status_code} {response.reason_phrase}: {_message(response)}"
            if response.status_code in (401, 403):
                hint = (
                    "it needs credentials with write access: set DKG_STORE_USER and "
                    "DKG_STORE_PASSWORD (Virtuoso takes writes on /sparql-graph-crud-auth)"
                )
            else:
                hint = (
                    f"if its Graph Store Protocol endpoint is not {where}, give it with --gsp URL"
                )
            raise LoadFailed(
                f"The store at {where} refused to {method} graph <{graph}> "
                f"({_one_line(detail)}); {hint}."
            )

    @contextmanager
    def _send(
        self, method: str, url: str, *, deadline: float, **options: Any
    ) -> Iterator[httpx.Response]:
        remaining = max(0.1, deadline - time.monotonic())
        timeout = httpx.Timeout(remaining, connect=min(self._connect_timeout, remaining))
        try:
            with self._client.stream(method, url, timeout=timeout, **options) as response:
                yield response
        except httpx.ConnectTimeout as exc:
            raise self._unreachable(exc) from None
        except httpx.TimeoutException:
            raise self._too_slow() from None
        except httpx.HTTPError as exc:  # refused, DNS, reset, a connection dropped mid-answer
            raise self._unreachable(exc) from None

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 300:
            return
        message = _message(response)
        if status == 400:
            raise QuerySyntaxError(f"Query syntax error: {message}")
        if status >= 500 and _STOPPED.search(message):
            raise self._stopped_there()
        moved = response.headers.get("location")
        raise StoreUnavailable(
            f"The SPARQL store at {_public(self.url)} answered {status} "
            f"{response.reason_phrase}: {_one_line(message)[:300]}"
            + (f" (moved to {_public(moved)}: use that URL)" if moved else "")
            + ("" if status >= 500 else " (is this its SPARQL query endpoint?)")
        )

    def _too_slow(self) -> QueryTimeout:
        return QueryTimeout(
            f"The query was stopped after the {self.timeout:g} s time limit (the store at "
            f"{_public(self.url)} had not finished). Narrow it down (LIMIT, more specific "
            "patterns) and try again."
        )

    def _stopped_there(self) -> QueryTimeout:
        return QueryTimeout(
            f"The store at {_public(self.url)} stopped the query at its own time limit. "
            "Narrow it down (LIMIT, more specific patterns) and try again."
        )

    def _unreachable(self, exc: Exception) -> StoreUnavailable:
        reason = _one_line(str(exc)) or type(exc).__name__
        return StoreUnavailable(
            f"The SPARQL store at {_public(self.url)} is not reachable ({reason}); "
            "check that it is running and that the URL is right."
        )

    def _malformed(self, exc: SyntaxError, tail: bytes, response: httpx.Response) -> KGError:
        if _STOPPED.search(tail.decode("utf-8", "replace")):
            return self._stopped_there()  # it gave up part-way and said so in the body
        if "html" in response.headers.get("content-type", ""):
            return StoreUnavailable(
                f"The SPARQL store at {_public(self.url)} answered with a web page, not a "
                "query result; is this its SPARQL query endpoint?"
            )
        return StoreUnavailable(
            f"The SPARQL store at {_public(self.url)} sent an answer that does not parse "
            f"({_one_line(str(exc))[:200]})."
        )


class _Body(io.RawIOBase):
    """A streamed response body as a file, checking the deadline on every read."""

    def __init__(self, chunks: Iterator[bytes], deadline: float, late: Any) -> None:
        super().__init__()
        self._chunks, self._deadline, self._late = chunks, deadline, late
        self._pending = b""
        self.tail = b""  # the last bytes read, to tell a store's "cancelled" note apart

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if time.monotonic() > self._deadline:
            raise self._late()
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self.tail = (self.tail + self._pending[:size])[-400:]
        self._pending = self._pending[size:]
        return size


def _parse(response: httpx.Response, body: io.BufferedReader, graph_form: bool) -> object:
    """The remote answer as the engine's own result objects (parsed lazily)."""
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if graph_form:
        rdf_format = ox.RdfFormat.from_media_type(media) if media else None
        return ox.parse(body, format=rdf_format or ox.RdfFormat.N_TRIPLES)
    results_format = ox.QueryResultsFormat.from_media_type(media) if media else None
    return ox.parse_query_results(body, format=results_format or ox.QueryResultsFormat.JSON)


def _split(dataset: Path) -> dict[str, list[ox.Triple]]:
    """The dataset's triples per named graph, in file order."""
    graphs: dict[str, list[ox.Triple]] = defaultdict(list)
    owners: dict[str, set[str]] = defaultdict(set)
    for quad in ox.parse(path=str(dataset), format=ox.RdfFormat.N_QUADS):
        if not isinstance(quad.graph_name, ox.NamedNode):
            raise LoadFailed(
                f"{dataset} has triples in the default graph; only named graphs can be loaded."
            )
        graphs[quad.graph_name.value].append(quad.triple)
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.BlankNode):
                owners[term.value].add(quad.graph_name.value)
    shared = sum(1 for names in owners.values() if len(names) > 1)
    if shared:
        log.warning(
            "%d blank node(s) occur in more than one graph; each graph is loaded on its "
            "own, so in the store they become different nodes",
            shared,
        )
    return dict(graphs)


def _message(response: httpx.Response) -> str:
    """The start of an error response's body, as text."""
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= _ERROR_BODY:
            break
    text = data[:_ERROR_BODY].decode("utf-8", "replace").strip()
    if "html" in response.headers.get("content-type", ""):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", text)).strip()
    return text or response.reason_phrase


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _public(url: str) -> str:
    """``url`` without credentials, for messages."""
    return re.sub(r"(?<=//)[^/@]*@", "", url)
