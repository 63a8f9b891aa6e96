"""The embedded graph: compiled once, kept on disk, rebuilt when its inputs change.

``compile_graph`` runs the ingest step and adds the ontology, giving the
whole graph as a sorted list of triples. ``open_store`` returns an in-memory
Oxigraph store of it, building the cache first if it is missing or stale, so
a first ``nhsgraph query`` on a fresh install needs no separate build step.

The cache holds the graph as canonical N-Triples: our own output, one triple
per line, which Oxigraph loads without re-checking (``lenient``) in 0.1 to
0.2 s for the 66k triples of the embedded graph. An on-disk Oxigraph store
opens faster (20 to 50 ms) but answers the canned queries 2 to 5 times more
slowly (RocksDB lookups instead of in-memory indexes): memory keeps every
warm query under 20 ms, which disk does not. Since the queries were reshaped
(commit adcaba5), disk would win for a one-shot call (open plus one query);
benchmarks/README.md has the figures and the design that takes both.
Loading grows with the graph (about 4 s for 10^6 triples), so a graph whose
N-Triples exceed ``DISK_STORE_BYTES`` (about 400k triples) also gets an
on-disk store in the cache, which is opened instead.

The cache lives in ``$NHSGRAPH_CACHE`` (default ``~/.cache/nhsgraph``), one
folder per fingerprint of the inputs (every file under ``ontology/`` and
``data/``, and the code that turns them into triples). A build writes into a
temporary folder and renames it into place, so an interrupted build never
leaves a half-written store behind.

This is the only module that knows the backend is Oxigraph.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from nhsgraph import resources
from nhsgraph.errors import DataError, OutputError

GRAPH_FILE = "graph.nt"
STORE_DIR = "store"
#: Above this size of graph.nt, an on-disk store is built and opened instead of
#: loading the N-Triples at every call (loading 64 MB takes about 0.7 s).
DISK_STORE_BYTES = 64 * 1024 * 1024
#: Code whose change changes the graph (besides the data and the ontology).
_CODE = ("build.py", "terms.py", "temporal.py", "ingest")


def cache_root() -> Path:
    configured = os.environ.get("NHSGRAPH_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "nhsgraph"


def _inputs() -> list[Path]:
    root = resources.root()
    files = [p for d in ("ontology", "data") for p in (root / d).rglob("*") if p.is_file()]
    code = resources.package_dir()
    for name in _CODE:
        path = code / name
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return sorted(files)


def fingerprint() -> str:
    """A digest of the inputs' names, sizes and modification times (cheap to compute)."""
    digest = hashlib.sha256()
    root = resources.root()
    for path in _inputs():
        stat = path.stat()
        try:
            name = str(path.relative_to(root))
        except ValueError:
            name = str(path)
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def ontology_triples() -> list[ox.Triple]:
    """Every triple of ``ontology/*.ttl`` (the umbrella and its parts)."""
    triples: list[ox.Triple] = []
    folder = resources.folder("ontology")
    for path in sorted(folder.glob("*.ttl")):
        triples.extend(parse_file(path, ox.RdfFormat.TURTLE))
    return triples


def parse_file(path: Path, fmt: ox.RdfFormat) -> list[ox.Triple]:
    """Parse an RDF file with Oxigraph, turning syntax errors into ``DataError``."""
    try:
        with path.open("rb") as handle:
            return [q.triple for q in ox.parse(handle, format=fmt)]
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise DataError(f"not valid {fmt.name}: {exc.msg}", path=str(path), line=line) from None
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror})", path=str(path)) from None


def compile_graph(data_dir: Path | None = None) -> list[ox.Triple]:
    """Run the ingest step over ``data/`` (or ``data_dir``) and add the ontology; sorted, no duplicates."""
    from nhsgraph.ingest import ingest  # the build path only

    builder = ingest(data_dir or resources.folder("data"))
    triples = set(builder.finish())
    triples.update(ontology_triples())
    return sorted(triples, key=str)


@dataclass(frozen=True)
class EmbeddedGraph:
    """A built graph in the cache: its canonical N-Triples."""

    folder: Path

    @property
    def ntriples(self) -> Path:
        return self.folder / GRAPH_FILE

    def store(self) -> ox.Store:
        """The graph's on-disk store if the build made one, else a fresh in-memory store."""
        disk = self.folder / STORE_DIR
        if disk.is_dir():
            return ox.Store.read_only(str(disk))
        store = ox.Store()  # the file is ours: no re-checking
        store.load(path=str(self.ntriples), format=ox.RdfFormat.N_TRIPLES, lenient=True)
        return store


def build(*, force: bool = False, root: Path | None = None) -> EmbeddedGraph:
    """Build the embedded graph into the cache (unless it is current and not ``force``).

    ``root`` is the cache folder (default :func:`cache_root`).
    """
    root = root or cache_root()
    target = root / fingerprint()
    if target.is_dir() and not force:
        return EmbeddedGraph(target)
    triples = compile_graph()
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    except OSError as exc:
        raise OutputError(
            f"cannot write the graph cache in {root} ({exc.strerror})",
            hint="set NHSGRAPH_CACHE to a writable folder",
        ) from None
    old = root / f".old-{target.name}"
    try:
        with (tmp / GRAPH_FILE).open("w", encoding="utf-8") as out:
            for triple in triples:
                out.write(f"{triple} .\n")
        if (tmp / GRAPH_FILE).stat().st_size > DISK_STORE_BYTES:
            disk = ox.Store(str(tmp / STORE_DIR))
            disk.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
            disk.optimize()
            disk.flush()
            del disk
        # The previous build stays in place until the new one is: move it aside,
        # move the new one in, and only then delete the old one.
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        try:
            os.replace(tmp, target)
        except OSError:
            if old.exists() and not target.exists():
                os.replace(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"cannot write the graph cache in {root} ({exc.strerror or exc})",
                          hint="free some space, or set NHSGRAPH_CACHE to a writable folder") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for stale in root.iterdir():
        if stale.is_dir() and stale != target and not stale.name.startswith((".build-", ".old-")):
            shutil.rmtree(stale, ignore_errors=True)
    return EmbeddedGraph(target)


def open_store() -> ox.Store:
    """The embedded graph as an Oxigraph store (in memory unless it is large), built on first use."""
    return build().store()


def triples() -> list[ox.Triple]:
    """The embedded graph as sorted triples (from the cached N-Triples)."""
    return parse_file(build().ntriples, ox.RdfFormat.N_TRIPLES)
