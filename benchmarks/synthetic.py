"""A synthetic, ODS-sized organisational history in nhsgraph's own model.

``python -m benchmarks.synthetic --triples 1e6 -o /tmp/syn-1e6.nt``

The output is N-Triples that uses exactly the classes and properties of the
real graph (docs/model.md), plus the project's ontology (so the kind concepts,
their ``skos:notation`` and ``nhs:kindClass`` are present and every canned
query runs unchanged):

* NHS England regions (``region``, ODS ``Y..`` codes), each with several
  *systems*. A system is a miniature of one real footprint's history:
* local authority districts (``lad``, ONS ``E06``-``E09`` codes), some merged
  into a new district (``nhs:Merger``);
* CCGs (ODS codes like ``05L``) from 2013-04-01, merged in rounds between 2015
  and 2021 into new CCGs (merger chains: a merged CCG can merge again),
  some renamed (``nhs:Renaming``), some re-coded by ONS, all ended 2022-06-30
  and abolished 2022-07-01 into a sub-ICB location with the same ODS code;
* an STP partnership (``Q..`` code, 2016-04-01 to 2022-06-30) with dated
  designation statuses (stp, acs, ics) and ``nhs:Designation`` events;
* from 2022-07-01 the ICS, its ICB and ICP (same Q-code) by an
  ``nhs:Establishment``; some neighbouring ICBs merge on 2026-04-01 into an
  ICB with a new ``S....`` code, after sharing leadership in an ICB cluster
  (``nhs:ICBCluster``, 2025, by an ``nhs:Clustering`` event) as the real
  ones did; some pairs that do not merge form a cluster too;
* NHS trusts (``R..`` codes), some merged;
* for every organisation: its code as ``skos:notation``; dated
  ``nhs:NameRecord`` and ``nhs:CodeRecord`` nodes; ``org:Membership`` nodes
  (CCG in STP and region, sub-ICB in ICB, ICB in region); ``nhs:AreaCoverage``
  nodes with LSOA counts and shares that partition each district among the
  organisations of one kind on every day; and the ``nhs:hasSuccessor``
  shortcuts of succession events, derived as ``nhsgraph.build`` derives them;
* ``dcterms:source`` on everything, to a handful of ``nhs:Source`` nodes.

Names are plainly synthetic ("Synthetic CCG 000123"); codes look real. The
first pair of systems holds the sample parameters of the benchmark
(benchmarks/common.py), so every canned query finds rows at any size: the
first system is ``QHL`` with district ``E08000025``; the second is ``QJ2``,
whose board (``nhs:BoardPost`` seats, complete, as the real Derby and
Derbyshire minutes record it) is listed at two meetings, 2022-11-17 and
2023-03-16 (only a few real ICBs have recorded boards, so no other synthetic
ICB has one); and the two share a cluster from 2025-07-01. The generator is deterministic: the same seed and target give the
same bytes, and a smaller output is a prefix (in systems) of a larger one.
The graph stops after the first region pair boundary at or beyond the target,
so sizes overshoot the target by at most a few thousand triples.
"""

from __future__ import annotations

import argparse
import itertools
import random
import string
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SEED = 20261123

# -- terms ----------------------------------------------------------------------------------

ID = "https://w3id.org/nhsgraph/id/"
NHS = "https://w3id.org/nhsgraph/def#"
KIND = "https://w3id.org/nhsgraph/def/kind/"
STATUS = "https://w3id.org/nhsgraph/def/status/"
POST = "https://w3id.org/nhsgraph/def/post/"
NOMINATOR = "https://w3id.org/nhsgraph/def/nominator/"
XSD = "http://www.w3.org/2001/XMLSchema#"

A = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
PREF = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
NOTATION = "<http://www.w3.org/2004/02/skos/core#notation>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
COMMENT = "<http://www.w3.org/2000/01/rdf-schema#comment>"
SEE_ALSO = "<http://www.w3.org/2000/01/rdf-schema#seeAlso>"
SOURCE = "<http://purl.org/dc/terms/source>"
TITLE = "<http://purl.org/dc/terms/title>"
PUBLISHER = "<http://purl.org/dc/terms/publisher>"
ISSUED = "<http://purl.org/dc/terms/issued>"
LICENSE = "<http://purl.org/dc/terms/license>"
IDENTIFIER = "<http://purl.org/dc/terms/identifier>"
ORG_MEMBERSHIP = "<http://www.w3.org/ns/org#Membership>"
ORG_MEMBER = "<http://www.w3.org/ns/org#member>"
ORG_ORGANIZATION = "<http://www.w3.org/ns/org#organization>"
ORG_SUB = "<http://www.w3.org/ns/org#subOrganizationOf>"
ORG_ORIGINAL = "<http://www.w3.org/ns/org#originalOrganization>"
ORG_RESULTING = "<http://www.w3.org/ns/org#resultingOrganization>"
ORG_POST_IN = "<http://www.w3.org/ns/org#postIn>"
ORG_ROLE = "<http://www.w3.org/ns/org#role>"
ORG_HELD_BY = "<http://www.w3.org/ns/org#heldBy>"
OGL = "<http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/>"


def _nhs(local: str) -> str:
    return f"<{NHS}{local}>"


START, END, KIND_P = _nhs("startDate"), _nhs("endDate"), _nhs("kind")
ODS_CODE, ONS_CODE = _nhs("odsCode"), _nhs("onsCode")
NAME_OF, CODE_OF, CODE_SCHEME = _nhs("nameOf"), _nhs("codeOf"), _nhs("codeScheme")
STATUS_OF, STATUS_P, EFFECTIVE = _nhs("statusOf"), _nhs("status"), _nhs("effectiveDate")
COVERING, COVERED = _nhs("coveringOrganisation"), _nhs("coveredArea")
LSOA_COUNT, LSOA_TOTAL, SHARE = _nhs("lsoaCount"), _nhs("lsoaTotal"), _nhs("share")
HAS_SUCCESSOR, PASSED_PART_TO = _nhs("hasSuccessor"), _nhs("passedPartTo")
NOMINATED_BY = _nhs("nominatedBy")
#: Event types through which an organisation succeeds another (as in nhsgraph.build).
SUCCESSIONS = frozenset({"Establishment", "Merger", "Split", "Abolition"})
XSD_DATE, XSD_INT, XSD_DEC = f"<{XSD}date>", f"<{XSD}integer>", f"<{XSD}decimal>"

#: kind slug -> (class local name, name used in synthetic labels)
KINDS = {
    "region": ("NHSEnglandRegion", "NHS England Region"),
    "lad": ("LocalAuthorityDistrict", "District"),
    "ccg": ("ClinicalCommissioningGroup", "CCG"),
    "stp": ("SustainabilityAndTransformationPartnership", "STP"),
    "ics": ("IntegratedCareSystem", "Integrated Care System"),
    "icb": ("IntegratedCareBoard", "Integrated Care Board"),
    "icp": ("IntegratedCarePartnership", "Integrated Care Partnership"),
    "sub-icb": ("SubICBLocation", "Sub-ICB Location"),
    "trust": ("NHSTrust", "NHS Trust"),
    "cluster": ("ICBCluster", "ICB cluster"),
}

SOURCES = {
    # slug: (title, publisher, issued)
    "synthetic-ods-ccg": ("Synthetic ODS CCG and sub-ICB extract", "ODS", "2025-12-01"),
    "synthetic-ods-icb": ("Synthetic ODS ICB, STP and region extract", "ODS", "2025-12-01"),
    "synthetic-ods-trust": ("Synthetic ODS NHS trust extract", "ODS", "2025-12-01"),
    "synthetic-ods-successions": ("Synthetic ODS successions file", "ODS", "2026-01-01"),
    "synthetic-ons-chd": ("Synthetic ONS code history database", "ONS", "2024-07-01"),
    "synthetic-ons-lookup": ("Synthetic ONS LSOA to CCG/ICB/LAD lookups", "ONS", "2024-07-01"),
    "synthetic-nhse-designations": ("Synthetic NHS England ICS designation notices", "NHS England", "2021-04-01"),
    "synthetic-legislation": ("Synthetic establishment orders", "legislation.gov.uk", "2022-07-01"),
    "synthetic-nhse-clusters": ("Synthetic NHS England ICB cluster announcements", "NHS England", "2025-07-14"),
    "synthetic-board-minutes": ("Synthetic ICB board minutes", "ICB", "2023-04-20"),
}

ERA_START = date(2013, 4, 1)   # CCGs start
STP_START = date(2016, 4, 1)
ICB_START = date(2022, 7, 1)   # ICBs, ICSs, ICPs, sub-ICB locations start
ICB_MERGER = date(2026, 4, 1)
CCG_MERGER_DATES = [date(y, 4, 1) for y in (2015, 2017, 2018, 2019, 2020, 2021)]
LAD_MERGER_DATES = [date(2019, 4, 1), date(2020, 4, 1), date(2021, 4, 1), date(2023, 4, 1)]
CLUSTER_STARTS = [date(2025, m, 1) for m in (6, 7, 8, 9, 10)]  # as the real 2025 clusters
FIRST_CLUSTER_START = date(2025, 7, 1)
BOARD_ICB = "QJ2"
BOARD_MEETINGS = [date(2022, 11, 17), date(2023, 3, 16)]
#: The seats of a complete board (statute and NHS England policy), with the nominating body
#: of partner members.
BOARD_SEATS = [
    ("chair", None), ("chief-executive", None), ("finance-director", None),
    ("medical-director", None), ("nursing-director", None),
    *[("non-executive-member", None)] * 4, ("mental-health-expertise-member", None),
    *[("partner-member-trusts", "nhs-trusts-and-foundation-trusts")] * 2,
    ("partner-member-primary-medical-services", "primary-medical-services"),
    *[("partner-member-local-authorities", "local-authorities")] * 2,
]
ONE_DAY = timedelta(days=1)


def _iri(kind: str, code: str) -> str:
    return f"<{ID}{kind}/{code}>"


def _date(day: date) -> str:
    return f'"{day.isoformat()}"^^{XSD_DATE}'


def _str(text: str) -> str:
    return f'"{text}"'  # synthetic text: ASCII, no quotes or backslashes


# -- code pools -------------------------------------------------------------------------------

_LET, _DIG = string.ascii_uppercase, string.digits


def _ccg_codes() -> Iterator[str]:
    yield from ("".join(p) for p in itertools.product(_DIG, _DIG, _LET))            # 05L
    yield from ("".join(p) for p in itertools.product(_DIG, _LET, _DIG + _LET))     # 1A3
    yield from ("".join(p) for p in itertools.product(_DIG, _LET, _DIG, _LET, _DIG))  # 5-char


def _prefixed(prefix: str, first: tuple[str, ...] = ()) -> Iterator[str]:
    yield from first
    for pattern in ((_LET, _LET), (_LET, _DIG), (_DIG, _LET), (_LET, _DIG, _LET, _DIG)):
        for p in itertools.product(*pattern):
            code = prefix + "".join(p)
            if code not in first:
                yield code


def _successor_codes() -> Iterator[str]:                                            # S1Y5D
    yield from ("S" + "".join(p) for p in itertools.product(_DIG, _LET, _DIG, _LET))


def _region_codes() -> Iterator[str]:                                               # Y56
    for width in (2, 3, 4):
        for n in range(1, 10 ** width):
            yield f"Y{n:0{width}d}"


class _Ons:
    """ONS (GSS) codes: a counter per prefix; districts rotate E08/E06/E07/E09."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}
        self.used = {"E08000025"}
        self.lad_turn = itertools.cycle(("E08", "E06", "E07", "E09"))
        self.first_lad = True

    def code(self, prefix: str) -> str:
        while True:
            n = self.next.get(prefix, 0) + 1
            self.next[prefix] = n
            code = f"{prefix}{n:06d}"
            if code not in self.used:
                self.used.add(code)
                return code

    def lad(self) -> str:
        if self.first_lad:
            self.first_lad = False
            return "E08000025"
        return self.code(next(self.lad_turn))


@dataclass
class _Pools:
    ccg: Iterator[str] = field(default_factory=_ccg_codes)
    q: Iterator[str] = field(default_factory=lambda: _prefixed("Q", ("QHL", BOARD_ICB)))
    trust: Iterator[str] = field(default_factory=lambda: _prefixed("R"))
    successor: Iterator[str] = field(default_factory=_successor_codes)
    region: Iterator[str] = field(default_factory=_region_codes)
    ons: _Ons = field(default_factory=_Ons)
    serial: dict[str, int] = field(default_factory=dict)

    def name(self, kind: str) -> str:
        return self.name_of(KINDS[kind][1])

    def name_of(self, what: str) -> str:
        n = self.serial.get(what, 0) + 1
        self.serial[what] = n
        return f"Synthetic {what} {n:06d}"


# -- the writer ---------------------------------------------------------------------------------


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0
        self.orgs: dict[str, int] = {}
        self.src = {slug: f"<{ID}source/{slug}>" for slug in SOURCES}

    def t(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} .\n")

    def take(self) -> str:
        self.count += len(self.lines)
        text = "".join(self.lines)
        self.lines = []
        return text

    def dated(self, s: str, start: date, end: date | None) -> None:
        self.t(s, START, _date(start))
        if end is not None:
            self.t(s, END, _date(end))

    def org(self, kind: str, code: str, names: list[tuple[str, date, date | None]],
            start: date, end: date | None, sources: tuple[str, ...], *,
            ods: str | None = None, ons: tuple[tuple[str, date, date | None], ...] = (),
            part_of: str | None = None) -> str:
        """An organisation with its name records and code records."""
        s = _iri(kind, code)
        self.orgs[kind] = self.orgs.get(kind, 0) + 1
        self.t(s, A, _nhs(KINDS[kind][0]))
        self.t(s, KIND_P, f"<{KIND}{kind}>")
        self.t(s, PREF, _str(names[-1][0]))
        self.dated(s, start, end)
        for slug in sources:
            self.t(s, SOURCE, self.src[slug])
        if ods:
            self.t(s, ODS_CODE, _str(ods))
            self.code_record(kind, code, s, "ods", ods, start, end, sources[0])
        for value, c_start, c_end in ons:
            self.t(s, ONS_CODE, _str(value))
            self.code_record(kind, code, s, "ons", value, c_start, c_end, "synthetic-ons-chd")
        self.t(s, NOTATION, _str(code))  # the stable code of its IRI, as build.py writes
        if part_of:
            self.t(s, ORG_SUB, part_of)
        for name, n_start, n_end in names:
            r = f"<{ID}name/{kind}-{code}/{n_start.isoformat()}>"
            self.t(r, A, _nhs("NameRecord"))
            self.t(r, NAME_OF, s)
            self.t(r, PREF, _str(name))
            self.dated(r, n_start, n_end)
            self.t(r, SOURCE, self.src[sources[0]])
        return s

    def code_record(self, kind: str, code: str, org: str, scheme: str, value: str,
                    start: date, end: date | None, source: str) -> None:
        r = f"<{ID}code/{kind}-{code}/{start.isoformat()}/{scheme}/{value}>"
        self.t(r, A, _nhs("CodeRecord"))
        self.t(r, CODE_OF, org)
        self.t(r, NOTATION, _str(value))
        self.t(r, CODE_SCHEME, _nhs(scheme.upper()))
        self.dated(r, start, end)
        self.t(r, SOURCE, self.src[source])

    def membership(self, child: tuple[str, str], parent: tuple[str, str], start: date,
                   end: date | None, source: str) -> None:
        r = f"<{ID}membership/{child[0]}-{child[1]}/{parent[0]}-{parent[1]}/{start.isoformat()}>"
        self.t(r, A, ORG_MEMBERSHIP)
        self.t(r, ORG_MEMBER, _iri(*child))
        self.t(r, ORG_ORGANIZATION, _iri(*parent))
        self.dated(r, start, end)
        self.t(r, SOURCE, self.src[source])

    def coverage(self, org: tuple[str, str], lad: str, start: date, end: date | None,
                 count: int, total: int) -> None:
        r = f"<{ID}coverage/{org[0]}-{org[1]}/{lad}/{start.isoformat()}>"
        self.t(r, A, _nhs("AreaCoverage"))
        self.t(r, COVERING, _iri(*org))
        self.t(r, COVERED, _iri("lad", lad))
        self.t(r, LSOA_COUNT, f'"{count}"^^{XSD_INT}')
        self.t(r, LSOA_TOTAL, f'"{total}"^^{XSD_INT}')
        self.t(r, SHARE, f'"{count / total:.4f}"^^{XSD_DEC}')
        self.dated(r, start, end)
        self.t(r, SOURCE, self.src["synthetic-ons-lookup"])

    def event(self, cls: str, day: date, slug: str, originals: list[str], results: list[str],
              label: str, sources: tuple[str, ...]) -> None:
        r = f"<{ID}event/{day.isoformat()}/{cls.lower()}/{slug}>"
        self.t(r, A, _nhs(cls))
        self.t(r, EFFECTIVE, _date(day))
        self.t(r, LABEL, _str(label))
        for o in originals:
            self.t(r, ORG_ORIGINAL, o)
        for o in results:
            self.t(r, ORG_RESULTING, o)
        for slug_ in sources:
            self.t(r, SOURCE, self.src[slug_])
        # the nhs:hasSuccessor and nhs:passedPartTo shortcuts, derived as build.py does
        link = HAS_SUCCESSOR if cls in SUCCESSIONS else (
            PASSED_PART_TO if cls == "BoundaryChange" else None)
        if link:
            for before in originals:
                for after in results:
                    if before != after:
                        self.t(before, link, after)

    def status(self, stp: str, code: str, status: str, start: date, end: date | None) -> None:
        r = f"<{ID}status/stp-{code}/{start.isoformat()}>"
        self.t(r, A, _nhs("StatusRecord"))
        self.t(r, STATUS_OF, stp)
        self.t(r, STATUS_P, f"<{STATUS}{status}>")
        self.dated(r, start, end)
        self.t(r, SOURCE, self.src["synthetic-nhse-designations"])

    def sources(self) -> None:
        for slug, (title, publisher, issued) in SOURCES.items():
            s = self.src[slug]
            self.t(s, A, _nhs("Source"))
            self.t(s, IDENTIFIER, _str(slug))
            self.t(s, TITLE, _str(f"{title} (benchmark data, not a real publication)"))
            self.t(s, PUBLISHER, _str(f"{publisher} (synthetic)"))
            self.t(s, ISSUED, _date(date.fromisoformat(issued)))
            self.t(s, LICENSE, OGL)
            self.t(s, COMMENT, _str("Generated by benchmarks/synthetic.py with a fixed seed."))


# -- coverage: districts partitioned into chunks of LSOAs -------------------------------------


@dataclass
class _Chunk:
    count: int
    lad: int   # the district it started in (follow lad_parent to today's district)
    ccg: int   # the CCG that first covered it (follow ccg_parent)


def _root(parent: dict[int, tuple[date, int]], x: int, day: date) -> int:
    """Follow merges that took effect on or before ``day``."""
    while x in parent and parent[x][0] <= day:
        x = parent[x][1]
    return x


def _cover(out: _Out, chunks: list[_Chunk], lad_code: dict[int, str],
           lad_parent: dict[int, tuple[date, int]], owner: callable,
           breaks: list[date], era_end: date | None) -> None:
    """Coverage records: one per (organisation, district, unchanged count) run of slices.

    ``owner(chunk, day)`` is the (kind, code) covering the chunk on ``day``, or None.
    """
    open_: dict[tuple[tuple[str, str], int], tuple[date, int, int]] = {}

    def close(key: tuple[tuple[str, str], int], end: date | None) -> None:
        start, count, total = open_.pop(key)
        out.coverage(key[0], lad_code[key[1]], start, end, count, total)

    for day in breaks:
        counts: dict[tuple[tuple[str, str], int], int] = {}
        totals: dict[int, int] = {}
        for chunk in chunks:
            lad = _root(lad_parent, chunk.lad, day)
            totals[lad] = totals.get(lad, 0) + chunk.count
            who = owner(chunk, day)
            if who is not None:
                key = (who, lad)
                counts[key] = counts.get(key, 0) + chunk.count
        for key in [k for k in open_ if k not in counts or open_[k][1:] != (counts[k], totals[k[1]])]:
            close(key, day - ONE_DAY)
        for key in sorted(counts):
            if key not in open_:
                open_[key] = (day, counts[key], totals[key[1]])
    for key in sorted(open_):
        close(key, era_end)


# -- one system -----------------------------------------------------------------------------------


@dataclass
class _System:
    icb: str                 # Q-code of its ICB
    lads: list[str]          # today's districts (ONS codes)
    lad_totals: dict[str, int]
    sub_icbs: list[str]


def _system(out: _Out, rng: random.Random, pools: _Pools, region: str,
            icb_end: date | None) -> _System:
    q = next(pools.q)
    ons = pools.ons

    # Districts, and which initial CCG covers each chunk of each.
    lad_code: dict[int, str] = {}
    lad_start: dict[int, date] = {}
    lad_end: dict[int, date] = {}
    lad_names: dict[int, str] = {}
    n_lad = rng.randint(3, 7)
    for i in range(n_lad):
        lad_code[i] = ons.lad()
        lad_start[i] = date(rng.choice((1974, 1996, 1998, 2009)), 4, 1)
        lad_names[i] = pools.name("lad")
    lad_parent: dict[int, tuple[date, int]] = {}
    lad_events: list[tuple[date, list[int], int]] = []
    if n_lad >= 3 and rng.random() < 0.2:
        a, b = sorted(rng.sample(range(n_lad), 2))
        day = rng.choice(LAD_MERGER_DATES)
        new = n_lad
        lad_code[new] = ons.code("E06")
        lad_start[new] = day
        lad_names[new] = pools.name("lad")
        for x in (a, b):
            lad_end[x] = day - ONE_DAY
            lad_parent[x] = (day, new)
        lad_events.append((day, [a, b], new))

    n_ccg = rng.randint(2, 6)
    ccg_code: dict[int, str] = {i: next(pools.ccg) for i in range(n_ccg)}
    ccg_start: dict[int, date] = {i: ERA_START for i in range(n_ccg)}
    ccg_end: dict[int, date] = {}
    chunks: list[_Chunk] = []
    homes: dict[int, list[int]] = {i: [] for i in range(n_lad)}
    for c in range(n_ccg):
        homes[c % n_lad].append(c)
    for lad in range(n_lad):
        owners = homes[lad] or [rng.randrange(n_ccg)]
        if rng.random() < 0.3:
            extra = rng.randrange(n_ccg)
            if extra not in owners:
                owners = owners + [extra]
        total = rng.randint(60, 380)
        cuts = sorted(rng.sample(range(10, total - 10), len(owners) - 1)) if len(owners) > 1 else []
        bounds = [0, *cuts, total]
        for k, c in enumerate(owners):
            chunks.append(_Chunk(bounds[k + 1] - bounds[k], lad, c))

    # CCG merger rounds (a merged CCG may merge again: merger chains).
    ccg_parent: dict[int, tuple[date, int]] = {}
    alive = list(range(n_ccg))
    mergers: list[tuple[date, list[int], int]] = []
    for day in CCG_MERGER_DATES:
        if len(alive) >= 2 and rng.random() < 0.3:
            inputs = sorted(rng.sample(alive, rng.randint(2, min(3, len(alive)))))
            new = len(ccg_code)
            ccg_code[new] = next(pools.ccg)
            ccg_start[new] = day
            for x in inputs:
                ccg_end[x] = day - ONE_DAY
                ccg_parent[x] = (day, new)
                alive.remove(x)
            alive.append(new)
            mergers.append((day, inputs, new))
    for x in alive:
        ccg_end[x] = ICB_START - ONE_DAY

    # -- districts
    for i in sorted(lad_code):
        out.org("lad", lad_code[i], [(lad_names[i], lad_start[i], lad_end.get(i))],
                lad_start[i], lad_end.get(i), ("synthetic-ons-chd",),
                ons=((lad_code[i], lad_start[i], lad_end.get(i)),))
    for day, inputs, new in lad_events:
        out.event("Merger", day, "+".join(f"lad-{lad_code[x]}" for x in inputs),
                  [_iri("lad", lad_code[x]) for x in inputs], [_iri("lad", lad_code[new])],
                  f"Synthetic districts {', '.join(lad_code[x] for x in inputs)} merge into "
                  f"{lad_code[new]}", ("synthetic-ons-chd",))

    # -- the STP partnership and its designations
    stp_end = ICB_START - ONE_DAY
    stp = out.org("stp", q, [(pools.name("stp"), STP_START, stp_end)], STP_START, stp_end,
                  ("synthetic-ods-icb",), ods=q, ons=((ons.code("E54"), STP_START, stp_end),))
    d_ics = rng.choice((date(2018, 4, 1), date(2019, 4, 1), date(2020, 4, 1), date(2021, 4, 1)))
    steps = [("stp", STP_START)]
    if d_ics.year >= 2019 and rng.random() < 0.3:
        steps.append(("acs", date(2018, 4, 1)))
    steps.append(("ics", d_ics))
    for k, (status, start) in enumerate(steps):
        end = steps[k + 1][1] - ONE_DAY if k + 1 < len(steps) else stp_end
        out.status(stp, q, status, start, end)
        if k:
            out.event("Designation", start, f"stp-{q}", [stp], [stp],
                      f"Synthetic STP {q} designated {status}", ("synthetic-nhse-designations",))
    out.membership(("stp", q), ("region", region), STP_START, stp_end, "synthetic-ods-icb")

    # -- CCGs
    for c in sorted(ccg_code):
        code, start, end = ccg_code[c], ccg_start[c], ccg_end[c]
        names = [(pools.name("ccg"), start, end)]
        renamed = [date(y, 4, 1) for y in range(start.year + 1, end.year + 1) if date(y, 4, 1) <= end]
        if renamed and rng.random() < 0.2:
            day = rng.choice(renamed)
            names = [(names[0][0], start, day - ONE_DAY), (names[0][0] + " (renamed)", day, end)]
        first_ons = ons.code("E38")
        codes = ((first_ons, start, end),)
        recode = date(2018, 4, 1)
        if start < recode <= end and rng.random() < 0.1:
            codes = ((first_ons, start, recode - ONE_DAY), (ons.code("E38"), recode, end))
        s = out.org("ccg", code, names, start, end, ("synthetic-ods-ccg",), ods=code, ons=codes)
        if len(names) > 1:
            out.event("Renaming", names[1][1], f"ccg-{code}", [s], [s],
                      f"Synthetic CCG {code} renamed", ("synthetic-ods-ccg",))
        out.membership(("ccg", code), ("region", region), start, end, "synthetic-ods-ccg")
        if end >= STP_START:
            out.membership(("ccg", code), ("stp", q), max(start, STP_START), end, "synthetic-ons-lookup")
    for day, inputs, new in mergers:
        out.event("Merger", day, "+".join(f"ccg-{ccg_code[x]}" for x in inputs),
                  [_iri("ccg", ccg_code[x]) for x in inputs], [_iri("ccg", ccg_code[new])],
                  f"Synthetic CCGs {', '.join(ccg_code[x] for x in inputs)} merge into "
                  f"{ccg_code[new]}", ("synthetic-ods-successions",))

    # -- ICS, ICB, ICP and sub-ICB locations from 2022-07-01
    ics = out.org("ics", q, [(pools.name("ics"), ICB_START, icb_end)], ICB_START, icb_end,
                  ("synthetic-legislation",))
    icb = out.org("icb", q, [(pools.name("icb"), ICB_START, icb_end)], ICB_START, icb_end,
                  ("synthetic-ods-icb",), ods=q, ons=((ons.code("E54"), ICB_START, icb_end),),
                  part_of=ics)
    icp = out.org("icp", q, [(pools.name("icp"), ICB_START, icb_end)], ICB_START, icb_end,
                  ("synthetic-legislation",), part_of=ics)
    out.membership(("icb", q), ("region", region), ICB_START, icb_end, "synthetic-ods-icb")
    if q == BOARD_ICB:
        _board(out, pools, q, icb)
    out.event("Establishment", ICB_START, f"stp-{q}", [stp], [icb, ics, icp],
              f"Synthetic STP {q}: statutory ICS and its ICB established",
              ("synthetic-legislation", "synthetic-ods-icb"))
    finals = sorted(alive)
    for c in finals:
        code = ccg_code[c]
        sub = out.org("sub-icb", code, [(pools.name("sub-icb"), ICB_START, None)], ICB_START, None,
                      ("synthetic-ods-ccg",), ods=code, ons=((ons.code("E38"), ICB_START, None),))
        out.membership(("sub-icb", code), ("icb", q), ICB_START, icb_end, "synthetic-ods-ccg")
        out.event("Abolition", ICB_START, f"ccg-{code}", [_iri("ccg", code)], [icb, sub],
                  f"Synthetic CCG {code} abolished; its area becomes sub-ICB location {code}",
                  ("synthetic-ons-chd",))

    # -- coverage: CCGs to 2022-06-30, sub-ICBs and the ICB from 2022-07-01
    ccg_breaks = sorted({ERA_START, *(d for d, _, _ in mergers),
                         *(d for d, _, _ in lad_events if d < ICB_START)})
    _cover(out, chunks, lad_code, lad_parent,
           lambda ch, day: ("ccg", ccg_code[_root(ccg_parent, ch.ccg, day)]),
           ccg_breaks, ICB_START - ONE_DAY)
    later = sorted({ICB_START, *(d for d, _, _ in lad_events if d >= ICB_START)})
    final_of = {ch.ccg: ccg_code[_root(ccg_parent, ch.ccg, ICB_START)] for ch in chunks}
    _cover(out, chunks, lad_code, lad_parent, lambda ch, day: ("sub-icb", final_of[ch.ccg]),
           later, None)
    _cover(out, chunks, lad_code, lad_parent, lambda ch, day: ("icb", q), later, icb_end)

    # -- NHS trusts, some merged
    n_trust = rng.randint(2, 6)
    trusts = []
    for _ in range(n_trust):
        trusts.append([next(pools.trust), date(rng.randint(1991, 2012), 4, 1), None])
    merges = []
    if n_trust >= 2 and rng.random() < 0.35:
        inputs = rng.sample(range(n_trust), 2)
        day = date(rng.randint(2014, 2024), rng.choice((4, 10)), 1)
        new = [next(pools.trust), day, None]
        for x in inputs:
            trusts[x][2] = day - ONE_DAY
        trusts.append(new)
        merges.append((day, [trusts[x][0] for x in inputs], new[0]))
    for code, start, end in trusts:
        out.org("trust", code, [(pools.name("trust"), start, end)], start, end,
                ("synthetic-ods-trust",), ods=code)
    for day, inputs, new in merges:
        out.event("Merger", day, "+".join(f"trust-{x}" for x in inputs),
                  [_iri("trust", x) for x in inputs], [_iri("trust", new)],
                  f"Synthetic trusts {', '.join(inputs)} merge into {new}", ("synthetic-ods-successions",))

    today = max(ICB_START, *(d for d, _, _ in lad_events)) if lad_events else ICB_START
    lads_now = sorted({_root(lad_parent, ch.lad, today) for ch in chunks})
    totals: dict[str, int] = {}
    for ch in chunks:
        key = lad_code[_root(lad_parent, ch.lad, today)]
        totals[key] = totals.get(key, 0) + ch.count
    return _System(q, [lad_code[x] for x in lads_now], totals, [ccg_code[c] for c in finals])


def _merged_icb(out: _Out, pools: _Pools, region: str, a: _System, b: _System) -> None:
    """Two ICBs of one region merge on 2026-04-01 into an ICB with a new code."""
    code = next(pools.successor)
    ics = out.org("ics", code, [(pools.name("ics"), ICB_MERGER, None)], ICB_MERGER, None,
                  ("synthetic-legislation",))
    icb = out.org("icb", code, [(pools.name("icb"), ICB_MERGER, None)], ICB_MERGER, None,
                  ("synthetic-ods-icb",), ods=code,
                  ons=((pools.ons.code("E54"), ICB_MERGER, None),), part_of=ics)
    out.org("icp", code, [(pools.name("icp"), ICB_MERGER, None)], ICB_MERGER, None,
            ("synthetic-legislation",), part_of=ics)
    out.membership(("icb", code), ("region", region), ICB_MERGER, None, "synthetic-ods-icb")
    for system in (a, b):
        for sub in system.sub_icbs:
            out.membership(("sub-icb", sub), ("icb", code), ICB_MERGER, None, "synthetic-ods-ccg")
        for lad in system.lads:
            total = system.lad_totals[lad]
            out.coverage(("icb", code), lad, ICB_MERGER, None, total, total)
    out.event("Merger", ICB_MERGER, f"icb-{a.icb}+icb-{b.icb}",
              [_iri("icb", a.icb), _iri("icb", b.icb)], [icb],
              f"Synthetic ICBs {a.icb} and {b.icb} merge into {code}", ("synthetic-ods-successions",))


def _board(out: _Out, pools: _Pools, code: str, icb: str) -> None:
    """A complete board of the ICB, listed at each of BOARD_MEETINGS by the same people."""
    people = []
    for _ in BOARD_SEATS:
        name = pools.name_of("person")
        person = f"<{ID}person/{name.lower().replace(' ', '-')}>"
        out.t(person, PREF, _str(name))
        people.append((person, name))
    for day in BOARD_MEETINGS:
        for (post, nominator), (person, name) in zip(BOARD_SEATS, people):
            r = f"<{ID}post/icb-{code}/{day.isoformat()}/{post}/{name.lower().replace(' ', '-')}>"
            out.t(r, A, _nhs("BoardPost"))
            out.t(r, ORG_POST_IN, icb)
            out.t(r, ORG_ROLE, f"<{POST}{post}>")
            out.t(r, ORG_HELD_BY, person)
            if nominator:
                out.t(r, NOMINATED_BY, f"<{NOMINATOR}{nominator}>")
            out.dated(r, day, day)
            out.t(r, SOURCE, out.src["synthetic-board-minutes"])


def _cluster(out: _Out, pools: _Pools, a: _System, b: _System, start: date, end: date | None) -> None:
    """Two ICBs share leadership from ``start`` (to the end of their lives, as ingest dates it)."""
    code = f"{a.icb}-{b.icb}"
    cluster = out.org("cluster", code, [(pools.name("cluster"), start, end)], start, end,
                      ("synthetic-nhse-clusters",))
    for system in (a, b):
        out.membership(("icb", system.icb), ("cluster", code), start, end, "synthetic-nhse-clusters")
    out.event("Clustering", start, f"icb-{a.icb}+icb-{b.icb}", [_iri("icb", a.icb), _iri("icb", b.icb)],
              [cluster], f"Synthetic ICBs {a.icb} and {b.icb} share leadership", ("synthetic-nhse-clusters",))


# -- the whole graph ------------------------------------------------------------------------------


def _ontology_lines() -> list[str]:
    from nhsgraph.store import ontology_triples

    return sorted({f"{t} .\n" for t in ontology_triples()})


def generate(target: int, path: Path, seed: int = SEED) -> dict[str, int]:
    """Write about ``target`` triples of synthetic history to ``path`` (N-Triples).

    Returns counts: ``triples`` and the number of organisations of each kind.
    """
    rng = random.Random(seed)
    pools = _Pools()
    out = _Out()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        onto = _ontology_lines()
        handle.write("".join(onto))
        out.count += len(onto)
        out.sources()
        handle.write(out.take())
        while out.count < target:
            region = next(pools.region)
            out.org("region", region, [(pools.name("region"), ERA_START, None)], ERA_START, None,
                    ("synthetic-ods-icb",), ods=region,
                    ons=((pools.ons.code("E40"), ERA_START, None),))
            handle.write(out.take())
            for _ in range(rng.randint(2, 4)):
                # A pair of neighbouring systems whose ICBs may cluster in 2025 and merge in 2026.
                first = out.orgs.get("icb", 0) == 0
                merge = rng.random() < 0.3
                end = ICB_MERGER - ONE_DAY if merge else None
                a = _system(out, rng, pools, region, end)
                b = _system(out, rng, pools, region, end)
                if first:
                    _cluster(out, pools, a, b, FIRST_CLUSTER_START, end)
                elif merge or rng.random() < 0.25:
                    _cluster(out, pools, a, b, rng.choice(CLUSTER_STARTS), end)
                if merge:
                    _merged_icb(out, pools, region, a, b)
                handle.write(out.take())
                if out.count >= target:
                    break
    tmp.replace(path)
    return {"triples": out.count, **{f"orgs_{k}": v for k, v in sorted(out.orgs.items())}}


def parse_size(text: str) -> int:
    """``1e5`` / ``100000`` / ``2e4`` -> an int."""
    return int(float(text))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="1e5", help="target size, e.g. 1e5, 1e6, 1e7")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    stats = generate(parse_size(args.triples), args.output, args.seed)
    print(f"wrote {args.output}: {stats} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
