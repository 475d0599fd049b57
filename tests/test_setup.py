"""Setup: two locks (runtime for `make serve`, dev added by `make test`), `make lock`
regenerates both, and the pins install on every Python that requires-python admits."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import ROOT

DEV_ONLY = {
    "pytest",
    "mypy",
    "ruff",
    "playwright",
    "hypothesis",
    "schemathesis",
    "beautifulsoup4",
    "sparqlwrapper",
    "oxigraph",
    "pyyaml",
}


def _names(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_serving_installs_no_dev_tool() -> None:
    runtime = _names(ROOT / "requirements.lock")
    assert not DEV_ONLY & set(runtime), DEV_ONLY & set(runtime)
    assert {"fastapi", "uvicorn", "pyoxigraph", "pydantic-settings"} <= set(runtime)


def test_every_direct_dependency_is_pinned_in_its_lock() -> None:
    runtime, dev = _names(ROOT / "requirements.lock"), _names(ROOT / "requirements-dev.lock")
    assert not set(runtime) & set(dev), "a package pinned in both locks"
    for source, lock in (("requirements.in", runtime), ("requirements-dev.in", dev)):
        for name, version in _names(ROOT / source).items():
            assert lock.get(name) == version, (source, name, version, lock.get(name))


def test_make_serve_installs_runtime_pins_and_make_test_adds_dev_pins() -> None:
    def dry(target: str) -> str:
        return subprocess.run(
            ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout

    serve, test = dry("serve"), dry("test")
    assert "requirements.lock" in serve and "requirements-dev.lock" not in serve
    assert "requirements-dev.lock" in test
    lock = dry("lock")
    assert "requirements.in" in lock and "requirements-dev.in" in lock


def test_requires_python_is_what_the_locks_install_on() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in pyproject
    # soupsieve 3 needs Python 3.11.5; Debian 12's python3 is 3.11.2 (checked in .ci/run)
    assert _names(ROOT / "requirements-dev.lock")["soupsieve"].startswith("2.")
    assert "/usr/bin/python3" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
