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
from collections.abc import Iterator
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
            if not record or all(not v.strip() for v in record):
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


def read_ods(path: Path, *, display: str | None = None) -> list[Row]:
    """Read an ODS 27-column bulk file (no header)."""
    return read_csv(path, header=ODS_COLUMNS, display=display)


def read_json(path: Path, *, display: str | None = None) -> Any:
    name = display or str(path)
    text = _text(path, "utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON ({exc.msg})", path=name, line=exc.lineno) from None


def rows_by(rows: list[Row], column: str) -> Iterator[tuple[str, Row]]:
    for row in rows:
        yield row[column], row
