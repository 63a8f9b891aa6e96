"""Integrated care partnerships (ICPs), from ``data/curated/icp.csv``.

Sources and rules:

- Section 116ZA of the Local Government and Public Involvement in Health Act
  2007 (inserted by the Health and Care Act 2022) obliges each ICB and its
  responsible local authorities to set up an ICP, a joint committee, from
  2022-07-01. That is the start of the duty, not of any ICP: the partnerships
  were set up afterwards, each on its own date (Greater Manchester's councils
  decided in November 2022), so no ICP is given the date of the duty or of its
  ICS.
- One ICP is created for each row of ``icp.csv`` that has a sourced name and a
  sourced ``start`` (with ``start_precision``): kind ``icp``, IRI
  ``nhsid:icp/<ICB code>``, ``org:subOrganizationOf`` the statutory ICS of that
  code, citing the row's ``source_ids``. The start is the first dated evidence
  of that partnership (its establishment, or else its first meeting); a
  council's decision to set it up is not a start.
- Rows with a name and no start stay in the table as documented gaps and make
  no organisation: the model needs a start date and none is guessed.
- A row flagged ``PLANNED`` makes a planned organisation (none at present).
"""

from __future__ import annotations

from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.milestones import STATUTORY_ICS
from nhsgraph.ingest.products import ORGANISATIONS, SOURCES

PRECISIONS = ("day", "month", "year")


def ingest(ctx: Context) -> None:
    b = ctx.builder
    seen: set[str] = set()
    for row in ctx.curated("icp.csv"):
        code = row["icb_ods"]
        if code in seen:
            raise row.error(f"ICB {code} has two ICP rows; an ICB has one integrated care partnership")
        seen.add(code)
        start = row.date("start")
        if start is None:
            continue  # a documented gap: no sourced start date
        name = row["icp_name"]
        if not name:
            raise row.error(f"ICP of {code} has a start but no name", hint="leave both blank or cite both")
        sources = [s for s in row["source_ids"].split(";") if s]
        if not sources:
            raise row.error(f"ICP of {code} has no source_ids")
        precision = row["start_precision"] or "day"
        if precision not in PRECISIONS:
            raise row.error(f"start_precision {precision!r} is not one of {', '.join(PRECISIONS)}")
        if start < STATUTORY_ICS:
            raise row.error(f"ICP of {code} starts {start}, before the statutory duty of {STATUTORY_ICS}")
        ics = ctx.lifetime("ics", code)
        if ics is None:
            raise row.error(f"ICP of {code}: there is no statutory ICS {code} (no ICB of 2022 with that code)")
        if not ics.contains(start):
            raise row.error(f"ICP of {code} starts {start}, outside the life of ICS {code}")
        flags = {f for f in row["flags"].split(";") if f}
        org = b.add_organisation("icp", code, name=name, start=start, sources=sources,
                                 start_precision=precision, planned="PLANNED" in flags)
        b.add_part_of(org, b.ref("ics", code, why=f"ICS of ICP {code}"), sources=sources)


STEP = Step("icp", ingest, provides=(ORGANISATIONS["icp"],), needs=(SOURCES, ORGANISATIONS["ics"]))
