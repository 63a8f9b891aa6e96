"""The Python front door: one :class:`Graph`, typed :class:`Table` results.

In the style of sqlite-utils' ``Database``::

    >>> from nhsgraph import Graph
    >>> g = Graph.open()                      # the embedded graph, built on first use
    >>> icbs = g.query("organisations-at", date="2022-07-01", type="icb")
    >>> len(icbs)
    42
    >>> icbs[0]["start"]                      # dates are datetime.date
    datetime.date(2022, 7, 1)

Parameters take ``datetime.date`` values or ISO strings; a parameter whose name
is a Python keyword takes a trailing underscore (``from_=``). Results are
typed: ``xsd:date`` as :class:`datetime.date`, ``xsd:decimal`` as
:class:`decimal.Decimal`, integers as ``int``, booleans as ``bool``, an
unbound value (an open end) as ``None``. Errors are
:class:`~nhsgraph.errors.NhsGraphError` subclasses naming the parameter.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from nhsgraph import engine, export, history, queries, validate
from nhsgraph import store as embedded
from nhsgraph.errors import ParameterError
from nhsgraph.results import Cell, Result

XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}


def python_value(cell: Cell | None) -> Any:
    """The Python value of one result cell (see the module docstring)."""
    if cell is None:
        return None
    if cell.kind != "literal" or cell.datatype is None:
        return cell.value
    kind = cell.datatype
    try:
        if kind == XSD + "date":
            return date.fromisoformat(cell.value)
        if kind in _INTEGERS:
            return int(cell.value)
        if kind == XSD + "decimal":
            return Decimal(cell.value)
        if kind in (XSD + "double", XSD + "float"):
            return float(cell.value)
        if kind == XSD + "boolean":
            return cell.value in ("true", "1")
    except ValueError:  # an ill-typed literal stays as its text
        return cell.value
    return cell.value


@dataclass(frozen=True)
class Table:
    """Typed rows with named columns; iterates as records (dicts)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def from_result(cls, result: Result) -> Table:
        return cls(result.columns, tuple(tuple(python_value(c) for c in row) for row in result.rows))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (dict(zip(self.columns, row)) for row in self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return dict(zip(self.columns, self.rows[index]))

    def records(self) -> list[dict[str, Any]]:
        return list(self)

    def to_csv(self, path: str | Path | None = None) -> str:
        """The table as CSV (dates ISO, open values empty); written to ``path`` if given."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
        text = out.getvalue()
        if path is not None:
            export.write_atomic(Path(path), text)
        return text

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (``pip install nhsgraph[pandas]``)."""
        try:
            import pandas as pd
        except ImportError:
            raise ParameterError("to_pandas needs pandas",
                                 hint="pip install 'nhsgraph[pandas]'") from None
        return pd.DataFrame(list(self.rows), columns=list(self.columns))


def _text(name: str, value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise ParameterError(f"parameter {name}: {value!r} is not a date or a string")


class Graph:
    """The history graph: the embedded one (:meth:`open`) or one built from another data folder."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    @classmethod
    def open(cls, *, data_dir: str | Path | None = None, cache_dir: str | Path | None = None) -> Graph:
        """The embedded graph, built into the cache on first use.

        ``cache_dir`` replaces ``$NHSGRAPH_CACHE``; ``data_dir`` builds the graph
        (in memory, not cached) from another copy of ``data/`` laid out the same way.
        """
        if data_dir is not None:
            triples = embedded.compile_graph(Path(data_dir))
            store = ox.Store()
            store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
            return cls(store)
        return cls(embedded.build(root=Path(cache_dir) if cache_dir is not None else None).store())

    def query(self, name: str, **params: Any) -> Table:
        """Run a canned query (``nhsgraph query --list`` names them) with its parameters."""
        canned = queries.get(name)
        raw = {key.rstrip("_"): _text(key.rstrip("_"), value) for key, value in params.items()}
        return Table.from_result(engine.run_oxigraph(self.store, canned.text,
                                                     queries.bind(canned, raw, self.store)))

    def sparql(self, text: str, *, allow_service: bool = False) -> Table:
        """Run your own SELECT (no Update; SERVICE only with ``allow_service``)."""
        return Table.from_result(engine.run_oxigraph(self.store, text, allow_service=allow_service))

    def lineage(self, code: str) -> Table:
        return Table.from_result(history.lineage(self.store, code))

    def crosswalk(self, from_type: str, from_date: date | str, to_type: str, to_date: date | str) -> Table:
        """Shares of each 'from' organisation's LSOAs and population in each 'to' one
        (see :func:`nhsgraph.history.crosswalk`); shares are ``Decimal``, unknown ``None``."""
        rows = history.crosswalk(self.store, from_type, _text("from_date", from_date), to_type,
                                 _text("to_date", to_date))
        columns = history.CrosswalkRow.COLUMNS
        typed = []
        for r in rows:
            values = [getattr(r, c) for c in columns]
            typed.append(tuple(
                (Decimal(v) if v else None) if c in ("share", "population_share") else (v or None)
                for c, v in zip(columns, values)))
        return Table(columns, tuple(typed))

    def diff(self, first: date | str, second: date | str) -> list[str]:
        return history.diff(self.store, _text("first", first), _text("second", second))

    def validate(self, files: list[str | Path] | None = None, *,
                 rules: list[str | Path] | None = None) -> validate.Report:
        """SHACL: the embedded graph, or ``files`` (with the ontology), against the shipped shapes."""
        extra = [Path(p) for p in rules or []]
        if files:
            return validate.validate_files([Path(p) for p in files], rule_sets=extra)
        return validate.validate_triples([q.triple for q in self.store], with_ontology=False,
                                         rule_sets=extra, store=self.store)

    def export(self, format: str = "turtle", path: str | Path | None = None) -> str:
        """The whole graph as text in ``format`` (turtle, nt, jsonld, ...); written to ``path`` if given."""
        triples = [q.triple for q in self.store.quads_for_pattern(None, None, None)]
        text = export.serialize(triples, format)
        if path is not None:
            export.write_atomic(Path(path), text)
        return text
