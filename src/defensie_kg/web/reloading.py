"""Swap in a new build while serving: when the inputs change (``reload``) and on SIGHUP.

A :class:`Reloader` rebuilds with the same loader the start-up uses. On success
the app's state is replaced in one assignment — a request already running keeps
the state it started with — and the old executor is closed once every query it
may still be running has finished or hit its time limit. On failure (a Turtle
syntax error, SHACL violations while ``require_valid``, an inconsistency,
anything else) the last good build keeps serving and the error is kept for
``/ready`` and ``/health``.

Changes are found by polling file modification times and sizes under
``ontology/``, ``data/`` and ``queries/`` every second: no extra dependency. A
SIGHUP handler only wakes the reloader's thread; the rebuild never runs in the
event loop.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from defensie_kg.errors import KGError
from defensie_kg.settings import Settings
from defensie_kg.web.state import AppState, Executor

log = logging.getLogger("defensie_kg.reload")
WATCHED = ("ontology", "data", "queries")
Snapshot = dict[str, tuple[int, int]]


class Reloader:
    """Rebuild on demand (:meth:`reload_now`), on SIGHUP (:meth:`trigger`) and, when
    ``settings.reload`` is on, when a watched file changes."""

    def __init__(
        self,
        app: Any,
        settings: Settings,
        load: Callable[[Settings], AppState],
        interval: float = 1.0,
        drain: float | None = None,
    ) -> None:
        self.app, self.settings, self._load = app, settings, load
        self.interval = interval
        # A query may wait a whole time limit for a worker, then run for another.
        self.drain = 2 * settings.query_timeout + 1 if drain is None else drain
        self.last_error: str | None = None
        self.last_reload: str | None = None  # when the last successful reload finished
        self.reloads = 0
        self._lock = threading.Lock()
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._retired: list[tuple[float, Executor]] = []
        self._seen = snapshot(settings.root)

    def start(self) -> None:
        """Start the background thread (it polls only when ``settings.reload`` is on)."""
        self._thread = threading.Thread(target=self._run, name="defensie-kg-reloader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close every executor still draining."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        # Not under the lock: a rebuild still running must not hold up the shutdown (it
        # sees ``_stopping`` and closes what it started instead of swapping it in).
        retired, self._retired = self._retired, []
        for _, executor in retired:
            _close(executor)

    def trigger(self) -> None:
        """Ask for a reload soon; safe to call from a signal handler."""
        self._wake.set()

    def reload_now(self) -> bool:
        """Rebuild and swap; on failure keep the current state. True when swapped."""
        with self._lock:
            self._seen = snapshot(self.settings.root)  # edits during the build: reload again
            try:
                fresh = self._load(self.settings)
            except Exception as exc:  # whatever it is, keep serving
                self.last_error = describe(exc, self.settings.root)
                if isinstance(exc, KGError):
                    log.error(
                        "reload failed, still serving the last good build: %s", self.last_error
                    )
                else:
                    log.exception("reload failed, still serving the last good build")
                return False
            if self._stopping.is_set():
                _close(fresh.executor)
                return False
            old = getattr(self.app.state, "kg", None)
            self.app.state.kg = fresh
            cache = getattr(self.app.state, "response_cache", None)
            if cache is not None:  # answers of the old build are never served again
                cache.clear()
            self.last_error = None
            self.last_reload = datetime.now(UTC).isoformat(timespec="seconds")
            self.reloads += 1
            if old is not None and old.executor is not fresh.executor:
                self._retired.append((time.monotonic() + self.drain, old.executor))
        log.info(
            "reloaded: build %s, %d triples",
            fresh.build.fingerprint[:12],
            sum(fresh.graph_sizes.values()),
        )
        self.close_drained()
        return True

    def close_drained(self, now: float | None = None) -> int:
        """Close old executors whose queries have all finished; how many were closed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            due = [e for at, e in self._retired if at <= now]
            self._retired = [(at, e) for at, e in self._retired if at > now]
        for executor in due:
            _close(executor)
        return len(due)

    def _run(self) -> None:
        while not self._stopping.is_set():
            woken = self._wake.wait(self.interval)
            if self._stopping.is_set():
                return
            self._wake.clear()
            self.close_drained()
            if woken or (self.settings.reload and self._changed()):
                self.reload_now()

    def _changed(self) -> bool:
        current = snapshot(self.settings.root)
        if current == self._seen:
            return False
        # Editors often write a file in several steps: wait until it holds still.
        for _ in range(10):
            time.sleep(0.2)
            settled = snapshot(self.settings.root)
            if settled == current:
                break
            current = settled
        return True


def snapshot(root: Path) -> Snapshot:
    """Modification time and size of every file under the watched directories."""
    seen: Snapshot = {}
    for name in WATCHED:
        for path in sorted((root / name).rglob("*")):
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.is_file():
                seen[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return seen


def describe(exc: Exception, root: Path) -> str:
    """A one-paragraph account of a failed reload, with paths relative to the project."""
    text = str(exc) if isinstance(exc, KGError) else f"{type(exc).__name__}: {exc}"
    for prefix in {str(root.resolve()), str(root)}:
        if prefix not in ("", "."):
            text = text.replace(prefix.rstrip("/") + "/", "")
    return text[:2000]


def install_signal_handlers(app: Any) -> None:
    """SIGHUP reloads. SIGTERM: uvicorn lets in-flight requests finish and then re-raises
    the signal; with this handler in place that last step is a clean exit (status 0)."""

    def reload(_signum: int, _frame: FrameType | None) -> None:
        reloader = getattr(app.state, "reloader", None)
        if reloader is not None:
            reloader.trigger()

    def after_graceful_shutdown(_signum: int, _frame: FrameType | None) -> None:
        return None

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload)
    signal.signal(signal.SIGTERM, after_graceful_shutdown)


def _close(executor: Executor) -> None:
    try:
        executor.close()
    except Exception:  # closing must never take the server down
        log.exception("closing an old executor failed")
