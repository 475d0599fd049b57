"""Data integrity: the same inputs always give the same bytes, and a broken contribution
never gets in (the validate command, its pre-commit hook and the CI workflow)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT, make_mini
from defensie_kg.build.pipeline import Build

BIN = Path(sys.executable).parent
VIOLATION = (
    "@prefix dn: <https://w3id.org/defensienota-2024/def/> .\n"
    "<https://w3id.org/defensienota-2024/id/measure/unlabelled> a dn:Measure .\n"
)


def test_two_builds_of_the_same_inputs_are_byte_identical(
    real_build: Build, tmp_path: Path
) -> None:
    """A second build in another process (another hash seed, a fresh cache) writes the same
    canonical N-Quads: sorted lines, canonical blank-node labels."""
    env = {**os.environ, "DKG_CACHE_DIR": str(tmp_path / "cache"), "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "defensie_kg",
            "--root",
            str(ROOT),
            "build",
            "--no-cache",
            "--quiet",
        ],
        env=env,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    second = Path(done.stdout.decode().splitlines()[0].rsplit(" (", 1)[0])
    assert second.parent.parent == tmp_path / "cache"
    first_bytes, second_bytes = real_build.dataset.read_bytes(), second.read_bytes()
    assert len(first_bytes) > 1_000_000
    assert first_bytes == second_bytes
    lines = first_bytes.splitlines()
    assert lines == sorted(set(lines))
    assert {label for label in re.findall(rb"_:(\S+)", first_bytes)} <= {
        label for label in re.findall(rb"_:(c14n\d+)", first_bytes)
    }


def _hooks() -> dict[str, dict[str, object]]:
    published = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    local = [repo for repo in config["repos"] if repo["repo"] == "local"]
    return {"published": published[0], "local": local[0]["hooks"][0]}


@pytest.mark.parametrize("which", ["published", "local"])
def test_hook_definitions(which: str) -> None:
    hook = _hooks()[which]
    assert hook["id"] == "defensie-kg-validate"
    assert hook["pass_filenames"] is False
    files = re.compile(str(hook["files"]))
    for path in ("data/measures-ch4.ttl", "ontology/shapes.ttl", "ontology/defensie.ttl"):
        assert files.search(path), path
    for path in ("README.md", "queries/x.rq", "tests/fixtures/mini/data/mini.ttl", "data/x.ttl~"):
        assert not files.search(path), path


def _run_hook(hook: dict[str, object], project: Path) -> subprocess.CompletedProcess[str]:
    """Run a hook's entry the way pre-commit does: from the repository root."""
    argv = shlex.split(str(hook["entry"]))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, check=False)


def test_the_hooks_block_a_broken_contribution_and_pass_a_good_one(tmp_path: Path) -> None:
    project = make_mini(tmp_path / "project")
    (project / ".venv").symlink_to(BIN.parent)  # the local hook uses the project's .venv
    hooks = _hooks()
    for name, hook in hooks.items():
        done = _run_hook(hook, project)
        assert done.returncode == 0, (name, done.stdout, done.stderr)
    shutil.copy(FIXTURES / "broken" / "bad-syntax.ttl", project / "data" / "contribution.ttl")
    for name, hook in hooks.items():
        done = _run_hook(hook, project)
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        assert "data/contribution.ttl:6:5:" in done.stderr
        assert "Traceback" not in done.stdout + done.stderr
    (project / "data" / "contribution.ttl").write_text(VIOLATION, encoding="utf-8")
    for name, hook in hooks.items():
        done = _run_hook(hook, project)
        assert done.returncode == 1, (name, done.stdout, done.stderr)
        assert "data/contribution.ttl" in done.stdout and "measure:unlabelled" in done.stdout


def test_the_ci_workflow_validates_and_tests_on_python_311() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "validate.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert "push" in triggers and "pull_request" in triggers
    job = workflow["jobs"]["validate"]
    assert "3.11" in job["container"]
    commands = [step.get("run", "") for step in job["steps"]]
    assert "make validate" in commands and "make test" in commands
    assert commands.index("make validate") < commands.index("make test")
