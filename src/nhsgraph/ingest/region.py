"""NHS England regions, 2012 to today, and their ONS (E40) codes.

An NHS England region is identified by its ODS Y-code (``nhsid:region/Y56``).
The four commissioning regions of 2013 (Y54-Y57) are also typed
``nhs:CommissioningRegion``. Sources and rules:

- Lifetimes and ODS names come from ODS ``eauth`` (November 2018); it
  predates the April 2019 regions, whose start and the end of Y54/Y55 come
  from the ONS Code History Database (CHD) E40 versions.
- ONS codes and their dates come from the CHD; the ODS code of each E40 code
  from the ONS names-and-codes files that give both (2019, 2022, 2024), and,
  for the 2013 codes, from the region names of the ONS 2013 lookup matched to
  eauth (the two name forms are listed in ``_ONS_2013``).
- Rule when ODS and ONS dates differ: ODS for the organisation's open and
  close dates (it is the register of the body), ONS for the code's dates.
"""

from __future__ import annotations

from nhsgraph.ingest.codes import CodeMap
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.products import ORGANISATIONS, REGION_CODES, SOURCES
from nhsgraph.temporal import coalesce
from nhsgraph.terms import NHS

CHD = "ons-chd-2024-07-e40"
#: ONS 2013 E40 codes -> ODS Y-codes, by the names the two registers give
#: ("North of England" = "NORTH OF ENGLAND COMMISSIONING REGION", and so on).
_ONS_2013 = {"E40000001": "Y54", "E40000002": "Y55", "E40000004": "Y57"}
_COMMISSIONING = ("Y54", "Y55", "Y56", "Y57")


def ingest(ctx: Context) -> None:
    b = ctx.builder
    ons_to_ods = CodeMap("region", _ONS_2013)
    for source, cd, cdh in (
        ("ons-nhser19-nc", "NHSER19CD", "NHSER19CDH"),
        ("ons-loc22-icb22-nhser22", "NHSER22CD", "NHSER22CDH"),
        ("ons-nhser24-nc", "NHSER24CD", "NHSER24CDH"),
    ):
        for row in ctx.rows(source):
            ons_to_ods.add(row[cd], row[cdh], row)
    ctx.put(REGION_CODES, ons_to_ods)

    # Each region's CHD versions, per ODS code.
    versions: dict[str, list] = {}
    for ons_code, vs in ctx.chd(CHD).items():
        ods = ons_to_ods.get(ons_code)
        if ods is not None:
            versions.setdefault(ods, []).extend(vs)

    eauth = {r["code"]: r for r in ctx.ods_rows("ods-eauth-2018-11") if r["code"].startswith("Y")}
    for ods in sorted(versions):
        spans = sorted(versions[ods], key=lambda v: v.span.start)
        sources = [CHD]
        row = eauth.get(ods)
        if row is not None:
            start, end = row.date("open_date", ods=True), row.date("close_date", ods=True)
            sources.append("ods-eauth-2018-11")
        else:  # the 2019 regions postdate the eauth extract
            start, end = spans[0].span.start, None
        if end is None and all(v.span.end for v in spans):
            end = max(v.span.end for v in spans if v.span.end)
        org = b.add_organisation(
            "region", ods, name=spans[-1].name, start=start, end=end, sources=sources,
            ods=ods, ons=sorted({v.code for v in spans}),
            also_types=[NHS.CommissioningRegion] if ods in _COMMISSIONING else [],
        )
        for v in spans:
            b.add_code(org, "ONS", v.code, v.span.start, v.span.end, sources=[CHD])
        for span, name in coalesce([(v.span, v.name) for v in spans]):
            b.add_name(org, name, span.start, span.end, sources=[CHD])


STEP = Step("region", ingest, provides=(REGION_CODES, ORGANISATIONS["region"]), needs=(SOURCES,))
