"""`defensie-kg query` as a table for people: prefixed names with labels, fitted to the width,
identifiers never cut; machine formats keep full IRIs."""

from __future__ import annotations

import csv
import io
import os

import pytest
from click.testing import CliRunner

from defensie_kg import terminal
from defensie_kg.cli import cli
from defensie_kg.namespaces import shorten
from defensie_kg.settings import Settings

NATO = "measures-by-nato-priority-target"


def _query(settings: Settings, *args: str, columns: int = 120) -> str:
    env = {"COLUMNS": str(columns), "DKG_CACHE_DIR": str(settings.cache_path)}
    result = CliRunner().invoke(cli, ["--root", str(settings.root), "query", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_the_nato_question_fits_and_keeps_every_identifier_whole(
    settings: Settings, real_build: object, columns: int
) -> None:
    table = _query(settings, NATO, columns=columns)
    assert max(len(line) for line in table.splitlines()) <= columns
    rows = list(csv.DictReader(io.StringIO(_query(settings, NATO, "--format", "csv"))))
    assert rows and table.rstrip().endswith(f"({len(rows)} rows)")
    for row in rows:
        for name in ("target", "measure", "evidence", "section"):
            assert row[name].startswith("https://")  # csv: full IRIs
            assert shorten(row[name]) in table  # table: the whole prefixed name
    assert "https://" not in table


def test_at_120_columns_each_measure_reads_with_its_label(settings: Settings) -> None:
    table = _query(settings, NATO)
    assert "measure:4-2-land-tank-battalion  Buy tanks" in table
    assert "nato:pt-heavy-infantry-brigade  " in table


def test_a_table_that_would_lose_most_labels_becomes_records() -> None:
    iri = "https://w3id.org/defensienota-2024/id/measure/"
    bindings = [
        {f"x{n}": {"type": "uri", "value": f"{iri}m{n}-{row}"} for n in range(3)}
        for row in range(2)
    ]
    doc = {"head": {"vars": ["x0", "x1", "x2"]}, "results": {"bindings": bindings}}
    labels = {
        b[k]["value"]: "a rather long label of forty characters." for b in bindings for k in b
    }
    assert terminal.table(doc, labels, columns=60).startswith("-- 1 ")
    assert terminal.table(doc, labels, columns=200).startswith("x0 ")


def test_a_narrow_result_is_a_table_with_labels_beside_the_names(settings: Settings) -> None:
    table = _query(settings, "nato-link-evidence-counts").splitlines()
    assert table[0].split() == ["evidence", "links"]
    assert any(line.startswith("evidence:explicit  explicit") for line in table)


def test_labels_in_the_chosen_language(settings: Settings) -> None:
    assert "Bewijs" in _query(settings, "nato-link-evidence-counts", "--lang", "nl") or (
        "expliciet" in _query(settings, "nato-link-evidence-counts", "--lang", "nl")
    )


def test_cells_shorten_text_but_never_identifiers() -> None:
    cell = terminal.Cell("measure:4-2-land-tank-battalion", "Buy tanks for a tank battalion")
    assert cell.render(10) == "measure:4-2-land-tank-battalion"
    assert cell.render(48).startswith("measure:4-2-land-tank-battalion  Buy tanks")
    assert cell.render(48).endswith("…") and len(cell.render(48)) <= 48
    assert terminal.Cell(text="a long free text that goes on").render(14) == "a long free…"


def test_a_label_column_moves_beside_its_iri() -> None:
    doc = {
        "head": {"vars": ["x", "xLabel", "n"]},
        "results": {
            "bindings": [
                {
                    "x": {
                        "type": "uri",
                        "value": "https://w3id.org/defensienota-2024/id/measure/m",
                    },
                    "xLabel": {"type": "literal", "value": "M", "xml:lang": "en"},
                    "n": {
                        "type": "literal",
                        "value": "1234567",
                        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
                    },
                }
            ]
        },
    }
    lines = terminal.table(doc, {}, columns=40).splitlines()
    assert lines[0].split() == ["x", "n"]
    assert lines[2].split() == ["measure:m", "M", "1234567"]


def test_progress_only_on_a_terminal() -> None:
    quiet, shown = io.StringIO(), io.StringIO()
    terminal.Progress(enabled=False, stream=quiet)("parse…")
    progress = terminal.Progress(enabled=True, stream=shown)
    progress("reasoning (OWL RL closure)…")
    progress("reasoning: 31.2 s")
    progress.step(1, 2, "turtle")
    progress.done()
    text = shown.getvalue()
    assert quiet.getvalue() == ""
    assert "\r  reasoning (OWL RL closure)… 0 s" in text
    assert "  reasoning: 31.2 s\n" in text  # a finished step keeps its line
    assert "[1/2] turtle…" in text and text.endswith("\r")  # under way: cleared at the end
    assert terminal.Progress(stream=quiet).enabled == os.isatty(1)
