"""Closed (inclusive) date intervals: the one temporal convention of nhsgraph.

A fact dated ``[start, end]`` holds on ``start``, on ``end`` and on every day
between; ``end=None`` means it still holds (an open end). This matches ODS and
ONS, which publish an organisation's last day as its close date (every CCG
closes 2022-06-30 and every ICB opens 2022-07-01), so source dates are stored
verbatim. The SPARQL form of :meth:`Interval.contains` is::

    ?start <= D && COALESCE(?end, "9999-12-31"^^xsd:date) >= D

This module owns the interval arithmetic and must not import rdflib: rdflib's
SPARQL date handling is a known weak spot, so the logic is tested here in
Python (see ``tests/test_temporal.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from nhsgraph.errors import ParameterError, shown

#: Stands in for an open end wherever a concrete date is needed (as in SPARQL).
END_OF_TIME = date(9999, 12, 31)

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(text: str, *, what: str = "date") -> date:
    """Parse a strict ISO ``YYYY-MM-DD`` date.

    Args:
        text: the text to parse.
        what: how to name the value in an error (for example ``"parameter date"``).

    Raises:
        ParameterError: the text is not a real calendar date in ISO form.

    >>> parse_date("2022-07-01")
    datetime.date(2022, 7, 1)
    """
    match = _ISO_DATE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ParameterError(
            f"{what}: {shown(text)} is not a date in the form YYYY-MM-DD",
            hint="write the date as ISO 8601, for example 2022-07-01",
        )
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ParameterError(
            f"{what}: {shown(text)} is not a real calendar date ({exc})",
            hint="check the month (01-12) and the day of the month",
        ) from None


def parse_yyyymmdd(text: str) -> date | None:
    """Parse an ODS ``YYYYMMDD`` date; an empty field is ``None`` (no date)."""
    text = text.strip()
    if not text:
        return None
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"{text!r} is not a YYYYMMDD date")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def day_before(d: date) -> date:
    """The last day of a state that ends when another starts on ``d``."""
    return d - timedelta(days=1)


def day_after(d: date) -> date:
    """The first day of the state that follows one whose last day is ``d``."""
    return d + timedelta(days=1)


class Allen(Enum):
    """The thirteen Allen relations, read as ``a <relation> b``."""

    BEFORE = "before"
    MEETS = "meets"
    OVERLAPS = "overlaps"
    STARTS = "starts"
    DURING = "during"
    FINISHES = "finishes"
    EQUALS = "equals"
    FINISHED_BY = "finished-by"
    CONTAINS = "contains"
    STARTED_BY = "started-by"
    OVERLAPPED_BY = "overlapped-by"
    MET_BY = "met-by"
    AFTER = "after"

    @property
    def converse(self) -> Allen:
        """The relation that holds when the two intervals are swapped."""
        return _CONVERSE[self]


_CONVERSE = {
    Allen.BEFORE: Allen.AFTER,
    Allen.MEETS: Allen.MET_BY,
    Allen.OVERLAPS: Allen.OVERLAPPED_BY,
    Allen.STARTS: Allen.STARTED_BY,
    Allen.DURING: Allen.CONTAINS,
    Allen.FINISHES: Allen.FINISHED_BY,
    Allen.EQUALS: Allen.EQUALS,
}
_CONVERSE.update({v: k for k, v in list(_CONVERSE.items())})


@dataclass(frozen=True, order=True)
class Interval:
    """A closed interval of days, ``[start, end]``; ``end=None`` is open.

    >>> Interval(date(2013, 4, 1), date(2022, 6, 30)).contains(date(2022, 6, 30))
    True
    >>> Interval(date(2013, 4, 1), date(2022, 6, 30)).contains(date(2022, 7, 1))
    False
    """

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"interval ends ({self.end}) before it starts ({self.start})")

    @property
    def is_open(self) -> bool:
        return self.end is None

    def _stop(self) -> int:
        """The first day *after* the interval, as an ordinal (half-open form)."""
        return (self.end.toordinal() + 1) if self.end is not None else END_OF_TIME.toordinal() + 1

    def contains(self, day: date) -> bool:
        """True if the fact holds on ``day`` (both ends inclusive)."""
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: Interval) -> bool:
        """True if at least one day lies in both intervals."""
        return self.start.toordinal() < other._stop() and other.start.toordinal() < self._stop()

    def intersection(self, other: Interval) -> Interval | None:
        """The days common to both, or ``None`` if they share no day."""
        if not self.overlaps(other):
            return None
        start = max(self.start, other.start)
        ends = [e for e in (self.end, other.end) if e is not None]
        return Interval(start, min(ends) if ends else None)

    def is_followed_by(self, other: Interval) -> bool:
        """True if ``other`` starts on the day after this interval ends.

        This is the succession rule: a merger's result starts the day after
        its inputs end.
        """
        return self.end is not None and other.start == day_after(self.end)

    def relation(self, other: Interval) -> Allen:
        """The Allen relation of this interval to ``other``, on whole days.

        Days are discrete, so "meets" means ``other`` begins the day after
        this interval's last day (no gap, no shared day).
        """
        a0, a1 = self.start.toordinal(), self._stop()
        b0, b1 = other.start.toordinal(), other._stop()
        if a1 < b0:
            return Allen.BEFORE
        if a1 == b0:
            return Allen.MEETS
        if b1 < a0:
            return Allen.AFTER
        if b1 == a0:
            return Allen.MET_BY
        if a0 == b0 and a1 == b1:
            return Allen.EQUALS
        if a0 == b0:
            return Allen.STARTS if a1 < b1 else Allen.STARTED_BY
        if a1 == b1:
            return Allen.FINISHES if a0 > b0 else Allen.FINISHED_BY
        if b0 < a0 and a1 < b1:
            return Allen.DURING
        if a0 < b0 and b1 < a1:
            return Allen.CONTAINS
        return Allen.OVERLAPS if a0 < b0 else Allen.OVERLAPPED_BY


@dataclass(frozen=True, order=True)
class Between:
    """A day known only to lie between two days, both included (``earliest <= day <= latest``).

    Where the sources bound a start or an end without dating it, the bounds are
    recorded as such (``nhs:earliestStart`` and ``nhs:latestStart``, or the end
    pair) and neither of them is passed off as the day.

    >>> Between(date(2022, 7, 1), date(2022, 11, 8)).contains(date(2022, 9, 1))
    True
    """

    earliest: date
    latest: date

    def __post_init__(self) -> None:
        if self.latest < self.earliest:
            raise ValueError(f"the latest day ({self.latest}) is before the earliest ({self.earliest})")

    def contains(self, day: date) -> bool:
        return self.earliest <= day <= self.latest


def check_range(start: date, end: date, *, what: str = "range") -> None:
    """Refuse an impossible range such as ``from`` after ``to``.

    Raises:
        ParameterError: ``start`` is after ``end``.
    """
    if start > end:
        raise ParameterError(
            f"{what}: the start {start.isoformat()} is after the end {end.isoformat()}",
            hint="swap the two dates",
        )


def coalesce(runs: list[tuple[Interval, str]]) -> list[tuple[Interval, str]]:
    """Merge runs of the same value that overlap or follow each other directly.

    Sources often repeat a value across versions (a region keeps its name
    when ONS recodes it); the history should say it once.

    >>> a = (Interval(date(2019, 4, 1), date(2022, 6, 30)), "Midlands")
    >>> b = (Interval(date(2022, 7, 1)), "Midlands")
    >>> coalesce([a, b])
    [(Interval(start=datetime.date(2019, 4, 1), end=None), 'Midlands')]
    """
    merged: list[tuple[Interval, str]] = []
    for interval, value in sorted(runs, key=lambda r: (r[0].start, r[0]._stop())):
        if merged:
            last, last_value = merged[-1]
            touches = interval.start.toordinal() <= last._stop()
            if last_value == value and touches:
                end = None if (last.end is None or interval.end is None) else max(last.end, interval.end)
                merged[-1] = (Interval(last.start, end), value)
                continue
        merged.append((interval, value))
    return merged
