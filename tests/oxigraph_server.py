"""A scratch Oxigraph SPARQL server on 127.0.0.1, for ``tests/test_remote.py``.

Runs ``oxigraph serve`` (PyPI package ``oxigraph``, the server built on the
same engine as pyoxigraph; ../shared/research/toolchain.md §4.7) on a fresh
RocksDB folder in a temporary directory, on a free loopback port. Oxigraph's
server has no authentication, so it is only ever bound to 127.0.0.1.

Usage::

    with OxigraphServer(tmp_path) as server:
        server.query_url           # http://127.0.0.1:PORT/query
        server.graph_store_url     # http://127.0.0.1:PORT/store

``stop()`` sends SIGTERM to the server's own process id and waits; SIGKILL
only if it does not exit in time (:class:`local_server.LocalServer`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from local_server import LOOPBACK, LocalServer, ServerError, free_port


def binary() -> str | None:
    """The ``oxigraph`` command: the one next to this Python first, else on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    return shutil.which("oxigraph")


class OxigraphError(ServerError):
    """The server did not start."""


class OxigraphServer(LocalServer):
    name = "oxigraph serve"
    logs = ("serve.log",)
    poll_interval = 0.05
    error = OxigraphError

    def __init__(self, folder: Path) -> None:
        found = binary()
        if found is None:
            raise OxigraphError("the `oxigraph` command is not installed (pip install oxigraph)")
        super().__init__(folder)
        self.command = found
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.port}/{path.lstrip('/')}"

    @property
    def query_url(self) -> str:
        return self.url("query")

    probe_url = query_url

    @property
    def update_url(self) -> str:
        return self.url("update")

    @property
    def graph_store_url(self) -> str:
        return self.url("store")

    def _launch(self) -> subprocess.Popen[bytes]:
        db = self.folder / "db"
        if db.exists():
            shutil.rmtree(db)
        self.port = free_port()
        return subprocess.Popen(
            [self.command, "serve", "--location", str(db), "--bind", f"{LOOPBACK}:{self.port}"],
            cwd=self.folder, stdin=subprocess.DEVNULL, stdout=self._open_output("serve.log"),
            stderr=subprocess.STDOUT,
        )
