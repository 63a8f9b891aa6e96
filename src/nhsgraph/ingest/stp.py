"""STP partnerships, 2016 to 2022-06-30: codes, names, CCG members, designations.

One partnership per ODS Q-code (``nhsid:stp/QHL``), typed STP for its whole
life; what it was designated as on a day (STP, ACS, ICS) is an
``nhs:StatusRecord``. Sources and rules:

- **ODS <-> ONS codes.** Pairs come from the ODS STP Partner Mapping workbook
  (April 2019; sheets "Current STPs" and "Closed STP codes") and the ONS
  April 2020 and April 2021 lookups, which carry both codes. The 2016 ONS
  codes are matched by footprint number: ONS numbered the 44 footprints
  E54000001-E54000044 in the order of the ODS "STP Footprint no", a rule
  checked here against every pair the sources state (a mismatch fails the
  build). E54000001-E54000004 were recoded in 2017 after the North Durham
  boundary change; the partnership and its ODS code continued.
- **Lifetimes, names and ONS codes by date** come from the ONS Code History
  Database (CHD E54): a partnership starts with its first version and ends
  with its last version before 2022-07-01. Zero-length versions (start ==
  end) that duplicate a day another version covers are dropped.
- **The 2018 merger** of QVP, QT8 and QMK into QHM (Cumbria and North East)
  is dated 2018-04-01: the CHD ends the three codes on 2018-03-31 and starts
  E54000049 the next day (the ODS change log of 2018-06-07 records the code
  change later; see data/curated/conflicts.csv).
- **CCG membership** comes from annual snapshots: the workbook's "ONS STP-CCG
  mapping" sheet (the 2016 footprints, as at 2016-04-01) and the ONS
  CCG-to-STP lookups as at 1 April 2017-2021. A membership seen in
  consecutive snapshots is one record, from its first snapshot to the day
  before the first snapshot without it, clipped to both lifetimes. A change
  between snapshots is therefore dated to the next snapshot: the data do not
  say when within the year it happened (listed as a gap in data/README.md).
- **Designations** come from ``data/curated/designations.csv``; the renaming
  of accountable care systems to integrated care systems (2018-02-02) from
  ``data/curated/events.csv``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from nhsgraph.errors import DataError
from nhsgraph.ingest.chd import Version
from nhsgraph.ingest.codes import CodeMap
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.milestones import STATUTORY_ICS, STP_FOOTPRINTS_2016, STP_MERGER_2018
from nhsgraph.ingest.products import ORGANISATIONS, SOURCES, STP_CODES, STP_FOOTPRINTS
from nhsgraph.ingest.snapshots import Snapshot, snapshot_runs
from nhsgraph.temporal import Interval, coalesce, day_before

WORKBOOK = "ods-stp-partner-mapping-2019-04"
CHD = "ons-chd-2024-07-e54"
#: (as-at date, source, CCG ODS column, STP ONS column)
SNAPSHOTS = (
    (date(2017, 4, 1), "ons-ccg17-stp17", "CCG17CDH", "STP17CD"),
    (date(2018, 4, 1), "ons-ccg18-stp18", "CCG18CDH", "STP18CD"),
    (date(2019, 4, 1), "ons-ccg19-stp19", "CCG19CDH", "STP19CD"),
    (date(2020, 4, 1), "ons-ccg20-stp20", "CCG20CDH", "STP20CD"),
    (date(2021, 4, 1), "ons-ccg21-stp21-cal21", "CCG21CDH", "STP21CD"),
)
RECODE_RULE = ("No source pairs this ONS code with an ODS code; it is matched by the recode "
               "rule: it starts the day after the footprint's previous code ends, under the "
               "same name (see src/nhsgraph/ingest/stp.py).")


def ingest(ctx: Context) -> None:
    ons_to_ods = _code_map(ctx)
    chd = ctx.chd(CHD)
    recoded = _recodes(chd, ons_to_ods)
    ons_to_ods.update_from(recoded)
    ctx.put(STP_CODES, ons_to_ods)
    lifetimes = _partnerships(ctx, _versions(ctx, chd, ons_to_ods), recoded)
    _merger_2018(ctx, lifetimes)
    _memberships(ctx, ons_to_ods, lifetimes)
    _designations(ctx, lifetimes)


def _code_map(ctx: Context) -> CodeMap:
    pairs = CodeMap("STP")
    for sheet, ods_col, fp_col, ons_col in (("Current STPs", "B", "C", "D"),
                                             ("Closed STP codes", "C", "D", "E")):
        seen: set[str] = set()
        for row in ctx.sheet(WORKBOOK, sheet):
            ods, ons = row.get(ods_col), row.get(ons_col)
            if len(ods) != 3 or not ods.startswith("Q") or not ons.startswith("E54") or ods in seen:
                continue
            seen.add(ods)  # the first row of each STP carries its footprint facts
            pairs.add(ons, ods, row)
            footprint = row.get(fp_col)
            if ods != "QHM" and footprint.isdigit():  # QHM is the 2018 merger, not a 2016 footprint
                pairs.add(f"E54{int(footprint):06d}", ods, row)
    for source, cd, cdh in (("ons-ccg20-stp20", "STP20CD", "STP20CDH"),
                            ("ons-ccg21-stp21-cal21", "STP21CD", "STP21CDH")):
        for row in ctx.rows(source):
            pairs.add(row[cd], row[cdh], row)
    return pairs


def _recodes(chd: dict[str, tuple[Version, ...]], ons_to_ods: CodeMap) -> dict[str, str]:
    """ONS recodes with no stated ODS pair, matched by the recode rule.

    A code whose first version starts the day after a mapped code's last
    version ends, under the same name, is the same footprint recoded (the
    ONS practice after a boundary change), so it keeps that ODS code.
    """
    def span(code: str) -> tuple[date, date | None, str, str]:
        vs = sorted(chd[code], key=lambda v: v.span.start)
        return vs[0].span.start, vs[-1].span.end, vs[0].name, vs[-1].name

    found: dict[str, str] = {}
    for code in sorted(chd):
        first_start, _, first_name, _ = span(code)
        if code in ons_to_ods or first_start >= STATUTORY_ICS:
            continue
        for other in sorted(ons_to_ods):
            if other not in chd:
                continue
            _, other_end, _, other_name = span(other)
            if other_end == day_before(first_start) and other_name == first_name:
                found[code] = ons_to_ods[other]
    return found


def _versions(ctx: Context, chd: dict[str, tuple[Version, ...]],
              ons_to_ods: CodeMap) -> dict[str, list[Version]]:
    """Each partnership's STP-era versions, by ODS code (zero-length duplicates dropped)."""
    out: dict[str, list[Version]] = defaultdict(list)
    for code, versions in chd.items():
        for v in versions:
            if v.span.start >= STATUTORY_ICS:
                continue  # an ICB's version of a re-used E54 code
            if code not in ons_to_ods:
                raise DataError(f"STP-era code {code} ({v.name}) has no ODS code in any source",
                                path=ctx.display(CHD), hint="add the pair's source to stp.py")
            out[ons_to_ods[code]].append(v)
    for ods, spans in out.items():
        spans.sort(key=lambda v: (v.span, v.code, v.name))
        out[ods] = [s for s in spans if not (s.span.end == s.span.start
                    and any(o is not s and o.span.contains(s.span.start) for o in spans))]
    return out


def _partnerships(ctx: Context, versions: dict[str, list[Version]],
                  recoded: dict[str, str]) -> dict[str, Interval]:
    b = ctx.builder
    lifetimes: dict[str, Interval] = {}
    for ods, spans in sorted(versions.items()):
        start = spans[0].span.start
        end = max(v.span.end for v in spans if v.span.end)
        lifetimes[ods] = Interval(start, end)
        org = b.add_organisation(
            "stp", ods, name=spans[-1].name, start=start, end=end, sources=[CHD, WORKBOOK],
            ods=ods, ons=sorted({v.code for v in spans}),
        )
        b.add_code(org, "ODS", ods, start, end, sources=[WORKBOOK])
        for v in spans:
            b.add_code(org, "ONS", v.code, v.span.start, v.span.end, sources=[CHD],
                       comment=RECODE_RULE if v.code in recoded else None)
        for span, name in coalesce([(v.span, v.name) for v in spans]):
            b.add_name(org, name, span.start, span.end, sources=[CHD])
    return lifetimes


def _merger_2018(ctx: Context, lifetimes: dict[str, Interval]) -> None:
    b = ctx.builder
    merged = ("QMK", "QT8", "QVP")
    for ods in merged:
        if lifetimes[ods].end != day_before(STP_MERGER_2018):
            raise DataError(f"STP {ods} should end on {day_before(STP_MERGER_2018)} (CHD) for the "
                            "2018 merger", path=ctx.display(CHD))
    if lifetimes["QHM"].start != STP_MERGER_2018:
        raise DataError(f"STP QHM should start on {STP_MERGER_2018} (CHD)", path=ctx.display(CHD))
    b.add_event(
        "Merger", STP_MERGER_2018,
        original=[b.ref("stp", c) for c in merged], resulting=[b.ref("stp", "QHM")],
        sources=[CHD, WORKBOOK],
        label="Three northern STP footprints merge into Cumbria and North East (QHM)",
    )


def _snapshot_2016(ctx: Context) -> list[tuple[str, str, object]]:
    """(CCG ODS code, STP 2016 ONS code, row) from the workbook's ONS mapping sheet."""
    out = []
    current = ""
    for row in ctx.sheet(WORKBOOK, "ONS STP-CCG mapping"):
        first = row.get("A")
        if first.startswith("E54"):
            current = first
        ccg = row.get("B")
        if current and ccg and len(ccg) == 3 and ccg[:2].isalnum():
            out.append((ccg, current, row))
    return out


def _memberships(ctx: Context, ons_to_ods: CodeMap, lifetimes: dict[str, Interval]) -> None:
    """CCG -> STP from the 2016 workbook and the April 2017-2021 lookups (see the docstring)."""
    b = ctx.builder
    first = {(ccg, ons_to_ods[stp]): None for ccg, stp, _ in _snapshot_2016(ctx)}
    ctx.put(STP_FOOTPRINTS, {ccg: stp for ccg, stp in first})
    snapshots = [Snapshot(STP_FOOTPRINTS_2016, WORKBOOK, first)]
    for as_at, source, ccg_col, stp_col in SNAPSHOTS:
        members: dict[tuple[str, str], date | None] = {}
        for row in ctx.rows(source):
            stp = ons_to_ods.get(row[stp_col])
            if stp is None:
                raise row.error(f"STP code {row[stp_col]} has no ODS code")
            members[(row[ccg_col], stp)] = None
        snapshots.append(Snapshot(as_at, source, members))
    for (ccg, stp), runs in sorted(snapshot_runs(snapshots).items()):
        stp_life = lifetimes[stp]
        ccg_life = ctx.lifetime("ccg", ccg)
        for run in runs:
            span = Interval(run.start, run.end).intersection(stp_life)
            if ccg_life is not None and span is not None:
                span = span.intersection(ccg_life)
            if span is None:
                continue
            b.add_membership(b.ref("ccg", ccg, why=f"member of STP {stp}"), b.ref("stp", stp),
                             span.start, span.end, sources=list(run.sources))


def _designations(ctx: Context, lifetimes: dict[str, Interval]) -> None:
    b = ctx.builder
    renaming = [r for r in ctx.curated("events.csv")
                if r["event_type"] == "renaming" and "accountable care systems renamed" in r["detail"]]
    rename_day = renaming[0].date("date") if renaming else None
    rename_sources = renaming[0]["source_ids"].split(";") if renaming else []
    by_stp: dict[str, list] = defaultdict(list)
    for row in ctx.curated("designations.csv"):
        if row["stp_ods"] not in lifetimes:
            raise row.error(f"STP {row['stp_ods']} is not a known partnership")
        by_stp[row["stp_ods"]].append(row)
    for stp, life in sorted(lifetimes.items()):
        org = b.ref("stp", stp)
        # (start, status, precision, sources, note)
        steps: list[tuple[date, str, str, list[str], str]] = []
        for row in sorted(by_stp.get(stp, []), key=lambda r: (r["date"], r["status"])):
            day = row.date("date")
            sources = row["source_ids"].split(";")
            steps.append((day, row["status"], row["date_precision"], sources, row["note"]))
            label = f"{row['name_then']}: designated {row['status'].upper()} ({row['cohort']})"
            # The partnership is both the input and the output of its designation.
            b.add_event("Designation", day, original=[org], resulting=[org], sources=sources,
                        precision=row["date_precision"], label=label, comment=row["note"] or None)
            if row["status"] == "acs" and rename_day:
                steps.append((rename_day, "ics", "day", rename_sources, "ACS renamed ICS"))
        steps.sort(key=lambda s: s[0])
        merged: list[tuple[date, str, str, list[str], str]] = []
        for step in steps:
            if merged and merged[-1][1] == step[1]:
                continue  # a second designation of the same status (part footprints) keeps the first
            if merged and merged[-1][0] == step[0]:
                merged[-1] = step
                continue
            merged.append(step)
        statuses = [(life.start, "stp", "day", [CHD], "")] if not merged or merged[0][0] > life.start else []
        statuses += [s for s in merged if life.contains(s[0])]
        for index, (start, status, precision, sources, _note) in enumerate(statuses):
            if index + 1 < len(statuses):
                nxt = statuses[index + 1]
                end, end_precision = day_before(nxt[0]), nxt[2]
            else:
                end, end_precision = life.end, "day"
            b.add_status(org, status, start, end, sources=sources, start_precision=precision,
                         end_precision=end_precision)


STEP = Step("stp", ingest, provides=(STP_CODES, STP_FOOTPRINTS, ORGANISATIONS["stp"]),
            needs=(SOURCES, ORGANISATIONS["ccg"]))
