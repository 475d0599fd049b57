"""The ``defensie-kg`` command: validate, build, query, queries, serve, load, export.

Exit codes (documented in the README): 0 success; 1 the data has SHACL
violations; 2 unusable input (a Turtle syntax error, a missing file, an
inconsistency, a bad query or parameter, a bad setting, an unreachable store); 3 the server
cannot listen (the port is in use, or the address is not this machine's). Errors print one
line, never a traceback.
"""

from __future__ import annotations

import errno
import gc
import json
import socket
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from defensie_kg import __version__, terminal
from defensie_kg.build import reporting
from defensie_kg.build.pipeline import Build, build
from defensie_kg.errors import KGError, NotValid
from defensie_kg.query import named_queries
from defensie_kg.query.store import KnowledgeGraph
from defensie_kg.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
EXIT_OK, EXIT_INVALID, EXIT_UNUSABLE, EXIT_CANNOT_LISTEN = 0, 1, 2, 3


class CannotListen(KGError):
    """``serve`` cannot bind its address: the port is in use, or the host is not ours."""


def _errors_to_exit_codes(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NotValid as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INVALID)
        except CannotListen as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_CANNOT_LISTEN)
        except KGError as exc:
            click.echo(f"{exc}" if "\n" not in str(exc) else f"error: {exc}", err=True)
            sys.exit(EXIT_UNUSABLE)
        except ValueError as exc:  # a malformed query header, a bad setting value
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_UNUSABLE)

    return wrapper  # type: ignore[return-value]


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_object(Settings) or Settings.from_env()


def _progress(quiet: bool) -> Callable[[str], None] | None:
    """Progress on stderr while stdout is a terminal; nothing in a pipe or a file unless
    asked for with ``-v`` (before or after the command); never with ``--quiet``."""
    context = click.get_current_context(silent=True)
    verbose = bool(context and context.find_root().meta.get("verbose"))
    display = terminal.Progress(enabled=True if verbose else None)
    return display if display.enabled and not quiet else None


def _verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.find_root().meta["verbose"] = True
    return value


_VERBOSE = click.option(
    "--verbose",
    "-v",
    is_flag=True,
    expose_value=False,
    callback=_verbose,
    help="Print progress (on stderr) even when the output is not a terminal.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="defensie-kg")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Project directory with ontology/, data/, queries/ (default: the current one if it "
    "has them, else the graph installed with the package).",
)
@_VERBOSE
@click.pass_context
@_errors_to_exit_codes
def cli(ctx: click.Context, root: Path | None) -> None:
    """The Defensienota 2024 knowledge graph: build, validate, query and serve it."""
    ctx.obj = Settings.from_env(root=root)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "turtle"]),
    default="text",
    help="Report format: text for people, json or turtle for machines.",
)
@click.option("--no-cache", is_flag=True, help="Rebuild even if the inputs did not change.")
@click.option("--violations-only", is_flag=True, help="Leave warnings out of the text report.")
@_VERBOSE
@click.pass_context
@_errors_to_exit_codes
def validate(ctx: click.Context, fmt: str, no_cache: bool, violations_only: bool) -> None:
    """Check the data against the SHACL shapes (after OWL RL reasoning).

    Exit 0 when there is no violation, 1 when there are violations, 2 when the
    input is unusable (e.g. a Turtle syntax error, reported as file:line:col).
    Warnings do not block, though the report's sh:conforms is false whenever
    there is any result, as SHACL defines it.
    """
    result = build(_settings(ctx), _progress(fmt != "text"), use_cache=not no_cache)
    render = {"json": reporting.to_json, "turtle": reporting.to_turtle}.get(fmt)
    if render:
        click.echo(render(result.report))
    else:
        click.echo(reporting.to_text(result.report, include_warnings=not violations_only), nl=False)
    sys.exit(EXIT_INVALID if result.report.blocked else EXIT_OK)


@cli.command("build")
@click.option("--no-cache", is_flag=True, help="Rebuild even if the inputs did not change.")
@click.option("--quiet", "-q", is_flag=True, help="Print no progress.")
@_VERBOSE
@click.pass_context
@_errors_to_exit_codes
def build_command(ctx: click.Context, no_cache: bool, quiet: bool) -> None:
    """Parse, reason and validate; cache the dataset for `serve` and `query`."""
    # The build's tuples and strings hold no reference cycles, yet the cyclic collector walks
    # them again and again as they grow: paused, a cold nota build took 1.42-1.66 s against
    # 1.68-1.81 s (5 interleaved runs each, same peak RSS; no difference at 582k quads, 46 s
    # either way). Paused for the build only, and resumed after, for callers in-process.
    paused = gc.isenabled()
    gc.disable()
    try:
        result = build(_settings(ctx), _progress(quiet), use_cache=not no_cache)
    finally:
        if paused:
            gc.enable()
    click.echo(f"{result.dataset} ({'cached' if result.from_cache else 'built'})")
    sizes = cast("dict[str, int]", result.meta.get("graphs", {}))
    for graph, size in sorted(sizes.items()):
        click.echo(f"  {size:7d}  {graph}")
    click.echo(reporting.summary(result.report))
    sys.exit(EXIT_INVALID if result.report.blocked else EXIT_OK)


@cli.command()
@click.argument("query")
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A named-query parameter (repeatable).",
)
@click.option(
    "--format",
    "fmt",
    default="table",
    help="table, csv, tsv, json, xml (SELECT/ASK); turtle, ntriples, jsonld, rdfxml "
    "(CONSTRUCT/DESCRIBE).",
)
@click.option("--no-infer", is_flag=True, help="Query asserted triples only, without inferences.")
@click.option(
    "--lang", default="en", show_default=True, help="Language of the labels in the table."
)
@_VERBOSE
@click.pass_context
@_errors_to_exit_codes
def query(
    ctx: click.Context, query: str, params: tuple[str, ...], fmt: str, no_infer: bool, lang: str
) -> None:
    """Run QUERY: a named query (see `queries`), a path to a .rq file, SPARQL text, or - (stdin).

    The documented prefixes (dn:, measure:, country:, … see the README) are predeclared: a
    query needs no PREFIX lines for them. An undeclared prefix is an error (exit 2).

    The table shows IRIs as prefixed names with their labels, fitted to the terminal; use
    --format csv (or another machine format) for full IRIs.
    """
    settings = _settings(ctx)
    values = dict(_split_param(p) for p in params)
    wire = "json" if fmt == "table" else fmt
    options = {"format": wire, "infer": not no_infer, "max_rows": sys.maxsize}
    path = Path(query)
    if path.suffix == ".rq" and path.is_file():
        request = named_queries.request(named_queries.parse(path), values, **options)
    elif query == "-" or _looks_like_sparql(query):
        text = sys.stdin.read() if query == "-" else query
        adhoc = named_queries.NamedQuery("adhoc", text)
        request = named_queries.request(adhoc, values, **options)
    else:
        catalogue = named_queries.load_all(settings.root / "queries")
        request = named_queries.request(named_queries.find(catalogue, query), values, **options)
    graph = _graph(settings)
    result = graph.execute(request)
    if fmt == "table":
        doc = json.loads(result.body)
        names = graph.labels(terminal.iris_of(doc))
        labels = {iri: terminal.pick_label(found, lang) for iri, found in names.items()}
        click.echo(terminal.table(doc, labels))
    else:
        sys.stdout.buffer.write(result.body)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
@click.pass_context
@_errors_to_exit_codes
def queries(ctx: click.Context, as_json: bool) -> None:
    """List the named queries with their parameters."""
    catalogue = named_queries.load_all(_settings(ctx).root / "queries")
    if as_json:
        click.echo(
            json.dumps([q.to_dict() for q in catalogue.values()], indent=2, ensure_ascii=False)
        )
        return
    for q in catalogue.values():
        params = " ".join(f"{p.name}:{p.type}" for p in q.parameters)
        click.echo(f"{q.name:45s} {q.title.get('en', '')} {params}".rstrip())


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default 8000).")
@click.option(
    "--store",
    "store_url",
    default=None,
    help="Serve from this remote SPARQL endpoint instead of the embedded store.",
)
@click.option(
    "--reload",
    "reload",
    is_flag=True,
    default=None,
    help="Rebuild and swap in the graph when ontology/, data/ or queries/ change "
    "(SIGHUP does the same); a failed rebuild keeps the last good one.",
)
@click.pass_context
@_errors_to_exit_codes
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    store_url: str | None,
    reload: bool | None,
) -> None:
    """Build (or load the cached build) and serve the SPARQL endpoint and pages."""
    settings = _settings(ctx).with_overrides(
        host=host, port=port, store_url=store_url, reload=reload or None
    )
    listening = _listen(settings.host, settings.port)  # in use: say so before the build
    built = _checked_build(settings)  # fail here, with an exit code, rather than inside uvicorn
    # Start the query workers first, while this process imports the web stack: they are
    # what the first query waits for. The server listens before they are up.
    from defensie_kg.query.pool import QueryPool

    pool = None
    if not settings.store_url:
        pool = QueryPool(built.dataset, settings.query_workers, settings.query_timeout, wait=False)

    # uvicorn, not granian, by measurement (2026-12-03, wrk 16 connections, same app): granian
    # answered cache hits faster (10.7k against 8.3k req/s, both far past the 1.5x target)
    # but uncached queries at the same rate (within 5 %: the time is in the query workers),
    # and it binds its own socket and handles signals itself (the port check before the build,
    # SIGHUP reload and drain would have to be redone for it).
    import uvicorn

    from defensie_kg.web import middleware, reloading
    from defensie_kg.web.app import create_app, start_state

    click.echo(f"Serving on http://{settings.host}:{settings.port}/ (Ctrl+C to stop)", err=True)
    if pool is None:
        app = create_app(settings)
    else:
        started = pool
        app = create_app(settings, start=lambda s: start_state(s, built, started))
    reloading.install_signal_handlers(app)  # SIGHUP: reload; SIGTERM: drain, then exit 0
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=10,
        access_log=False,  # ours logs no query text
        log_config=middleware.log_config(),
    )
    server = uvicorn.Server(config)
    server.run(sockets=[listening])  # the socket bound above: no race for the port
    if not server.started:
        sys.exit(EXIT_CANNOT_LISTEN)


@cli.command()
@click.option(
    "--store",
    "store_url",
    default=None,
    help="SPARQL query endpoint of the store to fill (default: the store_url setting).",
)
@click.option(
    "--gsp",
    "gsp_url",
    default=None,
    help="Its Graph Store Protocol endpoint, if not the query URL (Oxigraph: /store).",
)
@click.pass_context
@_errors_to_exit_codes
def load(ctx: click.Context, store_url: str | None, gsp_url: str | None) -> None:
    """Put the built dataset into a remote SPARQL store, one named graph at a time."""
    from defensie_kg.query.remote import RemoteStore

    settings = _settings(ctx).with_overrides(store_url=store_url)
    if not settings.store_url:
        raise click.UsageError("give the store's SPARQL endpoint with --store URL")
    store = RemoteStore.from_settings(settings, gsp_url=gsp_url)
    try:
        store.ping()  # unreachable: say so now, not after the build
        result = _checked_build(settings)
        progress = terminal.Progress()
        sizes = store.load(result.dataset, step=progress.step)
        progress.done()
    finally:
        store.close()
    click.echo(f"{result.dataset} -> {store.public_url}")
    for graph, size in sorted(sizes.items()):
        click.echo(f"  {size:7d}  {graph}")


@cli.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Directory to write the dumps to.",
)
@click.option("--no-gzip", is_flag=True, help="Do not write .gz copies.")
@click.pass_context
@_errors_to_exit_codes
def export(ctx: click.Context, output: Path, no_gzip: bool) -> None:
    """Write the dataset in every RDF format, asserted-only and with inferences.

    The file names carry the version; SHA256SUMS lists a checksum of each file.
    """
    from defensie_kg.query.export import write_all

    graph = _graph(_settings(ctx))
    progress = terminal.Progress()
    written = write_all(graph, output, gzipped=not no_gzip, step=progress.step)
    progress.done()
    for path in written:
        click.echo(f"{path.stat().st_size:10d}  {path}")


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (as uvicorn binds it), or :class:`CannotListen`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CannotListen(
                f"port {port} on {host} is already in use; stop the other server or choose "
                "another port (--port or DKG_PORT)"
            ) from None
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _checked_build(settings: Settings) -> Build:
    result = build(settings, _progress(False))
    if result.report.blocked and settings.require_valid:
        click.echo(reporting.to_text(result.report, include_warnings=False), err=True)
        raise NotValid(
            "the data does not conform; fix the violations above "
            "(or set DKG_REQUIRE_VALID=false to serve anyway)"
        )
    return result


def _graph(settings: Settings) -> KnowledgeGraph:
    return KnowledgeGraph.from_nquads(_checked_build(settings).dataset)


def _looks_like_sparql(text: str) -> bool:
    return any(c.isspace() for c in text) or "{" in text


def _split_param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"expected NAME=VALUE, got {text!r}", param_hint="--param")
    return name.strip(), value


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="defensie-kg")
