"""Local authority districts, the areas that organisations cover.

A district is identified by its ONS (GSS) code (``nhsid:lad/E08000025``); it
has no ODS code. The districts defined are exactly those named by the ONS
LSOA lookups that the ``coverage`` module reads (E06 unitary authorities,
E07 non-metropolitan districts, E08 metropolitan districts, E09 London
boroughs), so every ``nhs:coveredArea`` is defined here. Sources and rules:

- Dates and names come from the ONS Code History Database (July 2024), one
  file per entity (``ons-chd-2024-07-e06`` ... ``-e09``). The district starts
  on its earliest version's start (2009-01-01, where the CHD begins, for the
  districts older than the database) and ends on its latest version's end if
  every version has ended. The code itself never changes for one district:
  ONS issues a new code, hence a new district, when a boundary changes.
- One name record per run of the same name over consecutive versions (for
  example E07000112, Shepway until 2018-03-31, then Folkestone and Hythe);
  the organisation's label is the latest name.
- A district named by a lookup but absent from the CHD stops the build:
  its dates are not invented.
"""

from __future__ import annotations

from nhsgraph.errors import DataError
from nhsgraph.ingest import coverage
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.products import ORGANISATIONS, SOURCES
from nhsgraph.temporal import coalesce

#: The CHD source of each district entity.
CHD = {
    "E06": "ons-chd-2024-07-e06",
    "E07": "ons-chd-2024-07-e07",
    "E08": "ons-chd-2024-07-e08",
    "E09": "ons-chd-2024-07-e09",
}


def ingest(ctx: Context) -> None:
    b = ctx.builder
    chd = {entity: ctx.chd(source) for entity, source in CHD.items()}
    for code, named_in in coverage.lad_codes(ctx).items():
        source = CHD.get(code[:3])
        if source is None:
            raise DataError(f"{code} is not a local authority district code (E06-E09)",
                            path=ctx.display(named_in[0]))
        versions = chd[code[:3]].get(code)
        if not versions:
            raise DataError(
                f"district {code} (named in {', '.join(ctx.display(s) for s in named_in)}) "
                "has no version in the ONS Code History Database",
                path=ctx.display(source),
                hint="register a CHD release that lists it; its dates are not invented",
            )
        spans = sorted((v.span, v.name) for v in versions)
        start = spans[0][0].start
        end = None if any(span.end is None for span, _ in spans) else max(s.end for s, _ in spans)
        org = b.add_organisation("lad", code, name=spans[-1][1], start=start, end=end,
                                 sources=[source], ons=[code])
        b.add_code(org, "ONS", code, start, end, sources=[source])
        for span, name in coalesce(spans):
            b.add_name(org, name, span.start, span.end, sources=[source])


STEP = Step("area", ingest, provides=(ORGANISATIONS["lad"],), needs=(SOURCES,))
