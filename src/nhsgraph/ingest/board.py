"""Placeholder: filled in by the work on issue 3/4 (not yet ingesting anything)."""

from __future__ import annotations

from nhsgraph.ingest.context import Context


def ingest(ctx: Context) -> None:
    return None
