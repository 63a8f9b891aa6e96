"""Integrated care boards, from their establishment on 2022-07-01.

Sources and rules:

- The 42 ICBs of 2022, their ODS and ONS codes, names and NHS England
  regions come from the ONS "Sub ICB Locations to Integrated Care Boards to
  NHS England (Region) (July 2022)" lookup.
- Each ICB's start is the start of its ONS code version in the Code History
  Database (CHD E54): 2022-07-01 for all 42. ONS codes that began on or after
  that day are the ICB's; earlier versions of the same E54 code belong to the
  STP partnership the ICB replaced (ONS kept the code where the boundary did
  not change), so they are not the ICB's.
- ONS codes are matched to ICBs through every ONS file that pairs them with
  ODS codes (July 2022, April 2023, December 2024).
- **Statutory ICSs.** Each ICB of 2022 is part of a statutory integrated
  care system, ``nhsid:ics/<code>``, from 2022-07-01, named as ONS named the
  system in April 2021. Its ``nhs:Establishment`` event replaces the STP
  partnership with the same ODS code. Integrated care partnerships are made
  by ``nhsgraph.ingest.icp`` from ``data/curated/icp.csv``, only where a
  source dates the partnership itself.
- **2026.** The ICBs created on 2026-04-01 come from
  ``data/curated/icb-2026.csv`` (names from ODS; ONS codes seen only in
  third-party code are recorded with a comment saying they are unverified).
  Their predecessors end on 2026-03-31. The successions of
  ``data/curated/icb-2026-successions.csv`` must match the ODS successor
  file row for row; a predecessor with several successors is a
  ``nhs:Split``, a successor with predecessors is a ``nhs:Merger`` (or a
  ``nhs:BoundaryChange`` when the successor existed before).
- **Clusters** (2025): ``data/curated/clusters.csv``. A cluster ends when its
  members stop being separate ICBs (the earliest member end).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from nhsgraph.errors import DataError
from nhsgraph.ingest.chd import Version
from nhsgraph.ingest.codes import CodeMap
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.milestones import ICB_MERGERS_2026, STATUTORY_ICS
from nhsgraph.ingest.mergers_2026 import WORKBOOK
from nhsgraph.ingest.products import ICB_REGIONS, MERGERS_2026, ORGANISATIONS, SOURCES
from nhsgraph.temporal import Interval, coalesce, day_before

SUCC = "ods-succ-2026"
LOOKUP_2022 = "ons-loc22-icb22-nhser22"
CHD = "ons-chd-2024-07-e54"
UNVERIFIED = ("UNVERIFIED: this ONS code was seen only in third-party code; the ONS April 2026 "
              "names-and-codes file was not found.")


def ingest(ctx: Context) -> None:
    b = ctx.builder
    ons_to_ods = CodeMap("ICB")
    for source, cd, cdh in (
        (LOOKUP_2022, "ICB22CD", "ICB22CDH"),
        ("ons-icb23-nc", "ICB23CD", "ICB23CDH"),
        ("ons-icb24-nc", "ICB24CD", "ICB24CDH"),
    ):
        for row in ctx.rows(source):
            if not row[cd].startswith("E54"):
                continue  # the ONSPD file also lists UK pseudo-codes (W99999999, ...)
            ons_to_ods.add(row[cd], row[cdh], row, where="an earlier file")

    chd = ctx.chd(CHD)
    icb_versions: dict[str, list[Version]] = {}
    for ons_code, ods in ons_to_ods.items():
        for v in chd.get(ons_code, ()):
            if v.span.start >= STATUTORY_ICS:
                icb_versions.setdefault(ods, []).append(v)

    icbs: dict[str, tuple[str, str, str]] = {}
    for row in ctx.rows(LOOKUP_2022):
        icbs.setdefault(row["ICB22CDH"], (row["ICB22CD"], row["ICB22NM"], row["NHSER22CDH"]))

    ends = _ends_2026(ctx)
    regions: dict[str, tuple[tuple[Interval, str, bool], ...]] = {}
    for ods, (ons_2022, _name_2022, region) in sorted(icbs.items()):
        versions = sorted(icb_versions.get(ods, []), key=lambda v: (v.span, v.code, v.name))
        if not versions:
            raise DataError(f"ICB {ods} ({ons_2022}) has no version in the CHD", path=CHD)
        start = versions[0].span.start
        end = ends.get(ods)
        org = b.add_organisation(
            "icb", ods, name=versions[-1].name, start=start, end=end,
            sources=[LOOKUP_2022, CHD] + ([SUCC] if end else []),
            ods=ods, ons=sorted({v.code for v in versions}),
        )
        life = Interval(start, end)
        for v in versions:
            kept = v.span.intersection(life)
            if kept:
                b.add_code(org, "ONS", v.code, kept.start, kept.end, sources=[CHD])
        b.add_code(org, "ODS", ods, start, end, sources=[LOOKUP_2022])
        for span, name in coalesce([(v.span, v.name) for v in versions]):
            kept = span.intersection(life)
            if kept:
                b.add_name(org, name, kept.start, kept.end, sources=[CHD])
        b.add_membership(org, b.ref("region", region, why=f"region of ICB {ods}"), start,
                         end, sources=[LOOKUP_2022])
        regions[ods] = ((Interval(start, end), region, False),)
    _statutory_systems(ctx, icbs, ends)
    regions.update(_icbs_2026(ctx, icbs))
    ctx.put(ICB_REGIONS, regions)
    _clusters(ctx)


def _ends_2026(ctx: Context) -> dict[str, date]:
    """ICBs that end on 2026-03-31: predecessors in the ODS successor file (2026 rows)."""
    successors = {r["successor_ods"] for r in ctx.curated("icb-2026-successions.csv")}
    return {s.predecessor: day_before(ICB_MERGERS_2026) for s in _succ_rows(ctx)
            if s.predecessor not in successors}


def _succ_rows(ctx: Context) -> list:
    """The ODS successions of ICBs (three-character Q-codes) effective on 2026-04-01."""
    return [s for s in ctx.successions(SUCC)
            if s.effective == ICB_MERGERS_2026 and s.predecessor.startswith("Q")
            and len(s.predecessor) == 3]


def _statutory_systems(ctx: Context, icbs: dict[str, tuple[str, str, str]],
                       ends: dict[str, date]) -> None:
    b = ctx.builder
    establishment = [r for r in ctx.curated("events.csv")
                     if r["event_type"] == "establishment" and r["subject_kind"] == "ics"]
    law = establishment[0]["source_ids"].split(";") if establishment else []
    names = _ics_names(ctx)
    for ods in sorted(icbs):
        name, sources, comment = names.get(ods) or _ics_name_by_rule(ctx, ods)
        ics = b.add_organisation("ics", ods, name=name, start=STATUTORY_ICS, end=ends.get(ods),
                                 sources=[LOOKUP_2022, *law, *sources], ods=None)
        b.add_name(ics, name, STATUTORY_ICS, ends.get(ods), sources=sources or [LOOKUP_2022],
                   comment=comment)
        icb = b.ref("icb", ods)
        b.add_part_of(icb, ics, sources=[LOOKUP_2022])
        stp = b.ref("stp", ods, why=f"partnership replaced by ICS {ods}")
        b.add_event("Establishment", STATUTORY_ICS, original=[stp], resulting=[icb, ics],
                    sources=[LOOKUP_2022, CHD, *law],
                    label=f"{name}: statutory ICS and its ICB established; the STP partnership ends")


def _ics_names(ctx: Context) -> dict[str, tuple[str, list[str], str | None]]:
    """The name of each statutory ICS, from sources that name the system after 2022-07-01.

    Rule: a row of ``ics-names.csv`` whose source was written before the 2022
    Act took effect, or states a plan, is not used (its note starts "pre-" or
    "plan of"); of the rest, a name with "Integrated Care System" in it (the
    statutory term) is preferred, then the first in the file.
    """
    eligible: dict[str, list] = defaultdict(list)
    for row in ctx.curated("ics-names.csv"):
        note = row["note"].lower()
        if not note.startswith(("pre-", "plan of")):
            eligible[row["icb_code"]].append(row)
    out = {}
    for code, rows in eligible.items():
        best = sorted(rows, key=lambda r: "integrated care system" not in r["ics_name"].lower())[0]
        others = [r["ics_name"] for r in rows if r is not best]
        comment = f"also called: {'; '.join(others)}" if others else None
        out[code] = (best["ics_name"], [best["source_id"]], comment)
    return out


def _ics_name_by_rule(ctx: Context, code: str) -> tuple[str, list[str], str]:
    """Where no source names the system after 2022-07-01: its ICB's area name, as
    "<area> Integrated Care System" (INFERRED; the ICB's name is ODS's or ONS's)."""
    icb_name = ctx.builder.name("icb", code) or code
    area = icb_name.removeprefix("NHS ").removesuffix(" Integrated Care Board").strip()
    return (f"{area} Integrated Care System", [],
            f"INFERRED: no source seen names this system after 2022-07-01; the name is its ICB's "
            f"({icb_name}) with 'Integrated Care System' for 'Integrated Care Board'")


def _icbs_2026(ctx: Context, icbs: dict[str, tuple[str, str, str]]
               ) -> dict[str, tuple[tuple[Interval, str, bool], ...]]:
    """The ICBs of 2026-04-01 and the events that made them; returns their regions."""
    b = ctx.builder
    plan = ctx.get(MERGERS_2026)
    regions: dict[str, tuple[tuple[Interval, str, bool], ...]] = {}
    curated = ctx.curated("icb-2026-successions.csv")
    stated = {(r["predecessor_ods"], r["successor_ods"]) for r in curated}
    official = {(s.predecessor, s.successor) for s in _succ_rows(ctx)}
    if stated != official:
        raise DataError(
            "data/curated/icb-2026-successions.csv and the ODS successor file disagree: "
            f"only curated {sorted(stated - official)}, only ODS {sorted(official - stated)}",
            path="data/curated/icb-2026-successions.csv",
        )
    for row in ctx.curated("icb-2026.csv"):
        start = row.date("start")
        sources = row["source_ids"].split(";")
        org = b.add_organisation("icb", row["ods"], name=row["name"], start=start, sources=sources,
                                 ods=row["ods"])
        b.add_code(org, "ODS", row["ods"], start, None, sources=[SUCC])
        if row["ons"]:
            b.add_code(org, "ONS", row["ons"], start, None, sources=sources,
                       comment=UNVERIFIED if row["ons_verified"] != "yes" else None)
        region = plan.regions.get(row["ods"])
        if region is None:
            raise row.error(f"the ODS change summary gives no region for {row['name']}")
        b.add_membership(org, b.ref("region", region, why=f"region of ICB {row['ods']}"), start, None,
                         sources=[WORKBOOK])
        regions[row["ods"]] = ((Interval(start, None), region, False),)
        name, name_sources, comment = _ics_name_by_rule(ctx, row["ods"])
        ics = b.add_organisation("ics", row["ods"], name=name, start=start, sources=[*sources, WORKBOOK])
        b.add_name(ics, name, start, None, sources=[*sources, WORKBOOK], comment=comment)
        b.add_part_of(org, ics, sources=sources)
    by_pred: dict[str, list] = defaultdict(list)
    by_succ: dict[str, list] = defaultdict(list)
    for row in curated:
        by_pred[row["predecessor_ods"]].append(row)
        by_succ[row["successor_ods"]].append(row)
    for kind in ("icb", "ics"):
        # The statutory ICS of an ICB follows its ICB (a rule: the Act makes the ICB and
        # its ICP the system, so the system's area is the ICB's).
        comment = None if kind == "icb" else ("INFERRED: the statutory ICS of an ICB follows "
                                              "its ICB's succession")
        for pred, rows in sorted(by_pred.items()):
            if len(rows) > 1:
                b.add_event("Split", ICB_MERGERS_2026, original=[b.ref(kind, pred)],
                            resulting=[b.ref(kind, r["successor_ods"]) for r in rows],
                            sources=sorted({s for r in rows for s in r["source_ids"].split(";")}),
                            label=f"{kind.upper()} {pred} split between "
                            f"{', '.join(r['successor_ods'] for r in rows)}", comment=comment)
        for succ, rows in sorted(by_succ.items()):
            existed = succ in icbs
            event = "BoundaryChange" if existed else "Merger"
            original = ([b.ref(kind, r["predecessor_ods"]) for r in rows]
                        + ([b.ref(kind, succ)] if existed else []))
            b.add_event(event, ICB_MERGERS_2026, original=original, resulting=[b.ref(kind, succ)],
                        sources=sorted({s for r in rows for s in r["source_ids"].split(";")}),
                        label=f"{kind.upper()} {succ} from "
                        f"{', '.join(r['predecessor_ods'] for r in rows)}", comment=comment)
    return regions


def _clusters(ctx: Context) -> None:
    b = ctx.builder
    members: dict[str, list] = defaultdict(list)
    for row in ctx.curated("clusters.csv"):
        members[row["cluster_id"]].append(row)
    for cluster_id, rows in sorted(members.items()):
        start = min(r.date("start") for r in rows)
        precision = rows[0]["start_precision"] or "day"
        lives = [b.lifetime("icb", r["icb_ods"]) for r in rows]
        if any(life is None for life in lives):
            raise rows[0].error(f"cluster {cluster_id} names an ICB that is not defined")
        ends = [life.end for life in lives if life.end]
        end = min(ends) if ends else None
        sources = sorted({s for r in rows for s in r["source_ids"].split(";")})
        names = " and ".join(r["icb_name"] for r in rows)
        org = b.add_organisation("cluster", cluster_id, name=f"ICB cluster: {names}", start=start,
                                 end=end, sources=sources, start_precision=precision)
        for row in rows:
            b.add_membership(b.ref("icb", row["icb_ods"]), org, start, end,
                             sources=row["source_ids"].split(";"))
        b.add_event("Clustering", start, original=[b.ref("icb", r["icb_ods"]) for r in rows],
                    resulting=[org], sources=sources, precision=precision,
                    label=f"Shared leadership: {names}")


STEP = Step("icb", ingest,
            provides=(ICB_REGIONS, ORGANISATIONS["icb"], ORGANISATIONS["ics"],
                      ORGANISATIONS["cluster"]),
            needs=(SOURCES, MERGERS_2026))
