"""The package's layers: imports run one way, down the layers, with no cycles.

Layers, lowest first (see ARCHITECTURE.md):

- foundation: ``errors``, ``settings``, ``namespaces`` and ``rdf/`` (terms, the format registry,
  result writers);
- ``build/``: Turtle files -> parse -> OWL RL closure -> SHACL validation -> cache;
- ``query/``: the read-only store, guards, named queries, the killable worker pool, dumps;
- ``web/``: the app, its routes and views;
- the faces: ``cli``, ``docs``, ``__main__``, ``api`` (the Python API), ``bundling`` (the
  graph a wheel carries).

A module may import from its own layer and from any layer below it. ``build`` and ``query`` are
siblings that do not import each other. Routes reach data only through ``query/`` (and the app
state), never through ``build/``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "defensie_kg"

RANK = {"foundation": 0, "build": 1, "query": 1, "web": 2, "face": 3}
FACES = ("cli", "docs", "__main__", "api", "bundling")
SIBLINGS_APART = {("build", "query"), ("query", "build")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    head = parts[1] if len(parts) > 1 else ""
    if head in ("build", "query", "web"):
        return head
    if head in FACES:
        return "face"
    return "foundation"


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every ``defensie_kg`` module this file imports, at any depth (lazy imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("defensie_kg"):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("defensie_kg"):
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                yield node.lineno, candidate if _is_module(candidate) else node.module


def _is_module(name: str) -> bool:
    base = PACKAGE.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
EDGES = {
    name: sorted({target for _, target in _imports(path) if target != name})
    for name, path in MODULES.items()
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_down_the_layers(module: str) -> None:
    here = _layer(module)
    wrong = []
    for line, target in _imports(MODULES[module]):
        there = _layer(target)
        if RANK[there] > RANK[here] or (here, there) in SIBLINGS_APART:
            wrong.append(f"line {line}: {here} module imports {target} ({there})")
    assert not wrong, f"{module}: " + "; ".join(wrong)


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if m.startswith("defensie_kg.web.routes."))
)
def test_routes_reach_data_only_through_the_query_layer(module: str) -> None:
    wrong = [t for _, t in _imports(MODULES[module]) if t.startswith("defensie_kg.build")]
    assert not wrong, f"{module} imports the build layer: {wrong}"


def test_no_import_cycles() -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in EDGES.get(node, []):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt in EDGES and nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(EDGES):
        if module not in state:
            visit(module)


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    """The checker itself: an upward import in a scratch file is reported."""
    scratch = tmp_path / "bad.py"
    scratch.write_text("from defensie_kg.web.app import create_app\n", encoding="utf-8")
    targets = [t for _, t in _imports(scratch)]
    assert targets == ["defensie_kg.web.app"]
    assert RANK[_layer(targets[0])] > RANK[_layer("defensie_kg.build.sources")]
