"""Invariants over every day that matters: the test that would have caught the holes.

The days checked are every boundary day of the graph (the first day of every
organisation, district, coverage record and membership, and the day after
each last day) from 2013-04-01 to today, and the first of every month. On each:

- every English district that existed is covered by organisations of each
  kind that existed then (CCG to 2022-06-30, STP 2016-04-01 to 2022-06-30,
  sub-ICB location and ICB from 2022-07-01, region always), whose LSOA counts
  add up to the district's LSOAs, unless the completeness register says the
  coverage of that kind is partial or unknown on the day;
- every covering organisation existed on the day;
- every sub-ICB location is in exactly one ICB, every ICB in exactly one
  region and part of exactly one statutory ICS, each existing on the day.

The facts are read from the graph in a few queries and checked in Python, so
the ~400 days take seconds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from nhsgraph import register

FIRST = date(2013, 4, 1)
TODAY = date.today()
STATUTORY = date(2022, 7, 1)
#: Kind -> (first day, last day) of the period it must cover every district.
PERIODS = {
    "ccg": (FIRST, date(2022, 6, 30)),
    "stp": (date(2016, 4, 1), date(2022, 6, 30)),
    "sub-icb": (STATUTORY, None),
    "icb": (STATUTORY, None),
    "region": (FIRST, None),
}
PREFIXES = """
PREFIX nhs: <https://w3id.org/nhsgraph/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
KIND = "https://w3id.org/nhsgraph/def/kind/"


def _day(term) -> date | None:
    return date.fromisoformat(term.value) if term is not None else None


def _within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


@pytest.fixture(scope="module")
def facts(store):
    orgs = {}
    for r in store.query(PREFIXES + """SELECT ?o ?kind ?code ?s ?e WHERE {
            ?o nhs:kind ?k ; skos:notation ?code . OPTIONAL { ?o nhs:startDate ?s } OPTIONAL { ?o nhs:endDate ?e }
            BIND(STRAFTER(STR(?k), "/kind/") AS ?kind) }"""):
        orgs[r["o"].value] = (r["kind"].value, r["code"].value, _day(r["s"]), _day(r["e"]))
    coverage = defaultdict(list)  # (kind, district IRI) -> [(org, count, total, start, end)]
    for r in store.query(PREFIXES + """SELECT ?o ?a ?n ?t ?s ?e WHERE {
            ?c a nhs:AreaCoverage ; nhs:coveringOrganisation ?o ; nhs:coveredArea ?a ;
               nhs:lsoaCount ?n ; nhs:lsoaTotal ?t ; nhs:startDate ?s . OPTIONAL { ?c nhs:endDate ?e } }"""):
        kind = orgs[r["o"].value][0]
        coverage[kind, r["a"].value].append(
            (r["o"].value, int(r["n"].value), int(r["t"].value), _day(r["s"]), _day(r["e"])))
    members = defaultdict(list)  # member IRI -> [(parent IRI, start, end)]
    for r in store.query(PREFIXES + """SELECT ?m ?p ?s ?e WHERE {
            ?x org:member ?m ; org:organization ?p . OPTIONAL { ?x nhs:startDate ?s }
            OPTIONAL { ?x nhs:endDate ?e } }"""):
        members[r["m"].value].append((r["p"].value, _day(r["s"]), _day(r["e"])))
    parts = defaultdict(set)
    for r in store.query(PREFIXES + "SELECT ?c ?p WHERE { ?c org:subOrganizationOf ?p }"):
        parts[r["c"].value].add(r["p"].value)
    return orgs, coverage, members, parts


@pytest.fixture(scope="module")
def days(store):
    found = {FIRST}
    for r in store.query(PREFIXES + """SELECT DISTINCT ?d WHERE {
            { ?x nhs:startDate ?d } UNION { ?x nhs:endDate ?e BIND(?e AS ?d) } }"""):
        found.add(_day(r["d"]))
    found |= {d + timedelta(days=1) for d in list(found)}  # the day after each last day
    month = FIRST
    while month <= TODAY:
        found.add(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return sorted(d for d in found if FIRST <= d <= TODAY)


def _excused(store, kind: str, day: date) -> bool:
    """The register says the coverage of ``kind`` is not complete on ``day``."""
    for rec in register.register(store):
        if rec["fact"] == "coverage" and rec["kind"] == kind and rec["level"] in ("partial", "unknown"):
            if _within(day, date.fromisoformat(rec["start"]), date.fromisoformat(rec["end"]) if rec["end"] else None):
                return True
    return False


def test_the_days_cover_every_month_and_boundary(days):
    assert len(days) > 12 * (TODAY.year - 2013)
    assert date(2022, 7, 1) in days and date(2026, 4, 1) in days and date(2023, 4, 1) in days


@pytest.mark.parametrize("kind", sorted(PERIODS))
def test_every_district_is_covered_whole_by_each_kind_on_every_day(store, facts, days, kind):
    orgs, coverage, _members, _parts = facts
    first, last = PERIODS[kind]
    districts = [(iri, s, e) for iri, (k, _c, s, e) in orgs.items() if k == "lad"]
    failures = []
    checked = 0
    for day in days:
        if not _within(day, first, last) or _excused(store, kind, day):
            continue
        for lad, s, e in districts:
            if not _within(day, s, e):
                continue
            checked += 1
            here = [r for r in coverage.get((kind, lad), []) if _within(day, r[3], r[4])]
            totals = {r[2] for r in here}
            covered = sum(r[1] for r in here)
            if len(totals) != 1 or covered != totals.pop():
                failures.append(f"{day} {orgs[lad][1]}: {covered} LSOAs of {sorted({r[2] for r in here})}")
                continue
            gone = [orgs[r[0]][1] for r in here if not _within(day, orgs[r[0]][2], orgs[r[0]][3])]
            if gone:
                failures.append(f"{day} {orgs[lad][1]}: covered by {gone}, which did not exist")
    assert not failures, f"{len(failures)} (day, district) failures, e.g. {failures[:8]}"
    # England has had 309 to 326 districts since 2013; most days must be checked.
    assert checked > 300 * len([d for d in days if _within(d, first, last)]) // 2, checked


@pytest.mark.parametrize("child,parent", [("sub-icb", "icb"), ("icb", "region")])
def test_every_member_has_exactly_one_parent_on_every_day(facts, days, child, parent):
    orgs, _coverage, members, _parts = facts
    failures = []
    checked = 0
    for iri, (kind, code, s, e) in orgs.items():
        if kind != child:
            continue
        for day in days:
            if not _within(day, s, e):
                continue
            here = {p for p, ms, me in members.get(iri, []) if orgs.get(p, ("",))[0] == parent
                    and _within(day, ms, me)}
            alive = {p for p in here if _within(day, orgs[p][2], orgs[p][3])}
            checked += 1
            if len(here) != 1 or alive != here:
                failures.append(f"{day} {code}: {sorted(orgs[p][1] for p in here)}")
    assert checked > len(days), checked
    assert not failures, f"{len(failures)} failures, e.g. {failures[:8]}"


def test_every_icb_is_part_of_exactly_one_statutory_ics_on_every_day(facts, days):
    orgs, _coverage, _members, parts = facts
    failures = []
    checked = 0
    for iri, (kind, code, s, e) in orgs.items():
        if kind != "icb":
            continue
        for day in days:
            if not _within(day, s, e):
                continue
            ics = {p for p in parts.get(iri, ()) if orgs.get(p, ("",))[0] == "ics"
                   and _within(day, orgs[p][2], orgs[p][3])}
            checked += 1
            if len(ics) != 1:
                failures.append(f"{day} {code}: {sorted(orgs[p][1] for p in ics)}")
    assert checked > 42 * 4 * 12, checked
    assert not failures, f"{len(failures)} failures, e.g. {failures[:8]}"
