"""Third-party browser assets (YASGUI): fetched at setup, never committed.

``python -m defensie_kg.web.assets fetch`` downloads the pinned tarball with the Python
standard library, over HTTPS, from the package registry ``assets.lock.json`` names (its
version document gives the tarball's address), checks the tarball's sha512 against the
``integrity`` pinned in the lock (the registry's ``dist.integrity`` of that version), and
copies only the built files the lock names into ``<sys.prefix>/share/defensie-kg/assets/
<name>/``. npm is not needed; when it is installed it is tried (``npm pack``) only if the
direct download fails. It is idempotent: files already there with the pinned version and
integrity are left alone.

Offline (the registry cannot be reached), the command says so, notes why in
``<name>.unavailable`` and exits 0: setup succeeds, and ``/query`` serves a plain editor
that gives the reason. A tarball whose digest does not match is always an error (exit 1).

The web app asks :func:`asset_dir` where the files are (``None`` when they
have not been fetched) and serves them itself: pages load no script from
anywhere else.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

LOCK = Path(__file__).with_name("assets.lock.json")
MARKER = ".installed.json"


@dataclass(frozen=True)
class Asset:
    """One pinned npm package and the files taken from its tarball."""

    name: str
    package: str
    version: str
    integrity: str
    files: dict[str, str]  # path inside the tarball -> file name in the asset dir
    registry: str = "https://registry.npmjs.org/"

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def document(self) -> str:
        """The registry's document of this version (it names the tarball and its digest)."""
        name = urllib.parse.quote(self.package, safe="@")  # @scope/name -> @scope%2Fname
        return f"{self.registry.rstrip('/')}/{name}/{urllib.parse.quote(self.version)}"


def load_lock(path: Path = LOCK) -> dict[str, Asset]:
    """The assets pinned in ``assets.lock.json``, by name."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: Asset(
            name,
            entry["package"],
            entry["version"],
            entry["integrity"],
            dict(entry["files"]),
            entry.get("registry", "https://registry.npmjs.org/"),
        )
        for name, entry in data.items()
    }


def assets_root() -> Path:
    """Where fetched assets live: inside the environment (the venv), never in the repo."""
    return Path(sys.prefix) / "share" / "defensie-kg" / "assets"


def asset_dir(name: str = "yasgui") -> Path | None:
    """The directory holding the fetched files of asset ``name``, or None if not fetched
    (or fetched for another pinned version)."""
    asset = load_lock().get(name)
    if asset is None:
        return None
    target = assets_root() / name
    return target if _is_current(asset, target) else None


def integrity_of(path: Path) -> str:
    """The Subresource-Integrity style ``sha512-<base64>`` digest of a file."""
    digest = hashlib.sha512()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


class AssetError(Exception):
    """Fetching failed: integrity mismatch, a bad lock, a file missing from the tarball."""


class Unreachable(AssetError):
    """The registry could not be reached (offline, DNS, proxy, timeout): setup goes on."""


MAX_TARBALL = 64 << 20  # bytes; YASGUI's is about 3 MB
TIMEOUT = 60.0


def fetch(asset: Asset, root: Path | None = None, force: bool = False) -> tuple[Path, bool]:
    """Fetch ``asset`` into ``root/<name>``; returns (directory, whether anything changed)."""
    base = root or assets_root()
    target = base / asset.name
    if not force and _is_current(asset, target):
        return target, False
    with tempfile.TemporaryDirectory(prefix="dkg-assets-") as tmp:
        work = Path(tmp)
        try:
            tarball = download(asset, work)
        except Unreachable as direct:
            npm = shutil.which("npm")
            if npm is None:
                raise
            try:
                tarball = _npm_pack(npm, asset, work)
            except AssetError:
                raise direct from None
        found = integrity_of(tarball)
        if found != asset.integrity:
            raise AssetError(
                f"{asset.spec}: the tarball's digest {found} does not match the pinned "
                f"integrity {asset.integrity} in {LOCK.name}; refusing to install it."
            )
        staging = work / "staging"
        staging.mkdir()
        _extract(tarball, asset, staging)
        _write_marker(asset, staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        shutil.move(str(staging), str(target))
        shutil.rmtree(old, ignore_errors=True)
    unavailable_file(asset.name, base).unlink(missing_ok=True)
    return target, True


def download(asset: Asset, work: Path) -> Path:
    """The tarball of ``asset``, downloaded over HTTPS from the registry the lock names."""
    document = json.loads(_get(asset.document, 1 << 20))
    try:
        address = str(document["dist"]["tarball"])
        published = str(document["dist"].get("integrity", ""))
    except (KeyError, TypeError, AttributeError):
        raise AssetError(f"{asset.document}: the registry's document names no tarball") from None
    if published and published != asset.integrity:
        raise AssetError(
            f"{asset.spec}: the registry publishes integrity {published}, not the pinned "
            f"{asset.integrity} in {LOCK.name}; refusing to install it."
        )
    tarball = work / "package.tgz"
    tarball.write_bytes(_get(address, MAX_TARBALL))
    return tarball


def _get(address: str, limit: int) -> bytes:
    """``address``'s body, HTTPS only (redirects too), at most ``limit`` bytes."""
    if urllib.parse.urlsplit(address).scheme != "https":
        raise AssetError(f"{address}: only HTTPS addresses are fetched")
    request = urllib.request.Request(  # noqa: S310 - HTTPS checked above
        address, headers={"Accept": "application/json, */*"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            if urllib.parse.urlsplit(response.geturl()).scheme != "https":
                raise AssetError(f"{address}: redirected away from HTTPS")
            body: bytes = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise AssetError(f"{address}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise Unreachable(f"the package registry could not be reached ({reason})") from None
    if len(body) > limit:
        raise AssetError(f"{address}: larger than {limit} bytes")
    return body


def unavailable_file(name: str, root: Path | None = None) -> Path:
    """Where the reason an asset could not be fetched is noted."""
    return (root or assets_root()) / f"{name}.unavailable"


def unavailable_reason(name: str = "yasgui") -> str | None:
    """Why the last fetch of ``name`` could not reach the registry, if it could not."""
    try:
        return unavailable_file(name).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _npm_pack(npm: str, asset: Asset, work: Path) -> Path:
    command = [
        npm,
        "pack",
        asset.spec,
        "--json",
        "--ignore-scripts",
        "--pack-destination",
        str(work),
    ]
    try:
        done = subprocess.run(  # noqa: S603 - npm from PATH, arguments from the lock
            command,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AssetError(f"`npm pack {asset.spec}` did not finish within 10 minutes") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-2000:]
        raise AssetError(f"`npm pack {asset.spec}` failed (exit {done.returncode}):\n{tail}")
    try:
        report = json.loads(done.stdout)
        filename = report[0]["filename"]
    except (ValueError, LookupError, TypeError):
        tarballs = sorted(work.glob("*.tgz"))
        if len(tarballs) != 1:
            raise AssetError(f"`npm pack {asset.spec}` produced no tarball") from None
        return tarballs[0]
    tarball = work / Path(filename).name
    if not tarball.is_file():
        raise AssetError(f"`npm pack {asset.spec}` reported {filename!r} but wrote no such file")
    return tarball


def _extract(tarball: Path, asset: Asset, staging: Path) -> None:
    """Copy only the files the lock names; destination names come from the lock, never from
    the archive, so nothing in it can write outside ``staging``."""
    with tarfile.open(tarball, "r:gz") as archive:
        for member_name, out_name in asset.files.items():
            if Path(out_name).name != out_name or out_name.startswith("."):
                raise AssetError(f"{LOCK.name}: bad file name {out_name!r}")
            try:
                member = archive.getmember(member_name)
            except KeyError:
                raise AssetError(f"{asset.spec}: the tarball has no {member_name}") from None
            stream = archive.extractfile(member) if member.isfile() else None
            if stream is None:
                raise AssetError(f"{asset.spec}: {member_name} is not a regular file")
            with stream, (staging / out_name).open("wb") as out:
                shutil.copyfileobj(stream, out)


def _write_marker(asset: Asset, directory: Path) -> None:
    marker = {
        "package": asset.package,
        "version": asset.version,
        "integrity": asset.integrity,
        "files": sorted(asset.files.values()),
    }
    (directory / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _is_current(asset: Asset, target: Path) -> bool:
    try:
        marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("version") == asset.version
        and marker.get("integrity") == asset.integrity
        and all((target / name).is_file() for name in asset.files.values())
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m defensie_kg.web.assets",
        description="Fetch the pinned third-party browser assets (YASGUI) into the venv.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fetch_cmd = sub.add_parser("fetch", help="fetch (or check) every pinned asset")
    fetch_cmd.add_argument("--force", action="store_true", help="fetch even if present")
    sub.add_parser("status", help="print where each asset is, or that it is missing")
    args = parser.parse_args(argv)

    assets = load_lock()
    if args.command == "status":
        missing = 0
        for name in assets:
            where = asset_dir(name)
            print(f"{name}: {where if where else 'not fetched'}")
            missing += where is None
        return 1 if missing else 0
    for asset in assets.values():
        try:
            where, changed = fetch(asset, force=args.force)
        except Unreachable as exc:  # offline: setup succeeds, /query serves the plain editor
            note = unavailable_file(asset.name)
            note.parent.mkdir(parents=True, exist_ok=True)
            note.write_text(f"{exc}\n", encoding="utf-8")
            print(
                f"warning: {asset.spec} not fetched: {exc}. /query serves a plain editor "
                "until `python -m defensie_kg.web.assets fetch` succeeds.",
                file=sys.stderr,
            )
            continue
        except AssetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        state = "fetched and verified" if changed else "already present"
        print(f"{asset.spec}: {state} in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
