"""The ingest step: every fact of the graph re-derived from the files in ``data/``.

Each module owns one concern of the history and reads only registered
sources (``data/sources/*.csv``) through :class:`Context`, so every file the
build reads is also a source that facts can cite. Dropping a newer ODS or ONS
release into ``data/raw/`` and updating its row in ``data/sources/files.csv``
is all a refresh needs (see ``data/README.md``).

Order matters only where a module refers to organisations another module
defines; the builder checks at the end that every reference is defined.
"""

from __future__ import annotations

from pathlib import Path

from nhsgraph.build import GraphBuilder
from nhsgraph.ingest import (
    area,
    board,
    boundary,
    ccg,
    coverage,
    icb,
    icp,
    local_office,
    region,
    sources,
    stp,
    sub_icb,
)
from nhsgraph.ingest.context import Context

#: The ingest modules, in the order they run.
MODULES = (sources, region, area, ccg, local_office, stp, icb, icp, sub_icb, boundary, coverage, board)


def ingest(data_dir: Path) -> GraphBuilder:
    """Run every ingest module over ``data_dir`` and return the filled builder."""
    ctx = Context(data_dir=data_dir, builder=GraphBuilder())
    for module in MODULES:
        module.ingest(ctx)
    return ctx.builder
