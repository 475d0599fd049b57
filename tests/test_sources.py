"""Parsing: each file into its own graph; syntax errors as file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from defensie_kg.build import sources
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
    assert "A dot is expected at the end of statements" in str(error)


def test_invalid_utf8_is_a_positioned_error(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.ttl"
    bad.write_bytes(b'<urn:a> <urn:b> "ok" .\n<urn:a> <urn:c> "caf\xe9" .\n')
    with pytest.raises(TurtleSyntaxError) as caught:
        sources.parse_turtle(bad)
    assert (caught.value.line, caught.value.column) == (2, 21)
    assert "Invalid UTF-8" in str(caught.value)


def test_terms_are_ntriples_strings(tmp_path: Path) -> None:
    doc = tmp_path / "doc.ttl"
    doc.write_text(
        "@prefix x: <http://x/> .\n"
        'x:a x:p "plain"^^<http://www.w3.org/2001/XMLSchema#string> , "tagged"@nl , 1.50 .\n',
        encoding="utf-8",
    )
    objects = {o for _, _, o in sources.parse_turtle(doc)}
    decimal = '"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>'
    assert objects == {'"plain"', '"tagged"@nl', decimal}


def test_missing_data_directory_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ontology").mkdir()
    with pytest.raises(InputMissing, match="data: directory not found"):
        sources.load(tmp_path)


def test_fingerprint_changes_with_any_edit(mini_root: Path) -> None:
    before = sources.fingerprint(mini_root)
    target = mini_root / "data" / "mini.ttl"
    target.write_text(target.read_text() + "\n# edit\n")
    assert sources.fingerprint(mini_root) != before
