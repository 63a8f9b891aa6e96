"""Running SPARQL: on the embedded Oxigraph store, on rdflib, or on an endpoint.

All three return a :class:`~nhsgraph.results.Result`. Parameters arrive as
RDF terms already checked by :func:`nhsgraph.queries.bind` and are bound,
never pasted: rdflib ``initBindings``, or a ``VALUES`` block built from the
terms for Oxigraph (whose substitutions cover projected variables only) and
for an endpoint (which has no binding API).

Only SELECT queries are answered here. An update is refused unless the
caller passes ``allow_update=True``; only ``nhsgraph push`` writes.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import socket
import threading
import time
import urllib.error
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

import pyoxigraph as ox

from nhsgraph import __version__
from nhsgraph.errors import EndpointError, QueryError
from nhsgraph import sparql
from nhsgraph.queries import with_values
from nhsgraph.results import Cell, Result, cell, from_sparql_json

USER_AGENT = f"nhsgraph/{__version__} (+https://w3id.org/nhsgraph)"
#: Seconds a query may run, locally or on an endpoint, before it is abandoned.
DEFAULT_TIMEOUT = 30.0
T = TypeVar("T")


def with_deadline(work: Callable[[], T], timeout: float, what: str) -> T:
    """Run ``work`` with an overall deadline (not a per-read socket timeout).

    The work runs in a daemon thread: Oxigraph and urllib release the GIL
    while they wait, so the caller wakes on time and the abandoned thread
    ends with the process (``nhsgraph`` is a one-shot command).

    Raises:
        QueryError: the deadline passed.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True, name="nhsgraph-query")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise QueryError(f"{what} did not finish within {timeout:g} s and was stopped",
                         hint="narrow the query, or raise --timeout")
    if "error" in box:
        raise box["error"]
    return box["value"]


def in_child(work: Callable[[], T], timeout: float, what: str) -> T:
    """Run ``work`` in a forked child process that is killed at the deadline.

    Oxigraph has no cancel API and does not check signals, so a query thread
    cannot be stopped: in a long-lived process (a notebook, a library caller)
    an abandoned query would go on using a core. A forked child shares the
    parent's in-memory store page by page (copy on write, a few ms), sends
    back the pickled result or error through a pipe, and is killed if the
    deadline passes. Where ``os.fork`` is missing, the work runs in a thread
    (:func:`with_deadline`).

    Raises:
        QueryError: the deadline passed, or the work failed in the child.
    """
    if not hasattr(os, "fork"):
        return with_deadline(work, timeout, what)
    deadline = time.monotonic() + timeout
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no cleanup handlers, no buffered output of the parent's
        try:
            os.close(read_end)
            try:
                payload = pickle.dumps(("ok", work()))
            except QueryError as exc:
                payload = pickle.dumps(("error", exc.message, exc.hint))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                payload = pickle.dumps(("error", f"{what} failed: {exc}", None))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        finally:
            os._exit(0)
    os.close(write_end)
    chunks: list[bytes] = []
    finished = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                raise QueryError(f"{what} did not finish within {timeout:g} s and was stopped",
                                 hint="narrow the query, or raise --timeout")
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        finished = True
    finally:
        os.close(read_end)
        if not finished:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(pid, 0)
    try:
        answer = pickle.loads(b"".join(chunks))
    except Exception:  # the child died before it could answer (killed, out of memory)
        raise QueryError(f"{what} failed: the process running it ended without an answer") from None
    if answer[0] == "error":
        raise QueryError(answer[1], hint=answer[2])
    return answer[1]


def _guard(text: str, *, allow_update: bool, allow_service: bool, full: bool,
           deadline: float | None = None) -> None:
    """Refuse an update or a SERVICE call the caller did not allow, from the parse.

    ``full`` parses every text (for an endpoint, which would run an update). Without
    it, only a text that may hold SERVICE is parsed: the local engines only
    answer queries (an update fails to parse there), so the parse is needed
    for SERVICE alone, and the canned queries skip its cost.
    """
    if full or sparql.mentions_service(text):
        sparql.check(text, allow_update=allow_update, allow_service=allow_service, deadline=deadline)


def _explain_syntax_error(text: str, exc: SyntaxError) -> QueryError:
    if sparql.is_update(text):
        return QueryError(
            "this is not a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE): an Update, or not "
            "SPARQL at all; query and sparql only read",
            hint="use `nhsgraph push` to load a graph, or pass --allow-update with --endpoint if you mean it")
    return QueryError(f"the query does not parse: {exc}")


def _ox_cell(term: ox.Term | None) -> Cell | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return cell("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return cell("bnode", term.value)
    if isinstance(term, ox.Literal):
        return cell("literal", term.value, term.datatype.value, term.language)
    return cell("literal", str(term))


def run_oxigraph(
    store: ox.Store, text: str, bindings: dict[str, ox.Term] | None = None, *,
    allow_update: bool = False, allow_service: bool = False, timeout: float | None = None,
) -> Result:
    """Run a SELECT on the embedded store; with ``timeout``, in a child killed at the deadline.

    A SERVICE call is refused unless ``allow_service`` (Oxigraph would follow it over HTTP).
    """
    # Oxigraph substitutes only projected variables (SEP-0007), so the checked
    # terms are bound through a VALUES block instead.
    bound = with_values(text, bindings or {})
    deadline = None if timeout is None else time.monotonic() + timeout
    _guard(bound, allow_update=allow_update, allow_service=allow_service, full=False, deadline=deadline)

    def evaluate() -> Result:
        try:
            answer = store.query(bound)
            if not isinstance(answer, ox.QuerySolutions):
                raise QueryError("only SELECT queries can be printed as rows (this is ASK or CONSTRUCT)")
            columns = tuple(v.value for v in answer.variables)
            # Oxigraph evaluates lazily: reading the rows can fail too (a SERVICE call).
            rows = tuple(tuple(_ox_cell(solution[c]) for c in columns) for solution in answer)
        except SyntaxError as exc:
            raise _explain_syntax_error(bound, exc) from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise QueryError(f"the query failed: {exc}") from None
        return Result(columns, rows)

    if deadline is None:
        return evaluate()
    return in_child(evaluate, max(0.05, deadline - time.monotonic()), "the query")


def run_rdflib(graph: Any, text: str, bindings: dict[str, ox.Term] | None = None) -> Result:
    """Run on an rdflib graph (the reference engine of the cross-engine tests).

    Parameters are bound with the same VALUES block as on every other engine,
    so two engines are compared on the very same query text (rdflib's
    ``initBindings`` loses bindings under property-path alternatives).
    """
    import rdflib

    bound = with_values(text, bindings or {})
    _guard(bound, allow_update=False, allow_service=False, full=False)
    answer = graph.query(bound)
    columns = tuple(str(v) for v in answer.vars)
    rows = []
    for row in answer:
        out = []
        for value in row:
            if value is None:
                out.append(None)
            elif isinstance(value, rdflib.URIRef):
                out.append(cell("uri", str(value)))
            elif isinstance(value, rdflib.BNode):
                out.append(cell("bnode", str(value)))
            else:
                dt = str(value.datatype) if value.datatype else None
                out.append(cell("literal", str(value), dt, value.language))
        rows.append(tuple(out))
    return Result(columns, tuple(rows))


def credentials() -> tuple[str, str] | None:
    """Endpoint credentials from ``NHSGRAPH_ENDPOINT_USER`` / ``..._PASSWORD`` (never argv)."""
    user = os.environ.get("NHSGRAPH_ENDPOINT_USER")
    password = os.environ.get("NHSGRAPH_ENDPOINT_PASSWORD")
    return (user, password) if user and password is not None else None


def redact(message: str) -> str:
    creds = credentials()
    if creds:
        for secret in creds:
            if secret:
                message = message.replace(secret, "***")
    return message


def run_remote(
    endpoint: str, text: str, bindings: dict[str, ox.Term] | None = None, *,
    timeout: float = DEFAULT_TIMEOUT, allow_update: bool = False, allow_service: bool = False,
    graph: str | None = None,
) -> Result:
    """Run a SELECT on a SPARQL 1.1 endpoint through SPARQLWrapper.

    Raises:
        EndpointError: the endpoint is unreachable, too slow, refuses the
            credentials, fails, or answers with something other than SPARQL
            results JSON. The message never contains the credentials.
    """
    _guard(with_values(text, bindings or {}), allow_update=allow_update, allow_service=allow_service,
           full=True, deadline=time.monotonic() + timeout)
    check_endpoint(endpoint)
    return with_deadline(lambda: _remote(endpoint, text, bindings, timeout, graph, allow_update),
                         timeout + 1,
                         f"the endpoint {display_url(endpoint)}")


def display_url(url: str) -> str:
    """The URL without any user:password part, for messages."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "(an invalid URL)"
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url


def check_endpoint(url: str) -> None:
    """Refuse an endpoint URL that is not a plain http(s) URL (with no credentials in it)."""
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise EndpointError("--endpoint: the URL contains spaces or control characters")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise EndpointError(f"--endpoint: not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"--endpoint {display_url(url)!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise EndpointError(
            "--endpoint: credentials in the URL are refused (they would show in process lists "
            "and logs)", hint="set NHSGRAPH_ENDPOINT_USER and NHSGRAPH_ENDPOINT_PASSWORD instead")


def _remote(endpoint: str, text: str, bindings: dict[str, ox.Term] | None, timeout: float,
            graph: str | None, allow_update: bool) -> Result:
    from SPARQLWrapper import JSON, POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    wrapper = SPARQLWrapper(endpoint, agent=USER_AGENT)
    wrapper.setQuery(with_values(text, bindings or {}))
    if wrapper.isSparqlUpdateRequest() and not allow_update:  # defence in depth
        raise QueryError("SPARQLWrapper reads this as an Update; refused without --allow-update")
    wrapper.setReturnFormat(JSON)
    wrapper.setMethod(POST)
    wrapper.setTimeout(int(max(1, timeout)))
    if graph:
        # The SPARQL protocol's default-graph-uri: the query sees only that graph
        # (Virtuoso's own default graph also holds its system graphs).
        wrapper.addDefaultGraph(graph)
    creds = credentials()
    if creds:
        wrapper.setCredentials(*creds)
    try:
        response = wrapper.query()
        content_type = response.response.headers.get("Content-Type", "")
        if "json" not in content_type:
            raise EndpointError(
                f"{endpoint} answered with content type {content_type or '(none)'!r}, "
                "not SPARQL results JSON",
                hint="check that the URL is the SPARQL query endpoint itself",
            )
        try:
            data = response.convert()
        except Exception as exc:  # a truncated or invalid document
            raise EndpointError(f"{display_url(endpoint)} sent an invalid results document "
                                f"({type(exc).__name__})") from None
    except EndpointError:
        raise
    except urllib.error.HTTPError as exc:
        raise EndpointError(redact(f"{display_url(endpoint)} answered HTTP {exc.code} {exc.reason}"),
                            hint=http_hint(exc.code)) from None
    except SPARQLWrapperException as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EndpointError(redact(f"{display_url(endpoint)} refused the query: {first}")) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError,
            ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EndpointError(redact(f"cannot reach {display_url(endpoint)}: {reason}"),
                            hint=f"the timeout is {timeout:g} s; check the URL and the server") from None
    if not isinstance(data, dict):
        raise EndpointError(f"{display_url(endpoint)} sent something other than SPARQL results JSON")
    try:
        return from_sparql_json(data)
    except Exception as exc:
        raise EndpointError(redact(f"{display_url(endpoint)}: {exc}")) from None


def http_hint(code: int) -> str:
    if code in (401, 403):
        return "set NHSGRAPH_ENDPOINT_USER and NHSGRAPH_ENDPOINT_PASSWORD to credentials the server accepts"
    if code >= 500:
        return "the server failed; try again later or ask its operator"
    return "check the endpoint URL"
