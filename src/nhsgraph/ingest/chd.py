"""ONS Code History Database versions, read once and checked.

The Code History Database (CHD) gives every ONS code a list of versions, each
with its dates, name and parent code. The files the build reads are the
per-entity JSON of Open Innovations (``{"areas": {code: [{"date": {"s": ...,
"e": ...}, "nm": ..., "parent": ...}, ...]}}``). :func:`versions` turns one
file into :class:`Version` records, refusing a file of another shape or a
version whose dates are not ISO dates in order, so that no ingest module
handles raw JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from nhsgraph.errors import DataError
from nhsgraph.temporal import Interval


@dataclass(frozen=True)
class Version:
    """One version of an ONS code: its days (inclusive), name and parent code."""

    code: str
    span: Interval
    name: str
    parent: str | None = None


def versions(data: Any, *, where: str) -> dict[str, tuple[Version, ...]]:
    """Every code's versions, in the order the file lists them.

    Raises:
        DataError: the file is not a Code History Database file, or a version
            has no valid dates (``where`` names the file in the message).
    """
    areas = data.get("areas") if isinstance(data, dict) else None
    ok = isinstance(areas, dict) and all(
        isinstance(vs, list) and all(isinstance(v, dict) and isinstance(v.get("date"), dict)
                                     and "s" in v["date"] and "nm" in v for v in vs)
        for vs in areas.values())
    if not ok:
        raise DataError("not an ONS Code History Database file: expected "
                        '{"areas": {code: [{"date": {"s": ...}, "nm": ...}, ...]}}', path=where)
    out: dict[str, tuple[Version, ...]] = {}
    for code, vs in areas.items():
        out[code] = tuple(_version(code, v, where) for v in vs)
    return out


def _version(code: str, raw: dict[str, Any], where: str) -> Version:
    try:
        d = raw["date"]
        end = date.fromisoformat(d["e"]) if d.get("e") else None
        span = Interval(date.fromisoformat(d["s"]), end)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{code}: a version has no valid dates ({exc})", path=where) from None
    parent = raw.get("parent")
    return Version(code, span, str(raw["nm"]), str(parent) if parent else None)
