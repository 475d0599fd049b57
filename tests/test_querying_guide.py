"""docs/querying.md: every ```sparql block runs, without PREFIX lines, and returns rows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from defensie_kg.query.store import QueryRequest
from defensie_kg.web.state import AppState

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "querying.md"
BLOCKS = re.findall(r"^```sparql\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), re.M | re.S)

# Blocks whose rows depend on data from a branch not yet merged: block number -> branch.
# Each is xfail(strict=True), so the test says when the merge has made it pass.
WAITING: dict[int, str] = {}


def test_the_guide_has_about_a_dozen_patterns() -> None:
    assert len(BLOCKS) >= 12


@pytest.mark.parametrize(
    "number",
    [
        pytest.param(
            n,
            marks=pytest.mark.xfail(strict=True, reason=f"waits for branch {WAITING[n]}"),
        )
        if n in WAITING
        else n
        for n in range(1, len(BLOCKS) + 1)
    ],
)
def test_guide_block_returns_rows(state: AppState, number: int) -> None:
    text = BLOCKS[number - 1]
    assert "PREFIX" not in text.upper().split("SELECT")[0], "the guide relies on predeclared ones"
    result = state.graph.execute(QueryRequest(text, format="json", max_rows=100000))
    doc = json.loads(result.body)
    if "boolean" in doc:
        assert doc["boolean"] is True
        return
    assert doc["results"]["bindings"], f"block {number} returns no rows:\n{text}"
