"""Writing to a remote triple store (``nhsgraph push``), the one command that writes.

The graph goes by the SPARQL 1.1 Graph Store Protocol: a PUT of N-Triples
into a fresh staging graph first, then over the named graph
(``PUT <endpoint>?graph=<iri>``), then a DELETE of the staging graph. A push
that is refused (rejected data, credentials, path) fails at the staging PUT,
before the named graph is touched: some stores (Virtuoso 7.2) clear a graph
and keep part of a body they reject. Credentials come from the environment
(``NHSGRAPH_ENDPOINT_USER``, ``NHSGRAPH_ENDPOINT_PASSWORD``), basic or digest
as the server asks, and never appear in messages.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import uuid
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from nhsgraph.engine import USER_AGENT, http_hint, redact, check_endpoint, credentials, display_url
from nhsgraph.errors import EndpointError


def _send(opener: urllib.request.OpenerDirector, url: str, method: str, body: bytes | None,
          authorization: str | None, timeout: float) -> None:
    headers = {"User-Agent": USER_AGENT}
    if body is not None:
        headers["Content-Type"] = "application/n-triples"
    if authorization:
        headers["Authorization"] = authorization
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    with opener.open(request, timeout=timeout) as response:
        response.read()


def _authorization(url: str, method: str, creds: tuple[str, str], timeout: float) -> str | None:
    """The Authorization header for ``method url``, worked out from the challenge of a
    bodiless probe (None when the server asks for none).

    A server that wants authentication answers a large PUT with 401 before reading
    the body and closes the connection (Virtuoso: "Connection reset by peer" above
    about 4 MB), so the body must go out with the credentials the first time.
    """
    probe = urllib.request.Request(url, method="HEAD", headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.build_opener().open(probe, timeout=timeout) as response:
            response.read()
        return None
    except urllib.error.HTTPError as exc:
        if exc.code != 401:
            return None
        challenges = exc.headers.get_all("WWW-Authenticate") or []
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, url, *creds)
    for challenge in challenges:
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "digest":
            chal = urllib.request.parse_keqv_list(
                [p for p in urllib.request.parse_http_list(params) if "=" in p])
            answer = urllib.request.HTTPDigestAuthHandler(manager).get_authorization(
                urllib.request.Request(url, method=method), chal)
            if answer:
                return f"Digest {answer}"
    for challenge in challenges:
        if challenge.partition(" ")[0].lower() == "basic":
            token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode("ascii")
            return f"Basic {token}"
    return None


def _graph_url(endpoint: str, graph_iri: str) -> str:
    sep = "&" if "?" in endpoint else "?"
    return f"{endpoint}{sep}graph={urllib.parse.quote(graph_iri, safe='')}"


def push(ntriples: Path, endpoint: str, graph_iri: str, *, timeout: float = 30.0) -> int:
    """Replace the named graph with the N-Triples file; returns the number of triples sent.

    Two PUTs: first into a fresh staging graph, so that a body the store rejects
    (or a refused password, a wrong path) fails before the real graph is touched,
    since some stores (Virtuoso 7.2) clear the graph and keep the triples before a
    syntax error; then, the body having been accepted once, into the real graph.
    The staging graph is deleted afterwards.

    Raises:
        EndpointError: the store could not be reached or refused the graph.
    """
    check_endpoint(endpoint)
    if not graph_iri.startswith(("http://", "https://", "urn:")):
        raise EndpointError(f"--graph {graph_iri!r} is not an absolute IRI")
    body = ntriples.read_bytes()
    staging = _graph_url(endpoint, f"urn:nhsgraph:staging:{uuid.uuid4()}")
    target = _graph_url(endpoint, graph_iri)
    handlers: list[urllib.request.BaseHandler] = []
    creds = credentials()
    if creds:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, endpoint, *creds)
        handlers += [urllib.request.HTTPBasicAuthHandler(manager),
                     urllib.request.HTTPDigestAuthHandler(manager)]
    opener = urllib.request.build_opener(*handlers)

    def put(url: str, method: str = "PUT", data: bytes | None = body) -> None:
        auth = _authorization(url, method, creds, timeout) if creds else None
        _send(opener, url, method, data, auth, timeout)

    try:
        try:
            put(staging)
        except Exception:
            with contextlib.suppress(Exception):
                put(staging, "DELETE", None)
            raise
        put(target)
        with contextlib.suppress(Exception):
            put(staging, "DELETE", None)
    except urllib.error.HTTPError as exc:
        raise EndpointError(redact(f"{display_url(endpoint)} refused the graph: HTTP {exc.code} {exc.reason}"),
                            hint=http_hint(exc.code)) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError,
            ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EndpointError(redact(f"cannot reach {display_url(endpoint)}: {reason}"),
                            hint=f"the timeout is {timeout:g} s; nothing was changed unless the store "
                            "applied the whole request") from None
    return body.count(b"\n")
