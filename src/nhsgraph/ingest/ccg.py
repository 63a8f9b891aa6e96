"""Clinical commissioning groups, 2013-04-01 to 2022-06-30, and their mergers.

A CCG is ``nhsid:ccg/<ODS code>``. Sources and rules:

- **Which CCGs.** Every CCG code ODS ever had: the closed CCGs (no role) and
  the sub-ICB locations whose code was a CCG's (role RO319) in the ODS
  ``eccg`` file of late 2025; commissioning hubs (RO218) and sub-ICB
  reporting entities (RO327) are not CCGs.
- **Lifetimes.** Start: the ODS open date; but where the CCG is the result of
  a succession in the ODS successor file, its start is that succession's
  effective date when the open date is earlier (ODS opened some merged CCGs'
  records months ahead, e.g. 13T on 2014-11-26 for a merger effective
  2015-04-01); the difference is kept as an ``nhs:ConflictNote``. End: the
  ODS close date; the 106 CCGs left in 2022 end on 2022-06-30, the day
  before the Health and Care Act 2022 abolished CCGs (the ONS Code History
  Database ends their CCG versions that day).
- **Names and ONS codes by date** come from the ONS Code History Database
  (E38), matched to ODS codes through the ONS files that carry both
  (April 2013, July 2015, April 2017-2021).
- **Mergers** come from the ODS successor file: rows whose predecessor and
  successor are both CCGs, grouped by successor and date. Each predecessor
  must end the day before (checked).
- **Abolition** on 2022-07-01: one ``nhs:Abolition`` per CCG, whose results
  are the sub-ICB location with the same code and the ICB the ONS July 2022
  lookup places it in.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from nhsgraph.errors import DataError
from nhsgraph.ingest.chd import Version
from nhsgraph.ingest.codes import CodeMap
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.milestones import STATUTORY_ICS
from nhsgraph.ingest.products import CCG_CODES, ORGANISATIONS, SOURCES
from nhsgraph.temporal import Interval, coalesce, day_before

ECCG = "ods-eccg-2025-12"
SUCC = "ods-succ-2026"
CHD = "ons-chd-2024-07-e38"
LOOKUP_2022 = "ons-loc22-icb22-nhser22"
LAST_DAY = day_before(STATUTORY_ICS)
#: ONS files pairing a CCG's ONS (E38) code with its ODS code.
CODE_FILES = (
    ("ons-ccg13-nc", "CCG13CD", "CCG13CDH", "cp1252"),
    ("ons-lsoa11-ccg15-lad15", "CCG15CD", "CCG15CDH", "utf-8-sig"),
    ("ons-ccg17-stp17", "CCG17CD", "CCG17CDH", "utf-8-sig"),
    ("ons-ccg18-stp18", "CCG18CD", "CCG18CDH", "utf-8-sig"),
    ("ons-ccg19-stp19", "CCG19CD", "CCG19CDH", "utf-8-sig"),
    ("ons-ccg20-stp20", "CCG20CD", "CCG20CDH", "utf-8-sig"),
    ("ons-ccg21-stp21-cal21", "CCG21CD", "CCG21CDH", "utf-8-sig"),
)


def ingest(ctx: Context) -> None:
    b = ctx.builder
    eccg = {r["code"]: r for r in ctx.ods_rows(ECCG) if r["subtype"] in ("", "RO319", "RO319|RO326")}
    ons_to_ods = _code_map(ctx)
    ctx.put(CCG_CODES, ons_to_ods)
    successions = _successions(ctx, set(eccg))
    merged_into: dict[str, date] = {}
    for (successor, day), _preds in successions.items():
        merged_into[successor] = min(day, merged_into.get(successor, day))

    versions: dict[str, list[Version]] = defaultdict(list)
    for code, vs in ctx.chd(CHD).items():
        ods = ons_to_ods.get(code)
        if ods is None:
            continue
        for v in vs:
            if v.span.start < STATUTORY_ICS and v.span.start != v.span.end:
                versions[ods].append(v)

    for code, row in sorted(eccg.items()):
        opened, closed = row.date("open_date", ods=True), row.date("close_date", ods=True)
        if opened is None:
            raise row.error(f"CCG {code} has no open date")
        sources = [ECCG]
        start = opened
        effective = merged_into.get(code)
        if effective is not None and effective > opened:
            start = effective
            sources.append(SUCC)
        end = closed if closed else LAST_DAY
        if not closed:
            sources.append(CHD)
        spans = sorted(versions.get(code, []), key=lambda v: (v.span, v.code, v.name))
        # ONS's name where the CHD has one; otherwise ODS's (upper case) as it is.
        name = spans[-1].name if spans else row["name"]
        if spans:
            sources.append(CHD)
        org = b.add_organisation("ccg", code, name=name, start=start, end=end,
                                 sources=sorted(set(sources)), ods=code,
                                 ons=sorted({v.code for v in spans}))
        if start != opened:
            b.add_conflict(org.value, f"ODS opened the record on {opened.isoformat()}; the succession "
                           f"that created the CCG took effect on {start.isoformat()}. Rule: the "
                           "effective date of the succession is the start.", sources=[ECCG, SUCC],
                           key="start")
        b.add_code(org, "ODS", code, start, end, sources=[ECCG])
        life = Interval(start, end)
        for v in spans:
            clipped = v.span.intersection(life)
            if clipped:
                b.add_code(org, "ONS", v.code, clipped.start, clipped.end, sources=[CHD])
        for span, label in coalesce([(v.span, v.name) for v in spans]):
            clipped = span.intersection(life)
            if clipped:
                b.add_name(org, label, clipped.start, clipped.end, sources=[CHD])

    for (successor, day), preds in sorted(successions.items()):
        for pred in preds:
            life = b.lifetime("ccg", pred)
            if life is None or life.end != day_before(day):
                raise DataError(f"CCG {pred} should end on {day_before(day)} for its succession by "
                                f"{successor}, but ends on {life.end if life else 'never'}",
                                path=ctx.display(SUCC))
        succ_life = b.lifetime("ccg", successor)
        original = [b.ref("ccg", p) for p in preds]
        if succ_life is not None and succ_life.start < day:
            original.append(b.ref("ccg", successor))  # an existing CCG absorbed others
        b.add_event("Merger", day, original=original, resulting=[b.ref("ccg", successor)],
                    sources=[SUCC], label=f"CCGs {', '.join(sorted(preds))} merge into {successor}")

    icb_of = {r["LOC22CDH"]: r["ICB22CDH"] for r in ctx.rows(LOOKUP_2022)}
    for code, row in sorted(eccg.items()):
        if row.date("close_date", ods=True) is None:
            if code not in icb_of:
                raise row.error(f"CCG {code} was open in 2022 but is not in the July 2022 ONS lookup")
            b.add_event("Abolition", STATUTORY_ICS, original=[b.ref("ccg", code)],
                        resulting=[b.ref("sub-icb", code), b.ref("icb", icb_of[code])],
                        sources=[CHD, LOOKUP_2022],
                        label=f"CCG {code} abolished; its area becomes sub-ICB location {code} "
                        f"of ICB {icb_of[code]}")


def _code_map(ctx: Context) -> CodeMap:
    pairs = CodeMap("CCG")
    for source, cd, cdh, encoding in CODE_FILES:
        for row in ctx.rows(source, encoding=encoding):
            pairs.add(row[cd], row[cdh], row)
    return pairs


def _successions(ctx: Context, ccgs: set[str]) -> dict[tuple[str, date], list[str]]:
    """(successor, effective day) -> its predecessors, for successions between two CCGs."""
    out: dict[tuple[str, date], list[str]] = defaultdict(list)
    for s in ctx.successions(SUCC):
        if s.predecessor in ccgs and s.successor in ccgs:
            out[(s.successor, s.effective)].append(s.predecessor)
    return {k: sorted(v) for k, v in out.items()}


STEP = Step("ccg", ingest, provides=(CCG_CODES, ORGANISATIONS["ccg"]), needs=(SOURCES,))
