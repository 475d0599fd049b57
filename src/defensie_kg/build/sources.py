"""Find the ontology and data files and parse each into its own named graph."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from defensie_kg.errors import InputMissing, TurtleSyntaxError
from defensie_kg.namespaces import ONTOLOGY_GRAPH, data_graph
from defensie_kg.rdf import terms
from defensie_kg.rdf.terms import Triple

SHAPES_FILE = "shapes.ttl"


@dataclass(frozen=True)
class SourceFile:
    """One Turtle file and the named graph it goes into."""

    path: Path
    graph: str


@dataclass
class Sources:
    """The parsed inputs of a build: ontology, data graphs and shapes."""

    ontology: set[Triple]
    data: dict[str, set[Triple]]
    shapes: set[Triple]
    files: list[SourceFile]

    def data_union(self) -> set[Triple]:
        """All data graphs merged into one."""
        return set().union(*self.data.values())


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
    ontology: set[Triple] = set()
    data: dict[str, set[Triple]] = {}
    for source in files:
        triples = parse_turtle(source.path)
        if source.graph == ONTOLOGY_GRAPH:
            ontology |= triples
        else:
            data[source.graph] = triples
    return Sources(ontology, data, parse_turtle(shapes_path), files)


def parse_turtle(path: Path) -> set[Triple]:
    """Parse one Turtle file, turning the parser's errors into ``file:line:col`` errors.

    The file's own URL is the base IRI, as for any Turtle document read from disk.
    """
    try:
        return terms.parse(path.read_bytes(), base_iri=path.resolve().as_uri())
    except SyntaxError as exc:
        raise _syntax_error(path, exc) from None


def _syntax_error(path: Path, exc: SyntaxError) -> TurtleSyntaxError:
    # pyoxigraph: "Parser error at line L between columns C1 and C2: <reason>", with
    # lineno/offset set to the (1-based) start of the offending token.
    message = str(exc.msg or exc)
    reason = message.split(": ", 1)[1] if message.startswith("Parser error") else message
    return TurtleSyntaxError(path, exc.lineno or 1, exc.offset or 1, " ".join(reason.split()))
