"""Maps between the two code systems: ONS (GSS) codes and ODS codes.

ONS and ODS code the same bodies independently; several ONS files carry both
codes side by side. A :class:`CodeMap` collects the pairs for one kind of
body from every such file and refuses a code paired with two different
codes, naming the file and line of the second pairing. The ingest modules
that define a kind publish its map (see :mod:`nhsgraph.ingest.products`), so
later modules turn ONS codes into ODS codes with the same checked pairs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from nhsgraph.ingest.readers import Row


class CodeMap(Mapping[str, str]):
    """``key -> value`` pairs of one kind of body (usually ONS code -> ODS code)."""

    def __init__(self, kind: str, pairs: Mapping[str, str] | None = None) -> None:
        self.kind = kind
        self._pairs: dict[str, str] = dict(pairs or {})

    def add(self, key: str, value: str, row: Row, *, where: str = "another source") -> None:
        """Record that ``key`` is ``value``; refuse a ``key`` already paired with another value.

        Raises:
            DataError: ``key`` is already paired with a different value (at ``row``).
        """
        known = self._pairs.setdefault(key, value)
        if known != value:
            raise row.error(f"{key} is {self.kind} {value} here but {known} in {where}")

    def update_from(self, other: Mapping[str, str]) -> None:
        """Add pairs found by a rule rather than read from a file (no row to blame)."""
        for key, value in other.items():
            self._pairs.setdefault(key, value)

    def __getitem__(self, key: str) -> str:
        return self._pairs[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __repr__(self) -> str:
        return f"CodeMap({self.kind!r}, {len(self)} pairs)"
