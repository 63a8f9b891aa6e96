"""Sub-ICB locations (from 2022-07-01) and sub-ICB reporting entities (from 2024).

On 2022-07-01 each remaining CCG's ODS code carried on as a sub-ICB location
inside an ICB: a reference area, not a legal body, so it is a new
organisation ``nhsid:sub-icb/<code>`` linked to its CCG by the CCG's
abolition event. Sources and rules:

- **Which, and when.** The 106 locations of the ONS July 2022 lookup; each
  starts on 2022-07-01 (the start of its ONS version in the Code History
  Database, E38). ODS lists them as role RO319 in ``eccg`` (late 2025).
- **Names and ONS codes by date**: CHD E38 versions from 2022-07-01, matched
  through the ONS 2022 and 2024 lookups that give both codes.
- **ICB membership**: the ONS lookups of July 2022 and April 2024; the
  membership runs to the end of the ICB. When an ICB merged whole into one
  successor on 2026-04-01 (``data/curated/icb-2026-successions.csv``,
  event ``merger``) its locations move to that successor (rule: a whole
  merger transfers the whole area; the West and North London seed confirms it
  for 93C and W2U3Z). Where an ICB was split, which successor took each
  location is not in the sources: the membership ends and the gap is listed
  in ``data/README.md``.
- **Sub-ICB reporting entities** (role RO327; London from 2024-04-01, Frimley
  from 2024-07-24) with their ODS open dates and the ICB ``eccg`` gives.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from nhsgraph.ingest.chd import Version
from nhsgraph.ingest.codes import CodeMap
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.milestones import ICB_MERGERS_2026, STATUTORY_ICS
from nhsgraph.ingest.products import ORGANISATIONS, SOURCES
from nhsgraph.temporal import coalesce, day_before

ECCG = "ods-eccg-2025-12"
CHD = "ons-chd-2024-07-e38"
LOOKUP_2022 = "ons-loc22-icb22-nhser22"
LOOKUP_2024 = "ons-lsoa21-sicbl24-icb24"
SNAPSHOT_2024 = date(2024, 4, 1)


def ingest(ctx: Context) -> None:
    b = ctx.builder
    ons_to_ods = CodeMap("sub-ICB location")
    icb_2022: dict[str, str] = {}
    icb_2024: dict[str, str] = {}
    for row in ctx.rows(LOOKUP_2022):
        ons_to_ods.add(row["LOC22CD"], row["LOC22CDH"], row)
        icb_2022[row["LOC22CDH"]] = row["ICB22CDH"]
    for row in ctx.rows(LOOKUP_2024):
        ons_to_ods.add(row["sicbl24_code"], row["sicbl24_code_nhs"], row)
        icb_2024[row["sicbl24_code_nhs"]] = row["icb24_code_nhs"]

    versions: dict[str, list[Version]] = defaultdict(list)
    for code, vs in ctx.chd(CHD).items():
        ods = ons_to_ods.get(code)
        for v in vs:
            if ods and v.span.start >= STATUTORY_ICS:
                versions[ods].append(v)

    successor = _whole_mergers(ctx)
    for code in sorted(icb_2022):
        spans = sorted(versions.get(code, []), key=lambda v: (v.span, v.code, v.name))
        if not spans:
            raise ctx.rows(LOOKUP_2022)[0].error(f"sub-ICB location {code} has no CHD version")
        org = b.add_organisation("sub-icb", code, name=spans[-1].name, start=STATUTORY_ICS,
                                 sources=[LOOKUP_2022, CHD], ods=code,
                                 ons=sorted({v.code for v in spans}))
        b.add_code(org, "ODS", code, STATUTORY_ICS, None, sources=[LOOKUP_2022, ECCG])
        for v in spans:
            b.add_code(org, "ONS", v.code, v.span.start, v.span.end, sources=[CHD])
        for span, label in coalesce([(v.span, v.name) for v in spans]):
            b.add_name(org, label, span.start, span.end, sources=[CHD])
        _icb_memberships(ctx, code, icb_2022[code], icb_2024.get(code), successor)
    _reporting_entities(ctx)


def _whole_mergers(ctx: Context) -> dict[str, tuple[str, list[str]]]:
    """Predecessor ICB -> (its only successor, sources), for whole mergers in 2026."""
    by_pred: dict[str, list] = defaultdict(list)
    for row in ctx.curated("icb-2026-successions.csv"):
        by_pred[row["predecessor_ods"]].append(row)
    out = {}
    for pred, rows in by_pred.items():
        if len(rows) == 1 and rows[0]["event"] == "merger":
            out[pred] = (rows[0]["successor_ods"], rows[0]["source_ids"].split(";"))
    return out


def _icb_memberships(ctx: Context, code: str, first: str, second: str | None,
                     successor: dict[str, tuple[str, list[str]]]) -> None:
    b = ctx.builder
    org = b.ref("sub-icb", code)
    steps = [(STATUTORY_ICS, first, [LOOKUP_2022])]
    if second and second != first:
        steps.append((SNAPSHOT_2024, second, [LOOKUP_2024]))
    elif second:
        steps[0] = (STATUTORY_ICS, first, [LOOKUP_2022, LOOKUP_2024])
    last_icb = steps[-1][1]
    life = ctx.lifetime("icb", last_icb)
    if life is not None and life.end == day_before(ICB_MERGERS_2026) and last_icb in successor:
        new_icb, sources = successor[last_icb]
        steps.append((ICB_MERGERS_2026, new_icb, sources))
    for index, (start, icb, sources) in enumerate(steps):
        end = day_before(steps[index + 1][0]) if index + 1 < len(steps) else None
        icb_life = ctx.lifetime("icb", icb)
        if end is None and icb_life is not None:
            end = icb_life.end
        b.add_membership(org, b.ref("icb", icb, why=f"ICB of sub-ICB location {code}"),
                         start, end, sources=sources)


def _reporting_entities(ctx: Context) -> None:
    b = ctx.builder
    for row in ctx.ods_rows(ECCG):
        if row["subtype"] != "RO327":
            continue
        code, opened = row["code"], row.date("open_date", ods=True)
        closed = row.date("close_date", ods=True)
        org = b.add_organisation("sub-icb-reporting-entity", code, name=row["name"], start=opened,
                                 end=closed, sources=[ECCG], ods=code)
        b.add_code(org, "ODS", code, opened, closed, sources=[ECCG])
        icb = row["high_level_health_geography"]
        icb_life = ctx.lifetime("icb", icb)
        end = closed or (icb_life.end if icb_life else None)
        b.add_membership(org, b.ref("icb", icb, why=f"ICB of reporting entity {code}"), opened, end,
                         sources=[ECCG])


STEP = Step(
    "sub_icb", ingest,
    provides=(ORGANISATIONS["sub-icb"], ORGANISATIONS["sub-icb-reporting-entity"]),
    needs=(SOURCES, ORGANISATIONS["icb"]),
)
