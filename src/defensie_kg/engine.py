"""Run queries in worker processes that can be killed at the time limit.

A thread running a query cannot be stopped, and the engine evaluates some
queries (ORDER BY, aggregates over a cross product) entirely before the
first row. So each query runs in a worker process holding its own copy of
the store; at the deadline the parent kills that worker and starts a fresh
one, and the other workers keep answering meanwhile.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from defensie_kg.errors import KGError, QueryTimeout, StoreUnavailable, from_wire, to_wire
from defensie_kg.store import KnowledgeGraph, QueryRequest, QueryResult

log = logging.getLogger(__name__)
_CONTEXT = multiprocessing.get_context("spawn")
_START_TIMEOUT = 60.0


def _serve(conn: Connection, dataset: str, timeout: float) -> None:
    """Worker main loop: load the store, then answer requests until the pipe closes."""
    kg = KnowledgeGraph.from_nquads(Path(dataset))
    conn.send(("ready", None))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", kg.execute(request, deadline=time.monotonic() + timeout)))
        except KGError as exc:
            conn.send(("error", to_wire(exc)))


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection


class QueryPool:
    """A fixed number of killable query workers over one dataset file."""

    def __init__(self, dataset: Path, workers: int, timeout: float) -> None:
        self.dataset, self.timeout = dataset, timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        starters = [threading.Thread(target=self._add_worker, daemon=True) for _ in range(workers)]
        for thread in starters:
            thread.start()
        for thread in starters:
            thread.join()

    def execute(self, request: QueryRequest) -> QueryResult:
        """Run ``request`` in a worker; :class:`QueryTimeout` past the time limit."""
        deadline = time.monotonic() + self.timeout
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(
                "All query workers stayed busy for the whole time limit; try again shortly."
            ) from None
        try:
            worker.conn.send(request)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic()) + 0.05):
                self._replace(worker)
                raise QueryTimeout(
                    f"The query was stopped after the {self.timeout:g} s time limit. "
                    "Narrow it down (LIMIT, more specific patterns) and try again."
                )
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._replace(worker)
            raise StoreUnavailable(
                "A query worker failed; it has been restarted. Try the query again."
            ) from None
        self._idle.put(worker)
        if status == "error":
            raise from_wire(*payload)
        return payload  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            _stop(worker)

    def _replace(self, worker: _Worker) -> None:
        _stop(worker)
        threading.Thread(target=self._add_worker, daemon=True).start()

    def _add_worker(self) -> None:
        if self._closed:
            return
        parent, child = _CONTEXT.Pipe()
        process = _CONTEXT.Process(
            target=_serve,
            args=(child, str(self.dataset), self.timeout),
            daemon=True,
            name="defensie-kg-query",
        )
        process.start()
        child.close()
        if parent.poll(_START_TIMEOUT):
            parent.recv()
            self._idle.put(_Worker(process, parent))
        else:
            log.error("query worker did not start within %s s", _START_TIMEOUT)
            process.kill()


def _stop(worker: _Worker) -> None:
    worker.process.kill()
    worker.process.join(timeout=5)
    worker.conn.close()
