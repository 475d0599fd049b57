"""Parsing: each file into its own graph; syntax errors as file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from defensie_kg import sources
from defensie_kg.errors import InputMissing, TurtleSyntaxError
from defensie_kg.namespaces import ONTOLOGY_GRAPH, data_graph

BROKEN = Path(__file__).parent / "fixtures" / "broken" / "bad-syntax.ttl"


def test_every_data_file_gets_its_own_graph(root: Path) -> None:
    loaded = sources.load(root)
    stems = {p.stem for p in (root / "data").glob("*.ttl")}
    assert set(loaded.data) == {data_graph(s) for s in stems}
    assert len(loaded.ontology) > 1000
    assert all(f.graph == ONTOLOGY_GRAPH for f in loaded.files if f.path.parent.name == "ontology")


def test_syntax_error_names_file_line_and_column() -> None:
    with pytest.raises(TurtleSyntaxError) as caught:
        sources.parse_turtle(BROKEN)
    error = caught.value
    assert (error.line, error.column) == (6, 5)
    assert str(error).startswith(f"{BROKEN}:6:5: ")
    assert "expected '.'" in str(error)


def test_missing_data_directory_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ontology").mkdir()
    with pytest.raises(InputMissing, match="data: directory not found"):
        sources.load(tmp_path)


def test_fingerprint_changes_with_any_edit(mini_root: Path) -> None:
    before = sources.fingerprint(mini_root)
    target = mini_root / "data" / "mini.ttl"
    target.write_text(target.read_text() + "\n# edit\n")
    assert sources.fingerprint(mini_root) != before
