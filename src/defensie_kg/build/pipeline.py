"""The only orchestrator: sources → reasoning → validation → cached dataset.

CLI commands and the web app call :func:`build` and get a :class:`Build`;
none of them parses, reasons or validates on its own.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from defensie_kg.build import cache, reasoning, sources, validation
from defensie_kg.build.reporting import Report
from defensie_kg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from defensie_kg.rdf import terms
from defensie_kg.rdf.terms import Triple
from defensie_kg.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class Build:
    """A built dataset: where its N-Quads are, its validation report and metadata."""

    dataset: Path
    report: Report
    fingerprint: str
    meta: dict[str, object] = field(default_factory=dict)
    from_cache: bool = False


def build(settings: Settings, progress: Progress | None = None, use_cache: bool = True) -> Build:
    """Build the dataset for ``settings.root``, or load it from the cache when unchanged."""
    say = progress or (lambda _message: None)
    fingerprint = sources.fingerprint(settings.root)
    if use_cache and (hit := cache.load(settings.cache_path, fingerprint)):
        dataset, report, meta = hit
        say(f"loaded cached build {fingerprint[:12]}")
        return Build(dataset, report, fingerprint, meta, from_cache=True)
    timings: dict[str, float] = {}

    def step(name: str, started: float) -> None:
        timings[name] = round(time.perf_counter() - started, 3)
        say(f"{name}: {timings[name]:.2f} s")

    started = time.perf_counter()
    say("parse…")  # a message ending in "…" says what is under way (a display may replace it)
    inputs = sources.load(settings.root)
    step("parse", started)
    data = inputs.data_union()
    started = time.perf_counter()
    say("reasoning (OWL RL closure)…")
    inferred = reasoning.close(inputs.ontology, data)
    step("reasoning", started)
    started = time.perf_counter()
    say("validation (SHACL)…")
    report = validation.validate(data, inferred, inputs.shapes, _files_of(inputs, settings.root))
    step("validation", started)
    graphs = {ONTOLOGY_GRAPH: inputs.ontology, **inputs.data, INFERRED_GRAPH: inferred}
    started = time.perf_counter()
    say("serialisation…")
    nquads = to_nquads(graphs)
    step("serialisation", started)
    meta = {
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "graphs": {str(name): len(g) for name, g in graphs.items()},
        "timings": timings,
    }
    return Build(_store(settings, fingerprint, nquads, report, meta), report, fingerprint, meta)


def to_nquads(graphs: dict[str, set[Triple]]) -> bytes:
    """Canonical, sorted N-Quads of the named graphs: the same inputs give the same bytes.

    Blank nodes (the ontology's RDF lists) get RDFC-1.0 canonical labels, so
    their ids do not change from one parse to the next. The labels depend only
    on the quads that mention a blank node, so only those go through the
    (costly) canonicalisation.
    """
    lines = [f"{s} {p} {o} <{name}> .\n" for name, graph in graphs.items() for s, p, o in graph]
    blank = [line for line in lines if "_:" in line]
    if blank:
        dataset = ox.Dataset(ox.parse("".join(blank).encode(), format=ox.RdfFormat.N_QUADS))
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS) or b""
        lines = [line for line in lines if "_:" not in line]
        lines += text.decode("utf-8").splitlines(keepends=True)
    return "".join(sorted(set(lines))).encode("utf-8")


def _files_of(inputs: sources.Sources, root: Path) -> dict[str, tuple[str, ...]]:
    files: dict[str, set[str]] = defaultdict(set)
    names = {f.graph: f.path.relative_to(root).as_posix() for f in inputs.files}
    for graph_name, graph in inputs.data.items():
        for subject in {t[0] for t in graph}:
            files[terms.value(subject)].add(names[graph_name])
    return {s: tuple(sorted(f)) for s, f in files.items()}


def _store(
    settings: Settings,
    fingerprint: str,
    nquads: bytes,
    report: Report,
    meta: dict[str, object],
) -> Path:
    try:
        return cache.save(settings.cache_path, fingerprint, nquads, report, meta)
    except OSError as exc:
        # The build is still good: keep it in a temporary file and carry on.
        # A warning, not progress: it is logged whether or not stdout is a terminal.
        log.warning("cache not writable (%s); using a temporary copy of the build", exc)
        descriptor, name = tempfile.mkstemp(prefix="defensie-kg-", suffix=".nq")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(nquads)
        return Path(name)
