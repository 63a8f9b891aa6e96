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
import socket
import urllib.error
from typing import Any

import pyoxigraph as ox

from nhsgraph import __version__
from nhsgraph.errors import EndpointError, QueryError
from nhsgraph.queries import is_update, with_values
from nhsgraph.results import Cell, Result, cell, from_sparql_json

USER_AGENT = f"nhsgraph/{__version__} (+https://w3id.org/nhsgraph)"
DEFAULT_TIMEOUT = 30.0


def _refuse_update(text: str, allow_update: bool) -> None:
    if is_update(text) and not allow_update:
        raise QueryError(
            "this is a SPARQL Update; query and sparql only read",
            hint="use `nhsgraph push` to load a graph, or pass --allow-update if you mean it",
        )


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
    allow_update: bool = False,
) -> Result:
    _refuse_update(text, allow_update)
    try:
        # Oxigraph substitutes only projected variables (SEP-0007), so the
        # checked terms are bound through a VALUES block instead.
        answer = store.query(with_values(text, bindings or {}))
    except SyntaxError as exc:
        raise QueryError(f"the query does not parse: {exc}") from None
    except OSError as exc:
        raise QueryError(f"the query failed: {exc}") from None
    if not isinstance(answer, ox.QuerySolutions):
        raise QueryError("only SELECT queries can be printed as rows (this is ASK or CONSTRUCT)")
    columns = tuple(v.value for v in answer.variables)
    rows = tuple(tuple(_ox_cell(solution[c]) for c in columns) for solution in answer)
    return Result(columns, rows)


def run_rdflib(graph: Any, text: str, bindings: dict[str, ox.Term] | None = None) -> Result:
    """Run on an rdflib graph (the reference engine of the cross-engine tests)."""
    import rdflib

    _refuse_update(text, False)

    def to_rdflib(term: ox.Term) -> rdflib.term.Node:
        if isinstance(term, ox.NamedNode):
            return rdflib.URIRef(term.value)
        assert isinstance(term, ox.Literal)
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))

    init = {rdflib.Variable(k): to_rdflib(v) for k, v in (bindings or {}).items()}
    answer = graph.query(text, initBindings=init)
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


def _redact(message: str) -> str:
    creds = credentials()
    if creds:
        for secret in creds:
            if secret:
                message = message.replace(secret, "***")
    return message


def run_remote(
    endpoint: str, text: str, bindings: dict[str, ox.Term] | None = None, *,
    timeout: float = DEFAULT_TIMEOUT, allow_update: bool = False,
) -> Result:
    """Run a SELECT on a SPARQL 1.1 endpoint through SPARQLWrapper.

    Raises:
        EndpointError: the endpoint is unreachable, too slow, refuses the
            credentials, fails, or answers with something other than SPARQL
            results JSON. The message never contains the credentials.
    """
    from SPARQLWrapper import JSON, POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    _refuse_update(text, allow_update)
    if not endpoint.startswith(("http://", "https://")):
        raise EndpointError(f"--endpoint {endpoint!r} is not an http(s) URL")
    wrapper = SPARQLWrapper(endpoint, agent=USER_AGENT)
    wrapper.setQuery(with_values(text, bindings or {}))
    wrapper.setReturnFormat(JSON)
    wrapper.setMethod(POST)
    wrapper.setTimeout(int(max(1, timeout)))
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
            raise EndpointError(f"{endpoint} sent an invalid results document ({type(exc).__name__})") from None
    except EndpointError:
        raise
    except urllib.error.HTTPError as exc:
        raise EndpointError(_redact(f"{endpoint} answered HTTP {exc.code} {exc.reason}"),
                            hint=_http_hint(exc.code)) from None
    except SPARQLWrapperException as exc:
        raise EndpointError(_redact(f"{endpoint} refused the query: {str(exc).splitlines()[0]}")) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EndpointError(_redact(f"cannot reach {endpoint}: {reason}"),
                            hint=f"the timeout is {timeout:g} s; check the URL and the server") from None
    if not isinstance(data, dict):
        raise EndpointError(f"{endpoint} sent something other than SPARQL results JSON")
    try:
        return from_sparql_json(data)
    except Exception as exc:
        raise EndpointError(_redact(str(exc))) from None


def _http_hint(code: int) -> str:
    if code in (401, 403):
        return "set NHSGRAPH_ENDPOINT_USER and NHSGRAPH_ENDPOINT_PASSWORD to credentials the server accepts"
    if code >= 500:
        return "the server failed; try again later or ask its operator"
    return "check the endpoint URL"
