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
from nhsgraph.ingest.context import Context
from nhsgraph.temporal import Interval, coalesce, day_before
from nhsgraph.terms import ID, RDFS

WORKBOOK = "ods-stp-partner-mapping-2019-04"
CHD = "ons-chd-2024-07-e54"
STATUTORY = date(2022, 7, 1)
MERGER_2018 = date(2018, 4, 1)
#: (as-at date, source, CCG ODS column, STP ONS column)
SNAPSHOTS = (
    (date(2017, 4, 1), "ons-ccg17-stp17", "CCG17CDH", "STP17CD"),
    (date(2018, 4, 1), "ons-ccg18-stp18", "CCG18CDH", "STP18CD"),
    (date(2019, 4, 1), "ons-ccg19-stp19", "CCG19CDH", "STP19CD"),
    (date(2020, 4, 1), "ons-ccg20-stp20", "CCG20CDH", "STP20CD"),
    (date(2021, 4, 1), "ons-ccg21-stp21-cal21", "CCG21CDH", "STP21CD"),
)
FOOTPRINTS_2016 = date(2016, 4, 1)


def ingest(ctx: Context) -> None:
    ons_to_ods = _code_map(ctx)
    ctx.lookups["stp_ons_to_ods"] = ons_to_ods
    lifetimes = _partnerships(ctx, ons_to_ods)
    _merger_2018(ctx, lifetimes)
    _memberships(ctx, ons_to_ods, lifetimes)
    _designations(ctx, lifetimes)


def _code_map(ctx: Context) -> dict[str, str]:
    pairs: dict[str, str] = {}

    def pair(ons: str, ods: str, source: str, row) -> None:
        known = pairs.setdefault(ons, ods)
        if known != ods:
            raise row.error(f"{ons} is STP {ods} here but {known} in another source ({source})")

    for sheet, ods_col, fp_col, ons_col in (("Current STPs", "B", "C", "D"),
                                             ("Closed STP codes", "C", "D", "E")):
        seen: set[str] = set()
        for row in ctx.sheet(WORKBOOK, sheet):
            ods, ons = row.get(ods_col), row.get(ons_col)
            if len(ods) != 3 or not ods.startswith("Q") or not ons.startswith("E54") or ods in seen:
                continue
            seen.add(ods)  # the first row of each STP carries its footprint facts
            pair(ons, ods, WORKBOOK, row)
            footprint = row.get(fp_col)
            if ods != "QHM" and footprint.isdigit():  # QHM is the 2018 merger, not a 2016 footprint
                pair(f"E54{int(footprint):06d}", ods, WORKBOOK, row)
    for source, cd, cdh in (("ons-ccg20-stp20", "STP20CD", "STP20CDH"),
                            ("ons-ccg21-stp21-cal21", "STP21CD", "STP21CDH")):
        for row in ctx.rows(source):
            pair(row[cd], row[cdh], source, row)
    return pairs


def _recodes(chd: dict, ons_to_ods: dict[str, str]) -> dict[str, str]:
    """ONS recodes with no stated ODS pair, matched by the recode rule.

    A code whose first version starts the day after a mapped code's last
    version ends, under the same name, is the same footprint recoded (the
    ONS practice after a boundary change), so it keeps that ODS code.
    """
    def span(code: str) -> tuple[date, date | None, str, str]:
        vs = sorted(chd[code], key=lambda v: v["date"]["s"])
        last = vs[-1]["date"].get("e")
        return (date.fromisoformat(vs[0]["date"]["s"]), date.fromisoformat(last) if last else None,
                vs[0]["nm"], vs[-1]["nm"])

    found: dict[str, str] = {}
    for code in sorted(chd):
        first_start, _, first_name, _ = span(code)
        if code in ons_to_ods or first_start >= STATUTORY:
            continue
        for other in sorted(ons_to_ods):
            if other not in chd:
                continue
            _, other_end, _, other_name = span(other)
            if other_end == day_before(first_start) and other_name == first_name:
                found[code] = ons_to_ods[other]
    return found


def _versions(ctx: Context, ons_to_ods: dict[str, str]) -> dict[str, list[tuple[Interval, str, str]]]:
    chd = ctx.chd(CHD)
    recoded = _recodes(chd, ons_to_ods)
    ctx.lookups["stp_recoded"] = recoded
    ons_to_ods.update(recoded)
    out: dict[str, list[tuple[Interval, str, str]]] = defaultdict(list)
    for code, versions in chd.items():
        for v in versions:
            start = date.fromisoformat(v["date"]["s"])
            if start >= STATUTORY:
                continue  # an ICB's version of a re-used E54 code
            if code not in ons_to_ods:
                raise DataError(f"STP-era code {code} ({v['nm']}) has no ODS code in any source",
                                path=ctx.display(CHD), hint="add the pair's source to stp.py")
            end = date.fromisoformat(v["date"]["e"]) if v["date"].get("e") else None
            out[ons_to_ods[code]].append((Interval(start, end), code, v["nm"]))
    for ods, spans in out.items():
        spans.sort()
        kept = [s for s in spans if not (s[0].end == s[0].start
                and any(o is not s and o[0].contains(s[0].start) for o in spans))]
        out[ods] = kept
    return out


def _partnerships(ctx: Context, ons_to_ods: dict[str, str]) -> dict[str, Interval]:
    b = ctx.builder
    lifetimes: dict[str, Interval] = {}
    for ods, spans in sorted(_versions(ctx, ons_to_ods).items()):
        start = spans[0][0].start
        end = max(s[0].end for s in spans if s[0].end)
        lifetimes[ods] = Interval(start, end)
        org = b.add_organisation(
            "stp", ods, name=spans[-1][2], start=start, end=end, sources=[CHD, WORKBOOK],
            ods=ods, ons=sorted({code for _, code, _ in spans}),
        )
        b.add_code(org, "ODS", ods, start, end, sources=[WORKBOOK])
        for span, code, _ in spans:
            b.add_code(org, "ONS", code, span.start, span.end, sources=[CHD])
            if code in ctx.lookups["stp_recoded"]:
                record = f"{ID}code/stp-{ods}/{span.start.isoformat()}/ons/{code}"
                b.add(record, RDFS.comment, "No source pairs this ONS code with an ODS code; it is "
                      "matched by the recode rule: it starts the day after the footprint's previous "
                      "code ends, under the same name (see src/nhsgraph/ingest/stp.py).")
        for span, name in coalesce([(span, name) for span, _, name in spans]):
            b.add_name(org, name, span.start, span.end, sources=[CHD])
    return lifetimes


def _merger_2018(ctx: Context, lifetimes: dict[str, Interval]) -> None:
    b = ctx.builder
    merged = ("QMK", "QT8", "QVP")
    for ods in merged:
        if lifetimes[ods].end != day_before(MERGER_2018):
            raise DataError(f"STP {ods} should end on {day_before(MERGER_2018)} (CHD) for the 2018 merger",
                            path=ctx.display(CHD))
    if lifetimes["QHM"].start != MERGER_2018:
        raise DataError("STP QHM should start on 2018-04-01 (CHD)", path=ctx.display(CHD))
    b.add_event(
        "Merger", MERGER_2018,
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


def _memberships(ctx: Context, ons_to_ods: dict[str, str], lifetimes: dict[str, Interval]) -> None:
    b = ctx.builder
    snapshots: list[tuple[date, str, set[tuple[str, str]]]] = []
    first = {(ccg, ons_to_ods[stp]) for ccg, stp, _ in _snapshot_2016(ctx)}
    snapshots.append((FOOTPRINTS_2016, WORKBOOK, first))
    for as_at, source, ccg_col, stp_col in SNAPSHOTS:
        members = set()
        for row in ctx.rows(source):
            stp = ons_to_ods.get(row[stp_col])
            if stp is None:
                raise row.error(f"STP code {row[stp_col]} has no ODS code")
            members.add((row[ccg_col], stp))
        snapshots.append((as_at, source, members))
    runs: dict[tuple[str, str], list[tuple[date, date | None, list[str]]]] = defaultdict(list)
    for index, (as_at, source, members) in enumerate(snapshots):
        following = snapshots[index + 1][0] if index + 1 < len(snapshots) else None
        for pair in sorted(members):
            run = runs[pair]
            if run and run[-1][1] == as_at:  # seen in the previous snapshot too: extend
                run[-1] = (run[-1][0], following, run[-1][2] + [source])
            else:
                run.append((as_at, following, [source]))
    for (ccg, stp), spans in sorted(runs.items()):
        stp_life = lifetimes[stp]
        ccg_life = b.lifetime("ccg", ccg)
        for start, next_snapshot, sources in spans:
            end = day_before(next_snapshot) if next_snapshot else stp_life.end
            span = Interval(start, end).intersection(stp_life)
            if ccg_life is not None and span is not None:
                span = span.intersection(ccg_life)
            if span is None:
                continue
            b.add_membership(b.ref("ccg", ccg, why=f"member of STP {stp}"), b.ref("stp", stp),
                             span.start, span.end, sources=sources)


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
            event = b.add_event("Designation", day, original=[org], resulting=[org], sources=sources,
                                precision=row["date_precision"], label=label)
            if row["note"]:
                b.add(event.value, RDFS.comment, row["note"])
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
