"""Bad input: every command, every kind of broken input; exit 2 and a message that says where.

Each case runs one ``nhsgraph`` command in-process, through ``cli.run`` (the
real error handling), and asserts:

- exit code 2 (bad input or usage);
- stderr names the file, with its line where the input has lines, or the
  parameter or option at fault (each case lists what it must name);
- no ``Traceback`` in stdout or stderr, nothing on stdout, and a message of
  at most 10,000 characters (a 5 MB input must not come back as a 5 MB error).

The inputs are the hand-written files in ``tests/corpus/`` (see its README)
and files generated at run time (empty, binary, a 5 MB line, Latin-1, a
directory, a missing path). Broken *data* files are written into a mirror of
the resource folders (``data/``, ``ontology/``, ``shapes/``, ``queries/``),
never into the real ones, and are run with a private graph cache.

The cases are data-driven: over every CLI command (a test fails if a command
has no case), and over ``queries.catalogue()`` for the parameter cases (dates,
types, codes, areas, and every declared ``from``/``to`` range).

Known failures are declared per case (``known=``, run as
``xfail(strict=True)``); ``docs/reliability.md`` lists them with the fixes.
The last test runs every case and counts the tracebacks in all of stderr: 0.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import random
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nhsgraph import queries, resources
from nhsgraph.cli import cli

CORPUS = Path(__file__).parent / "corpus"
REAL_ROOT = resources.root()
MAX_MESSAGE = 10_000
HUGE = 5 * 1024 * 1024
#: The minimum number of cases; a filter or a broken generator must not shrink the suite.
MIN_CASES = 100


# -- the inputs -------------------------------------------------------------------------------

MISSING = "<missing>"
DIRECTORY = "<directory>"
Edit = bytes | str | Callable[[bytes], bytes]


@dataclass(frozen=True)
class Mirror:
    """Broken resource files: ``path`` (or ``source:<id>`` for a registered raw file) -> edit.

    An edit is new bytes, :data:`MISSING`, :data:`DIRECTORY`, or a function of the
    real bytes. With ``rehash``, the sha256 of every edited data file is updated in
    ``data/sources/files.csv``, so the build reads the broken content instead of
    refusing it for its checksum.
    """

    edits: tuple[tuple[str, Edit], ...]
    rehash: bool = False


@dataclass(frozen=True)
class Case:
    id: str
    command: str
    args: tuple[str, ...]
    #: Regular expressions stderr must match; ``{name}`` is an input's path (escaped).
    expect: tuple[str, ...]
    stdin: str = ""
    mirror: Mirror | None = None
    #: A known failure: why, and the proposed fix (run as xfail, strict).
    known: str | None = None


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@dataclass
class Inputs:
    """The generated bad files, by name, in one temporary folder per test session."""

    folder: Path
    paths: dict[str, Path] = field(default_factory=dict)

    def sub(self, text: str, *, escape: bool = False) -> str:
        def one(match: re.Match[str]) -> str:
            path = str(self.paths[match[1]])
            return re.escape(path) if escape else path

        return re.sub(r"\{([\w.-]+)\}", one, text)


def make_inputs(folder: Path) -> Inputs:
    inputs = Inputs(folder)
    for path in sorted(CORPUS.iterdir()):
        if path.name != "README.md":
            inputs.paths[path.name] = path
    binary = random.Random(7).randbytes(3000) + b"\x00" * 16 + b"\xff\xfe"
    generated = {
        "ok.ttl": b'@prefix ex: <http://example.org/> .\nex:a ex:name "ok" .\n',
        "empty.ttl": b"",
        "empty.jsonld": b"",
        "empty.rq": b"",
        "binary.ttl": binary,
        "binary.rq": binary,
        "huge.ttl": b'<http://example.org/a> <http://example.org/name> "' + b"x" * HUGE + b"\n",
        "huge.rq": b"SELECT ?x WHERE { ?x ?y " + b"z" * HUGE + b"\n",
        "latin1.ttl": '@prefix ex: <http://example.org/> .\nex:a ex:name "Caf\xe9 \xa3" .\n'.encode("latin-1"),
        "latin1.rq": 'SELECT ?org WHERE { ?org ?p "Caf\xe9" }\n'.encode("latin-1"),
    }
    for name, data in generated.items():
        (folder / name).write_bytes(data)
        inputs.paths[name] = folder / name
    (folder / "a-directory.ttl").mkdir()
    inputs.paths["dir"] = folder / "a-directory.ttl"
    inputs.paths["missing.ttl"] = folder / "does-not-exist.ttl"
    inputs.paths["missing.rq"] = folder / "does-not-exist.rq"
    inputs.paths["missing-dir"] = folder / "no-such-folder"
    inputs.paths["under-a-file"] = folder / "ok.ttl" / "graph.nt"
    return inputs


@pytest.fixture(scope="session")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    return make_inputs(tmp_path_factory.mktemp("bad-input"))


# -- mirrors of the resource folders ----------------------------------------------------------

def _source_file(source_id: str) -> str:
    """``data/<file>`` of a registered source, from the real ``data/sources/files.csv``."""
    with (REAL_ROOT / "data" / "sources" / "files.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["id"] == source_id:
                return "data/" + row["file"]
    raise LookupError(f"source {source_id} is not registered")


def _resolve(rel: str) -> str:
    return _source_file(rel.removeprefix("source:")) if rel.startswith("source:") else rel


def make_mirror(mirror: Mirror, dest: Path) -> Path:
    edits = {_resolve(rel): edit for rel, edit in mirror.edits}
    dest.mkdir(parents=True)
    for top in ("ontology", "data", "queries", "shapes"):
        real = REAL_ROOT / top
        if not any(rel.split("/")[0] == top for rel in edits) and not (mirror.rehash and top == "data"):
            (dest / top).symlink_to(real, target_is_directory=True)
            continue
        for path in sorted(real.rglob("*")):
            rel = path.relative_to(REAL_ROOT).as_posix()
            target = dest / rel
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif rel not in edits:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(path)
    for rel, edit in edits.items():
        target = dest / rel
        if edit == MISSING:
            continue
        if edit == DIRECTORY:
            target.mkdir(parents=True, exist_ok=True)
            continue
        data = edit((REAL_ROOT / rel).read_bytes()) if callable(edit) else edit
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    if mirror.rehash:
        table = dest / "data" / "sources" / "files.csv"
        text = table.read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        sha, file = rows[0].index("sha256"), rows[0].index("file")
        for row in rows[1:]:
            if row and "data/" + row[file] in edits and (dest / "data" / row[file]).is_file():
                row[sha] = hashlib.sha256((dest / "data" / row[file]).read_bytes()).hexdigest()
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        table.unlink()
        table.write_text(out.getvalue(), encoding="utf-8")
    return dest


# -- running a case ---------------------------------------------------------------------------

RESULTS: dict[str, Outcome] = {}


def invoke(args: list[str], stdin: str) -> Outcome:
    from nhsgraph.cli import run

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(args)
    finally:
        sys.stdin = old_stdin
    return Outcome(code, out.getvalue(), err.getvalue())


def run_case(case: Case, inputs: Inputs) -> Outcome:
    """Run a case once per session (the final scan reuses what the case tests ran)."""
    if case.id in RESULTS:
        return RESULTS[case.id]
    args = [inputs.sub(a) for a in case.args]
    with pytest.MonkeyPatch.context() as mp:
        if case.mirror is not None:
            name = re.sub(r"\W+", "-", case.id)
            root = make_mirror(case.mirror, inputs.folder / "mirrors" / name)
            mp.setattr(resources, "root", lambda: root)
            mp.setenv("NHSGRAPH_CACHE", str(inputs.folder / "mirror-caches" / name))
        outcome = invoke(args, case.stdin)
    RESULTS[case.id] = outcome
    return outcome


def check(case: Case, outcome: Outcome, inputs: Inputs) -> None:
    text = outcome.out + outcome.err
    assert "Traceback" not in text
    assert outcome.code == 2, f"exit {outcome.code}: {outcome.err[:500]}"
    assert len(outcome.err) <= MAX_MESSAGE, f"a {len(outcome.err)}-character message"
    assert outcome.out == ""
    for pattern in case.expect:
        assert re.search(inputs.sub(pattern, escape=True), outcome.err), \
            f"stderr does not name {pattern!r}: {outcome.err[:500]}"


# -- the cases --------------------------------------------------------------------------------

BINARY = random.Random(11).randbytes(2000)
#: Where a mirror's broken file is named in a message (an absolute path inside the mirror).
M = r"(?:^|/|\s)"


def _append(line: bytes) -> Callable[[bytes], bytes]:
    return lambda real: real.rstrip(b"\n") + b"\n" + line


def _csv_cell(column: str, value: str) -> Callable[[bytes], bytes]:
    """Set ``column`` of the first data row of a CSV file to ``value``."""
    def edit(real: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(real.decode("utf-8-sig"), newline="")))
        rows[1][rows[0].index(column)] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode("utf-8")

    return edit


def _build_cases() -> list[Case]:
    files_csv = "data/sources/files.csv"
    named_files_csv = r"data/sources/files\.csv:\d+"
    chd = "source:ons-chd-2024-07-e40"
    nhser = "source:ons-nhser19-nc"
    out = [
        Case("build/output-is-a-directory", "build", ("build", "-o", "{dir}"),
             ("{dir}", "is a directory")),
        Case("build/data-csv-short-row", "build", ("build",), (named_files_csv, "fields where"),
             mirror=Mirror(((files_csv, _append(b"broken,row\n")),))),
        Case("build/data-csv-unclosed-quote", "build", ("build",), (named_files_csv,),
             mirror=Mirror(((files_csv, _append(b'broken,"never closed,x\n')),))),
        Case("build/data-csv-empty", "build", ("build",), (r"data/sources/files\.csv", "empty"),
             mirror=Mirror(((files_csv, b""),))),
        Case("build/data-csv-binary", "build", ("build",), (named_files_csv, "utf-8"),
             mirror=Mirror(((files_csv, BINARY),))),
        Case("build/data-csv-latin1", "build", ("build",), (named_files_csv, "utf-8"),
             mirror=Mirror(((files_csv, _append("caf\xe9,Caf\xe9 \xa3\n".encode("latin-1"))),))),
        Case("build/data-csv-huge-line", "build", ("build",), (named_files_csv,),
             mirror=Mirror(((files_csv, _append(b"y" * HUGE + b"\n")),))),
        Case("build/data-csv-invalid-date", "build", ("build",), (named_files_csv, "2019-13-45"),
             mirror=Mirror(((files_csv, _csv_cell("issued", "2019-13-45")),))),
        Case("build/data-raw-file-missing", "build", ("build",), (named_files_csv, "missing"),
             mirror=Mirror(((chd, MISSING),))),
        Case("build/data-raw-file-is-a-directory", "build", ("build",), (named_files_csv,),
             mirror=Mirror(((chd, DIRECTORY),))),
        Case("build/data-raw-file-checksum", "build", ("build",), (named_files_csv, "sha256"),
             mirror=Mirror(((chd, _append(b" ")),))),
        Case("build/data-json-malformed", "build", ("build",), (r"E40\.json:\d+", "JSON"),
             mirror=Mirror(((chd, b'{"areas": {\n  "E40000001": [\n}\n'),), rehash=True)),
        Case("build/data-json-empty", "build", ("build",), (r"E40\.json:1", "JSON"),
             mirror=Mirror(((chd, b""),), rehash=True)),
        Case("build/data-json-latin1", "build", ("build",), (r"E40\.json:\d+", "utf-8"),
             mirror=Mirror(((chd, '{"areas": {"E40000001": "Caf\xe9"}}'.encode("latin-1")),),
                           rehash=True)),
        Case("build/data-json-wrong-shape", "build", ("build",), (r"E40\.json",),
             mirror=Mirror(((chd, b'{"regions": []}\n'),), rehash=True)),
        Case("build/data-raw-csv-short-row", "build", ("build",), (r"NHSER19_EN_NC\.csv:\d+",),
             mirror=Mirror(((nhser, _append(b"E40000099\n")),), rehash=True)),

        Case("validate/turtle-malformed", "validate", ("validate", "{malformed.ttl}"),
             ("{malformed.ttl}:3",)),
        Case("validate/jsonld-malformed", "validate", ("validate", "{malformed.jsonld}"),
             ("{malformed.jsonld}:4",)),
        Case("validate/ntriples-malformed", "validate", ("validate", "{malformed.nt}"),
             ("{malformed.nt}:2",)),
        Case("validate/rdfxml-truncated", "validate", ("validate", "{malformed.rdf}"),
             ("{malformed.rdf}",)),
        Case("validate/csv-is-not-rdf", "validate", ("validate", "{malformed.csv}"),
             ("{malformed.csv}", "unknown RDF file type")),
        Case("validate/empty-turtle", "validate", ("validate", "{empty.ttl}"),
             ("{empty.ttl}",)),
        Case("validate/empty-jsonld", "validate", ("validate", "{empty.jsonld}"),
             ("{empty.jsonld}:1",)),
        Case("validate/binary", "validate", ("validate", "{binary.ttl}"), ("{binary.ttl}:1",)),
        Case("validate/huge-line", "validate", ("validate", "{huge.ttl}"), ("{huge.ttl}:1",)),
        Case("validate/latin1", "validate", ("validate", "{latin1.ttl}"), ("{latin1.ttl}:2",)),
        Case("validate/missing-file", "validate", ("validate", "{missing.ttl}"),
             ("{missing.ttl}", "not found")),
        Case("validate/directory", "validate", ("validate", "{dir}"), ("{dir}", "directory")),
        Case("validate/one-good-one-bad", "validate", ("validate", "{ok.ttl}", "{malformed.ttl}"),
             ("{malformed.ttl}:3",)),
        Case("validate/format-unknown", "validate", ("validate", "--format", "xml"), ("--format",)),
        Case("validate/rules-malformed", "validate",
             ("validate", "--rules", "{malformed-shapes.ttl}", "{ok.ttl}"),
             (r"{malformed-shapes.ttl}:\d+",)),
        Case("validate/rules-missing", "validate", ("validate", "--rules", "{missing.ttl}", "{ok.ttl}"),
             ("--rules", "{missing.ttl}")),
        Case("validate/rules-directory", "validate", ("validate", "--rules", "{dir}", "{ok.ttl}"),
             ("--rules", "{dir}")),
        Case("validate/rules-binary", "validate", ("validate", "--rules", "{binary.ttl}", "{ok.ttl}"),
             ("{binary.ttl}:1",)),
        Case("validate/ontology-malformed", "validate", ("validate", "{ok.ttl}"),
             (M + r"ontology/organisation\.ttl:\d+",),
             mirror=Mirror((("ontology/organisation.ttl",
                             _append(b'ex:broken ex:name "never closed .\n')),))),
        Case("validate/ontology-latin1", "validate", ("validate", "{ok.ttl}"),
             (M + r"ontology/organisation\.ttl",),
             mirror=Mirror((("ontology/organisation.ttl",
                             _append('<http://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> '
                                     '"Caf\xe9" .\n'.encode("latin-1"))),))),
        Case("validate/shapes-malformed", "validate", ("validate", "{ok.ttl}"),
             (M + r"shapes/organisation\.shapes\.ttl:\d+",),
             mirror=Mirror((("shapes/organisation.shapes.ttl", _append(b"ex:Shape a [ .\n")),))),

        Case("sparql/malformed-file", "sparql", ("sparql", "{malformed.rq}"),
             ("{malformed.rq}", r"3:\d+")),
        Case("sparql/malformed-stdin", "sparql", ("sparql", "-"), (r"3:\d+",),
             stdin=(CORPUS / "malformed.rq").read_text(encoding="utf-8")),
        Case("sparql/empty-file", "sparql", ("sparql", "{empty.rq}"), ("{empty.rq}", "empty")),
        Case("sparql/empty-stdin", "sparql", ("sparql", "-"), ("stdin", "empty")),
        Case("sparql/blank-stdin", "sparql", ("sparql", "-"), ("stdin", "empty"), stdin=" \n\t\n"),
        Case("sparql/binary-file", "sparql", ("sparql", "{binary.rq}"), ("{binary.rq}", "UTF-8")),
        Case("sparql/latin1-file", "sparql", ("sparql", "{latin1.rq}"), ("{latin1.rq}", "UTF-8")),
        Case("sparql/huge-line-file", "sparql", ("sparql", "{huge.rq}"), ("{huge.rq}", "over the limit")),
        Case("sparql/missing-file", "sparql", ("sparql", "{missing.rq}"), ("{missing.rq}", "not found")),
        Case("sparql/directory", "sparql", ("sparql", "{dir}"), ("{dir}", "directory")),
        Case("sparql/format-unknown", "sparql", ("sparql", "--format", "xml", "-"), ("--format",),
             stdin="SELECT * WHERE { ?s ?p ?o } LIMIT 1"),
        Case("sparql/ask", "sparql", ("sparql", "-"), ("only SELECT",), stdin="ASK { ?s ?p ?o }"),
        Case("sparql/construct", "sparql", ("sparql", "-"), ("only SELECT",),
             stdin="CONSTRUCT WHERE { ?s ?p ?o }"),
        Case("sparql/nul", "sparql", ("sparql", "-"), ("not valid SPARQL|does not parse|not a SPARQL query",),
             stdin="\x00"),
        Case("sparql/undeclared-prefix", "sparql", ("sparql", "-"), ("does not parse", r"1:\d+"),
             stdin="SELECT * WHERE { ?s nhs:odsCode ?o }"),
        Case("sparql/timeout-negative", "sparql", ("sparql", "--timeout", "-1", "-"), ("--timeout",),
             stdin="SELECT * WHERE { ?s ?p ?o } LIMIT 1"),
        Case("sparql/timeout-not-a-number", "sparql", ("sparql", "--timeout", "soon", "-"),
             ("--timeout",), stdin="SELECT * WHERE { ?s ?p ?o } LIMIT 1"),
        Case("sparql/endpoint-not-http", "sparql", ("sparql", "--endpoint", "file:///etc/passwd", "-"),
             ("--endpoint", "not an http"), stdin="SELECT * WHERE { ?s ?p ?o } LIMIT 1"),
        Case("sparql/allow-update-without-endpoint", "sparql", ("sparql", "--allow-update", "-"),
             ("--allow-update", "--endpoint"), stdin="SELECT * WHERE { ?s ?p ?o } LIMIT 1"),
        Case("sparql/no-argument", "sparql", ("sparql",), ("QUERY_FILE",)),

        Case("export/format-unknown", "export", ("export", "--format", "rdfxml"), ("--format",)),
        Case("export/output-is-a-directory", "export", ("export", "-o", "{dir}"),
             ("{dir}", "is a directory")),
        Case("export/output-under-a-file", "export", ("export", "--format", "nt", "-o", "{under-a-file}"),
             ("{under-a-file}", "cannot write")),
        Case("export/output-folder-missing", "export", ("export", "-o", "{missing-dir}/graph.ttl"),
             ("{missing-dir}/graph.ttl", "cannot write")),

        Case("lineage/unknown-code", "lineage", ("lineage", "ZZ999"), ("parameter code", "ZZ999")),
        Case("lineage/malformed-code", "lineage", ("lineage", "QH-L!"), ("parameter code",)),
        Case("lineage/empty-code", "lineage", ("lineage", ""), ("parameter code",)),
        Case("lineage/huge-code", "lineage", ("lineage", "9" * HUGE), ("parameter code",)),
        Case("lineage/no-code", "lineage", ("lineage",), ("CODE",)),
        Case("lineage/format-unknown", "lineage", ("lineage", "QHL", "--format", "svg"), ("--format",)),

        *[Case(f"crosswalk/{label}", "crosswalk",
               ("crosswalk", *[x for k, v in ({"--from-type": "ccg", "--from-date": "2021-04-01",
                                               "--to-type": "icb", "--to-date": "2022-07-01"}
                                              | change).items() if v is not None for x in (k, v)]),
               expect)
          for label, change, expect in [
              ("from-date-invalid", {"--from-date": "2019-13-45"}, ("--from-date", "2019-13-45")),
              ("to-date-not-iso", {"--to-date": "1/7/2022"}, ("--to-date",)),
              ("from-type-unknown", {"--from-type": "hospital"}, ("--from-type", "hospital")),
              ("to-type-misspelt", {"--to-type": "icbx"}, ("--to-type", "did you mean icb")),
              ("to-date-missing", {"--to-date": None}, ("--to-date",)),
              ("from-type-empty", {"--from-type": ""}, ("--from-type",)),
          ]],
        Case("crosswalk/format-unknown", "crosswalk",
             ("crosswalk", "--from-type", "ccg", "--from-date", "2021-04-01", "--to-type", "icb",
              "--to-date", "2022-07-01", "--format", "xml"), ("--format",)),

        Case("diff/invalid-date", "diff", ("diff", "2019-13-45", "2022-07-01"), ("D1", "2019-13-45")),
        Case("diff/not-a-date", "diff", ("diff", "2022-07-01", "tomorrow"), ("D2", "tomorrow")),
        Case("diff/impossible-range", "diff", ("diff", "2022-07-01", "2019-04-01"), ("D1", "D2", "after")),
        Case("diff/one-date", "diff", ("diff", "2022-07-01"), ("D2",)),
        Case("diff/datetime", "diff", ("diff", "2022-07-01T00:00", "2022-07-02"), ("D1",)),

        Case("push/no-endpoint", "push", ("push",), ("--endpoint",)),
        Case("push/endpoint-not-http", "push", ("push", "--endpoint", "file:///tmp/store"),
             ("--endpoint", "not an http")),
        Case("push/graph-not-an-iri", "push", ("push", "--endpoint", "http://127.0.0.1:9/store",
                                                "--graph", "not an iri"), ("--graph",)),
        Case("push/timeout-zero", "push", ("push", "--endpoint", "http://127.0.0.1:9/store",
                                            "--timeout", "0"), ("--timeout",)),
        # Exit 3 (a ValueError from urllib) until engine.check_endpoint (882450b).
        Case("push/endpoint-broken-ipv6", "push", ("push", "--endpoint", "http://[::1/store"),
             ("--endpoint",)),

        Case("nhsgraph/unknown-command", "(group)", ("no-such-command",), ("No such command",)),
        Case("nhsgraph/unknown-option", "(group)", ("--no-such-option",), ("--no-such-option",)),
    ]
    out += _query_cases()
    return out


def _plain(param: queries.Param) -> str:
    return {"date": "2022-07-01", "type": "icb", "code": "QHL", "area": "Birmingham",
            "text": "Birmingham"}[param.type]


def _query_cases() -> list[Case]:
    catalogue = queries.catalogue()
    first = next(iter(catalogue.values()))
    with_date = next((q for q in catalogue.values() if any(p.type == "date" for p in q.params)), first)
    date_name = next((p.name for p in with_date.params if p.type == "date"), "date")

    def args(query: queries.CannedQuery, **values: str | None) -> tuple[str, ...]:
        out: list[str] = ["query", query.name]
        for p in query.params:
            value = values.get(p.name, _plain(p) if p.required else None)
            if value is not None:
                out += ["--param", f"{p.name}={value}"]
        return tuple(out)

    cases = [
        Case("query/no-name", "query", ("query",), ("query NAME",)),
        Case("query/unknown-name", "query", ("query", "no-such-query"), ("unknown query 'no-such-query'",)),
        Case("query/misspelt-name", "query", ("query", first.name + "x"), ("did you mean", re.escape(first.name))),
        Case("query/format-unknown", "query", (*args(first), "--format", "xml"), ("--format",)),
        Case("query/param-not-key-value", "query", ("query", first.name, "--param", "date"),
             ("--param", "KEY=VALUE")),
        Case("query/param-empty-key", "query", ("query", first.name, "--param", "=2022-07-01"),
             ("--param",)),
        Case("query/param-twice", "query", ("query", with_date.name, "--param", f"{date_name}=2022-07-01",
                                            "--param", f"{date_name}=2022-07-02"), ("given twice",)),
        Case("query/timeout-zero", "query", (*args(first), "--timeout", "0"), ("--timeout",)),
        Case("query/endpoint-not-http", "query", (*args(first), "--endpoint", "ftp://127.0.0.1/"),
             ("--endpoint", "not an http")),
        Case("query/huge-value", "query", args(with_date, **{date_name: "9" * HUGE}),
             (f"parameter {date_name}",)),
        Case("query/binary-value", "query",
             args(with_date, **{date_name: BINARY[:64].decode("latin-1")}), (f"parameter {date_name}",)),
        Case("query/catalogue-bad-header", "query", args(first), (M + rf"queries/{re.escape(first.name)}\.rq:2",),
             mirror=Mirror(((f"queries/{first.name}.rq",
                             (b"#+ summary: broken\n#+ param: date: datetime: required: a day\n"
                              b"#+ columns: x\nSELECT ?x WHERE { ?x ?y ?z }\n")),))),
        Case("query/catalogue-no-header", "query", args(first), (M + r"queries/zz-no-header\.rq:1",),
             mirror=Mirror((("queries/zz-no-header.rq", b"SELECT ?x WHERE { ?x ?y ?z }\n"),))),
        Case("query/catalogue-latin1", "query", args(first), (M + r"queries/zz-latin1\.rq",),
             mirror=Mirror((("queries/zz-latin1.rq",
                             "#+ summary: caf\xe9\n#+ columns: x\nSELECT ?x {}\n".encode("latin-1")),))),
        Case("query/catalogue-binary", "query", args(first), (M + r"queries/zz-binary\.rq",),
             mirror=Mirror((("queries/zz-binary.rq", BINARY),))),
    ]
    for q in catalogue.values():
        cases.append(Case(f"query/{q.name}/unknown-param", "query", (*args(q), "--param", "nosuch=1"),
                          ("has no parameter 'nosuch'",)))
        for p in q.params:
            if p.required:
                cases.append(Case(f"query/{q.name}/missing-{p.name}", "query", args(q, **{p.name: None}),
                                  (f"needs --param {p.name}=",)))
            bad: dict[str, str] = {}
            if p.type == "date":
                bad = {"invalid-date": "2019-13-45", "not-iso": "01/07/2022", "empty": "",
                       "datetime": "2022-07-01T00:00:00"}
            elif p.type == "type":
                bad = {"unknown-type": "hospital", "empty": ""}
            elif p.type == "code":
                bad = {"unknown-code": "ZZ999", "malformed-code": "QH-L!", "empty": ""}
            elif p.type == "area":
                bad = {"empty": " ", "newline": "Birmingham\nSolihull", "too-long": "a" * 101}
            elif p.type == "text":
                bad = {"too-long": "a" * 201}
            for label, value in bad.items():
                cases.append(Case(f"query/{q.name}/{p.name}-{label}", "query", args(q, **{p.name: value}),
                                  (f"parameter {p.name}",)))
        for first_name, second_name in q.ranges:
            cases.append(Case(f"query/{q.name}/impossible-range", "query",
                              args(q, **{first_name: "2022-07-01", second_name: "2019-04-01"}),
                              (f"parameters {first_name}..{second_name}", "after")))
    return cases


CASES = _build_cases()


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(reason=case.known, strict=True)] if case.known else []
    return pytest.param(case, id=case.id, marks=marks)


# -- the tests --------------------------------------------------------------------------------

def test_the_suite_is_complete():
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} cases"
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    catalogue = queries.catalogue()
    for name in catalogue:
        assert any(c.id.startswith(f"query/{name}/") for c in CASES)
    if any(q.ranges for q in catalogue.values()):
        assert any(c.id.endswith("/impossible-range") for c in CASES)


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_bad_input_cases(command):
    """A new command fails here until it has cases of its own."""
    mine = [c for c in CASES if c.command == command]
    assert len(mine) >= 3, f"`nhsgraph {command}` has {len(mine)} bad-input case(s)"


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input_is_exit_2_with_a_message_that_says_where(case, inputs):
    check(case, run_case(case, inputs), inputs)


def test_a_failed_build_leaves_no_half_built_graph(inputs):
    """A build that fails on a broken data file writes nothing into its cache."""
    for case in CASES:
        if case.command == "build" and case.mirror is not None:
            run_case(case, inputs)
            cache = inputs.folder / "mirror-caches" / re.sub(r"\W+", "-", case.id)
            assert not cache.exists() or not any(cache.iterdir()), case.id


def test_every_command_over_the_whole_corpus_prints_no_traceback(inputs):
    """The issue's proof: run every case, scan all of stderr (and stdout) for tracebacks."""
    outcomes = {case.id: run_case(case, inputs) for case in CASES}
    tracebacks = sum((o.out + o.err).count("Traceback") for o in outcomes.values())
    assert tracebacks == 0
    codes = Counter(o.code for o in outcomes.values())
    assert sum(codes.values()) == len(CASES) >= MIN_CASES
    internal = {cid for cid, o in outcomes.items() if o.code == 3}
    assert internal == {c.id for c in CASES if c.known}, \
        "an exit 3 (internal error) that is not a declared known failure"
    unexpected_success = {cid for cid, o in outcomes.items() if o.code == 0}
    assert unexpected_success == set()
