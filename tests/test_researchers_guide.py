"""docs/researchers.md: every recipe's query runs against the built graph and returns rows, the
Python walk-through runs as written, and the endpoint addresses it shows answer."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from defensie_kg.query.store import QueryRequest
from defensie_kg.settings import Settings
from defensie_kg.web.state import AppState

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "researchers.md").read_text(encoding="utf-8")
RECIPES = re.findall(r"```sparql\n(.*?)```", GUIDE, re.DOTALL)
PYTHON = re.findall(r"```python\n(.*?)```", GUIDE, re.DOTALL)


def _select(state: AppState, text: str, infer: bool = True) -> list[dict[str, dict[str, str]]]:
    request = QueryRequest(text, format="json", infer=infer, max_rows=100000)
    return json.loads(state.graph.execute(request).body)["results"]["bindings"]


def test_there_are_ten_recipes() -> None:
    headings = re.findall(r"^### (\d+)\. ", GUIDE, re.MULTILINE)
    assert headings == [str(n) for n in range(1, 11)]
    assert len(RECIPES) >= 10


@pytest.mark.parametrize("number", range(len(RECIPES)), ids=lambda n: f"recipe-{n + 1}")
def test_every_recipe_returns_rows(state: AppState, number: int) -> None:
    assert _select(state, RECIPES[number])


def test_contributes_to_is_inferred_only(state: AppState) -> None:
    (recipe,) = [r for r in RECIPES if "AS ?asserted" in r]
    rows = {r["property"]["value"]: r for r in _select(state, recipe)}
    contributes = rows["https://w3id.org/defensienota-2024/def/contributesTo"]
    assert contributes["asserted"]["value"] == "0" and int(contributes["inferred"]["value"]) > 0


def test_the_python_walk_through_runs(
    settings: Settings, real_build: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DKG_CACHE_DIR", str(settings.cache_path))
    scope: dict[str, object] = {}
    exec(PYTHON[0], scope)  # noqa: S102 - the guide's own example
    frame = scope["frame"]
    assert len(frame) >= 10  # type: ignore[arg-type]
    assert {"measure", "measure_label", "target_label"} <= set(frame.columns)  # type: ignore[attr-defined]


def test_the_addresses_in_the_guide_answer(client: TestClient) -> None:
    nato = client.get("/queries/measures-by-nato-priority-target?format=csv")
    assert nato.status_code == 200
    rows = list(csv.DictReader(io.StringIO(nato.text)))
    assert rows and {"targetLabel", "measure"} <= set(rows[0])
    partner = client.get("/queries/measures-with-partner?partner=country:germany&format=json")
    assert partner.status_code == 200 and partner.json()["results"]["bindings"]
    recipe = client.post("/sparql", data={"query": RECIPES[0]}, headers={"Accept": "text/csv"})
    assert recipe.status_code == 200 and len(recipe.text.splitlines()) > 5
