"""The NHS England region of every CCG, 2013-04-01 to 2022-06-30.

A CCG is an ``org:Membership`` member of its region (``nhsid:region/Y..``),
so that a district's region is known on every day through its CCG (and,
from 2022-07-01, through its ICB: see ``icb``). Sources and rules:

- **Snapshots**, each naming every CCG's region on its day: the ONS CCG to
  area team to commissioning region lookup (2013-04-01), ODS ``eccg``
  (national grouping; 2016-02-11 and 2018-11-21), the ONS CCG to local office
  to region lookups (2017-04-01, 2018-04-01) and NHS Digital's practice
  mapping files (CCG to commissioning region; 2020-09-01, 2022-01-01). They
  are turned into runs by :func:`~nhsgraph.ingest.snapshots.snapshot_runs`
  and clipped to the lifetimes of the CCG and the region.
- **Days before a CCG's first snapshot.** The runs leave a CCG without a
  region where a snapshot falls after the day its region or the CCG itself
  began: the 2019 reorganisation (the four 2013 regions that were split ended
  on 2019-03-31, the new regions began on 2019-04-01, and no snapshot falls
  between 2018-11-21 and 2020-09-01) and the CCGs created by the mergers of
  2019, 2020 and 2021. Two rules fill those days, each flagged INFERRED in the
  membership's comment: (1) where the days begin with the CCG's first day or
  the day after its previous region ended, the CCG was in the region its next
  snapshot names, provided that region existed on the first of those days (a
  CCG changes region only when it is created or regions are reorganised);
  (2) a CCG that ended before any snapshot named its new region (the mergers
  of 2020-04-01) was in the region of the CCG it merged into on that CCG's
  first day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from nhsgraph.errors import DataError
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.products import CCG_CODES, CCG_REGIONS, ORGANISATIONS, REGION_CODES, SOURCES
from nhsgraph.ingest.snapshots import Snapshot, snapshot_runs
from nhsgraph.temporal import Interval, day_after, day_before

SUCC = "ods-succ-2026"
#: The snapshots, by source (their as-at days are in ingest below).
SNAPSHOT_SOURCES = ("ons-ccg13-nhsat13-nhscr13", "ods-eccg-2016-02", "ons-ccg17-nhsrlo17-nhser17",
                    "ons-ccg18-nhsrlo18-nhser18", "ods-eccg-2018-11", "nhsd-gp-practice-map-2020-09",
                    "nhsd-gp-practice-map-2022-01")
GAP_RULE = ("INFERRED: no snapshot names this CCG's region from {start} until {after}; it is "
            "the region that snapshot names, which existed from {start}")
MERGED_RULE = ("INFERRED: no snapshot names this CCG's region from {start} to its last day; it is "
               "the region of {successor}, the CCG it merged into, on that CCG's first day")


def ingest(ctx: Context) -> None:
    b = ctx.builder
    ccg_codes, region_codes = ctx.get(CCG_CODES), ctx.get(REGION_CODES)
    snapshots: list[Snapshot[tuple[str, str]]] = []

    def add(as_at: date, source: str, pairs) -> None:
        snapshots.append(Snapshot(as_at, source, {pair: None for pair in pairs}))

    add(date(2013, 4, 1), "ons-ccg13-nhsat13-nhscr13",
        ((ccg_codes[r["CCG13CD"]], region_codes[r["NHSCR13CD"]])
         for r in ctx.rows("ons-ccg13-nhsat13-nhscr13")))
    def eccg(source: str):  # eccg also lists commissioning hubs, which are not CCGs
        return ((r["code"], r["national_grouping"]) for r in ctx.ods_rows(source)
                if ctx.lifetime("ccg", r["code"]) is not None)

    add(date(2016, 2, 11), "ods-eccg-2016-02", eccg("ods-eccg-2016-02"))
    add(date(2017, 4, 1), "ons-ccg17-nhsrlo17-nhser17",
        ((ccg_codes[r["CCG17CD"]], region_codes[r["NHSER17CD"]])
         for r in ctx.rows("ons-ccg17-nhsrlo17-nhser17")))
    add(date(2018, 4, 1), "ons-ccg18-nhsrlo18-nhser18",
        ((r["CCG18CDH"], r["NHSER18CDH"]) for r in ctx.rows("ons-ccg18-nhsrlo18-nhser18")))
    add(date(2018, 11, 21), "ods-eccg-2018-11", eccg("ods-eccg-2018-11"))
    for as_at, source in ((date(2020, 9, 1), "nhsd-gp-practice-map-2020-09"),
                          (date(2022, 1, 1), "nhsd-gp-practice-map-2022-01")):
        add(as_at, source, {(r["CCG_CODE"], r["COMM_REGION_CODE"]) for r in ctx.rows(source)})

    spans: dict[str, list[tuple[Interval, str, tuple[str, ...], str | None]]] = defaultdict(list)
    for (ccg, region), runs in sorted(snapshot_runs(snapshots).items()):
        ccg_life, region_life = ctx.lifetime("ccg", ccg), ctx.lifetime("region", region)
        if ccg_life is None or region_life is None:
            raise DataError(f"{runs[0].sources[0]} places {ccg} in {region}, but the graph has no "
                            f"such {'CCG' if ccg_life is None else 'region'}",
                            path=ctx.display(runs[0].sources[0]))
        for run in runs:
            span = Interval(run.start, run.end)
            for life in (ccg_life, region_life):
                if span is not None and life is not None:
                    span = span.intersection(life)
            if span is not None:
                spans[ccg].append((span, region, run.sources, None))
    _fill_gaps(ctx, spans)
    out: dict[str, tuple[tuple[Interval, str, bool], ...]] = {}
    for ccg, found in sorted(spans.items()):
        for span, region, sources, comment in found:
            b.add_membership(b.ref("ccg", ccg), b.ref("region", region, why=f"region of CCG {ccg}"),
                             span.start, span.end, sources=list(sources), comment=comment)
        out[ccg] = tuple(sorted((span, region, comment is not None) for span, region, _, comment in found))
    ctx.put(CCG_REGIONS, out)
    _region_events(ctx, out)


def _region_events(ctx: Context, regions: dict[str, tuple[tuple[Interval, str, bool], ...]]) -> None:
    """A region that ended is split between the regions its CCGs were in the next day.

    The rule (INFERRED, in each event's comment): the regions are made of whole
    CCGs, so the regions that took over a region's area are those its CCGs
    (or, for a CCG that ended with it, the CCG it merged into) were in on the
    day after its last day. So the South (Y57) split into South West and South
    East on 2018-04-01, and on 2019-04-01 the North (Y54) and Midlands and East
    (Y55) into the four regions that replaced them.
    """
    b = ctx.builder
    merged_into = {s.predecessor: s.successor for s in ctx.successions(SUCC)
                   if ctx.lifetime("ccg", s.predecessor) and ctx.lifetime("ccg", s.successor)}

    def region_on(ccg: str, day: date) -> str | None:
        return next((r for span, r, _ in regions.get(ccg, ()) if span.contains(day)), None)

    ended: dict[tuple[str, date], set[str]] = defaultdict(set)
    for ccg, runs in regions.items():
        for span, region, _ in runs:
            life = ctx.lifetime("region", region)
            if life.end is None or not span.contains(life.end):
                continue
            nxt = day_after(life.end)
            after = region_on(ccg, nxt) or region_on(merged_into.get(ccg, ""), nxt)
            if after is not None and after != region:
                ended[(region, nxt)].add(after)
    for (region, day), successors in sorted(ended.items()):
        b.add_event("Split" if len(successors) > 1 else "Merger", day,
                    original=[b.ref("region", region)],
                    resulting=[b.ref("region", r) for r in sorted(successors)],
                    sources=["ons-chd-2024-07-e40", *SNAPSHOT_SOURCES],
                    label=f"region {region} ends; its CCGs are in {', '.join(sorted(successors))}",
                    comment="INFERRED: the regions that took over are those its CCGs were in on the "
                    "next day (regions are made of whole CCGs)")


def _fill_gaps(ctx: Context, spans: dict) -> None:
    """Rules (1) and (2) of the module docstring, for days of a CCG's life with no region."""
    merged_into = {s.predecessor: s.successor for s in ctx.successions(SUCC)
                   if ctx.lifetime("ccg", s.predecessor) and ctx.lifetime("ccg", s.successor)
                   and s.predecessor != s.successor}
    ended_in_gap: list[tuple[str, Interval]] = []
    for ccg in sorted(spans):
        found = sorted(spans[ccg], key=lambda s: s[0].start)
        life = ctx.lifetime("ccg", ccg)
        for before, after in zip([None, *found], [*found, None]):
            if before is not None and before[0].end is None:
                continue
            start = life.start if before is None else day_after(before[0].end)
            if after is not None and after[0].start <= start:
                continue
            if before is not None:
                previous = ctx.lifetime("region", before[1])
                if previous.end != before[0].end:
                    continue  # the region went on: when the CCG left it is not known
            if after is not None:
                if ctx.lifetime("region", after[1]).start <= start:  # rule (1)
                    spans[ccg].append((Interval(start, day_before(after[0].start)), after[1],
                                       after[2], GAP_RULE.format(start=start, after=after[0].start)))
            elif life.end is not None and start <= life.end and ccg in merged_into:
                ended_in_gap.append((ccg, Interval(start, life.end)))
    for ccg, gap in ended_in_gap:  # rule (2), after rule (1) has dated the successors
        successor = merged_into[ccg]
        first = sorted(spans.get(successor, []), key=lambda s: s[0].start)
        if first and first[0][0].contains(day_after(gap.end)):
            _, region, sources, _ = first[0]
            spans[ccg].append((gap, region, sources + (SUCC,),
                               MERGED_RULE.format(start=gap.start, successor=successor)))


STEP = Step("ccg_region", ingest, provides=(CCG_REGIONS,),
            needs=(SOURCES, CCG_CODES, REGION_CODES, ORGANISATIONS["ccg"], ORGANISATIONS["region"]))
