"""The W3C SHACL Core test suite, through the project's public validation API and through pySHACL.

The suite comes from pySHACL's source distribution on PyPI (``test/resources/sht_tests/core``),
downloaded with pip at test time, pinned by version and sha256, and cached under
``.cache/w3c-shacl/`` (never committed). Every ``sht:Validate`` test runs through
``build.validation.validate``; its report must equal the expected one the way the suite defines
equality: the same ``sh:conforms`` and the same results, compared on focus node, path, severity,
constraint component, source shape and value (messages and ``sh:detail`` are not compared; a
blank node matches any blank node, and a literal is compared by its lexical form, which is what
the report's ``Result`` carries). The shipped validator must pass every test; pySHACL, the
reference, must pass no test that it does not (it passes 97 of 98: ``core/property/uniqueLang-002``
fails there).
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys
import tarfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from defensie_kg.build import validation
from defensie_kg.rdf import terms
from defensie_kg.rdf.terms import Triple

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "w3c-shacl"
PYSHACL_VERSION = "0.40.1"
PYSHACL_SHA256 = "011e3cf1a68b31747cb762ba3d755ae1bdcc464c8fad0dc212a9adc550719552"
SUITE = "test/resources/sht_tests/core/"
TOTAL = 98  # sht:Validate tests in core/ of this sdist

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SHT = "http://www.w3.org/ns/shacl-test#"
SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

Key = tuple[str | None, ...]
Outcome = tuple[bool, Counter[Key]]


def _fetch_suite() -> Path:
    """``core/`` of the pinned pySHACL sdist, downloaded once and checked against its hash."""
    core = CACHE / f"pyshacl-{PYSHACL_VERSION}" / "core"
    if (core / "manifest.ttl").is_file():
        return core
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / f"pyshacl-{PYSHACL_VERSION}.tar.gz"
    if not archive.is_file():
        pip = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q"]
        pip += ["--no-deps", "--no-binary", ":all:", f"pyshacl=={PYSHACL_VERSION}"]
        pip += ["-d", str(CACHE)]
        done = subprocess.run(pip, capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not archive.is_file():
            message = f"could not download the pySHACL sdist: {done.stderr.strip()[-500:]}"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != PYSHACL_SHA256:
        archive.unlink()
        pytest.fail(f"pyshacl-{PYSHACL_VERSION}.tar.gz has sha256 {digest}, not the pinned one")
    prefix = f"pyshacl-{PYSHACL_VERSION}/{SUITE}"
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith(prefix):
                target = core / member.name[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                target.write_bytes(source.read())
    return core


class _Graph:
    """Subject → predicate → objects, over N-Triples term strings."""

    def __init__(self, triples: set[Triple]) -> None:
        self.triples = triples
        self.spo: dict[str, dict[str, list[str]]] = {}
        for s, p, o in triples:
            self.spo.setdefault(s, {}).setdefault(p, []).append(o)

    def objects(self, s: str, p: str) -> list[str]:
        return self.spo.get(s, {}).get(f"<{p}>", [])

    def one(self, s: str, p: str) -> str | None:
        found = self.objects(s, p)
        return found[0] if found else None

    def items(self, head: str) -> list[str]:
        out = []
        while head != f"<{RDF}nil>":
            out.append(self.objects(head, f"{RDF}first")[0])
            head = self.objects(head, f"{RDF}rest")[0]
        return out

    def path(self, node: str) -> str:
        """A SHACL path as the report's ``Result.path`` gives it (rudof's path text)."""
        if node.startswith("<"):
            return node[1:-1]
        if self.objects(node, f"{RDF}first"):
            return "(" + " / ".join(self.path(m) for m in self.items(node)) + ")"
        if (alternatives := self.one(node, f"{SH}alternativePath")) is not None:
            return "(" + " | ".join(self.path(m) for m in self.items(alternatives)) + ")"
        if (inverse := self.one(node, f"{SH}inversePath")) is not None:
            return f"^({self.path(inverse)})"
        repeats = (("zeroOrMorePath", "*"), ("oneOrMorePath", "+"), ("zeroOrOnePath", "?"))
        for name, suffix in repeats:
            if (inner := self.one(node, f"{SH}{name}")) is not None:
                return f"({self.path(inner)}){suffix}"
        raise ValueError(f"not a SHACL path: {node}")


def _term(term: str | None) -> str | None:
    if term is None:
        return None
    return "_:" if terms.is_blank(term) else terms.value(term)


def _expected(graph: _Graph, report: str) -> Outcome:
    conforms = graph.one(report, f"{SH}conforms")
    results: Counter[Key] = Counter()
    for r in graph.objects(report, f"{SH}result"):
        path = graph.one(r, f"{SH}resultPath")
        results[
            (
                _term(graph.one(r, f"{SH}focusNode")),
                None if path is None else graph.path(path),
                _term(graph.one(r, f"{SH}resultSeverity")).rsplit("#", 1)[-1],  # type: ignore[union-attr]
                _term(graph.one(r, f"{SH}sourceConstraintComponent")).rsplit("#", 1)[-1],  # type: ignore[union-attr]
                _term(graph.one(r, f"{SH}sourceShape")),
                _term(graph.one(r, f"{SH}value")),
            )
        ] += 1
    return conforms is not None and terms.value(conforms) == "true", results


def _tests(core: Path) -> list[tuple[str, set[Triple], set[Triple], Outcome]]:
    """(name, data, shapes, expected outcome) of every sht:Validate test under ``core``."""
    found = []

    def walk(manifest: Path) -> None:
        graph = _Graph(terms.parse(path=str(manifest), base_iri=manifest.as_uri()))
        for include in graph.objects(f"<{manifest.as_uri()}>", f"{MF}include"):
            walk(Path(include[len("<file://") : -1]))
        for entries in graph.objects(f"<{manifest.as_uri()}>", f"{MF}entries"):
            for test in graph.items(entries):
                if f"<{SHT}Validate>" not in graph.objects(test, f"{RDF}type"):
                    continue
                action = graph.one(test, f"{MF}action")
                assert action is not None
                files = [graph.one(action, f"{SHT}{g}") for g in ("dataGraph", "shapesGraph")]
                parsed = {
                    f: graph.triples if f == f"<{manifest.as_uri()}>" else _parse(f)
                    for f in set(files)
                    if f is not None
                }
                expected = graph.one(test, f"{MF}result")
                assert expected is not None
                name = terms.value(test).split("/core/")[-1]
                data, shapes = (parsed[f] for f in files)  # type: ignore[index]
                found.append((name, data, shapes, _expected(graph, expected)))

    walk(core / "manifest.ttl")
    return found


def _parse(term: str) -> set[Triple]:
    path = Path(term[len("<file://") : -1])
    return terms.parse(path=str(path), base_iri=path.as_uri())


def _ours(data: set[Triple], shapes: set[Triple]) -> Outcome:
    """The project's public validation API: ``build.validation.validate``."""
    report = validation.validate(data, set(), shapes)
    blanks = {terms.value(t) for triple in data | shapes for t in triple if terms.is_blank(t)}

    def term(value: str | None) -> str | None:
        # Result carries terms as terms.value gives them: a blank node is its label.
        return "_:" if value in blanks or (value or "").startswith("_:") else value

    results: Counter[Key] = Counter(
        (term(r.focus), r.path, r.severity, r.component, term(r.shape), term(r.value))
        for r in report.results
    )
    return report.conforms, results


def _pyshacl(data: set[Triple], shapes: set[Triple]) -> Outcome:
    from pyshacl import validate

    conforms, report, _ = validate(
        terms.to_rdflib(data), shacl_graph=terms.to_rdflib(shapes), inference="none"
    )
    graph = _Graph(terms.from_rdflib(report))
    root = next(s for s, p, o in graph.triples if o == f"<{SH}ValidationReport>")
    return _expected(graph, root)


@functools.cache
def _run(engine: Callable[[set[Triple], set[Triple]], Outcome]) -> tuple[set[str], list[str]]:
    passed, failures = set(), []
    for name, data, shapes, expected in SUITE_TESTS():
        try:
            got = engine(data, shapes)
        except Exception as exc:  # an engine that fails to run fails the test
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if got == expected:
            passed.add(name)
        else:
            failures.append(f"{name}:\n  expected {expected}\n  got      {got}")
    return passed, failures


_LOADED: list[tuple[str, set[Triple], set[Triple], Outcome]] = []


def SUITE_TESTS() -> list[tuple[str, set[Triple], set[Triple], Outcome]]:  # noqa: N802
    if not _LOADED:
        _LOADED.extend(_tests(_fetch_suite()))
    return _LOADED


def test_the_suite_is_complete() -> None:
    assert len(SUITE_TESTS()) == TOTAL


def test_the_shipped_validator_passes_the_w3c_core_suite() -> None:
    passed, failures = _run(_ours)
    assert not failures, f"{len(passed)}/{TOTAL} passed; failed:\n" + "\n".join(failures)
    assert len(passed) == TOTAL


def test_pyshacl_passes_nothing_the_shipped_validator_fails() -> None:
    reference, failures = _run(_pyshacl)
    ours, _ = _run(_ours)
    assert reference <= ours
    # pySHACL's own count on this suite; a change here means the reference or the suite moved.
    assert len(reference) == TOTAL - 1, failures
    assert [f.split(":")[0] for f in failures] == ["property/uniqueLang-002"]
