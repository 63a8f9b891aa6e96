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
import subprocess
from pathlib import Path

from local_server import LOOPBACK, LocalServer, ServerError, free_port

USER = "dba"
PASSWORD = "dba"  # the default of a fresh database; loopback only

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


class VirtuosoError(ServerError):
    """The server did not start, or a command to it failed."""


class VirtuosoServer(LocalServer):
    name = "virtuoso-t"
    logs = ("virtuoso.out", "db/virtuoso.log")
    start_timeout = 90.0
    stop_timeout = 30.0
    error = VirtuosoError

    def __init__(self, folder: Path) -> None:
        found = binaries()
        if found is None:
            raise VirtuosoError("virtuoso-t / isql-vt not found (run scripts/setup-virtuoso as root)")
        super().__init__(folder)
        self.server_bin, self.isql_bin = found
        self.sql_port = 0
        self.http_port = 0

    # -- addresses ------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.http_port}/{path.lstrip('/')}"

    @property
    def sparql_url(self) -> str:
        """The query endpoint (read-only without authentication)."""
        return self.url("sparql")

    probe_url = sparql_url

    @property
    def graph_store_url(self) -> str:
        """The Graph Store Protocol endpoint that takes writes (digest authentication)."""
        return self.url("sparql-graph-crud-auth")

    # -- life cycle -----------------------------------------------------------------------

    def _launch(self) -> subprocess.Popen[bytes]:
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
        return subprocess.Popen(
            [self.server_bin, "+foreground", "+configfile", "virtuoso.ini"],
            cwd=self.folder, stdin=subprocess.DEVNULL, stdout=self._open_output("virtuoso.out"),
            stderr=subprocess.STDOUT,
        )

    def _ask_to_exit(self, process: subprocess.Popen[bytes]) -> None:
        """A checkpoint and a clean exit, through ``isql-vt ... -K``."""
        try:
            subprocess.run(
                [self.isql_bin, f"{LOOPBACK}:{self.sql_port}", USER, PASSWORD, "-K"],
                check=False, cwd=self.folder, capture_output=True, timeout=self.stop_timeout,
                stdin=subprocess.DEVNULL,
            )
        except (subprocess.TimeoutExpired, OSError):
            pass

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
