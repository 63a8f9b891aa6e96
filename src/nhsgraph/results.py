"""SELECT results in one engine-neutral form, and their output formats.

Every engine (Oxigraph, rdflib, a remote endpoint through SPARQLWrapper)
returns a :class:`Result`; the formats are written from it, so the same rows
print the same way whatever answered them, and rows from two engines can be
compared directly.

Formats: ``table`` (aligned, for people), ``csv`` and ``tsv`` (a header row,
plain values), ``json`` (SPARQL 1.1 Query Results JSON).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from nhsgraph.errors import InputError

FORMATS = ("table", "csv", "tsv", "json")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True, order=True)
class Cell:
    """One bound value: ``kind`` is ``uri``, ``literal`` or ``bnode``."""

    kind: str
    value: str
    datatype: str | None = None
    lang: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"type": self.kind, "value": self.value}
        if self.lang:
            out["xml:lang"] = self.lang
        elif self.datatype:
            out["datatype"] = self.datatype
        return out


def cell(kind: str, value: str, datatype: str | None = None, lang: str | None = None) -> Cell:
    """A cell, with ``xsd:string`` folded into the plain literal (as SPARQL JSON does)."""
    if datatype == XSD_STRING or lang:
        datatype = None
    return Cell(kind, value, datatype, lang)


@dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell | None, ...], ...]

    def values(self) -> list[tuple[str, ...]]:
        """Rows as plain strings ("" for unbound), for tests and CSV."""
        return [tuple("" if c is None else c.value for c in row) for row in self.rows]

    def records(self) -> list[dict[str, str]]:
        return [dict(zip(self.columns, row)) for row in self.values()]


def from_sparql_json(data: Any) -> Result:
    """Read a SPARQL 1.1 Query Results JSON document (as sent by an endpoint).

    Raises:
        InputError: the document is not a SELECT result in that format.
    """
    try:
        columns = tuple(data["head"]["vars"])
        rows = []
        for binding in data["results"]["bindings"]:
            row = []
            for column in columns:
                value = binding.get(column)
                if value is None:
                    row.append(None)
                    continue
                kind = {"typed-literal": "literal"}.get(value["type"], value["type"])
                if kind not in ("uri", "literal", "bnode"):
                    raise ValueError(f"unknown term type {kind!r}")
                row.append(cell(kind, str(value["value"]), value.get("datatype"), value.get("xml:lang")))
            rows.append(tuple(row))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"the endpoint's answer is not SPARQL 1.1 results JSON ({exc})") from None
    return Result(columns, tuple(rows))


def _display(c: Cell | None) -> str:
    return "" if c is None else c.value


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _safe(text: str) -> str:
    """One line, no control characters: a table cell must not move the cursor."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def format_result(result: Result, fmt: str) -> str:
    if fmt == "json":
        doc = {
            "head": {"vars": list(result.columns)},
            "results": {
                "bindings": [
                    {col: c.to_json() for col, c in zip(result.columns, row) if c is not None}
                    for row in result.rows
                ]
            },
        }
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        if fmt == "csv":
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(result.columns)
            writer.writerows(result.values())
        else:
            buffer.write("\t".join(result.columns) + "\n")
            for row in result.values():
                buffer.write("\t".join(v.replace("\t", " ").replace("\n", " ") for v in row) + "\n")
        return buffer.getvalue()
    if fmt == "table":
        header = list(result.columns)
        body = [[_safe(_display(c)) for c in row] for row in result.rows]
        widths = [max([_width(h)] + [_width(r[i]) for r in body]) for i, h in enumerate(header)]

        def line(cells: list[str]) -> str:
            return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths)).rstrip()

        out = [line(header), line(["-" * w for w in widths])]
        out += [line(r) for r in body]
        out.append(f"({len(body)} row{'s' if len(body) != 1 else ''})")
        return "\n".join(out) + "\n"
    raise InputError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
