"""Settings: one validated object. A bad value is one line naming the variable and what is
allowed, exit code 2, from every command, no traceback; a port in use is one line and exit
code 3 (both documented in the README)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from defensie_kg.cli import cli
from defensie_kg.settings import BadSetting, Settings

BAD = {
    "DKG_PORT": ["abc", "0", "65536", "-1", "80.5"],
    "DKG_QUERY_WORKERS": ["-3", "0", "two"],
    "DKG_QUERY_TIMEOUT": ["0", "-1", "soon"],
    "DKG_MAX_ROWS": ["0", "many"],
    "DKG_MAX_BODY_BYTES": ["0"],
    "DKG_RATE_LIMIT": ["-1"],
    "DKG_REQUIRE_VALID": ["flase", "yes", "", "2"],
    "DKG_RELOAD": ["ja", "on"],
    "DKG_STORE_URL": ["ftp://example.org/", "localhost:7878", "http://"],
    "DKG_PUBLIC_BASE": ["kg.example.org"],
    "DKG_SERVICE_ALLOWLIST": ["http://a.example/sparql,not a url"],
    "DKG_BASE_IRI": ["https://example.org/no-slash", "urn:x:"],
    "DKG_HOST": ["", "a b", "host/path"],
}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DKG_")}
    return {**env, **extra}


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, values in BAD.items() for v in values])
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(name, value)
        with pytest.raises(BadSetting) as caught:
            Settings.from_env()
    message = str(caught.value)
    assert "\n" not in message
    assert name in message and "allowed:" in message


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DKG_PORT", "8080", 8080),
        ("DKG_REQUIRE_VALID", "false", False),
        ("DKG_REQUIRE_VALID", "TRUE", True),
        ("DKG_RELOAD", "1", True),
        ("DKG_QUERY_TIMEOUT", "2.5", 2.5),
        ("DKG_SERVICE_ALLOWLIST", "http://a.example/q, https://b.example/q", None),
        ("DKG_STORE_URL", "http://127.0.0.1:7878/query", "http://127.0.0.1:7878/query"),
    ],
)
def test_good_values_are_typed(name: str, value: str, expected: object) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(name, value)
        settings = Settings.from_env()
    got = getattr(settings, name.removeprefix("DKG_").lower())
    if expected is None:
        assert got == ("http://a.example/q", "https://b.example/q")
    else:
        assert got == expected


def test_overrides_are_checked_too() -> None:
    with pytest.raises(BadSetting, match="DKG_PORT"):
        Settings.from_env().with_overrides(port=70000)


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_exits_2_with_one_line(command: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "defensie_kg", command],
        env=_clean_env(DKG_PORT="abc"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DKG_PORT" in lines[0] and "1–65535" in lines[0], lines
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_one_line_and_exit_3(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "defensie_kg", "serve", "--port", str(port)],
            env=_clean_env(),
            cwd=tmp_path,  # no project here: the port is checked before the build
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 3, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(port) in lines[0] and "in use" in lines[0], lines


def test_the_readme_documents_the_exit_codes(root: Path) -> None:
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "**3**" in readme and "bad setting" in readme
