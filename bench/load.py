"""A closed-loop HTTP/1.1 load generator on plain asyncio streams.

``concurrency`` clients each hold one keep-alive connection and send the
next request as soon as the previous answer is read, until ``duration``
has passed; requests started before then are waited for and counted, so a
run lasts at least one request. A bare-streams client costs far less CPU per
request than httpx, which matters on a 2-core machine shared with the servers.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from urllib.parse import quote

ACCEPT_JSON = "application/sparql-results+json"


@dataclass
class RunStats:
    """The outcome of one run: counts, wall time, client CPU and every latency (seconds)."""

    requests: int = 0
    errors: int = 0
    elapsed: float = 0.0
    client_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile ``q`` (0-100) of ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def get_request(
    host: str, port: int, path: str, params: dict[str, str] | None = None, accept: str = ACCEPT_JSON
) -> bytes:
    """The bytes of a keep-alive GET request for ``path`` with URL-encoded ``params``."""
    if params:
        path += ("&" if "?" in path else "?") + "&".join(
            f"{k}={quote(v, safe='')}" for k, v in params.items()
        )
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: {accept}\r\n"
        "User-Agent: defensie-kg-bench\r\n\r\n"
    ).encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body = await reader.read()  # until the server closes
        return status, body, False
    keep = headers.get("connection", "").lower() != "close" and lines[0].startswith("HTTP/1.1")
    return status, body, keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def fetch(host: str, port: int, request: bytes, timeout: float = 60.0) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    reader, writer = await asyncio.open_connection(host, port, limit=2**20)
    try:
        async with asyncio.timeout(timeout):
            writer.write(request)
            status, body, _ = await read_response(reader)
        return status, body
    finally:
        writer.close()


async def _client(
    host: str, port: int, request: bytes, deadline: float, timeout: float, stats: RunStats
) -> None:
    reader = writer = None
    clock = time.perf_counter
    try:
        while clock() < deadline:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port, limit=2**20)
            started = clock()
            try:
                async with asyncio.timeout(timeout):
                    writer.write(request)
                    status, _, keep = await read_response(reader)  # type: ignore[arg-type]
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                stats.errors += 1
                writer.close()
                writer = None
                continue
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
            if status == 200:
                stats.latencies.append(clock() - started)
                stats.requests += 1
            else:
                stats.errors += 1
            if not keep:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


async def run_async(
    host: str, port: int, request: bytes, concurrency: int, duration: float, timeout: float = 30.0
) -> RunStats:
    """Drive ``concurrency`` closed-loop clients for ``duration`` seconds."""
    stats = RunStats()
    cpu, started = time.process_time(), time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(_client(host, port, request, deadline, timeout, stats) for _ in range(concurrency))
    )
    stats.elapsed = time.perf_counter() - started
    stats.client_cpu = (time.process_time() - cpu) / stats.elapsed if stats.elapsed else 0.0
    return stats


def run(
    host: str, port: int, request: bytes, concurrency: int, duration: float, timeout: float = 30.0
) -> RunStats:
    """Synchronous wrapper of :func:`run_async`."""
    return asyncio.run(run_async(host, port, request, concurrency, duration, timeout))


def fetch_sync(host: str, port: int, request: bytes, timeout: float = 60.0) -> tuple[int, bytes]:
    """Synchronous wrapper of :func:`fetch`."""
    return asyncio.run(fetch(host, port, request, timeout))
