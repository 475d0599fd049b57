"""The wheel carries the graph: build it, install it into a fresh venv outside the checkout,
and use it from an empty directory as a researcher would.

The runtime dependencies come from a wheelhouse kept in ``.cache/wheelhouse``, filled from the
package index on the first run (pinned by the ``requirements*.lock`` files); later runs install
offline. The whole file takes about 20 s with a warm wheelhouse, about 45 s with a cold one.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from conftest import free_port
from defensie_kg import __version__

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = ROOT / ".cache" / "wheelhouse"
COPY = ("src", "ontology", "data", "queries")
FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "CITATION.cff", "CHANGELOG.md")

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def build_wheel(work: Path) -> Path:
    """The wheel, built from a copy of the checkout (so the checkout stays untouched)."""
    project = work / "project"
    project.mkdir()
    for name in COPY:
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("*.egg-info"))
    for name in FILES:
        shutil.copy(ROOT / name, project / name)
    out = work / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run(*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out, ".", cwd=project)
    (wheel,) = out.glob("*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """A fresh venv with the wheel and its pinned dependencies; returns its bin directory."""
    _run(sys.executable, "-m", "venv", venv, cwd=venv.parent)
    pip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check", "-q"]
    offline = [*pip, "install", "--no-index", "--find-links", WHEELHOUSE, wheel]
    if subprocess.run(offline, capture_output=True, check=False).returncode != 0:
        pins = [arg for lock in sorted(ROOT.glob("requirements*.lock")) for arg in ("-c", lock)]
        _run(*pip, "download", "-d", WHEELHOUSE, *pins, wheel, cwd=venv.parent)
        (WHEELHOUSE / wheel.name).unlink(missing_ok=True)  # only the dependencies stay
        _run(*offline, cwd=venv.parent)
    return venv / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float]:
    work = tmp_path_factory.mktemp("wheel")
    started = time.perf_counter()
    wheel = build_wheel(work)
    bin_dir = install(wheel, work / "venv")
    return wheel, bin_dir, time.perf_counter() - started


@pytest.fixture()
def empty(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An empty working directory and an environment that knows nothing of the checkout."""
    directory = tmp_path / "empty"
    directory.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    return directory, env


def test_the_wheel_holds_the_inputs_and_a_finished_build(installed: tuple[Path, Path, float]):
    wheel, _, seconds = installed
    assert wheel.name == f"defensie_kg-{__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    bundle = "defensie_kg/bundle/"
    for source in ("ontology/defensie.ttl", "ontology/shapes.ttl", "data/chapter-4.ttl"):
        assert bundle + source in names
    assert bundle + "queries/measures-by-nato-priority-target.rq" in names
    built = [n for n in names if n.startswith(bundle + ".cache/") and n.endswith("/dataset.nq")]
    assert len(built) == 1
    assert seconds < 180, f"building and installing the wheel took {seconds:.0f} s"


def test_the_nato_question_from_an_empty_directory(
    installed: tuple[Path, Path, float], empty: tuple[Path, dict[str, str]]
) -> None:
    _, bin_dir, _ = installed
    where, env = empty
    command = bin_dir / "defensie-kg"
    assert __version__ in _run(command, "--version", cwd=where, env=env)
    (cache,) = bin_dir.parent.glob("lib/python*/site-packages/defensie_kg/bundle/.cache")
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*")}
    done = subprocess.run(
        [command, "query", "measures-by-nato-priority-target", "--format", "csv"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) >= 10
    assert all(
        r["measure"].startswith("https://w3id.org/defensienota-2024/id/measure/") for r in rows
    )
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*")} == before  # nothing built
    assert done.stderr == ""  # no progress when stdout is not a terminal
    table = _run(command, "query", "measures-by-nato-priority-target", cwd=where, env=env)
    assert "measure:" in table
    assert list(where.iterdir()) == []  # nothing written into the user's directory


def test_validate_and_the_package_come_from_the_venv(
    installed: tuple[Path, Path, float], empty: tuple[Path, dict[str, str]]
) -> None:
    _, bin_dir, _ = installed
    where, env = empty
    report = _run(bin_dir / "defensie-kg", "validate", "--violations-only", cwd=where, env=env)
    assert "0 violations" in report
    code = "import defensie_kg, sys; print(defensie_kg.__file__)"
    location = _run(bin_dir / "python", "-c", code, cwd=where, env=env)
    assert str(ROOT) not in location and str(bin_dir.parent) in location


def test_export_from_the_wheel(
    installed: tuple[Path, Path, float], empty: tuple[Path, dict[str, str]]
) -> None:
    _, bin_dir, _ = installed
    where, env = empty
    _run(bin_dir / "defensie-kg", "export", "--no-gzip", "-o", "dumps", cwd=where, env=env)
    names = sorted(p.name for p in (where / "dumps").iterdir())
    assert f"defensienota-2024-{__version__}-inferred.ttl" in names
    assert "SHA256SUMS" in names


def test_root_still_points_at_a_checkout(
    installed: tuple[Path, Path, float], empty: tuple[Path, dict[str, str]]
) -> None:
    _, bin_dir, _ = installed
    where, env = empty
    env = {**env, "DKG_CACHE_DIR": str(where.parent / "cache")}
    out = _run(bin_dir / "defensie-kg", "--root", ROOT, "queries", cwd=where, env=env)
    assert "measures-by-nato-priority-target" in out
    assert os.listdir(where) == []


def test_serve_from_the_wheel(
    installed: tuple[Path, Path, float], empty: tuple[Path, dict[str, str]]
) -> None:
    """The endpoint, a named query and the query editor with its pinned assets."""
    _, bin_dir, _ = installed
    where, env = empty
    port = free_port()
    log = where.parent / "serve.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [bin_dir / "defensie-kg", "serve", "--port", str(port)],
            cwd=where,
            env={**env, "DKG_QUERY_WORKERS": "1"},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/sparql?query=ASK%7B%7D", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        nato = httpx.get(f"{url}/queries/measures-by-nato-priority-target?format=csv", timeout=10)
        assert nato.status_code == 200 and len(nato.text.splitlines()) > 10
        editor = httpx.get(f"{url}/query", timeout=10)
        assert editor.status_code == 200
        asset = httpx.get(f"{url}/assets/yasgui/yasgui.min.js", timeout=10)
        assert asset.status_code == 200 and len(asset.content) > 100_000
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_the_python_api_from_the_wheel(
    installed: tuple[Path, Path, float], empty: tuple[Path, dict[str, str]]
) -> None:
    """What a notebook does first; without the pandas extra, to_dataframe() says how to get it."""
    _, bin_dir, _ = installed
    where, env = empty
    code = "\n".join(
        [
            "import defensie_kg.api as dkg",
            "kg = dkg.open(lang='nl')",
            "rows = kg.query('measures-by-nato-priority-target')",
            "print(len(rows), rows[0]['evidence_label'])",
            "print(kg.describe('measure:4-2-land-tank-battalion')['rdfs:label'][0])",
            "try:",
            "    rows.to_dataframe()",
            "except ImportError as exc:",
            "    print(exc)",
        ]
    )
    out = _run(bin_dir / "python", "-c", code, cwd=where, env=env).splitlines()
    count, evidence = out[0].split(" ", 1)
    assert int(count) >= 10 and evidence == "expliciet"
    assert out[1] == "Aanschaf tanks en oprichting tankbataljon"
    assert "defensie-kg[pandas]" in out[2]
    assert list(where.iterdir()) == []
