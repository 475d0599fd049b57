"""Time the build stages by calling the library, in a process of their own.

``python -m bench.stages ROOT`` prints JSON: seconds per repetition of
parse (``sources.load``), union, reasoning (fast, and the owlrl reference
once), validation (fast, and the pySHACL reference once, with the owlrl one),
serialisation to N-Quads and cache load
(``KnowledgeGraph.from_nquads``), plus the process's peak RSS.
``--load DATASET`` times only the cache load of an existing dataset.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from defensie_kg.build import pipeline as build
from defensie_kg.build import reasoning, sources, validation
from defensie_kg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from defensie_kg.query.store import KnowledgeGraph


def timed(function: Callable[[], Any], reps: int) -> tuple[list[float], Any]:
    """Seconds of each of ``reps`` calls, and the last call's value."""
    seconds, value = [], None
    for _ in range(reps):
        started = time.perf_counter()
        value = function()
        seconds.append(round(time.perf_counter() - started, 4))
    return seconds, value


def load_only(dataset: Path, reps: int) -> dict[str, Any]:
    """Cache-load timings of ``dataset``."""
    seconds, graph = timed(lambda: KnowledgeGraph.from_nquads(dataset), reps)
    return {"cache_load": seconds, "quads": len(graph)}


def all_stages(root: Path, reps: int, owlrl: bool) -> dict[str, Any]:
    """Every stage on the project at ``root``."""
    out: dict[str, Any] = {}
    out["parse"], inputs = timed(lambda: sources.load(root), reps)
    out["union"], data = timed(inputs.data_union, reps)
    out["reasoning_fast"], inferred = timed(lambda: reasoning.close(inputs.ontology, data), reps)
    if owlrl:
        out["reasoning_owlrl"], reference = timed(
            lambda: reasoning.close(inputs.ontology, data, method="owlrl"), 1
        )
        out["owlrl_inferred"] = len(reference)
    files_of = getattr(build, "_files_of", lambda *_: None)(inputs, root)
    out["validation"], report = timed(
        lambda: validation.validate(data, inferred, inputs.shapes, files_of), reps
    )
    if owlrl:
        out["validation_pyshacl"], reference = timed(
            lambda: _pyshacl_results(data | inferred, inputs.shapes), 1
        )
        ours = sorted((r.severity, r.focus, r.path or "", r.value or "") for r in report.results)
        out["pyshacl_same_results"] = reference == ours
    graphs = {ONTOLOGY_GRAPH: inputs.ontology, **inputs.data, INFERRED_GRAPH: inferred}
    out["serialise"], nquads = timed(lambda: build.to_nquads(graphs), reps)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dataset.nq"
        path.write_bytes(nquads)
        out.update(load_only(path, reps))
    out["inferred"] = len(inferred)
    out["violations"] = len(report.violations)
    return out


def _pyshacl_results(graph: set[Any], shapes: set[Any]) -> list[tuple[str, str, str, str]]:
    """pySHACL (the reference, not used by the build) on the same triples, as sortable keys."""
    from pyshacl import validate
    from rdflib import Namespace

    from defensie_kg.rdf import terms

    sh = Namespace("http://www.w3.org/ns/shacl#")
    _, report, _ = validate(
        terms.to_rdflib(graph),
        shacl_graph=terms.to_rdflib(shapes),
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,
    )
    return sorted(
        (
            str(report.value(n, sh.resultSeverity)).rsplit("#", 1)[-1],
            str(report.value(n, sh.focusNode)),
            str(report.value(n, sh.resultPath) or ""),
            str(report.value(n, sh.value) or ""),
        )
        for n in report.objects(None, sh.result)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stages")
    parser.add_argument("root", type=Path, nargs="?")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-owlrl", action="store_true")
    parser.add_argument("--load", type=Path, help="time only the cache load of this dataset")
    args = parser.parse_args(argv)
    if args.load:
        out = load_only(args.load, args.reps)
    else:
        out = all_stages(args.root, args.reps, not args.no_owlrl)
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
