"""Shared by the benchmark runner and the regression test: sample parameters and engines."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

#: The sample value of each parameter type (the first example in each query's help),
#: with overrides by parameter name (date ranges) and by query, so that every canned
#: query returns rows on the real graph and on the synthetic one (benchmarks/synthetic.py
#: puts the same codes and dates in its first systems): QJ2's board is recorded on
#: 2023-03-16 (data/curated/boards.csv: a board post is dated to its source's day), and
#: the 2025 ICB clusters (data/curated/clusters.csv) had all started by 2025-10-01.
SAMPLE_BY_TYPE = {
    "date": "2022-07-01",
    "code": "QHL",
    "type": "icb",
    "area": "E08000025",
    "text": "Birmingham",
}
SAMPLE_BY_NAME = {"from": "2019-01-01", "to": "2019-12-31"}
SAMPLE_BY_QUERY = {
    "board-at": {"code": "QJ2", "date": "2023-03-16"},
    "cluster-members": {"date": "2025-10-01"},
}


def sample_params(query: Any) -> dict[str, str]:
    """Every parameter of a canned query (required and optional) with its sample value."""
    own = SAMPLE_BY_QUERY.get(query.name, {})
    return {p.name: own.get(p.name) or SAMPLE_BY_NAME.get(p.name) or SAMPLE_BY_TYPE[p.type]
            for p in query.params}


def cli_args(name: str, params: dict[str, str]) -> list[str]:
    args = ["query", name]
    for key, value in params.items():
        args += ["--param", f"{key}={value}"]
    return args


def load_oxigraph(path: Path) -> Any:
    """An in-memory Oxigraph store of an N-Triples file, loaded as nhsgraph loads its cache
    (nhsgraph.store.EmbeddedGraph.store: ``Store.load``, lenient: the file is our own output)."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    return store


def load_rdflib(path: Path) -> Any:
    """rdflib's default in-memory store, parsed with rdflib's own N-Triples parser."""
    import rdflib

    graph = rdflib.Graph()
    graph.parse(str(path), format="nt")
    return graph


_XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {_XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short",
                              "nonNegativeInteger", "positiveInteger")}


def _plain(cell: Any) -> str:
    """A cell's value; numbers by value (Oxigraph writes "1.0000"^^xsd:decimal back as "1")."""
    if cell is None:
        return ""
    if cell.datatype in NUMERIC:
        try:
            return format(Decimal(cell.value).normalize(), "f")
        except InvalidOperation:
            return cell.value
    return cell.value


def canonical_rows(result: Any) -> list[tuple[str, ...]]:
    """Rows as sorted tuples of plain values ("" for unbound), comparable across engines.

    A multiset: a row that one engine returns twice and another once differs.
    """
    return sorted(tuple(_plain(c) for c in row) for row in result.rows)
