"""From dated snapshots to dated runs: the annual lookups turned into history.

Most hierarchies come as snapshots: a lookup "as at" 1 April lists which CCG
was in which STP on that day, and says nothing about the days in between. The
rule, written once here: a pair seen in consecutive snapshots is one run,
from its first snapshot to the day before the first later snapshot without
it; a pair still there in the last snapshot runs on (``end=None``) and the
caller clips it to the lifetimes of the two parties. A change between two
snapshots is therefore dated to the later one: the snapshots do not say when
within the interval it happened (each module lists that as a known gap).

A snapshot may cap how long one of its pairs can hold (``cap``: the last
day on which the statement can be true, for example the end of the version
of the office it names); a capped run does not join the next snapshot's run
unless the cap is the day before it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from nhsgraph.temporal import day_before

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Snapshot(Generic[K]):
    """The pairs (or other keys) a source lists as at one day, each with an optional cap."""

    as_at: date
    source: str
    members: Mapping[K, date | None]


@dataclass(frozen=True)
class Run:
    """A key held from ``start`` to ``end`` (inclusive; ``None``: still in the last snapshot)."""

    start: date
    end: date | None
    sources: tuple[str, ...]


def snapshot_runs(snapshots: Sequence[Snapshot[K]]) -> dict[K, list[Run]]:
    """The runs of every key over snapshots given in date order (see the module docstring)."""
    runs: dict[K, list[Run]] = defaultdict(list)
    for index, snap in enumerate(snapshots):
        following = snapshots[index + 1].as_at if index + 1 < len(snapshots) else None
        for key in sorted(snap.members, key=repr):
            cap = snap.members[key]
            limits = [d for d in (cap, day_before(following) if following else None) if d]
            end = min(limits) if limits else None
            found = runs[key]
            if found and found[-1].end == day_before(snap.as_at):  # in the previous snapshot too
                found[-1] = Run(found[-1].start, end, found[-1].sources + (snap.source,))
            else:
                found.append(Run(snap.as_at, end, (snap.source,)))
    return dict(runs)
