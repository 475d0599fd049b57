"""Find the ontology and data files and parse each into its own named graph."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from defensie_kg.errors import InputMissing, TurtleSyntaxError
from defensie_kg.namespaces import ONTOLOGY_GRAPH, data_graph

SHAPES_FILE = "shapes.ttl"


@dataclass(frozen=True)
class SourceFile:
    """One Turtle file and the named graph it goes into."""

    path: Path
    graph: str


@dataclass
class Sources:
    """The parsed inputs of a build: ontology, data graphs and shapes."""

    ontology: Graph
    data: dict[str, Graph]
    shapes: Graph
    files: list[SourceFile]

    def data_union(self) -> Graph:
        """All data graphs merged into one graph."""
        union = Graph()
        for graph in self.data.values():
            union += graph
        return union


def find(root: Path) -> tuple[list[SourceFile], Path]:
    """The ontology and data files under ``root``, in a stable order, and the shapes file."""
    ontology_dir, data_dir = root / "ontology", root / "data"
    for directory in (ontology_dir, data_dir):
        if not directory.is_dir():
            raise InputMissing(f"{directory}: directory not found (is --root the project?)")
    shapes = ontology_dir / SHAPES_FILE
    if not shapes.is_file():
        raise InputMissing(f"{shapes}: the SHACL shapes file is missing")
    files = [
        SourceFile(p, ONTOLOGY_GRAPH)
        for p in sorted(ontology_dir.glob("*.ttl"))
        if p.name != SHAPES_FILE
    ]
    files += [SourceFile(p, data_graph(p.stem)) for p in sorted(data_dir.glob("*.ttl"))]
    return files, shapes


def fingerprint(root: Path) -> str:
    """A hash of every input file's name and bytes: the cache key of a build."""
    files, shapes = find(root)
    digest = hashlib.sha256()
    for path in [f.path for f in files] + [shapes]:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def load(root: Path) -> Sources:
    """Parse every input file; a syntax error raises :class:`TurtleSyntaxError`."""
    files, shapes_path = find(root)
    ontology, data = Graph(), {}
    for source in files:
        graph = parse_turtle(source.path)
        if source.graph == ONTOLOGY_GRAPH:
            ontology += graph
        else:
            data[source.graph] = graph
    return Sources(ontology, data, parse_turtle(shapes_path), files)


_POSITION = re.compile(r"at line (\d+)(?: of <[^>]*>)?:?\s*(.*)", re.S)


def parse_turtle(path: Path) -> Graph:
    """Parse one Turtle file, turning rdflib's errors into ``file:line:col`` errors."""
    text = path.read_text(encoding="utf-8", errors="strict")
    graph = Graph()
    try:
        graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises several unrelated types for bad syntax
        raise _syntax_error(path, text, exc) from None
    return graph


def _syntax_error(path: Path, text: str, exc: Exception) -> TurtleSyntaxError:
    message = str(exc)
    reason = _clean(getattr(exc, "_why", None) or message)
    found, at, lines = (
        getattr(exc, "_str", None),
        getattr(exc, "_i", None),
        getattr(exc, "lines", None),
    )
    if isinstance(found, bytes) and isinstance(at, int) and isinstance(lines, int):
        # rdflib's notation3 parser keeps the whole input, the byte offset of the bad
        # token and the number of newlines before it (0-based line).
        line_start = found.rfind(b"\n", 0, at) + 1
        column = len(found[line_start:at].decode("utf-8", errors="replace")) + 1
        return TurtleSyntaxError(path, lines + 1, column, reason)
    match = _POSITION.search(message)
    line = int(match.group(1)) if match else 1
    return TurtleSyntaxError(path, line, 1, reason)


def _clean(message: str) -> str:
    message = " ".join(message.split())
    return message.replace("\\n", " ")[:300]
