"""A loopback "canary" HTTP server that records every request it receives.

The hostile-input suite (``tests/test_no_request.py``) points every URL a
hostile file, query, shapes file, parameter or environment variable can hold
at this server (and sets it as the HTTP proxy too, so a request meant for any
other host comes here as well). nhsgraph must never contact it unless the
user asked for that endpoint: after every case, :attr:`Canary.requests` must
be empty.

It answers everything 200 with a small body that each kind of client would
accept (SPARQL results JSON, a JSON-LD context, an empty Turtle document), so
that a client that did call it carries on and shows what it would have done
with a real answer. It binds to 127.0.0.1 only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"
BODY = b'{"head": {"vars": []}, "results": {"bindings": []}, "@context": {}}'


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True
    requests: list[Request]
    lock: threading.Lock


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length else b""
        with self.server.lock:
            self.server.requests.append(Request(self.command, self.path, dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(BODY)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _record


class Canary:
    """``with Canary() as canary: ...; assert canary.requests == []``"""

    def __init__(self) -> None:
        self._server = _Server((LOOPBACK, 0), _Handler)
        self._server.requests = []
        self._server.lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="canary")

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def requests(self) -> list[Request]:
        with self._server.lock:
            return list(self._server.requests)

    def url(self, path: str = "") -> str:
        return f"http://{LOOPBACK}:{self.port}/{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
