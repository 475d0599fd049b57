"""Run queries in worker processes that can be killed at the time limit.

A thread running a query cannot be stopped, and the engine evaluates some
queries (ORDER BY, aggregates over a cross product) entirely before the
first row. So each query runs in a worker process holding its own copy of
the store (:mod:`defensie_kg.query.worker`); at the deadline the parent kills that
worker and starts a fresh one, and the other workers keep answering meanwhile.

The event loop waits for a worker's answer on the socket itself
(:meth:`QueryPool.execute_async`), without a thread hand-off per request;
:meth:`QueryPool.execute` is the blocking form for threads and the CLI.
"""

from __future__ import annotations

import asyncio
import logging
import select
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defensie_kg.errors import QueryTimeout, StoreUnavailable
from defensie_kg.query.store import QueryRequest, QueryResult
from defensie_kg.query.worker import HEADER, READY, decode_reply, encode_request, read_frame

log = logging.getLogger(__name__)
_START_TIMEOUT = 60.0
_GRACE = 0.05  # past the deadline, for an answer already on its way
_CHUNK = 1 << 18


def _busy() -> QueryTimeout:
    return QueryTimeout(
        "All query workers stayed busy for the whole time limit; try again shortly."
    )


def _too_slow(limit: float) -> QueryTimeout:
    return QueryTimeout(
        f"The query was stopped after the {limit:g} s time limit. "
        "Narrow it down (LIMIT, more specific patterns) and try again."
    )


def _failed() -> StoreUnavailable:
    return StoreUnavailable("A query worker failed; it has been restarted. Try the query again.")


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    sock: socket.socket


@dataclass(eq=False)
class _Waiter:
    """Someone waiting for an idle worker: a thread (``event``) or a coroutine (``future``)."""

    event: threading.Event | None = None
    future: asyncio.Future[_Worker] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    thread: int = field(default_factory=threading.get_ident)
    worker: _Worker | None = None
    gone: bool = False  # gave up waiting


class QueryPool:
    """A fixed number of killable query workers over one dataset file.

    With ``wait=False`` the constructor returns at once and the workers start in
    the background, one after another (the first one is not starved of CPU by
    the others); queries wait for the first one. :attr:`starting` says whether
    some are still on their way.
    """

    def __init__(self, dataset: Path, workers: int, timeout: float, wait: bool = True) -> None:
        self.dataset, self.timeout, self.size = dataset, timeout, workers
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._waiters: deque[_Waiter] = deque()
        self._all: set[_Worker] = set()
        self._closed = False
        self._started = threading.Event()
        self._first = threading.Event()  # one worker is up (or none could start)
        starter = threading.Thread(target=self._start_all, daemon=True, name="query-pool-start")
        starter.start()
        if wait:
            starter.join()

    @property
    def starting(self) -> bool:
        """True until every worker of the first start has been started (or failed to)."""
        return not self._started.is_set()

    def wait_first(self, timeout: float | None = None) -> None:
        """Block until the first worker is up (or the start-up is over)."""
        self._first.wait(timeout)

    def execute(self, request: QueryRequest) -> QueryResult:
        """Run ``request`` in a worker; :class:`QueryTimeout` past the time limit."""
        deadline = time.monotonic() + self.timeout
        worker = self._acquire(deadline)
        try:
            worker.sock.sendall(encode_request(request))
            payload = _read_until(worker.sock, deadline + _GRACE)
        except TimeoutError:
            self._replace(worker)
            raise _too_slow(self.timeout) from None
        except OSError:
            self._replace(worker)
            raise _failed() from None
        if payload is None:
            self._replace(worker)
            raise _failed()
        self._release(worker)
        return decode_reply(payload)

    async def execute_async(self, request: QueryRequest) -> QueryResult:
        """:meth:`execute` for the event loop: no thread, the loop watches the socket."""
        deadline = time.monotonic() + self.timeout
        loop = asyncio.get_running_loop()
        worker = await self._acquire_async(loop, deadline)
        reply: asyncio.Future[bytearray] = loop.create_future()
        reader = _FrameReader(worker.sock, reply)
        try:
            worker.sock.sendall(encode_request(request))
        except OSError:
            self._replace(worker)
            raise _failed() from None
        fd = worker.sock.fileno()
        loop.add_reader(fd, reader.on_readable)
        timer = loop.call_later(
            max(0.0, deadline - time.monotonic()) + _GRACE, _expire, reply, _too_slow, self.timeout
        )
        try:
            payload = await reply
        except QueryTimeout:
            self._replace(worker)
            raise
        except (OSError, EOFError):
            self._replace(worker)
            raise _failed() from None
        except BaseException:  # cancelled: the worker is still busy with this query
            self._replace(worker)
            raise
        finally:
            loop.remove_reader(fd)
            timer.cancel()
        self._release(worker)
        return decode_reply(payload)

    def close(self) -> None:
        """Stop every worker, busy or idle."""
        with self._lock:
            self._closed = True
            workers, self._all, self._idle = list(self._all), set(), []
        for worker in workers:
            _stop(worker)

    # --- idle workers -------------------------------------------------------------------

    def _acquire(self, deadline: float) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            waiter = _Waiter(event=threading.Event())
            self._waiters.append(waiter)
        assert waiter.event is not None
        waiter.event.wait(max(0.0, deadline - time.monotonic()))
        with self._lock:
            if waiter.worker is None:
                waiter.gone = True
                raise _busy()
            return waiter.worker

    async def _acquire_async(self, loop: asyncio.AbstractEventLoop, deadline: float) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            future: asyncio.Future[_Worker] = loop.create_future()
            self._waiters.append(_Waiter(future=future, loop=loop))
        timer = loop.call_later(max(0.0, deadline - time.monotonic()), _expire, future, _busy)
        try:
            return await future
        finally:
            timer.cancel()

    def _release(self, worker: _Worker) -> None:
        """Hand ``worker`` to the longest waiter, or put it back among the idle ones."""
        with self._lock:
            if self._closed:
                return
            while self._waiters:
                if _offer(self._waiters.popleft(), worker, self._release):
                    return
            self._idle.append(worker)

    # --- starting and stopping workers ------------------------------------------------

    def _start_all(self) -> None:
        try:
            for _ in range(self.size):
                self._add_worker()
                self._first.set()
        finally:
            self._first.set()
            self._started.set()

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        _stop(worker)
        threading.Thread(target=self._add_worker, daemon=True).start()

    def _add_worker(self) -> None:
        if self._closed:
            return
        parent, child = socket.socketpair()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "defensie_kg.query.worker",
                str(child.fileno()),
                str(self.dataset),
                repr(self.timeout),
            ],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        child.close()
        worker = _Worker(process, parent)
        try:
            ready = _read_until(parent, time.monotonic() + _START_TIMEOUT)
        except (TimeoutError, OSError):
            ready = None
        if ready != READY:
            log.error("a query worker did not start within %s s", _START_TIMEOUT)
            _stop(worker)
            return
        with self._lock:
            closed = self._closed
            if not closed:
                self._all.add(worker)
        if closed:
            _stop(worker)
            return
        self._release(worker)


def _offer(waiter: _Waiter, worker: _Worker, release: Callable[[_Worker], None]) -> bool:
    """Give ``worker`` to ``waiter`` (called under the pool's lock); False if it gave up."""
    if waiter.event is not None:
        if waiter.gone:
            return False
        waiter.worker = worker
        waiter.event.set()
        return True
    future, loop = waiter.future, waiter.loop
    assert future is not None and loop is not None
    if future.done():
        return False
    if waiter.thread == threading.get_ident():
        future.set_result(worker)  # same thread as its loop: no wake-up needed
        return True

    def deliver() -> None:  # in the waiter's loop: it may have given up meanwhile
        if future.done():
            release(worker)
        else:
            future.set_result(worker)

    loop.call_soon_threadsafe(deliver)
    return True


def _expire(future: asyncio.Future[Any], error: Callable[..., BaseException], *args: Any) -> None:
    """Fail ``future`` with ``error(*args)`` (made only now: most timers never fire)."""
    if not future.done():
        future.set_exception(error(*args))


class _FrameReader:
    """Collects one reply frame from a socket the event loop reports readable."""

    def __init__(self, sock: socket.socket, done: asyncio.Future[bytearray]) -> None:
        self.sock, self.done = sock, done
        self.buffer = bytearray()
        self.size: int | None = None

    def on_readable(self) -> None:
        if self.done.done():
            return
        try:
            while True:
                chunk = self.sock.recv(_CHUNK, socket.MSG_DONTWAIT)
                if not chunk:
                    self.done.set_exception(EOFError())
                    return
                self.buffer += chunk
                if self.size is None and len(self.buffer) >= HEADER.size:
                    self.size = HEADER.unpack_from(self.buffer)[0] + HEADER.size
                if self.size is not None and len(self.buffer) >= self.size:
                    self.done.set_result(self.buffer[HEADER.size : self.size])
                    return
        except BlockingIOError:
            return  # the rest comes with the next readable event
        except OSError as exc:
            self.done.set_exception(exc)


def _read_until(sock: socket.socket, deadline: float) -> bytes | None:
    """One frame's payload, blocking until ``deadline`` (:class:`TimeoutError` past it)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not select.select([sock], [], [], remaining)[0]:
        raise TimeoutError
    # The worker writes a reply in one go once it starts: read the rest without a deadline.
    return read_frame(sock)


def _stop(worker: _Worker) -> None:
    worker.process.kill()
    try:
        worker.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        log.error("query worker %d did not exit after SIGKILL", worker.process.pid)
    worker.sock.close()
