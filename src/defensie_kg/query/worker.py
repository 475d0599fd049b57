"""A query worker process, and the frames it exchanges with the server over a socket.

Started as ``python -m defensie_kg.query.worker FD DATASET TIMEOUT`` by
:class:`defensie_kg.query.pool.QueryPool`: a fresh interpreter that imports only
the store (not the CLI, FastAPI or the build), loads the dataset and answers
queries on the socket ``FD`` until it closes. The server kills the process
when a query passes the time limit.

Wire format, both ways: a frame is a 4-byte big-endian length and that many
bytes. A request is a JSON list of the :class:`QueryRequest` fields; a reply is
a length-prefixed JSON header, then the serialised result as it goes on the
HTTP wire, so neither side pickles or re-encodes a result body.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

from defensie_kg.errors import KGError, from_wire, to_wire
from defensie_kg.query.store import KnowledgeGraph, QueryRequest, QueryResult
from defensie_kg.rdf import formats

HEADER = struct.Struct(">I")
READY = b'{"status":"ready"}\n'


def frame(payload: bytes) -> bytes:
    """``payload`` with its length in front."""
    return HEADER.pack(len(payload)) + payload


def encode_request(request: QueryRequest) -> bytes:
    """A request frame."""
    fields = (  # by hand: dataclasses.astuple deep-copies and costs more than the JSON
        request.text,
        request.accept,
        request.format,
        request.infer,
        request.default_graphs,
        request.named_graphs,
        request.bindings,
        request.max_rows,
        request.service_allowlist,
        request.base_iri,
    )
    return frame(json.dumps(fields, separators=(",", ":")).encode())


def decode_request(payload: bytes) -> QueryRequest:
    """The :class:`QueryRequest` in a request frame's payload (lists back to tuples)."""
    fields: list[Any] = json.loads(payload)
    text, accept, fmt, infer, default, named, bindings, max_rows, allowlist, base = fields
    return QueryRequest(
        text,
        accept,
        fmt,
        infer,
        tuple(default),
        tuple(named),
        tuple((name, term) for name, term in bindings),
        max_rows,
        tuple(allowlist),
        base,
    )


def encode_reply(result: QueryResult | KGError) -> bytes:
    """A reply frame: the result's metadata and body, or an error."""
    if isinstance(result, KGError):
        return frame(_with_length(json.dumps({"status": "error", "error": to_wire(result)})))
    head = {
        "status": "ok",
        "format": result.format.name,
        "form": result.form,
        "rows": result.rows,
        "truncated": result.truncated,
        "variables": result.variables,
    }
    return frame(_with_length(json.dumps(head, separators=(",", ":"))) + result.body)


def _with_length(head: str) -> bytes:
    encoded = head.encode()
    return HEADER.pack(len(encoded)) + encoded


def decode_reply(payload: bytes | bytearray) -> QueryResult:
    """The result in a reply frame's payload; raises the error it carries."""
    end = HEADER.size + HEADER.unpack_from(payload)[0]
    head = json.loads(payload[HEADER.size : end])
    if head["status"] != "ok":
        raise from_wire(*head["error"])
    return QueryResult(
        bytes(payload[end:]),
        formats.BY_NAME[head["format"]],
        head["form"],
        head["rows"],
        head["truncated"],
        tuple(head["variables"]),
    )


def read_frame(sock: socket.socket) -> bytes | None:
    """One whole frame's payload (blocking), or ``None`` when the other side has gone."""
    head = _read_exactly(sock, HEADER.size)
    if head is None:
        return None
    return _read_exactly(sock, HEADER.unpack(head)[0])


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray()
    while len(buffer) < size:
        chunk = sock.recv(min(size - len(buffer), 1 << 20))
        if not chunk:
            return None
        buffer += chunk
    return bytes(buffer)


def serve(sock: socket.socket, dataset: Path, timeout: float) -> None:
    """Load the store, say so, then answer requests until the socket closes."""
    kg = KnowledgeGraph.from_nquads(dataset)
    sock.sendall(frame(READY))
    while (payload := read_frame(sock)) is not None:
        request = decode_request(payload)
        reply: QueryResult | KGError
        try:
            reply = kg.execute(request, deadline=time.monotonic() + timeout)
        except KGError as exc:
            reply = exc
        sock.sendall(encode_reply(reply))


def main(argv: list[str]) -> None:
    """Entry point of the worker process."""
    fd, dataset, timeout = int(argv[0]), Path(argv[1]), float(argv[2])
    # Ctrl+C reaches the whole process group; the server stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The server going away leaves nothing to answer.
    quietly = contextlib.suppress(BrokenPipeError, ConnectionResetError)
    with socket.socket(fileno=fd) as sock, quietly:
        serve(sock, dataset, timeout)


if __name__ == "__main__":
    main(sys.argv[1:])
