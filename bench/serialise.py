"""How long writing a SELECT result takes, three ways, over the named queries.

``python -m bench.serialise [--reps N]`` builds (or loads the cached build of) the nota,
then for every named query whose parameters all have defaults (bound), evaluated afresh
each time (the engine evaluates while a writer reads, so each figure is evaluation plus
writing):

- ``engine``: pyoxigraph writes SPARQL Results JSON itself (no row cap possible);
- ``ours``: :func:`defensie_kg.rdf.results.solutions`, the engine's TSV cut at the row cap,
  parsed back and written as JSON by the engine (what the server does);
- ``python``: a plain Python writer (one dict per binding, ``json.dumps``), the kind of
  writer ``results.py`` replaced.

It prints the median time of each per query (ms for the engine, ratios for the others) and
the geomean ratios ``ours / engine`` and ``python / engine``; the figures quoted in
``src/defensie_kg/rdf/results.py`` come from here.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from bench.workload import named
from defensie_kg.build.pipeline import build
from defensie_kg.rdf import formats, results
from defensie_kg.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MAX_ROWS = 10000


def _python_json(answer: ox.QuerySolutions) -> bytes:
    names = [v.value for v in answer.variables]
    rows = []
    for solution in answer:
        row: dict[str, dict[str, str]] = {}
        for name in names:
            term = solution[name]
            if term is None:
                continue
            if isinstance(term, ox.NamedNode):
                row[name] = {"type": "uri", "value": term.value}
            elif isinstance(term, ox.BlankNode):
                row[name] = {"type": "bnode", "value": term.value}
            else:
                cell = {"type": "literal", "value": term.value}
                if term.language:
                    cell["xml:lang"] = term.language
                elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
                    cell["datatype"] = term.datatype.value
                row[name] = cell
        rows.append(row)
    return json.dumps({"head": {"vars": names}, "results": {"bindings": rows}}).encode()


def _engine_json(answer: ox.QuerySolutions) -> bytes:
    out = io.BytesIO()
    answer.serialize(out, format=ox.QueryResultsFormat.JSON)
    return out.getvalue()


def _median(run: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.serialise")
    parser.add_argument("--reps", type=int, default=51)
    args = parser.parse_args(argv)
    store = ox.Store()
    store.bulk_load(path=str(build(Settings(root=ROOT)).dataset), format=ox.RdfFormat.N_QUADS)
    fmt = formats.choose("json", None, formats.RESULT_FORMATS)
    writers: dict[str, Callable[[ox.QuerySolutions], object]] = {
        "engine": _engine_json,
        "ours": lambda answer: results.solutions(fmt, answer, MAX_ROWS),
        "python": _python_json,
    }
    ratios: dict[str, list[float]] = {"ours": [], "python": []}
    print(f"{'query':44} {'engine ms':>10} {'ours':>6} {'python':>7}")
    for query in named(ROOT / "queries"):

        def evaluate(text: str = query.text) -> ox.QuerySolutions:
            answer = store.query(text, use_default_graph_as_union=True)
            assert isinstance(answer, ox.QuerySolutions)
            return answer

        # The engine evaluates lazily, while a writer reads: each figure is query + writing.
        spent = {
            name: _median(lambda w=writer: w(evaluate()), args.reps)
            for name, writer in writers.items()
        }
        base = max(spent["engine"], 1e-6)
        for name in ratios:
            ratios[name].append(max(spent[name], 1e-6) / base)
        print(
            f"{query.name:44} {base * 1000:10.3f} {spent['ours'] / base:5.2f}× "
            f"{spent['python'] / base:6.2f}×"
        )
    for name, values in ratios.items():
        geomean = math.exp(sum(map(math.log, values)) / len(values))
        low, high = min(values), max(values)
        print(f"{name} / engine: geomean {geomean:.2f}× (min {low:.2f}, max {high:.2f})")


if __name__ == "__main__":
    main()
