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
only if it does not exit in time.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def binary() -> str | None:
    """The ``oxigraph`` command: the one next to this Python first, else on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    return shutil.which("oxigraph")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class OxigraphError(RuntimeError):
    """The server did not start."""


class OxigraphServer:
    def __init__(self, folder: Path) -> None:
        found = binary()
        if found is None:
            raise OxigraphError("the `oxigraph` command is not installed (pip install oxigraph)")
        self.command = found
        self.folder = Path(folder)
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._output = None

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.port}/{path.lstrip('/')}"

    @property
    def query_url(self) -> str:
        return self.url("query")

    @property
    def update_url(self) -> str:
        return self.url("update")

    @property
    def graph_store_url(self) -> str:
        return self.url("store")

    def start(self, attempts: int = 3) -> OxigraphServer:
        last = ""
        for _ in range(attempts):
            try:
                self._start_once()
                return self
            except OxigraphError as exc:
                last = str(exc)
                self.stop()
        raise OxigraphError(f"oxigraph serve did not start after {attempts} attempts: {last}")

    def _start_once(self) -> None:
        if self.process is not None:
            raise OxigraphError("already started")
        self.folder.mkdir(parents=True, exist_ok=True)
        db = self.folder / "db"
        if db.exists():
            shutil.rmtree(db)
        self.port = free_port()
        self._output = open(self.folder / "serve.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [self.command, "serve", "--location", str(db), "--bind", f"{LOOPBACK}:{self.port}"],
            cwd=self.folder, stdin=subprocess.DEVNULL, stdout=self._output, stderr=subprocess.STDOUT,
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        probe = self.query_url + "?query=ASK%7B%7D"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise OxigraphError(f"oxigraph serve exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with opener.open(probe, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        raise OxigraphError(f"no HTTP answer on {self.query_url} after {START_TIMEOUT:g} s: {self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        path = self.folder / "serve.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def stop(self) -> int | None:
        process, self.process = self.process, None
        code = None
        if process is not None:
            if process.poll() is None:
                process.terminate()
            try:
                code = process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
        if self._output is not None:
            self._output.close()
            self._output = None
        return code

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
