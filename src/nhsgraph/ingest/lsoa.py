"""Which organisation each LSOA lay in, by date: the ONS lookups and the rules that fill their gaps.

An :class:`Assignment` says, for one organisation kind on one "as at" day,
which organisation each lower layer super output area (LSOA) lay in and which
local authority district it was in. Area coverage (:mod:`coverage`) counts
them by district; crosswalks compare two of them LSOA by LSOA.

**Read from the ONS lookups** (:data:`LOOKUPS`; LSOA 2011 geography to 2022,
LSOA 2021 from 2024). A lookup whose district codes are older than its as-at
day is recoded (the April 2024 lookup reaches districts only through LAD 2022
codes, recoded to LAD 2023).

**Derived by a stated rule** where no lookup exists (each flagged INFERRED by
the records built from it, with the rule in :attr:`Assignment.rule`):

- :func:`backcast_ccgs`: CCGs from 2013-04-01 to 2015-06-30. A CCG's LSOAs in
  the July 2015 lookup were already its own on an earlier day when its ONS
  (E38) code was the same then: ONS issues a new code when a boundary
  changes. The April 2013 names-and-codes file gives the 2013 codes; for a
  CCG created later (13T, 2015-04-01) the Code History gives the first day of
  its code. LSOAs of CCGs that fail the test are left unassigned (unknown),
  so the districts they lie in are not fully covered on those days.
- :func:`stps_from_ccgs`: STPs from 2016-04-01 to 2017-03-31. The 2016
  footprints were made of whole CCGs, so each LSOA is in the footprint of its
  CCG (July 2015 lookup) in the 2016 CCG-to-footprint mapping. The same
  construction reproduces every later STP lookup (tested).
- :func:`between_lookups`: a move between two lookups is dated to the day
  ONS recoded both organisations (a boundary change gets a new GSS code), when
  they were recoded on the same day; district codes are recoded on the day the
  new districts began. Between July 2022 and April 2024 this dates the
  Chichester move of four LSOAs to 2023-04-01 and the new Cumberland,
  Westmorland and Furness, North Yorkshire and Somerset to 2023-04-01.
- :func:`after_mergers_2026`: sub-ICB locations and ICBs from 2026-04-01,
  from the April 2024 lookup and ODS's change summary: each location joins the
  ICB the summary names (the others stay), and the LSOAs of Frimley's D4U1Y
  join the location the summary lists for their LSOA 2011 (through the ONS
  LSOA 2011-to-2021 lookup).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from types import MappingProxyType

from nhsgraph.errors import DataError
from nhsgraph.ingest.chd import Version
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Product
from nhsgraph.ingest.milestones import CCGS_ESTABLISHED, ICB_MERGERS_2026
from nhsgraph.ingest.products import CCG_CODES, STP_CODES
from nhsgraph.temporal import day_before

#: The ONS entity codes of local authority districts.
LAD_PREFIXES = ("E06", "E07", "E08", "E09")
BRIDGE = "ons-lsoa11-lsoa21-lad22"


@dataclass(frozen=True)
class Column:
    """Where a lookup names the organisation of one kind for each LSOA.

    ``lookup`` is the code map product that turns the code into an ODS code
    (``None``: it is an ODS code already). With ``via = (source, key)``, the
    code is read from ``column`` of the row of ``source`` whose ``key`` column
    equals the LSOA row's ``key`` column (a join through the CCG code).
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
    geography: int = 2011


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
           bridge=(BRIDGE, "lsoa21_code", "ltla22_code"),
           recode=("ons-lad22-lad23", "ltla22_code", "ltla23_code"), geography=2021),
)


@dataclass(frozen=True)
class Assignment:
    """The organisation of one kind each LSOA lay in on ``as_at`` (until the next assignment).

    ``lad`` holds every LSOA of the geography (its district then); ``org``
    may leave LSOAs out where the organisation is not known. ``lookup`` is
    the code map product that turns ``org``'s codes into ODS codes (``None``:
    they are ODS codes). ``rule`` is the stated rule of a derived assignment.
    """

    kind: str
    as_at: date
    sources: tuple[str, ...]
    where: str
    geography: int
    lad: Mapping[str, str]
    org: Mapping[str, str]
    lookup: Product[Mapping[str, str]] | None = None
    rule: str | None = None


# -- reading the lookups --------------------------------------------------------------------

_CACHE: dict[tuple, tuple[Assignment, ...]] = {}


def read_assignments(ctx: Context) -> tuple[Assignment, ...]:
    """Every assignment of every lookup, with the codes as the files give them.

    The files are read once and the result is kept while none of them
    changes (the ``area`` and ``coverage`` steps share it within a build).
    """
    key = tuple(
        (source, str(path), stat.st_size, stat.st_mtime_ns)
        for source in all_sources()
        for path in [ctx.path(source)]
        for stat in [path.stat()]
    )
    cached = _CACHE.get(key)
    if cached is None:
        cached = tuple(a for lookup in LOOKUPS for a in read_lookup(ctx, lookup))
        _CACHE.clear()
        _CACHE[key] = cached
    return cached


def all_sources() -> list[str]:
    sources: list[str] = []
    for lookup in LOOKUPS:
        sources.append(lookup.source)
        sources.extend(c.via[0] for c in lookup.orgs if c.via)
        sources.extend(extra[0] for extra in (lookup.bridge, lookup.recode) if extra)
    return list(dict.fromkeys(sources))


def read_lookup(ctx: Context, lookup: Lookup) -> list[Assignment]:
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
        bridge = code_map(ctx, *lookup.bridge)
        lads = [bridge.get(lsoa, "") for lsoa in lsoas]
        refuse(lads, lambda lad: not lad,
               lambda _: f"the LSOA has no district in {ctx.display(lookup.bridge[0])}")
    else:
        lads = values(lookup.lad)
    if lookup.recode:
        recoding = lookup.recode[0]
        recode = code_map(ctx, *lookup.recode)
        refuse(lads, lambda lad: lad not in recode,
               lambda lad: f"district {lad} is not in {ctx.display(recoding)}")
        lads = [recode[lad] for lad in lads]
    if not all(lad.startswith(LAD_PREFIXES) for lad in set(lads)):
        refuse(lads, lambda lad: not lad.startswith(LAD_PREFIXES),
               lambda lad: f"{lad!r} is not a local authority district code (E06-E09)")
    lad_of = MappingProxyType(dict(zip(lsoas, lads)))

    assignments = []
    for column in lookup.orgs:
        sources = (lookup.source,)
        if column.via:
            join = code_map(ctx, column.via[0], column.via[1], column.column)
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
        assignments.append(Assignment(
            kind=column.kind, as_at=lookup.as_at, sources=sources, where=where,
            geography=lookup.geography, lad=lad_of, org=MappingProxyType(dict(zip(lsoas, codes))),
            lookup=column.lookup,
        ))
    return assignments


def code_map(ctx: Context, source: str, key: str, value: str, **read: str) -> dict[str, str]:
    """``key`` column -> ``value`` column of a source, refusing a key with two values."""
    found: dict[str, str] = {}
    for row in ctx.rows(source, **read):
        k, v = row[key], row[value]
        known = found.setdefault(k, v)
        if known != v:
            raise row.error(f"{k} has {value} {v} here but {known} on an earlier line")
    return found


def resolved(a: Assignment, code_maps: Mapping[Product[Mapping[str, str]], Mapping[str, str]]
             ) -> Assignment:
    """The assignment with its organisation codes turned into ODS codes.

    Raises:
        DataError: the map is missing or lacks a code of the assignment.
    """
    if a.lookup is None:
        return a
    codes = code_maps.get(a.lookup)
    hint = f"the {a.kind} ingest step must provide {a.lookup.name} before the coverage step runs"
    if codes is None:
        raise DataError(f"no {a.lookup.name} to turn the {a.kind} ONS codes of this lookup into "
                        "ODS codes", path=a.where, hint=hint)
    out: dict[str, str] = {}
    for lsoa, code in a.org.items():
        ods = codes.get(code)
        if not ods:
            raise DataError(f"{a.kind} {code} has no ODS code in {a.lookup.name}", path=a.where,
                            hint=hint)
        out[lsoa] = ods
    return replace(a, org=MappingProxyType(out), lookup=None)


# -- the 2011 and 2021 geographies ----------------------------------------------------------

@dataclass(frozen=True)
class Bridge:
    """The ONS LSOA 2011 to LSOA 2021 correspondence."""

    parents: Mapping[str, tuple[str, ...]]  # LSOA 2021 -> its LSOA 2011 code(s)
    children: Mapping[str, tuple[str, ...]]  # LSOA 2011 -> its LSOA 2021 code(s)
    change: Mapping[str, str]  # LSOA 2011 -> U (unchanged), S (split), M (merged), X (irregular)


def read_bridge(ctx: Context) -> Bridge:
    parents: dict[str, list[str]] = defaultdict(list)
    children: dict[str, list[str]] = defaultdict(list)
    change: dict[str, str] = {}
    for row in ctx.rows(BRIDGE):
        old, new = row.values["lsoa11_code"], row.values["lsoa21_code"]
        parents[new].append(old)
        children[old].append(new)
        change[old] = row.values["change_code"]
    return Bridge({k: tuple(v) for k, v in parents.items()},
                  {k: tuple(v) for k, v in children.items()}, change)


def on_2011(a: Assignment, bridge: Bridge, *, clean_only: bool = False) -> dict[str, dict[str, float]]:
    """``a`` on the LSOA 2011 geography: each LSOA 2011 -> {organisation: fraction}.

    An LSOA 2011 split into several LSOA 2021 takes each child's organisation
    in equal parts. With ``clean_only``, the LSOAs whose correspondence is
    merged (M) or irregular (X) are left out: their 2021 organisation says
    nothing about where their 2011 area lay.
    """
    out: dict[str, dict[str, float]] = {}
    if a.geography == 2011:
        for lsoa, org in a.org.items():
            out[lsoa] = {org: 1.0}
        return out
    for old, kids in bridge.children.items():
        if clean_only and bridge.change.get(old) in ("M", "X"):
            continue
        orgs = [a.org[k] for k in kids if k in a.org]
        if orgs:
            shares: dict[str, float] = defaultdict(float)
            for org in orgs:
                shares[org] += 1 / len(orgs)
            out[old] = dict(shares)
    return out


# -- rules for the days no lookup covers -------------------------------------------------

def backcast_ccgs(first: Assignment, codes_2013: Mapping[str, str], chd: Mapping[str, tuple[Version, ...]],
                  lifetime: Callable[[str], object], ons_of: Mapping[str, str],
                  sources: tuple[str, ...]) -> list[Assignment]:
    """CCG assignments from 2013-04-01 to the day before ``first`` (see the module docstring).

    ``codes_2013`` maps a CCG's ODS code to its April 2013 ONS code, ``ons_of``
    its ODS code to its ONS code in ``first``; ``lifetime(code)`` gives a CCG's
    lifetime.
    """
    starts: dict[str, date] = {}
    for code in set(first.org.values()):
        life = lifetime(code)
        starts[code] = max(life.start, CCGS_ESTABLISHED) if life is not None else first.as_at
    first_day = {ons: min(v.span.start for v in vs) for ons, vs in chd.items() if vs}

    def unchanged_since_start(code: str) -> bool:
        ons = ons_of.get(code)
        if starts[code] <= CCGS_ESTABLISHED:
            return ons is not None and codes_2013.get(code) == ons
        return ons is not None and first_day.get(ons, first.as_at) <= starts[code]

    kept = {code for code in starts if unchanged_since_start(code)}
    days = sorted({CCGS_ESTABLISHED} | {d for d in starts.values() if CCGS_ESTABLISHED < d < first.as_at})
    left_out = sorted(set(starts) - kept)
    out = []
    for day in days:
        org = {lsoa: code for lsoa, code in first.org.items() if code in kept and starts[code] <= day}
        rule = (f"INFERRED: back-cast from the {first.as_at:%B %Y} lookup: a CCG's LSOAs were "
                "its own from its first day where its ONS code, and so its boundary, was the same then")
        if left_out:
            rule += (f"; the LSOAs of {len(left_out)} CCGs whose code changed ({', '.join(left_out)}) "
                     f"are not known before {first.as_at}")
        later = sorted(code for code in kept if starts[code] > CCGS_ESTABLISHED)
        if later:
            rule += ("; the LSOAs of " + ", ".join(f"{c} (formed {starts[c]})" for c in later)
                     + " are not known before it was formed: no lookup divides them among its "
                     "predecessors")
        out.append(replace(first, as_at=day, sources=first.sources + sources,
                           org=MappingProxyType(org), rule=rule))
    return out


def stps_from_ccgs(ccgs: Assignment, footprint: Mapping[str, str], as_at: date,
                   source: str) -> Assignment:
    """STPs from the CCG assignment through a CCG-to-footprint mapping (whole CCGs)."""
    org = {lsoa: footprint[ccg] for lsoa, ccg in ccgs.org.items() if ccg in footprint}
    return replace(ccgs, kind="stp", as_at=as_at, sources=ccgs.sources + (source,),
                   org=MappingProxyType(org),
                   rule=f"INFERRED: each LSOA is in the 2016 footprint of its CCG ({ccgs.as_at} "
                   "lookup): the 2016 STP footprints were made of whole CCGs")


def between_lookups(before: Mapping[str, Assignment], after: Mapping[str, Assignment],
                    bridge: Bridge, lad_recode: Mapping[str, str], lad_start: Callable[[str], date | None],
                    recode_days: Callable[[str, str], set[date]], sources: tuple[str, ...],
                    primary: str = "sub-icb") -> list[Assignment]:
    """Assignments dated between two lookups (by kind; see the module docstring).

    ``primary`` is the kind whose moves are dated (the others follow it: an
    LSOA that moves takes the later lookup's organisations of every kind).
    ``recode_days(kind, code)`` gives the days a new ONS code of the
    organisation began; ``lad_recode`` maps each district code to its
    successor's and ``lad_start(code)`` gives a district's first day.
    """
    first, last = before[primary].as_at, after[primary].as_at
    old = on_2011(before[primary], bridge)
    later = {kind: on_2011(a, bridge, clean_only=True) for kind, a in after.items()}
    moved_on: dict[str, date] = {}
    for lsoa, shares in later[primary].items():
        was = old.get(lsoa)
        if was is None or len(was) != 1 or len(shares) != 1 or was.keys() == shares.keys():
            continue
        (a,), (b,) = was, shares
        common = {d for d in recode_days(primary, a) & recode_days(primary, b) if first < d < last}
        if len(common) == 1:
            moved_on[lsoa] = common.pop()
    recoded = {old_lad: new for old_lad, new in lad_recode.items() if old_lad != new}
    lad_days = {d for d in (lad_start(new) for new in recoded.values()) if d and first < d < last}
    out = []
    for day in sorted(set(moved_on.values()) | lad_days):
        moved = sorted(lsoa for lsoa, d in moved_on.items() if d <= day)
        for kind, a in before.items():
            org = dict(a.org)
            for lsoa in moved:
                (org[lsoa],) = later[kind][lsoa]
            lads = {lsoa: recoded[lad] if lad in recoded and (lad_start(recoded[lad]) or last) <= day
                    else lad for lsoa, lad in a.lad.items()}
            parts = []
            if moved:
                parts.append(f"{len(moved)} LSOAs moved on the day ONS recoded the two "
                             f"{primary} organisations they moved between")
            if lads != dict(a.lad):
                parts.append("districts recoded to those that began on the day")
            rule = (f"INFERRED: the {a.as_at:%B %Y} lookup as it stood on {day.isoformat()}: "
                    + "; ".join(parts))
            out.append(replace(a, as_at=day, sources=a.sources + sources,
                               lad=MappingProxyType(lads), org=MappingProxyType(org), rule=rule))
    return out


def after_mergers_2026(sub_icbs: Assignment, icbs: Assignment, plan, bridge: Bridge,
                       sources: tuple[str, ...]) -> tuple[Assignment, Assignment]:
    """Sub-ICB locations and ICBs from 2026-04-01 (see the module docstring).

    Raises:
        DataError: an LSOA of a closed location has no place in the plan.
    """
    sub: dict[str, str] = {}
    for lsoa, code in sub_icbs.org.items():
        change = plan.changes.get(code)
        if change is None or change.status != "closed":
            sub[lsoa] = code
            continue
        parents = {plan.frimley.get(p) for p in bridge.parents.get(lsoa, ())} if sub_icbs.geography == 2021 \
            else {plan.frimley.get(lsoa)}
        if len(parents) != 1 or None in parents:
            raise DataError(f"LSOA {lsoa} of {code} (closed on 2026-03-31) has no single new sub-ICB "
                            "location in the ODS change summary", path=sub_icbs.where)
        sub[lsoa] = parents.pop()
    icb = {lsoa: plan.icb_of(code) or icbs.org[lsoa] for lsoa, code in sub.items()}
    rule = ("INFERRED: the April 2024 lookup with the ODS change summary's changes of 2026-04-01 "
            "(no ONS lookup of 2026 is shipped)")
    new_sub = replace(sub_icbs, as_at=ICB_MERGERS_2026, sources=sub_icbs.sources + sources,
                      org=MappingProxyType(sub), rule=rule)
    new_icb = replace(icbs, as_at=ICB_MERGERS_2026, sources=icbs.sources + sources,
                      org=MappingProxyType(icb), rule=rule)
    return new_sub, new_icb
