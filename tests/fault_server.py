"""A misbehaving SPARQL endpoint on 127.0.0.1, for ``tests/test_endpoint_faults.py``.

Each path answers one way, good or bad:

========================  ==========================================================
path                      answer
========================  ==========================================================
``/valid``                200, a valid SPARQL 1.1 results JSON document (2 rows)
``/hang``                 reads the request, then says nothing for ``hang_seconds``
``/drip``                 200, then the body one byte every 0.4 s (a slow-loris
                          server: each read is quick, the whole is not)
``/401``                  401, with a body that echoes the request headers
``/403``                  403, with a body that echoes the request headers
``/403-ansi``             403 with terminal escape codes in the reason phrase
``/500``                  500, with a body that echoes the request headers
``/truncated``            200, JSON cut in half (Content-Length matches the cut)
``/cut``                  200, Content-Length of the whole document, half of it
                          sent, then the connection closed
``/invalid``              200, well-formed JSON that is not a results document
``/not-json``             200, ``application/sparql-results+json`` that is not JSON
``/html``                 200, ``text/html`` (a login page or a dataset's home page)
``/close``                reads the request, then closes the connection unanswered
``/auth``                 401 with a Basic challenge unless the request carries an
                          ``Authorization`` header; then as ``/valid``
========================  ==========================================================

A PUT (``nhsgraph push``, SPARQL 1.1 Graph Store Protocol) to ``/valid`` or
an authorised ``/auth`` stores the body as the graph (``FaultServer.graphs``)
and answers 204; every other path answers a PUT with its fault and stores
nothing, as a store does when a request fails.

A refused connection needs no server: :func:`closed_port` gives a port on
127.0.0.1 that nothing listens on.

The server binds to 127.0.0.1 only and refuses to start on any other
address. Every handler stops by itself: a hang or a drip lasts at most
``hang_seconds`` and ends at once when the server is stopped, and
:meth:`FaultServer.stop` joins every handler thread.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"

VALID_RESULTS = {
    "head": {"vars": ["code", "name", "type", "start", "end"]},
    "results": {
        "bindings": [
            {
                "code": {"type": "literal", "value": "QHL"},
                "name": {"type": "literal", "value": "NHS Birmingham and Solihull Integrated Care Board"},
                "type": {"type": "literal", "value": "icb"},
                "start": {"type": "literal", "value": "2022-07-01",
                          "datatype": "http://www.w3.org/2001/XMLSchema#date"},
            },
            {
                "code": {"type": "literal", "value": "QUA"},
                "name": {"type": "literal", "value": "NHS Black Country Integrated Care Board"},
                "type": {"type": "literal", "value": "icb"},
                "start": {"type": "literal", "value": "2022-07-01",
                          "datatype": "http://www.w3.org/2001/XMLSchema#date"},
            },
        ]
    },
}
VALID_BODY = json.dumps(VALID_RESULTS).encode("utf-8")
RESULTS_JSON = "application/sparql-results+json"

#: Every fault path, as served (``/valid`` is the one good answer).
PATHS = ("valid", "hang", "drip", "401", "403", "403-ansi", "500", "truncated", "cut",
         "invalid", "not-json", "html", "close", "auth")


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    path: str
    method: str
    headers: dict[str, str]
    body: bytes
    url: str = ""  # the request's path and query string

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class _State:
    hang_seconds: float
    stop: threading.Event = field(default_factory=threading.Event)
    seen: list[Seen] = field(default_factory=list)
    graphs: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins every handler thread
    block_on_close = True
    state: _State


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection, closed after it

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean

    # -- answers ---------------------------------------------------------------------------

    def _send(self, code: int, body: bytes, content_type: str = RESULTS_JSON, *,
              reason: str | None = None, length: int | None = None) -> None:
        self.send_response(code, reason)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _echo(self) -> bytes:
        """What a careless server does: put the request (credentials too) in its error page."""
        lines = [f"{k}: {v}" for k, v in self.headers.items()]
        return ("request was:\n" + "\n".join(lines)).encode("utf-8", "replace")

    def _answer(self, name: str, body: bytes) -> None:
        state = self.server.state
        if name == "auth":
            if not self.headers.get("Authorization"):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="nhsgraph-test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            name = "valid"
        if name == "valid" and self.command == "PUT":
            graph = self.path.partition("graph=")[2] or "default"
            with state.lock:
                state.graphs[graph] = body
            self.send_response(204)
            self.end_headers()
        elif name == "valid" and self.command == "DELETE":
            graph = self.path.partition("graph=")[2] or "default"
            with state.lock:
                state.graphs.pop(graph, None)
            self.send_response(204)
            self.end_headers()
        elif name == "valid" and self.command == "HEAD":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif name == "valid":
            self._send(200, VALID_BODY)
        elif name == "hang":
            state.stop.wait(state.hang_seconds)  # bounded; ends at once on stop()
            self._send(200, VALID_BODY)
        elif name == "drip":
            self.send_response(200)
            self.send_header("Content-Type", RESULTS_JSON)
            self.send_header("Content-Length", str(len(VALID_BODY)))
            self.end_headers()
            self.wfile.flush()
            deadline = time.monotonic() + state.hang_seconds
            for i in range(len(VALID_BODY)):
                if state.stop.wait(0.4) or time.monotonic() > deadline:
                    break
                self.wfile.write(VALID_BODY[i : i + 1])
                self.wfile.flush()
        elif name in ("401", "403", "500"):
            self._send(int(name), self._echo(), "text/plain")
        elif name == "403-ansi":
            self._send(403, self._echo(), "text/plain", reason="Forbidden\x1b[2J\x1b[31m RED")
        elif name == "truncated":
            half = VALID_BODY[: len(VALID_BODY) // 2]
            self._send(200, half)
        elif name == "cut":
            self._send(200, VALID_BODY[: len(VALID_BODY) // 2], length=len(VALID_BODY))
        elif name == "invalid":
            self._send(200, b'{"head": {"vars": ["code"]}, "results": 42}')
        elif name == "not-json":
            self._send(200, b"<sparql><results></results></sparql>")
        elif name == "html":
            self._send(200, b"<!doctype html><title>Sign in</title><form>...</form>", "text/html")
        elif name == "close":
            self.close_connection = True  # and write nothing: the client sees the line drop
        else:
            self._send(404, b"no such fault", "text/plain")

    # -- plumbing --------------------------------------------------------------------------

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        # The whole body, however large: a push sends the whole graph (68 MB with
        # practices), and a cap here would cut the request and read as a fault.
        body = self.rfile.read(length) if length > 0 else b""
        name = self.path.split("?", 1)[0].strip("/")
        state = self.server.state
        with state.lock:
            state.seen.append(Seen(name, self.command, dict(self.headers.items()), body, self.path))
        try:
            self._answer(name, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (as it should, on a hang)

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_DELETE = _handle
    do_HEAD = _handle


class FaultServer:
    """The fault server, on a free port of 127.0.0.1, run in a thread.

    Use as a context manager (the test fixture does)::

        with FaultServer() as server:
            url = server.url("500")
    """

    def __init__(self, *, hang_seconds: float = 6.0, host: str = LOOPBACK) -> None:
        if host != LOOPBACK:
            raise ValueError(f"the fault server binds to {LOOPBACK} only, not {host!r}")
        self.state = _State(hang_seconds=hang_seconds)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not running"
        return int(self._httpd.server_address[1])

    @property
    def seen(self) -> list[Seen]:
        with self.state.lock:
            return list(self.state.seen)

    @property
    def graphs(self) -> dict[str, bytes]:
        """The graphs stored by successful PUTs, by their (URL-encoded) graph IRI."""
        with self.state.lock:
            return dict(self.state.graphs)

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.port}/{path}"

    def start(self) -> FaultServer:
        httpd = _Server((LOOPBACK, 0), _Handler)
        host = httpd.server_address[0]
        if host != LOOPBACK:  # belt and braces: never listen beyond loopback
            httpd.server_close()
            raise RuntimeError(f"the fault server bound to {host}, not {LOOPBACK}")
        httpd.state = self.state
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fault-server", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop serving, end every hang, join every thread; True if all stopped in time."""
        self.state.stop.set()
        if self._httpd is None or self._thread is None:
            return True
        self._httpd.shutdown()
        self._httpd.server_close()  # joins the handler threads (block_on_close)
        self._thread.join(timeout)
        stopped = not self._thread.is_alive()
        self._httpd = None
        return stopped

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a connection to it is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])
