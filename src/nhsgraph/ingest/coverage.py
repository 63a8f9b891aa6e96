"""Which local authority districts each organisation covered, by date.

Coverage is measured in lower layer super output areas (LSOAs): for each
organisation and district in an ONS LSOA lookup, ``nhs:lsoaCount`` is the
number of the district's LSOAs that lay in the organisation, ``nhs:lsoaTotal``
the number of LSOAs of the whole district in the same lookup, and
``nhs:share`` their ratio rounded to 4 decimal places. Sources and rules:

- Snapshots (the ONS LSOA lookups, with their "as at" dates):

  ====  ==========  =============================  ==========================
  year  as at       lookup                         kinds
  ====  ==========  =============================  ==========================
  2015  2015-07-01  ons-lsoa11-ccg15-lad15         CCG
  2017  2017-04-01  ons-lsoa11-ccg17-stp17-lad17   CCG, STP
  2018  2018-04-01  ons-lsoa11-ccg18-stp18-lad18   CCG, STP
  2019  2019-04-01  ons-lsoa11-ccg19-lad19         CCG; STP joined through the
                                                   CCG code to ons-ccg19-stp19
  2020  2020-04-01  ons-lsoa11-ccg20-lad20         CCG; STP joined through the
                                                   CCG code to ons-ccg20-stp20
  2021  2021-04-01  ons-lsoa11-ccg21-stp21-lad21   CCG, STP
  2022  2022-07-01  ons-lsoa11-sicbl22-icb22-lad22 sub-ICB location, ICB
  2024  2024-04-01  ons-lsoa21-sicbl24-icb24       sub-ICB location, ICB; the
                                                   LSOA 2021 codes bridged to
                                                   their LAD 2022 code by
                                                   ons-lsoa11-lsoa21-lad22,
                                                   then recoded to LAD 2023
                                                   by ons-lad22-lad23
  ====  ==========  =============================  ==========================

  A record cites the lookup and, where one was used, the joined, bridging
  and recoding files.
- A snapshot holds from its as-at date to the day before the as-at date of
  the next snapshot of the same organisation kind; the last one holds until
  the organisation ends. Each record is clipped to the lifetimes of its
  organisation and of its district as already defined by the modules that
  run before this one (``ccg``, ``stp``, ``icb``, ``sub_icb``, ``area``). An
  organisation named by a snapshot that did not exist during it is a
  contradiction between the sources and stops the build.
- The LAD codes of a snapshot are those in force on its as-at date. The
  only bridge to districts for the 2024 lookup gives LAD 2022 codes, so the
  ONS LAD 2022 to LAD 2023 lookup recodes them: the 17 Cumbria, North
  Yorkshire and Somerset districts that ended on 2023-03-31 become the four
  unitary authorities that replaced them on 2023-04-01 (E06000063-E06000066),
  whose LSOAs are the sum of their predecessors'. A LAD 2022 code missing
  from the recoding file stops the build. No LSOA lookup is registered
  between July 2022 and April 2024, so those four have no coverage from
  2023-04-01 to 2024-03-31 (the districts they replaced end on 2023-03-31).
- A district that ONS had abolished before a snapshot's as-at date would get
  no coverage from that snapshot (a ``Gap``); with the recoding, no shipped
  lookup has one.
- Consecutive snapshots that give an (organisation, district) pair the same
  count and total are merged into one record citing all their sources.
- Organisations are referenced by ODS code. Where the lookup gives only the
  ONS code (the 2021 LSOA lookup and the STP columns before 2020), the ONS
  code is turned into the ODS code with the code maps the ``ccg`` and ``stp``
  steps provide (``CCG_CODES``, ``STP_CODES``).

Each LSOA lookup is read once per build (and cached while its file is
unchanged); :func:`lad_codes` gives the ``area`` module the districts to
define from the same reading.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType


from nhsgraph.errors import DataError
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Product, Step
from nhsgraph.ingest.products import CCG_CODES, ORGANISATIONS, SOURCES, STP_CODES
from nhsgraph.temporal import Interval, day_before

#: The organisation kinds with coverage, in the order they are written.
KINDS = ("ccg", "stp", "sub-icb", "icb")
#: The ONS entity codes of local authority districts.
LAD_PREFIXES = ("E06", "E07", "E08", "E09")
SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Column:
    """Where a lookup names the organisation of one kind for each LSOA.

    ``lookup`` is the code map product that turns the code into an ODS code
    (``None``: it is an ODS code already). With ``via = (source,
    key)``, the code is read from ``column`` of the row of ``source`` whose
    ``key`` column equals the LSOA row's ``key`` column (a join through the
    CCG code).
    """

    kind: str
    column: str
    lookup: Product[Mapping[str, str]] | None = None
    via: tuple[str, str] | None = None


@dataclass(frozen=True)
class Lookup:
    """One ONS LSOA lookup: its as-at date, its columns, its organisations."""

    source: str
    as_at: date
    #: The columns of the LSOA code and of the LAD code ("" with a bridge).
    lsoa: str
    lad: str
    orgs: tuple[Column, ...]
    #: ``(source, LSOA column, LAD column)`` when the LAD comes from a bridging file.
    bridge: tuple[str, str, str] | None = None
    #: ``(source, old LAD column, new LAD column)`` when the LAD codes are older
    #: than the as-at date and must be recoded to the districts then in force.
    recode: tuple[str, str, str] | None = None


LOOKUPS: tuple[Lookup, ...] = (
    Lookup("ons-lsoa11-ccg15-lad15", date(2015, 7, 1), "LSOA11CD", "LAD15CD",
           (Column("ccg", "CCG15CDH"),)),
    Lookup("ons-lsoa11-ccg17-stp17-lad17", date(2017, 4, 1), "LSOA11CD", "LAD17CD",
           (Column("ccg", "CCG17CDH"), Column("stp", "STP17CD", STP_CODES))),
    Lookup("ons-lsoa11-ccg18-stp18-lad18", date(2018, 4, 1), "LSOA11CD", "LAD18CD",
           (Column("ccg", "CCG18CDH"), Column("stp", "STP18CD", STP_CODES))),
    Lookup("ons-lsoa11-ccg19-lad19", date(2019, 4, 1), "LSOA11CD", "LAD19CD",
           (Column("ccg", "CCG19CDH"),
            Column("stp", "STP19CD", STP_CODES, via=("ons-ccg19-stp19", "CCG19CD")))),
    Lookup("ons-lsoa11-ccg20-lad20", date(2020, 4, 1), "LSOA11CD", "LAD20CD",
           (Column("ccg", "CCG20CDH"),
            Column("stp", "STP20CDH", via=("ons-ccg20-stp20", "CCG20CD")))),
    Lookup("ons-lsoa11-ccg21-stp21-lad21", date(2021, 4, 1), "lsoa11_code", "ltla21_code",
           (Column("ccg", "ccg21_code", CCG_CODES),
            Column("stp", "stp21_code", STP_CODES))),
    Lookup("ons-lsoa11-sicbl22-icb22-lad22", date(2022, 7, 1), "lsoa11_code", "ltla22_code",
           (Column("sub-icb", "sicbl22_code_h"), Column("icb", "icb22_code_h"))),
    Lookup("ons-lsoa21-sicbl24-icb24", date(2024, 4, 1), "lsoa21_code", "",
           (Column("sub-icb", "sicbl24_code_nhs"), Column("icb", "icb24_code_nhs")),
           bridge=("ons-lsoa11-lsoa21-lad22", "lsoa21_code", "ltla22_code"),
           recode=("ons-lad22-lad23", "ltla22_code", "ltla23_code")),
)


@dataclass(frozen=True)
class Snapshot:
    """The LSOA counts of one organisation kind in one lookup.

    ``counts`` maps (organisation code, LAD code) to the number of LSOAs of
    the district in the organisation; ``totals`` maps each LAD code to all
    its LSOAs in the lookup. ``lookup`` is the code map product that turns
    the organisation codes into ODS codes, ``None`` once they are ODS codes.
    """

    kind: str
    as_at: date
    sources: tuple[str, ...]
    where: str
    counts: Mapping[tuple[str, str], int]
    totals: Mapping[str, int]
    lookup: Product[Mapping[str, str]] | None = None


@dataclass(frozen=True)
class Coverage:
    """One coverage record: ``org`` (ODS code) covered ``count`` of ``total`` LSOAs of ``lad``."""

    kind: str
    org: str
    lad: str
    count: int
    total: int
    span: Interval
    sources: tuple[str, ...]

    @property
    def share(self) -> Decimal:
        return share(self.count, self.total)


@dataclass(frozen=True)
class Gap:
    """A snapshot's coverage left out because the district had ended before it."""

    kind: str
    org: str
    lad: str
    as_at: date


def share(count: int, total: int) -> Decimal:
    """``count / total`` rounded half-up to 4 decimal places."""
    return (Decimal(count) / Decimal(total)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


# -- reading ------------------------------------------------------------------------------

_CACHE: dict[tuple, tuple[Snapshot, ...]] = {}


def read_snapshots(ctx: Context) -> tuple[Snapshot, ...]:
    """Every snapshot of every lookup, with the codes as the files give them.

    The files are read once and the result is kept while none of them
    changes (the ``area`` module and this one share it within a build).
    """
    key = tuple(
        (source, str(path), stat.st_size, stat.st_mtime_ns)
        for source in _all_sources()
        for path in [ctx.path(source)]
        for stat in [path.stat()]
    )
    cached = _CACHE.get(key)
    if cached is None:
        cached = tuple(s for lookup in LOOKUPS for s in _read(ctx, lookup))
        _CACHE.clear()
        _CACHE[key] = cached
    return cached


def lad_codes(ctx: Context) -> dict[str, tuple[str, ...]]:
    """Every district code in the LSOA lookups, with the lookups that name it."""
    named: dict[str, list[str]] = {}
    for snap in read_snapshots(ctx):
        for lad in snap.totals:
            sources = named.setdefault(lad, [])
            if snap.sources[0] not in sources:
                sources.append(snap.sources[0])
    return {lad: tuple(sources) for lad, sources in sorted(named.items())}


def _all_sources() -> list[str]:
    sources: list[str] = []
    for lookup in LOOKUPS:
        sources.append(lookup.source)
        sources.extend(c.via[0] for c in lookup.orgs if c.via)
        sources.extend(extra[0] for extra in (lookup.bridge, lookup.recode) if extra)
    return list(dict.fromkeys(sources))


def _read(ctx: Context, lookup: Lookup) -> list[Snapshot]:
    where = ctx.display(lookup.source)
    rows = ctx.rows(lookup.source)
    if not rows:
        raise DataError("the lookup has no rows", path=where)
    # Columns are checked once (Row.__getitem__ names a missing one); the
    # 33,000 rows are then read as plain values, which keeps the build fast.
    for column in [lookup.lsoa] + ([] if lookup.bridge else [lookup.lad]) + [
            c.via[1] if c.via else c.column for c in lookup.orgs]:
        rows[0][column]

    def values(column: str) -> list[str]:
        return [row.values[column].strip() for row in rows]

    def refuse(items: list, bad: Callable[[object], bool], message: Callable[[object], str]):
        for row, item in zip(rows, items):
            if bad(item):
                raise row.error(message(item))

    lsoas = values(lookup.lsoa)
    if len(set(lsoas)) != len(lsoas) or not all(lsoas):
        seen: set[str] = set()
        for row, lsoa in zip(rows, lsoas):
            if not lsoa or lsoa in seen:
                raise row.error(f"LSOA {lsoa!r} is empty or listed twice")
            seen.add(lsoa)
    if lookup.bridge:
        bridge = _map(ctx, *lookup.bridge)
        lads = [bridge.get(lsoa, "") for lsoa in lsoas]
        refuse(lads, lambda lad: not lad,
               lambda _: f"the LSOA has no district in {ctx.display(lookup.bridge[0])}")
    else:
        lads = values(lookup.lad)
    if lookup.recode:
        recoding = lookup.recode[0]
        recode = _map(ctx, *lookup.recode)
        refuse(lads, lambda lad: lad not in recode,
               lambda lad: f"district {lad} is not in {ctx.display(recoding)}")
        lads = [recode[lad] for lad in lads]
    totals = Counter(lads)
    if not all(lad.startswith(LAD_PREFIXES) for lad in totals):
        refuse(lads, lambda lad: not lad.startswith(LAD_PREFIXES),
               lambda lad: f"{lad!r} is not a local authority district code (E06-E09)")

    snapshots = []
    for column in lookup.orgs:
        sources = (lookup.source,)
        if column.via:
            join = _map(ctx, column.via[0], column.via[1], column.column)
            keys = values(column.via[1])
            codes = [join.get(key, "") for key in keys]
            refuse(keys, lambda key: key not in join,
                   lambda key: f"{key} is not in {ctx.display(column.via[0])}")
            sources += (column.via[0],)
        else:
            codes = values(column.column)
        if not all(codes):
            refuse(codes, lambda code: not code,
                   lambda _: f"empty {column.kind} code in column {column.column!r}")
        sources += tuple(extra[0] for extra in (lookup.bridge, lookup.recode) if extra)
        snapshots.append(Snapshot(
            kind=column.kind, as_at=lookup.as_at, sources=sources, where=where,
            counts=MappingProxyType(dict(Counter(zip(codes, lads)))),
            totals=MappingProxyType(dict(totals)), lookup=column.lookup,
        ))
    return snapshots


def _map(ctx: Context, source: str, key: str, value: str) -> dict[str, str]:
    """``key`` column -> ``value`` column of a source, refusing a key with two values."""
    found: dict[str, str] = {}
    for row in ctx.rows(source):
        k, v = row[key], row[value]
        known = found.setdefault(k, v)
        if known != v:
            raise row.error(f"{k} has {value} {v} here but {known} on an earlier line")
    return found


# -- from snapshots to records ------------------------------------------------------------

def resolve(snap: Snapshot, code_maps: Mapping[Product[Mapping[str, str]], Mapping[str, str]]
            ) -> Snapshot:
    """The snapshot with its organisation codes turned into ODS codes.

    Raises:
        DataError: the map is missing or lacks a code of the snapshot.
    """
    if snap.lookup is None:
        return snap
    codes = code_maps.get(snap.lookup)
    hint = (f"the {snap.kind} ingest step must provide {snap.lookup.name} "
            "before the coverage step runs")
    if codes is None:
        raise DataError(f"no {snap.lookup.name} to turn the {snap.kind} ONS codes "
                        "of this lookup into ODS codes", path=snap.where, hint=hint)
    counts: Counter[tuple[str, str]] = Counter()
    for (code, lad), count in snap.counts.items():
        ods = codes.get(code)
        if not ods:
            raise DataError(f"{snap.kind} {code} has no ODS code in {snap.lookup.name}",
                            path=snap.where, hint=hint)
        counts[ods, lad] += count
    return Snapshot(snap.kind, snap.as_at, snap.sources, snap.where,
                    MappingProxyType(dict(counts)), snap.totals, None)


Lifetime = Callable[[str, str], Interval | None]


def coverage_records(
    series: list[Snapshot], lifetime: Lifetime
) -> tuple[list[Coverage], list[Gap]]:
    """The coverage records of one organisation kind from its snapshots (ODS codes).

    ``lifetime(kind, code)`` gives an organisation's or district's lifetime
    (``None`` when unknown, then it does not clip); in the build it is
    :meth:`Context.lifetime`, the dates defined by the earlier steps.

    Raises:
        DataError: a snapshot names an organisation outside its lifetime.
    """
    series = sorted(series, key=lambda s: s.as_at)
    Piece = tuple[Interval, int, int, tuple[str, ...]]  # span, count, total, sources
    pieces: dict[tuple[str, str], list[Piece]] = defaultdict(list)
    gaps: list[Gap] = []
    for i, snap in enumerate(series):
        until = day_before(series[i + 1].as_at) if i + 1 < len(series) else None
        valid = Interval(snap.as_at, until)
        for (org, lad), count in snap.counts.items():
            span = valid
            org_life = lifetime(snap.kind, org)
            if org_life is not None:
                clipped = span.intersection(org_life)
                if clipped is None:
                    raise DataError(
                        f"{snap.kind} {org} covers {lad} in the lookup as at {snap.as_at}, but it "
                        f"existed only {org_life.start} to {org_life.end or 'now'}",
                        path=snap.where,
                        hint="the organisation's dates and the lookup disagree; check both",
                    )
                span = clipped
            lad_life = lifetime("lad", lad)
            if lad_life is not None:
                clipped = span.intersection(lad_life)
                if clipped is None:
                    gaps.append(Gap(snap.kind, org, lad, snap.as_at))
                    continue
                span = clipped
            pieces[org, lad].append((span, count, snap.totals[lad], snap.sources))
    records: list[Coverage] = []
    for (org, lad), runs in sorted(pieces.items()):
        for span, count, total, sources in runs:  # in snapshot order
            last = records[-1] if records else None
            if (last is not None and (last.org, last.lad, last.count, last.total)
                    == (org, lad, count, total) and last.span.is_followed_by(span)):
                records[-1] = replace(last, span=Interval(last.span.start, span.end),
                                      sources=tuple(dict.fromkeys(last.sources + sources)))
            else:
                records.append(Coverage(series[0].kind, org, lad, count, total, span, sources))
    return records, gaps


# -- writing ------------------------------------------------------------------------------

def ingest(ctx: Context) -> None:
    b = ctx.builder
    snapshots = read_snapshots(ctx)
    code_maps = {product: ctx.get(product) for product in (CCG_CODES, STP_CODES)}
    for kind in KINDS:
        series = [resolve(s, code_maps) for s in snapshots if s.kind == kind]
        records, _gaps = coverage_records(series, ctx.lifetime)
        for r in records:
            why = f"coverage of {r.lad} in {r.sources[0]}"
            b.add_coverage(
                b.ref(kind, r.org, why=why), b.ref("lad", r.lad, why=why),
                r.span.start, r.span.end, count=r.count, total=r.total,
                share=share(r.count, r.total), sources=r.sources,
            )


STEP = Step("coverage", ingest,
            needs=(SOURCES, CCG_CODES, STP_CODES, *(ORGANISATIONS[k] for k in (*KINDS, "lad"))))
