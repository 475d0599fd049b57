"""All configuration in one typed object, built once at start-up.

Each setting can come from the environment (``DKG_<NAME>``, upper case) or the
command line, and is documented by its ``help`` text, which the README's
settings table repeats (a test keeps the two in step).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def _setting(default: Any, help: str) -> Any:  # noqa: A002 - mirrors dataclass field
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Paths, IRIs, network and safety limits of one build or server."""

    root: Path = _setting(Path("."), "Project directory holding ontology/, data/ and queries/.")
    base_iri: str = _setting(
        "https://w3id.org/defensienota-2024/", "Base of every IRI in the data (ends with /)."
    )
    public_base: str = _setting(
        "",
        "Public address of this server (e.g. https://kg.example.org/): absolute links in "
        "VoID/DCAT use it, and pasted IRIs under it open their pages (empty: the request's "
        "own address).",
    )
    cache_dir: Path = _setting(
        Path(".cache/defensie-kg"), "Where the built dataset is cached, relative to root."
    )
    host: str = _setting("127.0.0.1", "Address the server listens on.")
    port: int = _setting(8000, "Port the server listens on.")
    query_timeout: float = _setting(10.0, "Seconds a query may run before it is stopped (503).")
    max_rows: int = _setting(
        10000, "Most rows (or triples) a result holds; more are cut and the response says so."
    )
    max_body_bytes: int = _setting(1_000_000, "Largest request body accepted (413 above).")
    query_workers: int = _setting(2, "Worker processes that run queries (each killable).")
    require_valid: bool = _setting(
        True, "Refuse to serve data with SHACL violations (false: serve with a warning)."
    )
    service_allowlist: tuple[str, ...] = _setting(
        (), "Endpoints a SERVICE clause may call, comma-separated; empty: SERVICE is refused."
    )
    rate_limit: int = _setting(0, "Requests per minute per client address; 0: no limit.")
    store_url: str = _setting(
        "", "SPARQL endpoint of a remote store to serve from instead of the embedded one."
    )
    reload: bool = _setting(
        False,
        "Rebuild and swap in the graph when ontology/, data/ or queries/ change while "
        "serving (SIGHUP does the same); a failed rebuild keeps the last good one.",
    )

    @property
    def cache_path(self) -> Path:
        """The cache directory resolved against ``root``."""
        return self.cache_dir if self.cache_dir.is_absolute() else self.root / self.cache_dir

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given settings changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``DKG_*`` variables, then explicit overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"DKG_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _convert(f.default, raw)
        return cls(**values).with_overrides(**overrides)


def describe() -> list[tuple[str, str, str]]:
    """(name, default, help) of every setting, for the README and ``--help``."""
    rows = []
    for f in fields(Settings):
        default = ",".join(f.default) if isinstance(f.default, tuple) else str(f.default)
        rows.append((f.name, default, f.metadata["help"]))
    return rows


def _convert(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(default, Path):
        return Path(raw)
    return type(default)(raw)
