"""The ``nhsgraph`` command line. The only module that imports click or exits.

Exit codes: 0 ok; 1 checks ran and found problems; 2 bad input or usage;
3 internal error. Results go to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from nhsgraph import __version__
from nhsgraph.errors import InputError, NhsGraphError, ParameterError

EXIT_OK, EXIT_FOUND, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

EPILOG = """\b
Exit codes: 0 ok; 1 checks ran and found problems; 2 bad input or usage;
3 internal error.
"""


def _emit(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `nhsgraph ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(EXIT_OK) from None


def _printable(text: str) -> str:
    """A message safe for a terminal: control characters (escape codes from a
    server's reply, say) are shown as \\xNN instead of being acted on."""
    return "".join(ch if ch.isprintable() or ch == "\n" else f"\\x{ord(ch):02x}" for ch in text)


def _note(text: str) -> None:
    click.echo(_printable(text), err=True)


_STARTED = [time.monotonic()]


def _deadline(timeout: float) -> float:
    """The moment ``--timeout`` runs out, counted from the command's start."""
    return _STARTED[0] + timeout


def _left(timeout: float) -> float:
    """The seconds of ``--timeout`` still left (raises once it has run out)."""
    left = _deadline(timeout) - time.monotonic()
    if left <= 0:
        from nhsgraph.errors import QueryError

        raise QueryError(f"the command did not finish within {timeout:g} s and was stopped",
                         hint="narrow the query, or raise --timeout")
    return left


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
        if key.strip() in out:
            raise click.BadParameter(f"{key.strip()!r} is given twice", param_hint="--param")
        out[key.strip()] = value
    return out


format_choice = click.Choice(("table", "csv", "tsv", "json"))


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nhsgraph")
def cli() -> None:
    """A temporal knowledge graph of NHS England's organisational history.

    \b
    Example:
      nhsgraph query organisations-at --param date=2022-07-01 --param type=icb
    """
    _STARTED[0] = time.monotonic()


@cli.command(epilog=EPILOG)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the built graph as Turtle to this file.")
def build(output: Path | None) -> None:
    """Compile the ontology and data into the embedded graph.

    Queries build the graph on first use, so running this is only needed to
    rebuild on purpose or to write the graph out with -o.

    \b
    Example:
      nhsgraph build -o nhsgraph.ttl
    """
    from nhsgraph import export, store

    graph = store.build(force=True)
    if output is not None:
        export.write_atomic(output, export.turtle(store.triples()))
        _note(f"wrote {output}")
    _note(f"built the embedded graph in {graph.folder}")


@cli.command(epilog=EPILOG)
@click.option("--format", "fmt", type=click.Choice(("turtle", "nt", "jsonld")), default="turtle",
              show_default=True, help="The RDF format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (atomically) instead of stdout.")
def export(fmt: str, output: Path | None) -> None:
    """Write the whole embedded graph out.

    \b
    Example:
      nhsgraph export --format nt -o nhsgraph.nt
    """
    from nhsgraph import export as exporter
    from nhsgraph import store

    text = exporter.serialize(store.triples(), fmt)
    if output is None:
        _emit(text)
    else:
        exporter.write_atomic(output, text)
        _note(f"wrote {output}")


@cli.command(epilog=EPILOG)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("text", "turtle", "json")), default="text",
              show_default=True, help="text for people, turtle for the sh:ValidationReport, json for machines.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option("--with-history", is_flag=True,
              help="Validate FILES together with the embedded history, so they can refer to real organisations.")
@click.option("--rules", "rule_sets", multiple=True, type=click.Path(path_type=Path),
              help="An extra shapes file to apply (for example shapes/optional/*.ttl).")
@click.option("--allow-service", is_flag=True,
              help="Allow SERVICE clauses in the SPARQL of --rules shapes (refused by default).")
def validate(files: tuple[Path, ...], fmt: str, strict: bool, with_history: bool,
             rule_sets: tuple[Path, ...], allow_service: bool) -> None:
    """Check the embedded graph, or your own RDF files, against the SHACL shapes.

    With no FILES, validates the embedded history. Files are validated
    together with the ontology.

    \b
    Examples:
      nhsgraph validate
      nhsgraph validate examples/board-compliant.ttl --with-history
    """
    from nhsgraph import validate as validator

    for extra in rule_sets:
        if not extra.is_file():
            raise InputError(f"--rules {extra}: file not found")
    if files:
        report = validator.validate_files(list(files), with_history=with_history, rule_sets=list(rule_sets),
                                          allow_service=allow_service)
    else:
        report = validator.validate_embedded(rule_sets=list(rule_sets), allow_service=allow_service)
    _emit(validator.format_report(report, fmt, strict=strict))
    if not report.conforms(strict=strict):
        raise SystemExit(EXIT_FOUND)


def _run_sparql(text: str, bindings: dict[str, Any], endpoint: str | None, timeout: float,
                allow_update: bool, store: Any = None, graph: str | None = None,
                allow_service: bool = False) -> Any:
    from nhsgraph import engine

    if endpoint:
        return engine.run_remote(endpoint, text, bindings, timeout=timeout, allow_update=allow_update,
                                 allow_service=allow_service, graph=graph)
    if graph:
        raise InputError("--graph applies to --endpoint only: the embedded graph has one graph")
    if allow_update:
        raise InputError("--allow-update needs --endpoint: the embedded graph is read-only")
    from nhsgraph import store as embedded

    return engine.run_oxigraph(store or embedded.open_store(), text, bindings, timeout=timeout,
                               allow_service=allow_service)


def _list_queries() -> None:
    from nhsgraph import queries

    rows = []
    for query in queries.catalogue().values():
        rows.append(f"{query.name}\n    {query.summary}")
        for p in query.params:
            flag = "required" if p.required else "optional"
            rows.append(f"    --param {p.name}=<{p.type}>  ({flag}) {p.description}")
        rows.append(f"    columns: {', '.join(query.columns)}")
    _emit("\n".join(rows) + "\n")


endpoint_option = click.option(
    "--endpoint", metavar="URL",
    help="Run on this SPARQL 1.1 endpoint instead of the embedded graph. Credentials come from "
    "NHSGRAPH_ENDPOINT_USER and NHSGRAPH_ENDPOINT_PASSWORD.",
)
graph_option = click.option(
    "--graph", "graph", metavar="IRI",
    help="With --endpoint: query only this named graph (sent as default-graph-uri), e.g. the "
    "graph `nhsgraph push` loaded.")
allow_service_option = click.option(
    "--allow-service", is_flag=True,
    help="Allow SPARQL SERVICE clauses, which make the engine fetch from other servers (refused by default).")
timeout_option = click.option("--timeout", type=click.FloatRange(0.1, 3600), default=30.0,
                              show_default=True,
                              help="Seconds a query may run (locally or on an endpoint) before it is stopped.")


@cli.command(epilog=EPILOG)
@click.argument("name", required=False)
@click.option("--param", "-p", "param", multiple=True, metavar="KEY=VALUE", help="A query parameter (repeatable).")
@click.option("--format", "fmt", type=format_choice, default="table", show_default=True,
              help="table for people; csv, tsv and json (SPARQL 1.1 results) for machines.")
@click.option("--list", "list_", is_flag=True, help="List the canned queries with their parameters.")
@endpoint_option
@graph_option
@timeout_option
@allow_service_option
def query(name: str | None, param: tuple[str, ...], fmt: str, list_: bool, endpoint: str | None,
          graph: str | None, timeout: float, allow_service: bool) -> None:
    """Run a canned query by NAME.

    \b
    Examples:
      nhsgraph query --list
      nhsgraph query organisations-at --param date=2022-07-01 --param type=icb
    """
    from nhsgraph import queries, results

    if list_:
        _list_queries()
        return
    if not name:
        raise click.UsageError("give a query NAME, or --list to see them")
    canned = queries.get(name)
    from nhsgraph import store as embedded

    # The embedded graph checks parameters (codes, areas) even for a remote run.
    store = embedded.open_store()
    bindings = queries.bind(canned, _params(param), store)
    result = _run_sparql(canned.text, bindings, endpoint, timeout, False, store, graph, allow_service)
    _emit(results.format_result(result, fmt))
    from nhsgraph import register

    for line in register.notes(store, canned, bindings):
        _note(f"note: {line}")


@cli.command(epilog=EPILOG)
@click.argument("query_file", metavar="QUERY_FILE|-")
@click.option("--format", "fmt", type=format_choice, default="table", show_default=True,
              help="table for people; csv, tsv and json (SPARQL 1.1 results) for machines.")
@click.option("--allow-update", is_flag=True, help="Allow a SPARQL Update (refused by default).")
@endpoint_option
@graph_option
@timeout_option
@allow_service_option
def sparql(query_file: str, fmt: str, allow_update: bool, endpoint: str | None, graph: str | None,
           timeout: float, allow_service: bool) -> None:
    """Run your own SPARQL SELECT query from a file, or from stdin with -.

    \b
    Example:
      echo 'SELECT (COUNT(*) AS ?n) { ?s ?p ?o }' | nhsgraph sparql -
    """
    from nhsgraph import results

    if query_file == "-":
        text = sys.stdin.read()
        where = "stdin"
    else:
        path = Path(query_file)
        if not path.is_file():
            raise InputError(f"{query_file}: " + ("is a directory" if path.is_dir() else "file not found"))
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{query_file}: not UTF-8 text", hint="save the query as UTF-8") from None
        where = query_file
    if not text.strip():
        raise InputError(f"{where}: the query is empty")
    from nhsgraph import sparql as reader
    from nhsgraph.errors import QueryError

    # The parse decides (read-only, SERVICE, syntax with line and column) before anything runs.
    reader.check(text, where=where, allow_update=allow_update, allow_service=allow_service,
                 deadline=_deadline(timeout))
    try:
        result = _run_sparql(text, {}, endpoint, _left(timeout), allow_update, graph=graph,
                             allow_service=allow_service)
    except QueryError as exc:
        raise QueryError(f"{where}: {exc.message}", hint=exc.hint) from None
    _emit(results.format_result(result, fmt))


@cli.command(epilog=EPILOG)
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "tsv", "json", "dot", "mermaid")),
              default="table", show_default=True,
              help="table/csv/tsv/json rows, or a diagram: dot (Graphviz) or mermaid.")
def lineage(code: str, fmt: str) -> None:
    """Trace every predecessor and successor of the organisations known by CODE.

    \b
    Examples:
      nhsgraph lineage 42D
      nhsgraph lineage 42D --format dot | dot -Tsvg > 42D.svg
    """
    from nhsgraph import history, results
    from nhsgraph import store as embedded

    result = history.lineage(embedded.open_store(), code)
    if fmt == "dot":
        _emit(history.lineage_dot(result))
    elif fmt == "mermaid":
        _emit(history.lineage_mermaid(result))
    else:
        _emit(results.format_result(result, fmt))


@cli.command(epilog=EPILOG)
@click.option("--from-type", required=True, help="The kind to map from, e.g. ccg.")
@click.option("--from-date", required=True, help="The day the 'from' organisations existed, YYYY-MM-DD.")
@click.option("--to-type", required=True, help="The kind to map to, e.g. icb.")
@click.option("--to-date", required=True, help="The day the 'to' organisations existed, YYYY-MM-DD.")
@click.option("--format", "fmt", type=format_choice, default="csv", show_default=True,
              help="csv (default, for analysts), tsv, json or table.")
def crosswalk(from_type: str, from_date: str, to_type: str, to_date: str, fmt: str) -> None:
    """Map every organisation of one kind on one date to the organisations of another kind on another date.

    Each row gives the share of the 'from' organisation's LSOAs (share) and of
    its mid-2020 population (population_share) that lay in the 'to'
    organisation, and how exact that is (method). Kinds: ccg, stp, sub-icb,
    icb, region. A part whose 'to' organisation is not known has a row with
    no 'to' code; the notes on stderr say what is derived or unknown.

    \b
    Example:
      nhsgraph crosswalk --from-type ccg --from-date 2021-04-01 --to-type icb --to-date 2022-07-01
    """
    from nhsgraph import history, results
    from nhsgraph import store as embedded
    from nhsgraph.results import Cell, Result

    store = embedded.open_store()
    try:
        rows = history.crosswalk(store, from_type, from_date, to_type, to_date)
    except ParameterError as exc:  # the library names parameters; the user typed flags
        message, hint = exc.message, exc.hint
        for name in ("from_type", "from_date", "to_type", "to_date"):
            message = message.replace(f"parameter {name}", "--" + name.replace("_", "-"))
        raise ParameterError(message, hint=hint) from None
    table = Result(history.CrosswalkRow.COLUMNS, tuple(
        tuple(Cell("literal", getattr(r, c)) if getattr(r, c) != "" else None for c in history.CrosswalkRow.COLUMNS)
        for r in rows))
    _emit(results.format_result(table, fmt))
    from nhsgraph import queries, register

    canned = queries.get("cells-at")
    seen: list[str] = []
    for kind, day in ((from_type, from_date), (to_type, to_date)):
        bound = queries.bind(canned, {"type": kind, "date": day})
        seen += [line for line in register.notes(store, canned, bound) if line not in seen]
    for line in seen:
        _note(f"note: {line}")


@cli.command(epilog=EPILOG)
@click.argument("first", metavar="D1")
@click.argument("second", metavar="D2")
def diff(first: str, second: str) -> None:
    """Say in plain words what was established, ended, merged, renamed or moved between D1 and D2.

    \b
    Example:
      nhsgraph diff 2022-06-30 2022-07-01
    """
    from nhsgraph import history
    from nhsgraph import store as embedded

    lines = history.diff(embedded.open_store(), first, second)
    _emit("\n".join(lines) + ("\n" if lines else "no changes\n"))


@cli.command(epilog=EPILOG)
@click.option("--endpoint", required=True, metavar="URL",
              help="The SPARQL 1.1 Graph Store Protocol endpoint, e.g. http://127.0.0.1:7878/store")
@click.option("--graph", "graph_iri", default="https://w3id.org/nhsgraph/graph", show_default=True,
              help="The named graph to replace.")
@timeout_option
def push(endpoint: str, graph_iri: str, timeout: float) -> None:
    """Load the embedded graph into a triple store, replacing one named graph.

    Uses the SPARQL 1.1 Graph Store Protocol: the graph is first PUT into a
    fresh staging graph, so a body, password or path the store refuses fails
    before the real graph is touched, then PUT over the named graph, and the
    staging graph is deleted. Credentials come from NHSGRAPH_ENDPOINT_USER and
    NHSGRAPH_ENDPOINT_PASSWORD.

    \b
    Example:
      nhsgraph push --endpoint http://127.0.0.1:7878/store
    """
    from nhsgraph import remote
    from nhsgraph import store as embedded

    count = remote.push(embedded.build().ntriples, endpoint, graph_iri, timeout=timeout)
    _note(f"pushed {count} triples to <{graph_iri}> at {endpoint}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every failure into a message and an exit code."""
    code = run(argv)
    raise SystemExit(code)


def run(argv: list[str] | None = None, runner: Callable[..., Any] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="nhsgraph", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        _emit(exc.ctx.get_help() + "\n" if exc.ctx else "")
        return EXIT_INPUT
    except click.UsageError as exc:
        if exc.ctx is not None:
            _note(exc.ctx.get_usage())
        _note(f"error: {exc.format_message()}")
        return EXIT_INPUT
    except click.ClickException as exc:
        _note(f"error: {exc.format_message()}")
        return EXIT_INPUT
    except click.exceptions.Abort:
        _note("aborted")
        return 130
    except NhsGraphError as exc:
        _note(f"error: {exc}")
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        _note("interrupted")
        return 130
    except Exception as exc:  # the last line of defence: no traceback for users
        if os.environ.get("NHSGRAPH_DEBUG"):
            raise
        _note(f"internal error: {type(exc).__name__}: {exc}\n"
              "  this is a bug in nhsgraph; rerun with NHSGRAPH_DEBUG=1 for the traceback and report it")
        return EXIT_INTERNAL
    return EXIT_OK
