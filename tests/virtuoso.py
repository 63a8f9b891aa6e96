"""A scratch Virtuoso server on 127.0.0.1, for ``tests/test_remote.py``.

Starts ``virtuoso-t`` (Virtuoso open source 7.2.5 from Debian, installed by
``scripts/setup-virtuoso``) in a temporary folder with its own
``virtuoso.ini`` and a fresh database (user ``dba``, password ``dba``), on
two free loopback ports: one for SQL (``isql-vt``), one for HTTP. Both
listeners are bound to 127.0.0.1 only (``ServerPort = 127.0.0.1:PORT``), so
the server is never reachable from another machine, and it never clashes with
a system Virtuoso on the default ports 1111 and 8890.

The configuration is ../shared/research/toolchain.md §4.2: ``ResultSetMaxRows``
raised (the stock 10,000 truncates silently), no plugins, no DAV.

Usage::

    with VirtuosoServer(tmp_path) as server:
        server.sparql_url          # http://127.0.0.1:PORT/sparql
        server.graph_store_url     # .../sparql-graph-crud-auth (digest, dba/dba)
        server.isql("SELECT 1;")

``stop()`` asks the server to checkpoint and exit (``isql-vt ... -K``) and
waits for it; only if it does not exit in time is it sent SIGTERM, then
SIGKILL, by its own process id.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"
USER = "dba"
PASSWORD = "dba"  # the default of a fresh database; loopback only
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0

INI = """\
[Database]
DatabaseFile    = db/virtuoso.db
ErrorLogFile    = db/virtuoso.log
LockFile        = db/virtuoso.lck
TransactionFile = db/virtuoso.trx
xa_persistent_file = db/virtuoso.pxa
ErrorLogLevel   = 7
FileExtend      = 200
MaxCheckpointRemap = 2000
Striping        = 0
TempStorage     = TempDatabase

[TempDatabase]
DatabaseFile    = db/virtuoso-temp.db
TransactionFile = db/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping        = 0

[Parameters]
ServerPort      = {host}:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode        = 2
DirsAllowed     = ., load
AllowOSCalls    = 0
MaxQueryMem     = 1G
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 10
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000

[HTTPServer]
ServerPort      = {host}:{http_port}
ServerRoot      = .
MaxClientConnections = 10
ServerThreads   = 10
EnabledDavVSP   = 0
Charset         = UTF-8

[URIQA]
DefaultHost     = localhost:{http_port}

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 120
"""


def binaries() -> tuple[str, str] | None:
    """The paths of ``virtuoso-t`` and ``isql-vt``, or None if either is missing."""
    server, client = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    return (server, client) if server and client else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


class VirtuosoError(RuntimeError):
    """The server did not start, or a command to it failed."""


class VirtuosoServer:
    def __init__(self, folder: Path) -> None:
        found = binaries()
        if found is None:
            raise VirtuosoError("virtuoso-t / isql-vt not found (run scripts/setup-virtuoso as root)")
        self.server_bin, self.isql_bin = found
        self.folder = Path(folder)
        self.sql_port = 0
        self.http_port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._output = None

    # -- addresses ------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.http_port}/{path.lstrip('/')}"

    @property
    def sparql_url(self) -> str:
        """The query endpoint (read-only without authentication)."""
        return self.url("sparql")

    @property
    def graph_store_url(self) -> str:
        """The Graph Store Protocol endpoint that takes writes (digest authentication)."""
        return self.url("sparql-graph-crud-auth")

    # -- life cycle -----------------------------------------------------------------------

    def start(self, attempts: int = 3) -> VirtuosoServer:
        """Start on fresh free ports; retried if a port was taken in between."""
        last = ""
        for _ in range(attempts):
            try:
                self._start_once()
                return self
            except VirtuosoError as exc:
                last = str(exc)
                self.stop()
        raise VirtuosoError(f"Virtuoso did not start after {attempts} attempts: {last}")

    def _start_once(self) -> None:
        if self.process is not None:
            raise VirtuosoError("already started")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "load").mkdir(exist_ok=True)
        db = self.folder / "db"
        if db.exists():  # a fresh database for every start
            shutil.rmtree(db)
        db.mkdir()
        self.sql_port, self.http_port = free_port(), free_port()
        while self.http_port == self.sql_port:
            self.http_port = free_port()
        (self.folder / "virtuoso.ini").write_text(
            INI.format(host=LOOPBACK, sql_port=self.sql_port, http_port=self.http_port), encoding="utf-8")
        self._output = open(self.folder / "virtuoso.out", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [self.server_bin, "+foreground", "+configfile", "virtuoso.ini"],
            cwd=self.folder, stdin=subprocess.DEVNULL, stdout=self._output, stderr=subprocess.STDOUT,
        )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        probe = self.sparql_url + "?query=ASK%7B%7D"
        opener = _no_proxy_opener()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise VirtuosoError(f"virtuoso-t exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with opener.open(probe, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise VirtuosoError(f"no HTTP answer on {self.sparql_url} after {START_TIMEOUT:g} s: {self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        texts = []
        for name in ("virtuoso.out", "db/virtuoso.log"):
            path = self.folder / name
            if path.exists():
                texts += path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        return "\n".join(texts)

    def isql(self, sql: str, timeout: float = 60.0) -> str:
        """Run SQL through ``isql-vt`` as dba; returns its output.

        Raises:
            VirtuosoError: isql-vt failed or reported an error.
        """
        done = subprocess.run(
            [self.isql_bin, f"{LOOPBACK}:{self.sql_port}", USER, PASSWORD, f"exec={sql}"],
            check=False, cwd=self.folder, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        output = done.stdout + done.stderr
        if done.returncode != 0 or "*** Error" in output:
            raise VirtuosoError(f"isql-vt failed ({done.returncode}): {output.strip()}")
        return output

    def stop(self) -> int | None:
        """Shut the server down cleanly; returns its exit code (None if it never ran)."""
        process, self.process = self.process, None
        code = None
        if process is not None:
            if process.poll() is None:
                try:
                    subprocess.run(
                        [self.isql_bin, f"{LOOPBACK}:{self.sql_port}", USER, PASSWORD, "-K"],
                        check=False, cwd=self.folder, capture_output=True, timeout=STOP_TIMEOUT,
                        stdin=subprocess.DEVNULL,
                    )
                except (subprocess.TimeoutExpired, OSError):
                    pass
            try:
                code = process.wait(timeout=STOP_TIMEOUT)
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
