"""Boundary changes: areas that moved from one organisation to another.

Each row of ``data/curated/boundary-changes.csv`` (the 2020 STP moves, the
2022 boundary review moves of Glossop, Bassetlaw, West Birmingham and Oundle,
the April 2023 Chichester change and the 2026 Frimley, Essex and Suffolk
moves) becomes an ``nhs:BoundaryChange`` from the losing to the gaining
organisation, labelled with the area and citing the row's sources. Rows the
curator flagged ``INFERRED`` or ``CONFLICT`` keep the flag and note as an
``rdfs:comment``. The area shares themselves are in the coverage records.
"""

from __future__ import annotations

import re

from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.products import SOURCES
from nhsgraph.terms import KIND_LABEL


def ingest(ctx: Context) -> None:
    b = ctx.builder
    for row in ctx.curated("boundary-changes.csv"):
        day = row.date("date")
        if day is None:
            raise row.error("a boundary change without a date")
        losing = b.ref(row["from_org_kind"], row["from_ods"], why=f"boundary change of {row['area']}")
        gaining = b.ref(row["to_org_kind"], row["to_ods"], why=f"boundary change of {row['area']}")
        slug = re.sub(r"[^a-z0-9]+", "-", row["area"].lower()).strip("-")[:60]
        key = f"{row['from_org_kind']}-{row['from_ods']}+{row['to_org_kind']}-{row['to_ods']}+{slug}"
        b.add_event("BoundaryChange", day, original=[losing], resulting=[gaining],
                    sources=row["source_ids"].split(";"), key=key,
                    label=f"{row['area']} moves from {KIND_LABEL[row['from_org_kind']]} "
                    f"{row['from_ods']} to {KIND_LABEL[row['to_org_kind']]} {row['to_ods']}",
                    comment=f"{row['flags']}: {row['note']}" if row["flags"] else None)


STEP = Step("boundary", ingest, needs=(SOURCES,))
