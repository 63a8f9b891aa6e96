"""Integrated care partnerships (ICPs), from ``data/curated/icp.csv``.

Sources and rules:

- Section 116ZA of the Local Government and Public Involvement in Health Act
  2007 (inserted by the Health and Care Act 2022) obliges each ICB and its
  responsible local authorities to set up an ICP, a joint committee, from
  2022-07-01. That is the start of the duty, not of any ICP: the partnerships
  were set up afterwards, each on a day no stored source gives.
- **A start known only between two days.** Each row of ``icp.csv`` bounds the
  start of one ICP (kind ``icp``, IRI ``nhsid:icp/<ICB code>``, part of the
  statutory ICS of that code) and makes it with ``nhs:earliestStart`` and
  ``nhs:latestStart``, never a guessed ``nhs:startDate``:

  * the **earliest** start is the statutory duty (2022-07-01), or a later day
    a source gives before which the partnership cannot have existed (a member
    council's decision to join it; a report that it had not yet launched);
  * the **latest** start is the first dated act of that partnership in the
    sources (its first meeting, a meeting, its strategy agreed or published, a
    dated report of one): the partnership existed on that day. An act dated to
    a month or year only bounds the start by the month's or year's last day.

  Where the earliest and latest days are the same (a source says the
  partnership came together on 2022-07-01) the start is that day.
- **Names.** The name is as a source writes it (``name_source_ids``). Where no
  stored source names the partnership, its label says so ("Integrated care
  partnership of <ICB>, name not known") with a comment, and no name record is
  made: the label describes, it does not name.
- **The end.** An ICP is a joint committee of its ICB: when the ICB was
  abolished on 2026-03-31 its ICP ended with it (rule, flagged INFERRED in a
  comment). Whether the successor ICB's partnership continues it is not in the
  sources.
- ICBs with no dated evidence of their ICP (or only hedged or ICS-level words)
  have no row and no ICP: the completeness register says so.
"""

from __future__ import annotations

from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.milestones import STATUTORY_ICS
from nhsgraph.ingest.products import ORGANISATIONS, SOURCES
from nhsgraph.temporal import Between

UNNAMED = "no stored source names this partnership: the label describes it, it is not its name"
ENDS_WITH_ICB = ("INFERRED: an ICP is a joint committee of its ICB, so it ended with the ICB; whether "
                 "the successor ICB's partnership carries it on is not in the sources")


def ingest(ctx: Context) -> None:
    b = ctx.builder
    seen: set[str] = set()
    for row in ctx.curated("icp.csv"):
        code = row["icb_ods"]
        if code in seen:
            raise row.error(f"ICB {code} has two ICP rows; an ICB has one integrated care partnership")
        seen.add(code)
        earliest, latest = row.date("earliest_start"), row.date("latest_start")
        if earliest is None or latest is None:
            raise row.error(f"ICP of {code}: earliest_start and latest_start are both needed",
                            hint="an ICP with no dated evidence has no row")
        if earliest < STATUTORY_ICS:
            raise row.error(f"ICP of {code}: earliest start {earliest} is before the statutory duty "
                            f"of {STATUTORY_ICS}")
        if latest < earliest:
            raise row.error(f"ICP of {code}: latest start {latest} is before the earliest {earliest}")
        latest_sources = _ids(row["latest_source_ids"])
        if not latest_sources:
            raise row.error(f"ICP of {code} has no latest_source_ids")
        ics = ctx.lifetime("ics", code)
        if ics is None:
            raise row.error(f"ICP of {code}: there is no statutory ICS {code} (no ICB of 2022 with that code)")
        if not ics.contains(latest):
            raise row.error(f"ICP of {code} starts by {latest}, outside the life of ICS {code}")
        name = row["icp_name"]
        name_sources = _ids(row["name_source_ids"])
        if name and not name_sources:
            raise row.error(f"ICP of {code} has a name but no name_source_ids")
        icb_name = ctx.name("icb", code)
        sources = sorted(set(latest_sources + _ids(row["earliest_source_ids"]) + name_sources))
        start = Between(earliest, latest)
        end = ics.end
        org = b.add_organisation(
            "icp", code, name=name or f"Integrated care partnership of {icb_name}, name not known",
            start=start, end=end, sources=sources,
            comment="; ".join(c for c in (None if name else UNNAMED, ENDS_WITH_ICB if end else None,
                                          row["note"]) if c),
        )
        if name:
            b.add_name(org, name, start, end, sources=name_sources)
        b.add_part_of(org, b.ref("ics", code, why=f"ICS of ICP {code}"), sources=latest_sources)


def _ids(text: str) -> list[str]:
    return [s for s in text.split(";") if s]


STEP = Step("icp", ingest, provides=(ORGANISATIONS["icp"],),
            needs=(SOURCES, ORGANISATIONS["ics"], ORGANISATIONS["icb"]))
