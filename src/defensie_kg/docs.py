"""Generated parts of the README: CLI reference, settings table, named-query list.

``python -m defensie_kg.docs`` rewrites the blocks between the
``<!-- name:start -->`` / ``<!-- name:end -->`` markers; a test fails when
the README is stale.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

import click

from defensie_kg import settings
from defensie_kg.cli import cli
from defensie_kg.query import named_queries


def cli_reference() -> str:
    """``--help`` of the group and every command, as Markdown."""
    # Subcommands get their context from the group's, as when run from the shell,
    # so they inherit its settings (``-h`` as well as ``--help``).
    root = click.Context(cli, info_name="defensie-kg", **cli.context_settings)
    parts = [cli.get_help(root)]
    for name in sorted(cli.commands):
        command = cli.commands[name]
        parts.append(command.get_help(click.Context(command, info_name=name, parent=root)))
    return "\n\n".join(f"```text\n{text}\n```" for text in parts)


def settings_table() -> str:
    """Every setting with its environment variable, default and meaning."""
    rows = ["| setting | environment | default | meaning |", "|---|---|---|---|"]
    for name, default, help_text in settings.describe():
        rows.append(f"| `{name}` | `DKG_{name.upper()}` | `{default}` | {help_text} |")
    return "\n".join(rows)


def query_list(root: Path) -> str:
    """Every named query with its title and parameters."""
    rows = ["| query | what it answers | parameters |", "|---|---|---|"]
    for query in named_queries.load_all(root / "queries").values():
        params = ", ".join(f"`{p.name}` ({p.type})" for p in query.parameters) or "–"
        rows.append(f"| `{query.name}` | {query.title.get('en', '')} | {params} |")
    return "\n".join(rows)


def blocks(root: Path) -> dict[str, str]:
    return {
        "cli-reference": cli_reference(),
        "settings": settings_table(),
        "named-queries": query_list(root),
    }


def render(readme: str, root: Path) -> str:
    """``readme`` with every generated block replaced by its current content."""
    for name, content in blocks(root).items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(readme):
            raise ValueError(f"README has no <!-- {name}:start/end --> block")
        repl = cast(
            "Callable[[re.Match[str]], str]",
            lambda m, c=content: m.group(1) + c + "\n" + m.group(2),
        )
        readme = pattern.sub(repl, readme)
    return readme


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    path = root / "README.md"
    path.write_text(render(path.read_text(encoding="utf-8"), root), encoding="utf-8")


if __name__ == "__main__":
    main()
