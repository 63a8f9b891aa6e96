"""Which local authority districts each organisation covered, by date.

Coverage is measured in lower layer super output areas (LSOAs): for each
organisation and district in an LSOA assignment (:mod:`nhsgraph.ingest.lsoa`),
``nhs:lsoaCount`` is the number of the district's LSOAs that lay in the
organisation, ``nhs:lsoaTotal`` the number of LSOAs of the whole district in
the same assignment, and ``nhs:share`` their ratio rounded to 4 decimal
places. Sources and rules:

- Assignments, with their "as at" dates: the ONS LSOA lookups (CCG: July
  2015, April 2017-2021; STP: April 2017-2021; sub-ICB location and ICB:
  July 2022, April 2024) and, where no lookup exists, the rules of
  :mod:`~nhsgraph.ingest.lsoa`: CCGs back-cast to 2013-04-01 from the July
  2015 lookup where their ONS code shows an unchanged boundary; STPs of
  2016-04-01 from their CCGs; the 2022 lookup as it stood on 2023-04-01
  (districts recoded, the Chichester LSOAs moved); and the April 2024 lookup
  with ODS's changes of 2026-04-01. A record made from a derived assignment
  says so in an ``rdfs:comment`` starting "INFERRED".
- An assignment holds from its as-at date to the day before the as-at date of
  the next one of the same organisation kind; the last one holds until the
  organisation ends. Each record is clipped to the lifetimes of its
  organisation and of its district. An organisation named by an assignment
  that did not exist during it is a contradiction between the sources and
  stops the build.
- The LAD codes of an assignment are those in force on its as-at date.
- A district that ONS had abolished before an assignment's as-at date would
  get no coverage from it (a ``Gap``); no shipped lookup has one.
- Consecutive assignments that give an (organisation, district) pair the same
  count and total are merged into one record citing all their sources (and
  keeping the first one's rule, if any).
- Organisations are referenced by ODS code. Where a lookup gives only the
  ONS code (the 2021 LSOA lookup and the STP columns before 2020), the ONS
  code is turned into the ODS code with the code maps the ``ccg`` and ``stp``
  steps provide (``CCG_CODES``, ``STP_CODES``).

:func:`lad_codes` gives the ``area`` step the districts to define, from the
same reading of the lookups.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType


from nhsgraph.errors import DataError
from nhsgraph.ingest import ccg_region, lsoa
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Product, Step
from nhsgraph.ingest.mergers_2026 import WORKBOOK as MERGERS_WORKBOOK
from nhsgraph.ingest.milestones import STATUTORY_ICS, STP_FOOTPRINTS_2016
from nhsgraph.ingest.products import (
    CCG_CODES,
    CCG_REGIONS,
    ICB_REGIONS,
    LSOA_ASSIGNMENTS,
    MERGERS_2026,
    ORGANISATIONS,
    SOURCES,
    STP_CODES,
    STP_FOOTPRINTS,
    SUB_ICB_CODES,
)
from nhsgraph.temporal import Interval, day_after, day_before

CCG_CHD = "ons-chd-2024-07-e38"
STP_WORKBOOK = "ods-stp-partner-mapping-2019-04"

#: The organisation kinds with coverage, in the order they are written.
KINDS = ("ccg", "stp", "sub-icb", "icb", "region")
SHARE_PLACES = Decimal("0.0001")


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
    rule: str | None = None


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
    rule: str | None = None

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

def snapshot_of(a: lsoa.Assignment) -> Snapshot:
    """The district counts of an assignment."""
    return Snapshot(
        kind=a.kind, as_at=a.as_at, sources=a.sources, where=a.where,
        counts=MappingProxyType(dict(Counter((org, a.lad[l]) for l, org in a.org.items()))),
        totals=MappingProxyType(dict(Counter(a.lad.values()))), lookup=a.lookup, rule=a.rule,
    )


def read_snapshots(ctx: Context) -> tuple[Snapshot, ...]:
    """The district counts of every ONS lookup, with the codes as the files give them."""
    return tuple(snapshot_of(a) for a in lsoa.read_assignments(ctx))


def lad_codes(ctx: Context) -> dict[str, tuple[str, ...]]:
    """Every district code in the LSOA lookups, with the lookups that name it."""
    named: dict[str, list[str]] = {}
    for a in lsoa.read_assignments(ctx):
        for lad in set(a.lad.values()):
            sources = named.setdefault(lad, [])
            if a.sources[0] not in sources:
                sources.append(a.sources[0])
    return {lad: tuple(sources) for lad, sources in sorted(named.items())}


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
                    MappingProxyType(dict(counts)), snap.totals, None, snap.rule)


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
    Piece = tuple[Interval, int, int, tuple[str, ...], str | None]  # span, count, total, sources, rule
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
            pieces[org, lad].append((span, count, snap.totals[lad], snap.sources, snap.rule))
    records: list[Coverage] = []
    for (org, lad), runs in sorted(pieces.items()):
        for span, count, total, sources, rule in runs:  # in snapshot order
            last = records[-1] if records else None
            if (last is not None and (last.org, last.lad, last.count, last.total)
                    == (org, lad, count, total) and last.span.is_followed_by(span)):
                records[-1] = replace(last, span=Interval(last.span.start, span.end),
                                      sources=tuple(dict.fromkeys(last.sources + sources)))
            else:
                records.append(Coverage(series[0].kind, org, lad, count, total, span, sources, rule))
    return records, gaps


# -- writing ------------------------------------------------------------------------------

def assignments(ctx: Context) -> list[lsoa.Assignment]:
    """Every assignment, read and derived, with ODS codes (see :mod:`nhsgraph.ingest.lsoa`)."""
    code_maps = {product: ctx.get(product) for product in (CCG_CODES, STP_CODES)}
    read = [lsoa.resolved(a, code_maps) for a in lsoa.read_assignments(ctx)]
    by = {(a.kind, a.as_at): a for a in read}
    bridge = lsoa.read_bridge(ctx)
    derived: list[lsoa.Assignment] = []
    # CCGs from 2013-04-01, back-cast from the July 2015 lookup
    ccg15 = by[("ccg", date(2015, 7, 1))]
    ons15 = lsoa.code_map(ctx, "ons-lsoa11-ccg15-lad15", "CCG15CDH", "CCG15CD")
    codes13 = lsoa.code_map(ctx, "ons-ccg13-nc", "CCG13CDH", "CCG13CD", encoding="cp1252")
    derived += lsoa.backcast_ccgs(ccg15, codes13, ctx.chd(CCG_CHD),
                                  lambda code: ctx.lifetime("ccg", code), ons15,
                                  ("ons-ccg13-nc", CCG_CHD))
    # STPs of 2016 from their CCGs
    derived.append(lsoa.stps_from_ccgs(ccg15, ctx.get(STP_FOOTPRINTS), STP_FOOTPRINTS_2016,
                                       STP_WORKBOOK))
    # the July 2022 lookup as it stood between it and April 2024
    sub_codes = ctx.get(SUB_ICB_CODES)
    first_days: dict[str, set[date]] = defaultdict(set)
    for ons, versions in ctx.chd(CCG_CHD).items():
        if ons in sub_codes and versions:
            first_days[sub_codes[ons]].add(min(v.span.start for v in versions))

    def lad_start(code: str) -> date | None:
        life = ctx.lifetime("lad", code)
        return life.start if life else None

    kinds = ("sub-icb", "icb")
    derived += lsoa.between_lookups(
        {k: by[(k, date(2022, 7, 1))] for k in kinds}, {k: by[(k, date(2024, 4, 1))] for k in kinds},
        bridge, lsoa.code_map(ctx, "ons-lad22-lad23", "ltla22_code", "ltla23_code"), lad_start,
        lambda kind, code: first_days.get(code, set()),
        ("ons-lsoa21-sicbl24-icb24", "ons-lsoa11-lsoa21-lad22", "ons-lad22-lad23", CCG_CHD))
    # the April 2024 lookup with the changes of 2026-04-01
    derived += lsoa.after_mergers_2026(by[("sub-icb", date(2024, 4, 1))],
                                       by[("icb", date(2024, 4, 1))], ctx.get(MERGERS_2026), bridge,
                                       (MERGERS_WORKBOOK,))
    found = read + derived
    found += region_assignments(found, ctx.get(CCG_REGIONS), ctx.get(ICB_REGIONS))
    return sorted(found, key=lambda a: (a.kind, a.as_at))


def region_assignments(found: list[lsoa.Assignment], ccg_regions, icb_regions
                       ) -> list[lsoa.Assignment]:
    """Regions by LSOA: each LSOA is in the region of its CCG (to 2022-06-30) or of its ICB
    (from 2022-07-01) on the day. One assignment on every day either changes.

    The regions are made of whole CCGs and ICBs, so an assignment is as complete
    as the CCG or ICB assignment and the memberships it is made from: it is
    inferred where either was inferred (the rules are stated in its ``rule``).
    """
    out: list[lsoa.Assignment] = []
    for kind, regions, sources in (("ccg", ccg_regions, ccg_region.SNAPSHOT_SOURCES),
                                   ("icb", icb_regions, ("ons-loc22-icb22-nhser22", MERGERS_WORKBOOK))):
        bases = sorted((a for a in found if a.kind == kind), key=lambda a: a.as_at)
        if not bases:
            continue
        days = {a.as_at for a in bases} | {span.start for runs in regions.values()
                                           for span, _, _ in runs if span.start > bases[0].as_at}
        days |= {day_after(span.end) for runs in regions.values() for span, _, _ in runs
                 if span.end and day_after(span.end) > bases[0].as_at}
        if kind == "ccg":
            days = {d for d in days if d < STATUTORY_ICS}
        for day in sorted(days):
            base = [a for a in bases if a.as_at <= day][-1]
            org: dict[str, str] = {}
            inferred = False
            for lsoa_code, code in base.org.items():
                found_run = next(((r, i) for span, r, i in regions.get(code, ()) if span.contains(day)),
                                 None)
                if found_run is not None:
                    org[lsoa_code] = found_run[0]
                    inferred = inferred or found_run[1]
            rules = [r.removeprefix("INFERRED: ") for r in (base.rule,) if r]
            if inferred:
                rules.append(f"the region of some {kind.upper()}s on the day is inferred (see their "
                             "memberships)")
            rule = None
            if rules:
                rule = (f"INFERRED: each LSOA is in the region of its {kind.upper()} on the day; "
                        + "; ".join(rules))
            out.append(replace(base, kind="region", as_at=day,
                               sources=tuple(dict.fromkeys(base.sources + sources)),
                               org=MappingProxyType(org), lookup=None, rule=rule))
    return out


def ingest(ctx: Context) -> None:
    b = ctx.builder
    found = assignments(ctx)
    for kind in KINDS:
        series = [snapshot_of(a) for a in found if a.kind == kind]
        records, _gaps = coverage_records(series, ctx.lifetime)
        for r in records:
            why = f"coverage of {r.lad} in {r.sources[0]}"
            b.add_coverage(
                b.ref(kind, r.org, why=why), b.ref("lad", r.lad, why=why),
                r.span.start, r.span.end, count=r.count, total=r.total,
                share=share(r.count, r.total), sources=r.sources, comment=r.rule,
            )
    ctx.put(LSOA_ASSIGNMENTS, tuple(found))


STEP = Step("coverage", ingest, provides=(LSOA_ASSIGNMENTS,),
            needs=(SOURCES, CCG_CODES, STP_CODES, SUB_ICB_CODES, STP_FOOTPRINTS, MERGERS_2026,
                   CCG_REGIONS, ICB_REGIONS,
                   *(ORGANISATIONS[k] for k in (*KINDS, "lad"))))
