"""Writing to a remote triple store (``nhsgraph push``), the one command that writes.

The graph goes in one HTTP PUT of N-Triples to the SPARQL 1.1 Graph Store
Protocol endpoint (``PUT <endpoint>?graph=<iri>``), which replaces the named
graph as one operation, so a push that fails (refused, interrupted, rejected
data) leaves the graph as it was. Credentials come from the environment
(``NHSGRAPH_ENDPOINT_USER``, ``NHSGRAPH_ENDPOINT_PASSWORD``), basic or digest
as the server asks, and never appear in messages.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from nhsgraph.engine import USER_AGENT, _http_hint, _redact, check_endpoint, credentials, display_url
from nhsgraph.errors import EndpointError


def push(ntriples: Path, endpoint: str, graph_iri: str, *, timeout: float = 30.0) -> int:
    """PUT the N-Triples file as the named graph; returns the number of triples sent.

    Raises:
        EndpointError: the store could not be reached or refused the graph.
    """
    check_endpoint(endpoint)
    if not graph_iri.startswith(("http://", "https://", "urn:")):
        raise EndpointError(f"--graph {graph_iri!r} is not an absolute IRI")
    body = ntriples.read_bytes()
    sep = "&" if "?" in endpoint else "?"
    url = f"{endpoint}{sep}graph={urllib.parse.quote(graph_iri, safe='')}"
    request = urllib.request.Request(url, data=body, method="PUT", headers={
        "Content-Type": "application/n-triples", "User-Agent": USER_AGENT})
    handlers: list[urllib.request.BaseHandler] = []
    creds = credentials()
    if creds:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, endpoint, *creds)
        handlers += [urllib.request.HTTPBasicAuthHandler(manager),
                     urllib.request.HTTPDigestAuthHandler(manager)]
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise EndpointError(_redact(f"{display_url(endpoint)} refused the graph: HTTP {exc.code} {exc.reason}"),
                            hint=_http_hint(exc.code)) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError,
            ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EndpointError(_redact(f"cannot reach {display_url(endpoint)}: {reason}"),
                            hint=f"the timeout is {timeout:g} s; nothing was changed unless the store "
                            "applied the whole request") from None
    return body.count(b"\n")
