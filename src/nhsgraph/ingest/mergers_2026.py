"""The April 2026 ICB mergers, as ODS's change summary describes them.

ODS published the plan for 2026-04-01 as a workbook ("Integrated Care Board
Mergers - Phase 1 April 2026 - Change Summary", version 1 of 2025-11-06,
``ods-icb-mergers-2026``). This step reads it into one typed
:class:`Plan2026` that the ``icb``, ``sub_icb`` and ``coverage`` steps use,
so the 2026 state is derived from the official document rather than typed in.
Sources and rules:

- **Which ICB each sub-ICB location joins**: tab "ICB Footprints" (new ICB
  name, then its sub-ICB location codes; QRL keeps 10R and D9Y0V).
- **New names** of the 23 renamed sub-ICB locations: tab "SICBL Changes".
- **Closures**: D4U1Y (tab "SICBL Changes", legal close date) and the five
  Frimley sub-ICB reporting entities (tab "SI-RE Changes"); the 13 London
  reporting entities change ICB (same tab).
- **Regions** of the six new ICBs: tab "Summary".
- **Frimley's three-way split**, LSOA by LSOA (LSOA 2011): tab "ICB
  Footprints_LSOA Changes" (244 LSOAs to Thames Valley, 95 to 92A, 101 to
  D9Y0V).
- **Codes the workbook leaves "tbc".** Version 1 predates code allocation:
  the new ICBs' codes and the new Thames Valley sub-ICB location's code read
  "[ANANA] tbc". A new ICB's code is the ``ods`` of the row of
  ``data/curated/icb-2026.csv`` with the same name (ignoring case; those
  codes come from the ODS successor file); the new sub-ICB location's code is
  that of the one ``new`` row of ``data/curated/sub-icb-2026.csv`` (U2G6B,
  seen in NHS England's own code, flagged there). The build stops if a name
  matches no row or the curated table disagrees with the workbook.
- The curated table also carries, per location, the sources and flags of
  the names after 2026-04-01: 21 of them are seen only in this plan (no
  post-implementation ODS record was found), flagged ``SINGLE_SOURCE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from nhsgraph.errors import DataError
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.milestones import ICB_MERGERS_2026
from nhsgraph.ingest.products import MERGERS_2026, SOURCES
from nhsgraph.ingest.readers import Row
from nhsgraph.temporal import day_before

WORKBOOK = "ods-icb-mergers-2026"
TABLE = "sub-icb-2026.csv"
LAST_DAY = day_before(ICB_MERGERS_2026)
_TBC = "[ANANA]"


@dataclass(frozen=True)
class Change:
    """What happens on 2026-04-01 to one sub-ICB location or sub-ICB reporting entity."""

    code: str
    kind: str
    status: str  # continuing, new or closed
    icb: str | None  # its ICB from 2026-04-01 (None when it closes)
    name: str | None  # its name from 2026-04-01, where the workbook gives a new one
    sources: tuple[str, ...]
    flags: frozenset[str]
    note: str


@dataclass(frozen=True)
class Plan2026:
    changes: Mapping[str, Change]
    #: Region (ODS Y-code) of each new ICB.
    regions: Mapping[str, str]
    #: LSOA 2011 code -> the sub-ICB location it joins, for Frimley's sub-ICB location D4U1Y.
    frimley: Mapping[str, str]

    def icb_of(self, sub_icb: str) -> str | None:
        change = self.changes.get(sub_icb)
        return change.icb if change else None


def excel_day(value: str, row: Row, column: str) -> date:
    """A date as the workbook stores it: an Excel day number (46112 is 2026-03-31)."""
    try:
        return date(1899, 12, 30) + timedelta(days=int(float(value)))
    except ValueError:
        raise row.error(f"column {column}: {value!r} is not an Excel date") from None


def ingest(ctx: Context) -> None:
    icbs = {r["name"].strip().upper(): r["ods"] for r in ctx.curated("icb-2026.csv")}
    icbs["NHS HAMPSHIRE AND ISLE OF WIGHT INTEGRATED CARE BOARD"] = "QRL"
    curated = {r["code"]: r for r in ctx.curated(TABLE)}
    new_codes = [c for c, r in curated.items() if r["status"] == "new"]
    if len(new_codes) != 1:
        raise DataError(f"{TABLE} should have one 'new' sub-ICB location, not {len(new_codes)}",
                        path=f"data/curated/{TABLE}")
    new_code = new_codes[0]

    def icb_code(name: str, row: Row) -> str:
        key = " ".join(name.split()).upper()
        if key.endswith(" ICB"):  # the SI-RE tab writes the short form
            key = key[: -len("ICB")] + "INTEGRATED CARE BOARD"
        code = icbs.get(key)
        if code is None:
            raise row.error(f"no ICB of 2026 is called {name.strip()!r} in data/curated/icb-2026.csv")
        return code

    def sub_code(text: str) -> str:
        return new_code if text.startswith(_TBC) else text

    # tab "ICB Footprints": new ICB name (carried down), then sub-ICB location codes
    joins: dict[str, str] = {}
    current = None
    for row in ctx.sheet(WORKBOOK, "ICB Footprints"):
        name, code = row.get("B"), row.get("C")
        if name.upper().endswith("INTEGRATED CARE BOARD"):
            current = icb_code(name, row)
        if current and code and code != "Sub ICB Location Code":
            joins[sub_code(code)] = current
    # tab "SICBL Changes": new names, and the closure of a sub-ICB location
    names: dict[str, str] = {}
    closed: dict[str, date] = {}
    for row in ctx.sheet(WORKBOOK, "SICBL Changes"):
        code, old, new = row.get("B"), row.get("C"), row.get("E")
        if old.startswith("NHS ") and new.startswith("NHS "):
            names[code] = new
        if row.get("F") and row.get("D") and row.get("F").replace(".", "").isdigit():
            closed[row.get("D")] = excel_day(row.get("F"), row, "F")
    # tab "SI-RE Changes": reporting entities that change ICB or close
    for row in ctx.sheet(WORKBOOK, "SI-RE Changes"):
        code, relation = row.get("B"), row.get("E")
        if relation != "IS A SUB-DIVISION OF":
            continue
        if row.get("L"):
            joins[code] = icb_code(row.get("L"), row)
        elif row.get("J"):
            closed[code] = excel_day(row.get("J"), row, "J")
    for code, day in closed.items():
        if day != LAST_DAY:
            raise DataError(f"{code} closes on {day}, not {LAST_DAY}", path=ctx.display(WORKBOOK))
    # tab "Summary": the regions of the new ICBs
    regions: dict[str, str] = {}
    for row in ctx.sheet(WORKBOOK, "Summary"):
        region, code, name = row.get("B"), row.get("C"), row.get("D")
        if region.startswith("Y") and code.startswith(_TBC):
            regions[icb_code(name, row)] = region
    # tab "ICB Footprints_LSOA Changes": Frimley's LSOAs
    frimley: dict[str, str] = {}
    for row in ctx.sheet(WORKBOOK, "ICB Footprints_LSOA Changes"):
        lsoa = row.get("B")
        if lsoa.startswith("E01"):
            frimley[lsoa] = sub_code(row.get("N"))
    changes = _checked(ctx, curated, joins, names, closed)
    ctx.put(MERGERS_2026, Plan2026(changes, regions, frimley))


def _checked(ctx: Context, curated: dict[str, Row], joins: dict[str, str], names: dict[str, str],
             closed: dict[str, date]) -> dict[str, Change]:
    """The changes of the workbook, each checked against its row in the curated table."""
    changes: dict[str, Change] = {}
    codes = set(joins) | set(closed)
    if codes != set(curated):
        raise DataError(f"data/curated/{TABLE} and the ODS change summary name different codes: "
                        f"only in the table {sorted(set(curated) - codes)}, only in the workbook "
                        f"{sorted(codes - set(curated))}", path=f"data/curated/{TABLE}")
    for code in sorted(codes):
        row = curated[code]
        status = "closed" if code in closed else row["status"]
        icb = joins.get(code)
        if status != row["status"] or (icb or "") != row["icb_from_2026_04_01"]:
            raise row.error(f"{code}: the ODS change summary says {status} in {icb or 'no ICB'}, the "
                            f"table {row['status']} in {row['icb_from_2026_04_01'] or 'no ICB'}")
        name = names.get(code)
        if row["status"] == "new":
            name = row["name_from_2026_04_01"]  # the workbook's name has the code "tbc"
        if name and name != row["name_from_2026_04_01"]:
            raise row.error(f"{code}: the ODS change summary names it {name!r}, the table "
                            f"{row['name_from_2026_04_01']!r}")
        sources = tuple(dict.fromkeys([WORKBOOK, *(s for s in row["source_ids"].split(";") if s)]))
        changes[code] = Change(code, row["kind"], status, icb, name, sources,
                               frozenset(f for f in row["flags"].split(";") if f), row["note"])
    return changes


STEP = Step("mergers_2026", ingest, provides=(MERGERS_2026,), needs=(SOURCES,))
