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
"""

from __future__ import annotations

from datetime import date

from nhsgraph.errors import DataError
from nhsgraph.ingest.context import Context
from nhsgraph.temporal import Interval, coalesce

ICB_START = date(2022, 7, 1)
LOOKUP_2022 = "ons-loc22-icb22-nhser22"
CHD = "ons-chd-2024-07-e54"


def ingest(ctx: Context) -> None:
    b = ctx.builder
    ons_to_ods: dict[str, str] = {}
    for source, cd, cdh in (
        (LOOKUP_2022, "ICB22CD", "ICB22CDH"),
        ("ons-icb23-nc", "ICB23CD", "ICB23CDH"),
        ("ons-icb24-nc", "ICB24CD", "ICB24CDH"),
    ):
        for row in ctx.rows(source):
            if not row[cd].startswith("E54"):
                continue  # the ONSPD file also lists UK pseudo-codes (W99999999, ...)
            known = ons_to_ods.setdefault(row[cd], row[cdh])
            if known != row[cdh]:
                raise row.error(f"{row[cd]} is ICB {row[cdh]} here but {known} elsewhere")

    chd = ctx.json(CHD)["areas"]
    icb_versions: dict[str, list[tuple[Interval, str, str]]] = {}
    for ons_code, ods in ons_to_ods.items():
        for v in chd.get(ons_code, []):
            s = date.fromisoformat(v["date"]["s"])
            e = date.fromisoformat(v["date"]["e"]) if v["date"].get("e") else None
            if s >= ICB_START:
                icb_versions.setdefault(ods, []).append((Interval(s, e), ons_code, v["nm"]))

    icbs: dict[str, tuple[str, str, str]] = {}
    for row in ctx.rows(LOOKUP_2022):
        icbs.setdefault(row["ICB22CDH"], (row["ICB22CD"], row["ICB22NM"], row["NHSER22CDH"]))

    for ods, (ons_2022, name_2022, region) in sorted(icbs.items()):
        versions = sorted(icb_versions.get(ods, []))
        if not versions:
            raise DataError(f"ICB {ods} ({ons_2022}) has no version in the CHD", path=CHD)
        start = versions[0][0].start
        org = b.add_organisation(
            "icb", ods, name=versions[-1][2], start=start, sources=[LOOKUP_2022, CHD],
            ods=ods, ons=sorted({code for _, code, _ in versions}),
        )
        for span, code, _ in versions:
            b.add_code(org, "ONS", code, span.start, span.end, sources=[CHD])
        b.add_code(org, "ODS", ods, start, None, sources=[LOOKUP_2022])
        for span, name in coalesce([(span, name) for span, _, name in versions]):
            b.add_name(org, name, span.start, span.end, sources=[CHD])
        b.add_membership(org, b.ref("region", region, why=f"region of ICB {ods}"), start, None,
                         sources=[LOOKUP_2022])
