"""Documentation that cannot go stale: generated README blocks, settings, commands, queries."""

from __future__ import annotations

from pathlib import Path

from defensie_kg import docs, settings

ROOT = Path(__file__).resolve().parents[1]


def test_readme_generated_blocks_are_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.render(readme, ROOT) == readme, "run: .venv/bin/python -m defensie_kg.docs"


def test_every_setting_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, _, help_text in settings.describe():
        assert f"`DKG_{name.upper()}`" in readme
        assert help_text in readme


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make serve" in readme and "make test" in readme
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")
