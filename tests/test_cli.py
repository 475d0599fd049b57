"""The command line: exit codes 0/1/2, one-line syntax errors, queries in every format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from defensie_kg.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"


def _run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    return result.exit_code, result.stdout, result.stderr


def test_validate_conforming_data_exits_0(mini_root: Path) -> None:
    code, out, _ = _run(mini_root, "validate")
    assert code == 0
    assert "the data conforms" in out


def test_validate_violation_exits_1_with_grouped_report(mini_root: Path) -> None:
    (mini_root / "data" / "extra.ttl").write_text(
        "@prefix dn: <https://w3id.org/defensienota-2024/def/> .\n"
        "<https://w3id.org/defensienota-2024/id/measure/unlabelled> a dn:Measure .\n"
    )
    code, out, _ = _run(mini_root, "validate")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "data/extra.ttl"
    assert lines[1] == "  measure:unlabelled"
    assert "    Violation rdfs:label: Needs a Dutch label" in out


def test_validate_json_is_machine_readable(mini_root: Path) -> None:
    code, out, _ = _run(mini_root, "validate", "--format", "json")
    assert code == 0
    assert json.loads(out)["conforms"] is True


def test_syntax_error_is_one_line_with_position_and_exit_2(mini_root: Path) -> None:
    shutil.copy(FIXTURES / "broken" / "bad-syntax.ttl", mini_root / "data" / "bad.ttl")
    code, out, err = _run(mini_root, "validate")
    assert code == 2
    assert err.strip() == (
        f"{mini_root / 'data' / 'bad.ttl'}:6:5: A dot is expected at the end of statements"
    )
    assert "Traceback" not in err + out


def test_query_named_with_parameter_as_csv(mini_root: Path) -> None:
    code, out, _ = _run(mini_root, "query", "measures-for-target", "--format", "csv")
    assert code == 0
    assert out.splitlines() == [
        "measure,label,evidence",
        "https://w3id.org/defensienota-2024/id/measure/test-measure,Test measure,"
        "https://w3id.org/defensienota-2024/id/evidence/explicit",
    ]


def test_query_file_as_table(mini_root: Path) -> None:
    path = mini_root / "queries" / "label-search.rq"
    code, out, _ = _run(mini_root, "query", str(path), "-p", "text=brigade")
    assert code == 0
    assert "Test brigade" in out and out.rstrip().endswith("(1 rows)")


def test_query_missing_parameter_exits_2(mini_root: Path) -> None:
    code, _, err = _run(mini_root, "query", "label-search")
    assert code == 2
    assert "parameter 'text': required" in err


def test_unknown_named_query_exits_2(mini_root: Path) -> None:
    code, _, err = _run(mini_root, "query", "no-such-query")
    assert code == 2
    assert "No named query 'no-such-query'" in err


def test_queries_lists_catalogue(mini_root: Path) -> None:
    code, out, _ = _run(mini_root, "queries", "--json")
    assert code == 0
    names = [q["name"] for q in json.loads(out)]
    assert names == ["label-search", "measures-for-target"]


def test_every_command_has_help() -> None:
    for command in ("validate", "build", "query", "queries", "serve", "export"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage:" in result.stdout


def test_build_pauses_the_cycle_collector_only_while_it_builds(mini_root: Path) -> None:
    # `build` turns the collector off for speed; a caller in the same process (CliRunner,
    # a notebook) must get it back on, also when the build fails.
    import gc

    assert gc.isenabled()
    code, out, _ = _run(mini_root, "build", "--no-cache", "-q")
    assert code == 0, out
    assert gc.isenabled()
    broken = mini_root / "data" / "broken.ttl"
    broken.write_text("@prefix : <x:> .\n:a :b \n", encoding="utf-8")
    code, _, _ = _run(mini_root, "build", "--no-cache", "-q")
    assert code != 0
    assert gc.isenabled()
