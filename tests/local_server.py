"""What the scratch SPARQL servers of ``tests/test_remote.py`` share.

A :class:`LocalServer` runs one server process in its own folder, on free
ports of 127.0.0.1 only: it starts it (again on fresh ports if a port was
taken in between), waits until its query URL answers ``ASK {}``, keeps the
tail of its logs for error messages, and stops it by its own process id.
A subclass says how to launch the server, where to probe it, which logs to
read and how to ask it to exit (:mod:`oxigraph_server`, :mod:`virtuoso`).
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Self

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class ServerError(RuntimeError):
    """The server did not start, or a command to it failed."""


class LocalServer:
    #: What the messages call the server.
    name = "the server"
    #: Files under the folder whose tails explain a failure, in order.
    logs: tuple[str, ...] = ()
    start_timeout = 30.0
    stop_timeout = 15.0
    poll_interval = 0.1
    error: type[ServerError] = ServerError

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    # -- what a subclass provides -------------------------------------------------------------

    def _launch(self) -> subprocess.Popen[bytes]:
        """Prepare the folder, pick the ports and start the process (output to ``self._output``)."""
        raise NotImplementedError

    @property
    def probe_url(self) -> str:
        """The query endpoint that answers once the server is ready."""
        raise NotImplementedError

    def _ask_to_exit(self, process: subprocess.Popen[bytes]) -> None:
        """Ask a running server to exit; by default SIGTERM."""
        process.terminate()

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, attempts: int = 3) -> Self:
        """Start on fresh free ports; retried if a port was taken in between."""
        last = ""
        for _ in range(attempts):
            try:
                if self.process is not None:
                    raise self.error("already started")
                self.folder.mkdir(parents=True, exist_ok=True)
                self.process = self._launch()
                self._wait_until_ready()
                return self
            except ServerError as exc:
                last = str(exc)
                self.stop()
        raise self.error(f"{self.name} did not start after {attempts} attempts: {last}")

    def _open_output(self, name: str) -> IO[bytes]:
        self._output = open(self.folder / name, "wb")  # noqa: SIM115 (closed in stop)
        return self._output

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        probe = self.probe_url + "?query=ASK%7B%7D"
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self.error(f"{self.name} exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with opener.open(probe, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(self.poll_interval)
        raise self.error(f"no HTTP answer on {self.probe_url} after {self.start_timeout:g} s: "
                         f"{self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        texts: list[str] = []
        for name in self.logs:
            path = self.folder / name
            if path.exists():
                texts += path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        return "\n".join(texts)

    def stop(self) -> int | None:
        """Stop the server: ask it to exit, then SIGTERM, then SIGKILL, each after a wait.

        Returns its exit code (None if it never ran).
        """
        process, self.process = self.process, None
        code = None
        if process is not None:
            if process.poll() is None:
                self._ask_to_exit(process)
            try:
                code = process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    code = process.wait(timeout=10)
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
