"""Reading the raw source files, with the file and line of every bad value.

Every reader returns rows that remember their line number, so an ingest
module can raise :class:`~nhsgraph.errors.DataError` that points at the
exact place in the file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from nhsgraph.errors import DataError
from nhsgraph.temporal import parse_yyyymmdd


@dataclass(frozen=True)
class Row:
    """One data row: its values by column name, and where it came from."""

    values: dict[str, str]
    path: str
    line: int

    def __getitem__(self, column: str) -> str:
        try:
            return self.values[column].strip()
        except KeyError:
            raise DataError(
                f"no column {column!r} (the file has {', '.join(self.values)})",
                path=self.path,
                line=self.line,
            ) from None

    def get(self, column: str, default: str = "") -> str:
        value = self.values.get(column)
        return default if value is None else value.strip()

    def error(self, message: str, *, hint: str | None = None) -> DataError:
        return DataError(message, path=self.path, line=self.line, hint=hint)

    def date(self, column: str, *, ods: bool = False) -> date | None:
        """A date column: ISO ``YYYY-MM-DD``, or ODS ``YYYYMMDD`` with ``ods=True``."""
        text = self[column]
        if not text:
            return None
        try:
            return parse_yyyymmdd(text) if ods else date.fromisoformat(text)
        except ValueError:
            form = "YYYYMMDD" if ods else "YYYY-MM-DD"
            raise self.error(f"column {column!r}: {text!r} is not a {form} date") from None


def _text(path: Path, encoding: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError("file not found", path=str(path)) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a file", path=str(path)) from None
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"not a valid gzip file ({exc})", path=str(path)) from None
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"not valid {encoding} text (byte {exc.start})", path=str(path), line=line,
            hint="save the file as UTF-8",
        ) from None


def read_csv(path: Path, *, encoding: str = "utf-8-sig", header: list[str] | None = None,
             display: str | None = None) -> list[Row]:
    """Read a CSV file into rows; ``header`` names the columns of a headerless file."""
    name = display or str(path)
    text = _text(path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    try:
        columns = header or next(reader)
        if header is None:
            columns = [c.strip() for c in columns]
        for record in reader:
            if not any(record) or (len(record) == 1 and not record[0].strip()):
                continue
            if len(record) != len(columns):
                raise DataError(
                    f"{len(record)} fields where the header has {len(columns)}",
                    path=name, line=reader.line_num,
                )
            rows.append(Row(dict(zip(columns, record)), name, reader.line_num))
    except StopIteration:
        raise DataError("the file is empty", path=name) from None
    except csv.Error as exc:
        raise DataError(f"malformed CSV ({exc})", path=name, line=reader.line_num) from None
    return rows


#: The 27-column layout of ODS bulk files (eccg, eauth, etr); no header row.
ODS_COLUMNS = (
    ["code", "name", "national_grouping", "high_level_health_geography"]
    + [f"address_{i}" for i in range(1, 6)]
    + ["postcode", "open_date", "close_date", "null_13", "subtype"]
    + [f"null_{i}" for i in range(15, 22)]
    + ["amended"]
    + [f"null_{i}" for i in range(23, 28)]
)


def read_json(path: Path, *, display: str | None = None) -> Any:
    name = display or str(path)
    text = _text(path, "utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON ({exc.msg})", path=name, line=exc.lineno) from None



_XLSX_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}


def _column(ref: str) -> str:
    return "".join(ch for ch in ref if ch.isalpha())


def read_xlsx_sheet(path: Path, sheet: str, *, display: str | None = None) -> list[Row]:
    """Read one worksheet of an .xlsx file, keyed by column letter (A, B, ...).

    Uses only the standard library (an .xlsx file is a zip of XML parts), so
    reading the one ODS workbook the build needs adds no dependency. Cells
    are placed by their reference, so sparse rows keep their columns.
    """
    import xml.etree.ElementTree as ET
    import zipfile

    name = display or str(path)
    try:
        book = zipfile.ZipFile(path)
        strings = []
        if "xl/sharedStrings.xml" in book.namelist():
            root = ET.fromstring(book.read("xl/sharedStrings.xml"))
            for si in root.findall("m:si", _XLSX_NS):
                strings.append("".join(t.text or "" for t in si.iter(f"{{{_XLSX_NS['m']}}}t")))
        workbook = ET.fromstring(book.read("xl/workbook.xml"))
        rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        sheet_target = None
        for entry in workbook.find("m:sheets", _XLSX_NS) or []:
            if entry.get("name") == sheet:
                sheet_target = targets[entry.get(f"{{{_XLSX_NS['r']}}}id")]
        if sheet_target is None:
            raise DataError(f"no worksheet named {sheet!r}", path=name)
        part = "xl/" + sheet_target.lstrip("/").removeprefix("xl/")
        root = ET.fromstring(book.read(part))
    except (zipfile.BadZipFile, KeyError, ET.ParseError) as exc:
        raise DataError(f"not a readable .xlsx workbook ({exc})", path=name) from None
    rows = []
    for row in root.iter(f"{{{_XLSX_NS['m']}}}row"):
        values: dict[str, str] = {}
        for c in row.findall("m:c", _XLSX_NS):
            v = c.find("m:v", _XLSX_NS)
            if v is not None and v.text is not None:
                text = strings[int(v.text)] if c.get("t") == "s" else v.text
            else:
                inline = c.find("m:is", _XLSX_NS)
                text = "".join(t.text or "" for t in inline.iter(f"{{{_XLSX_NS['m']}}}t")) if inline is not None else ""
            values[_column(c.get("r", ""))] = text
        rows.append(Row(values, f"{name}[{sheet}]", int(row.get("r", "0"))))
    return rows
