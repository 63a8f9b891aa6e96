"""The ingest step: every fact of the graph re-derived from the files in ``data/``.

Each module owns one concern of the history, reads only registered sources
(``data/sources/*.csv``) through :class:`~nhsgraph.ingest.context.Context`,
so every file the build reads is also a source that facts can cite, and
declares a :class:`~nhsgraph.ingest.contract.Step`: what it provides to
other modules and what it needs from them (:mod:`nhsgraph.ingest.products`).
The order they run in is computed from those declarations and checked while
they run. Dropping a newer ODS or ONS release into ``data/raw/`` and updating
its row in ``data/sources/files.csv`` is all a refresh needs (see
``data/README.md``).
"""

from __future__ import annotations

from pathlib import Path

from nhsgraph.build import GraphBuilder
from nhsgraph.ingest import (
    area,
    board,
    boundary,
    ccg,
    ccg_region,
    cells,
    completeness,
    coverage,
    icb,
    icp,
    local_office,
    mergers_2026,
    practice,
    region,
    sources,
    stp,
    sub_icb,
)
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step, plan

#: Every ingest step (in any order: :func:`~nhsgraph.ingest.contract.plan` orders them).
STEPS: tuple[Step, ...] = tuple(m.STEP for m in (
    sources, region, area, ccg, ccg_region, local_office, stp, mergers_2026, icb, icp, sub_icb, boundary,
    coverage, cells, completeness, board,
    # -- issue 14 (practices branch) --
    practice))


def ingest(data_dir: Path) -> GraphBuilder:
    """Run every ingest step over ``data_dir`` and return the filled builder."""
    ctx = Context(data_dir=data_dir, builder=GraphBuilder())
    for step in plan(STEPS):
        ctx.run(step)
    return ctx.builder
