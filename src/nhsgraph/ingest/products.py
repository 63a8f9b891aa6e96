"""Every product an ingest step hands to another, in one place.

The code maps turn the ONS codes of a kind into ODS codes; the organisation
products stand for "the organisations of this kind are defined", so that a
step which clips its facts to their lifetimes runs after them (read them with
:meth:`~nhsgraph.ingest.context.Context.lifetime`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from nhsgraph.ingest.codes import CodeMap
from nhsgraph.ingest.contract import Product

if TYPE_CHECKING:
    from nhsgraph.ingest.lsoa import Assignment
    from nhsgraph.temporal import Interval
    from nhsgraph.ingest.mergers_2026 import Plan2026

#: Every registered source is described and its checksum checked.
SOURCES: Product[None] = Product("the source register")

#: ONS E40 code of an NHS England region -> its ODS Y-code.
REGION_CODES: Product[CodeMap] = Product("region ONS-to-ODS codes")
#: ONS E38 code of a CCG -> its ODS code.
CCG_CODES: Product[CodeMap] = Product("CCG ONS-to-ODS codes")
#: ONS E54 code of an STP (every year, recodes included) -> its ODS Q-code.
STP_CODES: Product[CodeMap] = Product("STP ONS-to-ODS codes")

#: ONS E38 code of a sub-ICB location -> its ODS code.
SUB_ICB_CODES: Product[CodeMap] = Product("sub-ICB location ONS-to-ODS codes")
#: CCG (ODS) -> the 2016 STP footprint (ODS) it was in, from the ODS partner mapping.
STP_FOOTPRINTS: Product[Mapping[str, str]] = Product("the 2016 STP footprints of the CCGs")
#: Every LSOA assignment, read and derived (nhsgraph.ingest.lsoa), with ODS codes.
LSOA_ASSIGNMENTS: Product[tuple[Assignment, ...]] = Product("the LSOA assignments")

#: CCG (ODS) -> its (days, region ODS code, inferred?) runs, 2013-04-01 to 2022-06-30.
CCG_REGIONS: Product[Mapping[str, tuple[tuple[Interval, str, bool], ...]]] = Product(
    "the regions of the CCGs")
#: ICB (ODS) -> its (days, region ODS code, inferred?) runs, from 2022-07-01.
ICB_REGIONS: Product[Mapping[str, tuple[tuple[Interval, str, bool], ...]]] = Product(
    "the regions of the ICBs")

#: The April 2026 ICB mergers as ODS's change summary describes them.
MERGERS_2026: Product[Plan2026] = Product("the April 2026 merger plan")

#: The organisation kinds whose lifetimes other steps read.
ORGANISATIONS: dict[str, Product[None]] = {
    kind: Product(f"the {kind} organisations")
    for kind in ("region", "lad", "ccg", "area-team", "local-office", "stp", "icb", "ics",
                 "icp", "cluster", "sub-icb", "sub-icb-reporting-entity",
                 "practice")
}

#: Products the build itself takes from the ingest step (not another step).
BUILD_OUTPUTS: tuple[Product, ...] = ()
