"""Sub-ICB locations (from 2022-07-01) and sub-ICB reporting entities (from 2024).

On 2022-07-01 each remaining CCG's ODS code carried on as a sub-ICB location
inside an ICB: a reference area, not a legal body, so it is a new
organisation ``nhsid:sub-icb/<code>`` linked to its CCG by the CCG's
abolition event. Sources and rules:

- **Which, and when.** The 106 locations of the ONS July 2022 lookup; each
  starts on 2022-07-01 (the start of its ONS version in the Code History
  Database, E38). ODS lists them as role RO319 in ``eccg`` (late 2025). On
  2026-04-01 (ODS change summary, step ``mergers_2026``) D4U1Y (Frimley)
  closed, its last day 2026-03-31, and one new location opened: U2G6B
  (Thames Valley), from Frimley's East Berkshire LSOAs.
- **Names by date**: CHD E38 versions from 2022-07-01, matched through the
  ONS 2022 and 2024 lookups that give both codes; then, for the 23 locations
  the change summary renames, the new ODS name from 2026-04-01 (the CHD's
  open-ended name ends on 2026-03-31). A name differing only in letter case
  is not a renaming. 21 of the new names are seen only in the change
  summary, written before the change; their name records say so.
- **ICB membership**: snapshots of the ONS lookups of July 2022 and April
  2024 and of the change summary for 2026-04-01 (which names every location
  that moved; the others stay where the April 2024 lookup has them), turned
  into runs by :func:`nhsgraph.ingest.snapshots.snapshot_runs` and clipped to
  both lifetimes.
- **Frimley's split** (2026-04-01): a ``nhs:Split`` of D4U1Y into the three
  locations its LSOAs joined, a ``nhs:BoundaryChange`` for each of the two
  that existed (92A, D9Y0V) and an ``nhs:Establishment`` of U2G6B.
- **Sub-ICB reporting entities** (role RO327; London from 2024-04-01, Frimley
  from 2024-07-24) with their ODS open dates and the ICB ``eccg`` gives; on
  2026-04-01 the 13 North Central and North West London entities move to
  West and North London (Z9B2Z) and the five Frimley entities close.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from nhsgraph.ingest.chd import Version
from nhsgraph.ingest.codes import CodeMap
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.mergers_2026 import WORKBOOK, Plan2026
from nhsgraph.ingest.milestones import ICB_MERGERS_2026, STATUTORY_ICS
from nhsgraph.ingest.products import MERGERS_2026, ORGANISATIONS, SOURCES, SUB_ICB_CODES
from nhsgraph.ingest.snapshots import Snapshot, snapshot_runs
from nhsgraph.temporal import Interval, coalesce, day_before

ECCG = "ods-eccg-2025-12"
CHD = "ons-chd-2024-07-e38"
LOOKUP_2022 = "ons-loc22-icb22-nhser22"
LOOKUP_2024 = "ons-lsoa21-sicbl24-icb24"
SNAPSHOT_2024 = date(2024, 4, 1)
LAST_DAY = day_before(ICB_MERGERS_2026)
PLANNED_NAME = ("SINGLE_SOURCE: the name as planned in the ODS change summary (version 1, "
                "2025-11-06); no ODS record after the change was found")


def ingest(ctx: Context) -> None:
    b = ctx.builder
    plan = ctx.get(MERGERS_2026)
    ons_to_ods = CodeMap("sub-ICB location")
    icb_2022: dict[str, str] = {}
    icb_2024: dict[str, str] = {}
    for row in ctx.rows(LOOKUP_2022):
        ons_to_ods.add(row["LOC22CD"], row["LOC22CDH"], row)
        icb_2022[row["LOC22CDH"]] = row["ICB22CDH"]
    for row in ctx.rows(LOOKUP_2024):
        ons_to_ods.add(row["sicbl24_code"], row["sicbl24_code_nhs"], row)
        icb_2024[row["sicbl24_code_nhs"]] = row["icb24_code_nhs"]
    ctx.put(SUB_ICB_CODES, ons_to_ods)

    versions: dict[str, list[Version]] = defaultdict(list)
    for code, vs in ctx.chd(CHD).items():
        ods = ons_to_ods.get(code)
        for v in vs:
            if ods and v.span.start >= STATUTORY_ICS:
                versions[ods].append(v)

    for code in sorted(icb_2022):
        spans = sorted(versions.get(code, []), key=lambda v: (v.span, v.code, v.name))
        if not spans:
            raise ctx.rows(LOOKUP_2022)[0].error(f"sub-ICB location {code} has no CHD version")
        change = plan.changes.get(code)
        closed = change is not None and change.status == "closed"
        renamed = (change is not None and change.name is not None
                   and change.name.upper() != spans[-1].name.upper())
        end = LAST_DAY if closed else None
        org = b.add_organisation("sub-icb", code, name=change.name if renamed else spans[-1].name,
                                 start=STATUTORY_ICS, end=end,
                                 sources=[LOOKUP_2022, CHD] + ([WORKBOOK] if closed or renamed else []),
                                 ods=code, ons=sorted({v.code for v in spans}))
        b.add_code(org, "ODS", code, STATUTORY_ICS, end, sources=[LOOKUP_2022, ECCG])
        life = Interval(STATUTORY_ICS, LAST_DAY if closed or renamed else None)
        for v in spans:
            kept = v.span.intersection(life)
            if kept:
                b.add_code(org, "ONS", v.code, kept.start, kept.end, sources=[CHD])
        for span, label in coalesce([(v.span, v.name) for v in spans]):
            kept = span.intersection(life)
            if kept:
                b.add_name(org, label, kept.start, kept.end, sources=[CHD])
        if renamed:
            b.add_name(org, change.name, ICB_MERGERS_2026, None, sources=change.sources,
                       comment=PLANNED_NAME if "SINGLE_SOURCE" in change.flags else None)
    _new_locations(ctx, plan)
    _icb_memberships(ctx, plan, icb_2022, icb_2024)
    _frimley_split(ctx, plan)
    _reporting_entities(ctx, plan)


def _new_locations(ctx: Context, plan: Plan2026) -> None:
    b = ctx.builder
    for change in plan.changes.values():
        if change.kind == "sub-icb" and change.status == "new":
            org = b.add_organisation("sub-icb", change.code, name=change.name or change.code,
                                     start=ICB_MERGERS_2026, sources=change.sources, ods=change.code,
                                     comment=change.note)
            b.add_code(org, "ODS", change.code, ICB_MERGERS_2026, None, sources=change.sources)
            b.add_name(org, change.name or change.code, ICB_MERGERS_2026, None,
                       sources=change.sources)


def _icb_memberships(ctx: Context, plan: Plan2026, icb_2022: dict[str, str],
                     icb_2024: dict[str, str]) -> None:
    """Each location's ICB: the 2022 and 2024 lookups, then the 2026 change summary."""
    b = ctx.builder
    in_2026: dict[tuple[str, str], date | None] = {}
    for code, icb in icb_2024.items():
        change = plan.changes.get(code)
        if change is None:
            in_2026[(code, icb)] = None  # not part of the 2026 changes
        elif change.icb:
            in_2026[(code, change.icb)] = None
    for change in plan.changes.values():
        if change.kind == "sub-icb" and change.status == "new" and change.icb:
            in_2026[(change.code, change.icb)] = None
    snapshots = [
        Snapshot(STATUTORY_ICS, LOOKUP_2022, {pair: None for pair in icb_2022.items()}),
        Snapshot(SNAPSHOT_2024, LOOKUP_2024, {pair: None for pair in icb_2024.items()}),
        Snapshot(ICB_MERGERS_2026, WORKBOOK, in_2026),
    ]
    for (code, icb), runs in sorted(snapshot_runs(snapshots).items()):
        own = b.lifetime("sub-icb", code)
        icb_life = ctx.lifetime("icb", icb)
        for run in runs:
            span = Interval(run.start, run.end)
            for limit in (own, icb_life):
                if span is not None and limit is not None:
                    span = span.intersection(limit)
            if span is None:
                continue
            b.add_membership(b.ref("sub-icb", code),
                             b.ref("icb", icb, why=f"ICB of sub-ICB location {code}"),
                             span.start, span.end, sources=list(run.sources))


def _frimley_split(ctx: Context, plan: Plan2026) -> None:
    """The sub-ICB locations closed on 2026-03-31 and the locations their LSOAs joined."""
    b = ctx.builder
    successors = sorted(set(plan.frimley.values()))
    for change in plan.changes.values():
        if change.kind != "sub-icb" or change.status != "closed":
            continue
        old = b.ref("sub-icb", change.code)
        b.add_event("Split", ICB_MERGERS_2026, original=[old],
                    resulting=[b.ref("sub-icb", s) for s in successors], sources=[WORKBOOK],
                    label=f"sub-ICB location {change.code} split between {', '.join(successors)} "
                    "(LSOA by LSOA, ODS change summary)")
        for succ in successors:
            gaining = b.ref("sub-icb", succ)
            if plan.changes[succ].status == "new":
                b.add_event("Establishment", ICB_MERGERS_2026, original=[old], resulting=[gaining],
                            sources=plan.changes[succ].sources,
                            label=f"sub-ICB location {succ} established from part of {change.code}")
            else:
                b.add_event("BoundaryChange", ICB_MERGERS_2026, original=[old, gaining],
                            resulting=[gaining], sources=[WORKBOOK],
                            label=f"sub-ICB location {succ} gains part of {change.code}")


def _reporting_entities(ctx: Context, plan: Plan2026) -> None:
    b = ctx.builder
    for row in ctx.ods_rows(ECCG):
        if row["subtype"] != "RO327":
            continue
        code, opened = row["code"], row.date("open_date", ods=True)
        closed = row.date("close_date", ods=True)
        change = plan.changes.get(code)
        sources = [ECCG]
        if change is not None:
            sources = [ECCG, *change.sources]
            if change.status == "closed":
                closed = closed or LAST_DAY
        org = b.add_organisation("sub-icb-reporting-entity", code, name=row["name"], start=opened,
                                 end=closed, sources=sorted(set(sources)), ods=code)
        b.add_code(org, "ODS", code, opened, closed, sources=[ECCG])
        icb = row["high_level_health_geography"]
        icb_life = ctx.lifetime("icb", icb)
        end = closed or (icb_life.end if icb_life else None)
        if change is not None and change.icb:
            end = LAST_DAY
            b.add_membership(org, b.ref("icb", change.icb, why=f"ICB of reporting entity {code}"),
                             ICB_MERGERS_2026, None, sources=list(change.sources))
        b.add_membership(org, b.ref("icb", icb, why=f"ICB of reporting entity {code}"), opened, end,
                         sources=[ECCG])


STEP = Step(
    "sub_icb", ingest,
    provides=(SUB_ICB_CODES, ORGANISATIONS["sub-icb"], ORGANISATIONS["sub-icb-reporting-entity"]),
    needs=(SOURCES, MERGERS_2026, ORGANISATIONS["icb"]),
)
