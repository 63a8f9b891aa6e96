"""Remote endpoints: push the graph to real triple stores, then every canned query agrees.

Two servers, each started once for this module on 127.0.0.1 (a free port, a
temporary folder, stopped at the end):

- Oxigraph's own server, ``oxigraph serve`` (PyPI ``oxigraph``;
  tests/oxigraph_server.py): Graph Store Protocol at ``/store`` (no
  authentication), queries at ``/query``.
- Virtuoso open source 7.2.5 from Debian (``scripts/setup-virtuoso``;
  tests/virtuoso.py): Graph Store Protocol at ``/sparql-graph-crud-auth``
  with digest authentication (dba/dba, given to ``nhsgraph push`` through
  ``NHSGRAPH_ENDPOINT_USER`` / ``NHSGRAPH_ENDPOINT_PASSWORD``), queries at
  ``/sparql``.

For each server, ``nhsgraph push`` loads the embedded graph into the named
graph ``GRAPH``; then every canned query of the catalogue, with the parameters
of the questions in tests/test_queries.py (a sample value per parameter type
for a query not listed here), must give the same rows from
``nhsgraph query ... --endpoint URL --graph GRAPH --format json`` as from the
embedded graph, in the same order (the queries order their rows completely;
nothing is sorted here).

Rows are compared as SPARQL 1.1 results JSON cells: (type, value, datatype or
language tag). The one allowance: a literal of a numeric XSD datatype is
compared by its numeric value, whatever its numeric datatype, because stores
may answer ``1`` or ``1.0``, xsd:integer or xsd:int, for the same number.
Every other literal, IRI and datatype must match exactly.

Then the writes that must fail: a push to a wrong path, with a wrong password
(Virtuoso; Oxigraph's server has no authentication), without credentials, and
of a body the store rejects (valid triples, then a syntax error) each fail
with exit 2 or an EndpointError, say nothing secret, and leave the pushed
graph exactly as it was (same triple count, none of the new triples).

Skips: a server whose program is missing is skipped only when not running as
root; as root (CI runs ``scripts/setup-virtuoso`` first) a missing program
fails the tests. Nothing binds or connects to anything but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import oxigraph_server
import pytest
import virtuoso

from nhsgraph import queries

GRAPH = "https://w3id.org/nhsgraph/graph"
CATALOGUE = queries.catalogue()
QUERY_TIMEOUT = "60"  # seconds; every query takes well under 1 s on this graph
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Literals of these datatypes are compared by numeric value (see the module docstring).
NUMERIC = {XSD + t for t in (
    "decimal", "integer", "int", "long", "short", "byte", "double", "float",
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
MARKER = "urn:nhsgraph:test:marker"
WRONG_PASSWORD = "not-the-password-7Qz"  # deliberately wrong

#: The questions of tests/test_queries.py (and a few more), by query. A query
#: missing here still runs, with one sample value per parameter type.
CASES: dict[str, list[dict[str, str]]] = {
    "area-history": [{"area": "Birmingham"}, {"area": "E08000025"}],
    "board-at": [{"code": "QJ2", "date": "2022-11-17"}],
    "changes-between": [{"from": "2018-04-01", "to": "2018-04-01"},
                        {"from": "2019-01-01", "to": "2019-12-31"}],
    "cluster-members": [{"date": "2025-12-01"}],
    "counts-by-year": [{"type": "ccg"}, {"type": "icb"}],
    "covering-at": [{"area": "E08000025", "date": "2022-06-30"},
                    {"area": "Birmingham", "date": "2022-07-01"}],
    "lineage": [{"code": "42D"}],
    "name-at": [{"code": "QNX", "date": "2019-08-31"}, {"code": "QNX", "date": "2019-09-01"}],
    "organisations-at": [{"date": "2022-07-01", "type": "icb"}, {"date": "2022-07-01"},
                         {"date": "2020-06-01", "type": "ics"}],
    "sources-of": [{"code": "QHL"}],
    "successors-at": [{"code": "QRV", "date": "2026-04-01"}],
    "systems-at": [{"date": "2020-06-01"}, {"date": "2019-01-01"}, {"date": "2022-07-01"}],
    "systems-during": [{"from": "2019-01-01", "to": "2019-12-31"},
                       {"from": "2016-04-01", "to": "2018-12-31"}],
}
SAMPLE_BY_TYPE = {"date": "2022-07-01", "code": "QHL", "type": "icb", "area": "E08000025",
                  "text": "Birmingham"}
SAMPLE_BY_NAME = {"from": "2019-01-01", "to": "2019-12-31"}


def _cases() -> list[tuple[str, dict[str, str]]]:
    out = []
    for name in sorted(CATALOGUE):
        listed = CASES.get(name)
        if listed is None:
            listed = [{p.name: SAMPLE_BY_NAME.get(p.name, SAMPLE_BY_TYPE[p.type])
                       for p in CATALOGUE[name].params}]
        out += [(name, params) for params in listed]
    return out


def _case_id(name: str, params: dict[str, str]) -> str:
    return name + ("[" + ",".join(f"{k}={v}" for k, v in params.items()) + "]" if params else "")


ALL_CASES = _cases()


# -- running the CLI in-process -----------------------------------------------------------

@dataclass
class Outcome:
    code: int
    out: str
    err: str


def nhsgraph(*args: str, env: dict[str, str | None] | None = None) -> Outcome:
    """Run ``nhsgraph ARGS...`` in this process, through its real error handling.

    ``env`` sets (or, with None, removes) environment variables for the run only.
    """
    from nhsgraph.cli import run

    saved = {key: os.environ.get(key) for key in (env or {})}
    for key, value in (env or {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(list(args))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Outcome(code, out.getvalue(), err.getvalue())


NO_CREDENTIALS: dict[str, str | None] = {"NHSGRAPH_ENDPOINT_USER": None, "NHSGRAPH_ENDPOINT_PASSWORD": None}


def _param_args(params: dict[str, str]) -> list[str]:
    return [arg for key, value in params.items() for arg in ("--param", f"{key}={value}")]


# -- comparing results ----------------------------------------------------------------------

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def _cell(binding: dict[str, str] | None) -> tuple[Any, ...] | None:
    """One SPARQL JSON cell as (type, value, datatype-or-lang); numbers by value."""
    if binding is None:
        return None
    kind = {"typed-literal": "literal"}.get(binding["type"], binding["type"])
    datatype = binding.get("datatype")
    if kind == "literal" and datatype in NUMERIC:
        try:
            return ("literal", "number", Decimal(binding["value"]).normalize())
        except InvalidOperation:
            pass
    if kind == "literal" and datatype == XSD_BOOLEAN:
        # "1" and "true" are the same xsd:boolean; Virtuoso writes the former.
        return ("literal", {"1": "true", "0": "false"}.get(binding["value"], binding["value"]), datatype)
    return (kind, binding["value"], binding.get("xml:lang") or datatype)


def _table(document: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    data = json.loads(document)
    columns = tuple(data["head"]["vars"])
    rows = [tuple(_cell(b.get(c)) for c in columns) for b in data["results"]["bindings"]]
    return columns, rows


def _explain(local: list[tuple[Any, ...]], remote: list[tuple[Any, ...]]) -> str:
    """Why two row lists differ, briefly."""
    if sorted(map(repr, local)) == sorted(map(repr, remote)):
        i = next(i for i, (a, b) in enumerate(zip(local, remote, strict=True)) if a != b)
        return (f"the same {len(local)} rows in a different order; first difference at row {i}:\n"
                f"  local:  {local[i]}\n  remote: {remote[i]}")
    only_local = [r for r in local if r not in remote]
    only_remote = [r for r in remote if r not in local]
    lines = [f"{len(local)} rows locally, {len(remote)} remotely"]
    if not only_local and not only_remote:
        lines.append("the same distinct rows, but different numbers of duplicates")
    lines += [f"  only local:  {r}" for r in only_local[:5]]
    lines += [f"  only remote: {r}" for r in only_remote[:5]]
    return "\n".join(lines)


# -- servers --------------------------------------------------------------------------------

def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _require(present: bool, what: str, how: str) -> None:
    """Skip when a server program is missing, unless running as root (CI), where it fails."""
    if present:
        return
    if _is_root():
        pytest.fail(f"{what} is not installed, and as root (CI) this test must run: {how}")
    pytest.skip(f"{what} is not installed and this is not root ({how})")


@pytest.fixture(scope="module", autouse=True)
def _loopback_without_proxy() -> Iterator[None]:
    """Never send a loopback request through a proxy the environment may name."""
    saved = {k: os.environ.get(k) for k in ("no_proxy", "NO_PROXY")}
    for key, value in saved.items():
        os.environ[key] = ",".join(filter(None, [value, "127.0.0.1", "localhost"]))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def oxigraph_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[oxigraph_server.OxigraphServer]:
    _require(oxigraph_server.binary() is not None, "Oxigraph's server (`oxigraph`)",
             "pip install oxigraph, part of the test extra")
    server = oxigraph_server.OxigraphServer(tmp_path_factory.mktemp("oxigraph-serve")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def virtuoso_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[virtuoso.VirtuosoServer]:
    _require(virtuoso.binaries() is not None, "Virtuoso (`virtuoso-t`, `isql-vt`)",
             "run scripts/setup-virtuoso as root")
    server = virtuoso.VirtuosoServer(tmp_path_factory.mktemp("virtuoso")).start()
    yield server
    code = server.stop()
    assert code == 0, f"Virtuoso did not shut down cleanly (exit {code}):\n{server.log_tail()}"


@dataclass
class Remote:
    """One running store, with the graph pushed (or the reason the push failed)."""

    name: str
    query_url: str
    store_url: str
    wrong_store_url: str
    credentials: dict[str, str | None]
    has_auth: bool
    push: Outcome | None = None
    local_count: int = 0
    checks: dict[str, Any] = field(default_factory=dict)

    def require_pushed(self) -> None:
        if self.push is None or self.push.code != 0:
            detail = self.push.err.strip() if self.push else "not attempted"
            pytest.fail(f"the graph was not pushed to {self.name}, so nothing can be compared: {detail}")
        if "stalled" in self.checks:
            # One timeout already: fail fast rather than wait out every remaining query.
            pytest.fail(f"{self.name} stopped answering earlier: {self.checks['stalled']}")

    def note_timeout(self, outcome: Outcome) -> None:
        if outcome.code != 0 and "timed out" in outcome.err:
            self.checks["stalled"] = outcome.err.strip().splitlines()[0]


def _count_query(tmp: Path, pattern: str = "?s ?p ?o") -> Path:
    path = tmp / "count.rq"
    path.write_text(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}\n", encoding="utf-8")
    return path


def remote_count(remote: Remote, pattern: str = "?s ?p ?o") -> int:
    with tempfile.TemporaryDirectory() as tmp:
        result = nhsgraph("sparql", str(_count_query(Path(tmp), pattern)), "--endpoint", remote.query_url,
                          "--graph", GRAPH, "--format", "json", "--timeout", QUERY_TIMEOUT, env=NO_CREDENTIALS)
    remote.note_timeout(result)
    assert result.code == 0, f"counting triples on {remote.name} failed: {result.err}"
    return int(json.loads(result.out)["results"]["bindings"][0]["n"]["value"])


def local_count() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        result = nhsgraph("sparql", str(_count_query(Path(tmp))), "--format", "json")
    assert result.code == 0, result.err
    return int(json.loads(result.out)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module", params=[
    pytest.param("oxigraph"),
    pytest.param("virtuoso", marks=pytest.mark.virtuoso),
])
def remote(request: pytest.FixtureRequest) -> Remote:
    """A running store with the embedded graph pushed to ``GRAPH`` by ``nhsgraph push``."""
    if request.param == "oxigraph":
        ox = request.getfixturevalue("oxigraph_process")
        store = Remote("oxigraph", ox.query_url, ox.graph_store_url, ox.url("no-such-store"),
                       credentials=dict(NO_CREDENTIALS), has_auth=False)
    else:
        vt = request.getfixturevalue("virtuoso_process")
        store = Remote("virtuoso", vt.sparql_url, vt.graph_store_url, vt.url("sparql-graph-crud-nowhere"),
                       credentials={"NHSGRAPH_ENDPOINT_USER": virtuoso.USER,
                                    "NHSGRAPH_ENDPOINT_PASSWORD": virtuoso.PASSWORD},
                       has_auth=True)
    store.local_count = local_count()
    store.push = nhsgraph("push", "--endpoint", store.store_url, "--graph", GRAPH, "--timeout", "300",
                          env=store.credentials)
    return store


_LOCAL: dict[str, Outcome] = {}


def local_json(name: str, params: dict[str, str]) -> Outcome:
    """The embedded graph's answer, computed once per case for both servers."""
    key = _case_id(name, params)
    if key not in _LOCAL:
        _LOCAL[key] = nhsgraph("query", name, *_param_args(params), "--format", "json")
    return _LOCAL[key]


# -- tests ------------------------------------------------------------------------------------

def test_the_catalogue_is_all_here() -> None:
    assert len(CATALOGUE) >= 13, f"only {len(CATALOGUE)} canned queries found"
    stale = set(CASES) - set(CATALOGUE)
    assert not stale, f"CASES names queries that no longer exist: {sorted(stale)}"
    assert {name for name, _ in ALL_CASES} == set(CATALOGUE)


def test_push_loads_the_whole_graph(remote: Remote) -> None:
    remote.require_pushed()
    assert remote.push is not None and remote.push.out == ""
    assert "pushed" in remote.push.err
    assert remote_count(remote) == remote.local_count


def test_push_again_replaces_the_graph(remote: Remote) -> None:
    remote.require_pushed()
    again = nhsgraph("push", "--endpoint", remote.store_url, "--graph", GRAPH, "--timeout", "300",
                     env=remote.credentials)
    assert again.code == 0, again.err
    assert remote_count(remote) == remote.local_count  # replaced, not added


@pytest.mark.parametrize(("name", "params"), ALL_CASES, ids=[_case_id(n, p) for n, p in ALL_CASES])
def test_canned_query_gives_the_same_rows_remotely(remote: Remote, name: str, params: dict[str, str]) -> None:
    remote.require_pushed()
    local = local_json(name, params)
    assert local.code == 0, f"the query fails locally: {local.err}"
    answer = nhsgraph("query", name, *_param_args(params), "--format", "json", "--endpoint",
                      remote.query_url, "--graph", GRAPH, "--timeout", QUERY_TIMEOUT, env=NO_CREDENTIALS)
    remote.note_timeout(answer)
    assert answer.code == 0, f"{remote.name} failed: {answer.err}"
    local_columns, local_rows = _table(local.out)
    remote_columns, remote_rows = _table(answer.out)
    assert remote_columns == local_columns
    assert remote_rows == local_rows, f"{name} on {remote.name}: " + _explain(local_rows, remote_rows)


# The failures below run after the comparisons (pytest keeps file order within a server).

def _unchanged(remote: Remote) -> None:
    assert remote_count(remote) == remote.local_count, "the failed push changed the graph"
    assert remote_count(remote, f"<{MARKER}> ?p ?o") == 0, "the failed push loaded some of its triples"


def _push_fails(remote: Remote, url: str, env: dict[str, str | None]):
    """Push to ``url``: exit 2 with an error message only, and the remote graph as it was."""
    remote.require_pushed()
    result = nhsgraph("push", "--endpoint", url, "--graph", GRAPH, "--timeout", "120", env=env)
    assert result.code == 2, result.err
    assert result.out == "" and "error:" in result.err
    _unchanged(remote)
    return result


def test_push_to_a_wrong_path_fails_and_leaves_the_graph(remote: Remote) -> None:
    _push_fails(remote, remote.wrong_store_url, remote.credentials)


def test_push_with_a_wrong_password_fails_without_telling_it(remote: Remote) -> None:
    if not remote.has_auth:
        pytest.skip(f"{remote.name}'s server has no authentication, so any password is accepted")
    env = {"NHSGRAPH_ENDPOINT_USER": virtuoso.USER, "NHSGRAPH_ENDPOINT_PASSWORD": WRONG_PASSWORD}
    result = _push_fails(remote, remote.store_url, env)
    assert WRONG_PASSWORD not in result.out + result.err


def test_push_without_credentials_is_refused(remote: Remote) -> None:
    if not remote.has_auth:
        pytest.skip(f"{remote.name}'s server has no authentication")
    _push_fails(remote, remote.store_url, NO_CREDENTIALS)


def test_a_body_the_store_rejects_leaves_the_graph(remote: Remote, tmp_path: Path) -> None:
    """Valid triples first (a streaming loader takes them), then a syntax error."""
    from nhsgraph import remote as pusher
    from nhsgraph.errors import EndpointError

    remote.require_pushed()
    body = tmp_path / "bad.nt"
    good = "".join(f'<{MARKER}> <urn:nhsgraph:test:p> "{i}" .\n' for i in range(1000))
    body.write_text(good + "<urn:nhsgraph:test:s> this is not N-Triples .\n", encoding="utf-8")
    saved = {key: os.environ.get(key) for key in remote.credentials}
    os.environ.update({k: v for k, v in remote.credentials.items() if v is not None})
    try:
        with pytest.raises(EndpointError) as info:
            pusher.push(body, remote.store_url, GRAPH, timeout=120)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert "refused" in str(info.value) or "cannot reach" in str(info.value)
    _unchanged(remote)
