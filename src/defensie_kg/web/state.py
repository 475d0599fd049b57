"""What the web app holds while it runs: the graph, the query executor, the catalogue."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from starlette.concurrency import run_in_threadpool

from defensie_kg.build.pipeline import Build
from defensie_kg.query.named_queries import NamedQuery
from defensie_kg.query.store import KnowledgeGraph, QueryRequest, QueryResult
from defensie_kg.settings import Settings


class Rows(list[dict[str, str]]):
    """A page query's rows; ``truncated`` says the row cap cut the answer, so a page can say so."""

    def __init__(self, rows: Iterable[dict[str, str]] = (), truncated: bool = False) -> None:
        super().__init__(rows)
        self.truncated = truncated


class Executor(Protocol):
    """Anything that answers a :class:`QueryRequest`: the worker pool or a remote store.

    One that also has ``async def execute_async(request)`` is awaited on the event loop
    directly; otherwise ``execute`` runs in a thread.
    """

    def execute(self, request: QueryRequest) -> QueryResult: ...

    def close(self) -> None: ...


class GraphLoad:
    """The in-process graph and its sizes, loaded in a background thread.

    The server starts answering queries (in the workers) before its own copy of
    the store, which only pages, the service description and counts need, is loaded.
    """

    def __init__(self, load: Callable[[], KnowledgeGraph]) -> None:
        self._load = load
        self._done = threading.Event()
        self._graph: KnowledgeGraph | None = None
        self._sizes: dict[str, int] = {}
        self._error: BaseException | None = None
        threading.Thread(target=self._run, daemon=True, name="graph-load").start()

    def _run(self) -> None:
        try:
            graph = self._load()
            self._sizes = graph.graph_sizes()
            self._graph = graph
        except BaseException as exc:  # kept and raised to whoever needs the graph
            self._error = exc
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def result(self) -> tuple[KnowledgeGraph, dict[str, int]]:
        """The graph and its sizes, waiting for them (from a thread, never the event loop)."""
        self._done.wait()
        if self._graph is None:
            raise RuntimeError("the in-process graph could not be loaded") from self._error
        return self._graph, self._sizes

    async def wait(self) -> None:
        """Wait without blocking the event loop."""
        if not self._done.is_set():
            await asyncio.get_running_loop().run_in_executor(None, self._done.wait)


@dataclass
class AppState:
    """Everything the routes need, loaded once at start-up.

    ``source`` is the in-process graph, or a :class:`GraphLoad` still loading it:
    async code awaits :meth:`wait_graph` before it touches :attr:`graph`.
    """

    settings: Settings
    build: Build
    source: KnowledgeGraph | GraphLoad  # in-process copy for pages and counts (bounded lookups)
    executor: Executor  # runs client queries, with the time limit
    queries: dict[str, NamedQuery]
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def graph(self) -> KnowledgeGraph:
        """The in-process graph (waits while it is still loading)."""
        if isinstance(self.source, GraphLoad):
            return self.source.result()[0]
        return self.source

    @property
    def graph_sizes(self) -> dict[str, int]:
        """Triples per named graph (waits while the graph is still loading)."""
        if isinstance(self.source, GraphLoad):
            return self.source.result()[1]
        return self.sizes

    @property
    def graph_loaded(self) -> bool:
        return not isinstance(self.source, GraphLoad) or self.source.done

    async def wait_graph(self) -> None:
        """Wait for the in-process graph without blocking the event loop."""
        if isinstance(self.source, GraphLoad):
            await self.source.wait()

    async def execute(self, request: QueryRequest) -> QueryResult:
        """Run a query through the executor (the killable workers: time limit and row cap),
        awaited on the event loop when the executor can, else in a thread."""
        execute_async = getattr(self.executor, "execute_async", None)
        if execute_async is not None:
            result: QueryResult = await execute_async(request)
            return result
        return await run_in_threadpool(self.executor.execute, request)

    async def select(self, query: str, bindings: dict[str, str] | None = None) -> Rows:
        """Rows of a page's SELECT, values as strings; ``.truncated`` when the row cap cut them.

        The text is a constant of the page; whatever came with the request is in ``bindings``
        (variable → term in N-Triples syntax), bound as RDF terms. Runs in the workers, like
        every client query."""
        request = QueryRequest(
            query,
            format="json",
            bindings=tuple((bindings or {}).items()),
            max_rows=self.settings.max_rows,
        )
        result = await self.execute(request)
        doc = json.loads(result.body)
        return Rows(
            ({k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]),
            truncated=result.truncated,
        )
