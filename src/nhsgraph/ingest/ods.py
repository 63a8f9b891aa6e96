"""ODS bulk files beyond the plain 27-column layout: the successor file.

ODS's ``succ`` file has no header; each row says that one organisation's
code was succeeded by another's on a day (``YYYYMMDD``), for a reason code.
:func:`successions` reads it into :class:`Succession` records, each
remembering its row for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nhsgraph.ingest.readers import Row
from nhsgraph.temporal import parse_yyyymmdd

#: The columns of ODS's successor file, which has no header row.
SUCC_COLUMNS = ["predecessor", "successor", "reason", "effective", "flag"]


@dataclass(frozen=True)
class Succession:
    predecessor: str
    successor: str
    effective: date
    row: Row


def successions(rows: list[Row]) -> list[Succession]:
    """Every row of a successor file, with its effective date checked.

    Raises:
        DataError: a row has no effective date or one that is not ``YYYYMMDD``.
    """
    out = []
    for row in rows:
        try:
            day = parse_yyyymmdd(row["effective"])
        except ValueError:
            raise row.error(f"effective date {row['effective']!r} is not YYYYMMDD") from None
        if day is None:
            raise row.error("a succession without an effective date")
        out.append(Succession(row["predecessor"], row["successor"], day, row))
    return out
