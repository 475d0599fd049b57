"""The Python API (defensie_kg.api): its documented examples run as doctests, and the parts a
notebook leans on (rows, labels, pandas as an optional extra, describe, validate)."""

from __future__ import annotations

import doctest
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from defensie_kg import api, release
from defensie_kg.errors import KGError
from defensie_kg.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.fixture(scope="module")
def kg(settings: Settings, real_build: object) -> api.Graph:
    return api.open(settings.root)


@pytest.mark.parametrize("module", [api, release], ids=lambda m: m.__name__)
def test_the_documented_examples_run(
    module: object, settings: Settings, real_build: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # open() without a root: the checkout in the current directory
    monkeypatch.setenv("DKG_CACHE_DIR", str(settings.cache_path))  # the session's build
    result = doctest.testmod(module, optionflags=FLAGS, raise_on_error=False)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0


def test_rows_are_dicts_with_labels_in_the_chosen_language(kg: api.Graph) -> None:
    rows = kg.query("nato-link-evidence-counts", lang="nl")
    assert rows.columns == ["evidence", "evidence_label", "links"]
    assert {r["evidence_label"] for r in rows} == {"expliciet", "geïmpliceerd"}
    assert all(isinstance(r["links"], int) for r in rows)
    assert "evidence:explicit" in str(rows)  # printed as a table with prefixed names


def test_ask_gives_one_boolean_row(kg: api.Graph) -> None:
    assert kg.query("ASK { measure:4-2-land-tank-battalion a dn:Measure }") == [{"boolean": True}]


def test_variables_bind_from_keyword_arguments(kg: api.Graph) -> None:
    text = "SELECT ?m WHERE { ?m dn:targetYear ?year }"
    rows = kg.query(text, year=2030)
    assert rows and all(r["m"].startswith("https://w3id.org/") for r in rows)


def test_a_named_query_refuses_an_unknown_parameter(kg: api.Graph) -> None:
    with pytest.raises(KGError, match="no such parameter"):
        kg.query("measures-by-nato-priority-target", chapter="section:4")


def test_describe_an_unknown_resource(kg: api.Graph) -> None:
    with pytest.raises(KGError, match="no such resource"):
        kg.describe("measure:no-such-measure")


def test_validate_gives_the_report(kg: api.Graph) -> None:
    report = kg.validate()
    assert not report.blocked and report.violations == []


def test_to_dataframe_without_pandas_says_how_to_get_it(
    kg: api.Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = kg.query("nato-link-evidence-counts")
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"defensie-kg\[pandas\]"):
        rows.to_dataframe()


def test_pandas_is_an_optional_extra_never_a_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("pandas") for d in project["dependencies"])
    assert any(d.startswith("pandas") for d in project["optional-dependencies"]["pandas"])
    code = "import sys, defensie_kg.api; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
