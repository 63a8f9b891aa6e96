"""The historical dataset against the official counts and the ONS lookups it came from."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import query

DATA = Path(__file__).resolve().parent.parent / "data" / "raw"


@pytest.mark.parametrize("kind, day, expected", [
    ("ccg", "2013-03-31", 0),
    ("ccg", "2013-04-01", 211),
    ("ccg", "2020-03-31", 191),
    ("ccg", "2020-04-01", 135),
    ("ccg", "2021-03-31", 135),
    ("ccg", "2021-04-01", 106),
    ("ccg", "2022-06-30", 106),
    ("ccg", "2022-07-01", 0),
    ("stp", "2016-04-01", 44),
    ("stp", "2018-03-31", 44),
    ("stp", "2018-04-01", 42),
    ("stp", "2022-06-30", 42),
    ("stp", "2022-07-01", 0),
    ("icb", "2022-06-30", 0),
    ("icb", "2022-07-01", 42),
    ("icb", "2026-03-31", 42),
    ("icb", "2026-04-01", 36),
    ("sub-icb", "2022-06-30", 0),
    ("sub-icb", "2022-07-01", 106),
    ("region", "2013-04-01", 4),
    ("region", "2019-04-01", 7),
    ("ics", "2020-06-01", 18),
    ("ics", "2021-01-01", 29),
    ("ics", "2021-04-01", 42),
])
def test_official_counts_on_both_sides_of_each_boundary(store, kind, day, expected):
    assert len(query(store, "organisations-at", date=day, type=kind).rows) == expected


LOOKUPS = [
    ("2017-04-01", "ons-ccg-stp-2017/CCG17_STP17_EN_LU_v3.csv", "CCG17CD", "CCG17CDH", "STP17CD"),
    ("2018-04-01", "ons-ccg-stp-2018/CCG18_STP18_EN_LU_v2.csv", "CCG18CD", "CCG18CDH", "STP18CD"),
    ("2019-04-01", "ons-ccg-stp-2019/CCG19_STP19_EN_LU.csv", "CCG19CD", "CCG19CDH", "STP19CD"),
    ("2020-04-01", "ons-ccg-stp-2020/CCG20_STP20_EN_LU.csv", "CCG20CD", "CCG20CDH", "STP20CD"),
    ("2021-04-01", "ons-ccg-stp-cal-2021/CCG21_STP21_CAL21_EN_LU.csv", "CCG21CD", "CCG21CDH", "STP21CD"),
]

#: Memberships on a day between two kinds: the member's ONS and ODS codes and the parent's ONS code then.
AS_OF_MEMBERSHIP = """
PREFIX nhs: <https://w3id.org/nhsgraph/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?memberOns ?memberOds ?parentOns WHERE {
  VALUES ?d { "%s"^^xsd:date }
  ?m a org:Membership ; org:member ?member ; org:organization ?parent ; nhs:startDate ?s .
  OPTIONAL { ?m nhs:endDate ?e }
  FILTER(?s <= ?d && COALESCE(?e, "9999-12-31"^^xsd:date) >= ?d)
  ?member nhs:kind <https://w3id.org/nhsgraph/def/kind/%s> .
  OPTIONAL { ?member nhs:odsCode ?memberOds }
  ?parent nhs:kind <https://w3id.org/nhsgraph/def/kind/%s> .
  ?c1 nhs:codeOf ?member ; nhs:codeScheme nhs:ONS ; skos:notation ?memberOns ; nhs:startDate ?c1s .
  OPTIONAL { ?c1 nhs:endDate ?c1e }
  FILTER(?c1s <= ?d && COALESCE(?c1e, "9999-12-31"^^xsd:date) >= ?d)
  ?c2 nhs:codeOf ?parent ; nhs:codeScheme nhs:ONS ; skos:notation ?parentOns ; nhs:startDate ?c2s .
  OPTIONAL { ?c2 nhs:endDate ?c2e }
  FILTER(?c2s <= ?d && COALESCE(?c2e, "9999-12-31"^^xsd:date) >= ?d)
}
"""


@pytest.mark.parametrize("day, path, ccg_ons, ccg_ods, stp_ons", LOOKUPS, ids=[lk[0][:4] for lk in LOOKUPS])
def test_as_of_query_reproduces_each_ons_ccg_to_stp_lookup(store, day, path, ccg_ons, ccg_ods, stp_ons):
    with open(DATA / path, encoding="utf-8-sig", newline="") as handle:
        official = sorted((r[ccg_ons], r[ccg_ods], r[stp_ons]) for r in csv.DictReader(handle))
    graph = sorted((r["memberOns"].value, r["memberOds"].value, r["parentOns"].value)
                   for r in store.query(AS_OF_MEMBERSHIP % (day, "ccg", "stp")))
    assert len(official) > 100
    missing = sorted(set(official) - set(graph))
    extra = sorted(set(graph) - set(official))
    assert (missing, extra) == ([], [])
    assert graph == official  # no duplicates either


# -- area teams (2013-2015) and regional local offices (2015-2020) ----------------------------

def _rows(path: str) -> list[dict[str, str]]:
    with open(DATA / path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("kind, day, path, column", [
    ("area-team", "2013-04-01", "ons-ccg-areateam-2013/NHSAT_APR_2013_EN_NC.csv", "NHSAT13CD"),
    ("area-team", "2015-03-31", "ons-ccg-areateam-2013/NHSAT_APR_2013_EN_NC.csv", "NHSAT13CD"),
    ("local-office", "2017-04-01", "ons-ccg-stp-2017/NHSRLO17_NHSER17_EN_LU.csv", "NHSRLO17CD"),
    # ONS kept the 2017 column names in the April 2018 file.
    ("local-office", "2018-04-01", "ons-ccg-stp-2018/NHSRLO18_NHSER18_EN_LU.csv", "NHSRLO17CD"),
])
def test_area_teams_and_local_offices_on_a_day_are_the_ons_list(store, kind, day, path, column):
    official = sorted(r[column] for r in _rows(path))
    graph = sorted(r["ons"].value for r in store.query(AS_OF_PARENT % (day, kind)))
    assert len(official) >= 14
    assert graph == official


def test_no_area_team_outlives_march_2015_and_no_local_office_march_2020(store):
    assert len(query(store, "organisations-at", date="2015-04-01", type="area-team").rows) == 0
    assert len(query(store, "organisations-at", date="2020-04-01", type="local-office").rows) == 0


#: Each organisation of a kind on a day, with its ONS code then.
AS_OF_PARENT = """
PREFIX nhs: <https://w3id.org/nhsgraph/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?ons WHERE {
  VALUES ?d { "%s"^^xsd:date }
  ?o nhs:kind <https://w3id.org/nhsgraph/def/kind/%s> ; nhs:startDate ?s .
  OPTIONAL { ?o nhs:endDate ?e }
  FILTER(?s <= ?d && COALESCE(?e, "9999-12-31"^^xsd:date) >= ?d)
  ?c nhs:codeOf ?o ; nhs:codeScheme nhs:ONS ; skos:notation ?ons ; nhs:startDate ?cs .
  OPTIONAL { ?c nhs:endDate ?ce }
  FILTER(?cs <= ?d && COALESCE(?ce, "9999-12-31"^^xsd:date) >= ?d)
}
"""

MEMBERSHIP_LOOKUPS = [
    # (day, member kind, parent kind, file, member column, parent column)
    ("2013-04-01", "ccg", "area-team", "ons-ccg-areateam-2013/CCG13_NHSAT13_NHSCR13_EW_LU.csv",
     "CCG13CD", "NHSAT13CD"),
    ("2013-04-01", "area-team", "region", "ons-ccg-areateam-2013/CCG13_NHSAT13_NHSCR13_EW_LU.csv",
     "NHSAT13CD", "NHSCR13CD"),
    ("2017-04-01", "ccg", "local-office", "ons-ccg-stp-2017/CCG17_NHSRLO17_NHSER17_EN_LU_v3.csv",
     "CCG17CD", "NHSRLO17CD"),
    ("2017-04-01", "local-office", "region", "ons-ccg-stp-2017/NHSRLO17_NHSER17_EN_LU.csv",
     "NHSRLO17CD", "NHSER17CD"),
    ("2018-04-01", "ccg", "local-office", "ons-ccg-stp-2018/CCG18_NHSRLO18_NHSER18_EN_LU.csv",
     "CCG18CD", "NHSRLO18CD"),
    ("2018-04-01", "local-office", "region", "ons-ccg-stp-2018/NHSRLO18_NHSER18_EN_LU.csv",
     "NHSRLO17CD", "NHSER17CD"),
]


@pytest.mark.parametrize("day, member, parent, path, member_col, parent_col", MEMBERSHIP_LOOKUPS,
                         ids=[f"{m[0][:4]}-{m[1]}-{m[2]}" for m in MEMBERSHIP_LOOKUPS])
def test_as_of_query_reproduces_each_ons_area_team_and_local_office_lookup(
        store, day, member, parent, path, member_col, parent_col):
    official = sorted({(r[member_col], r[parent_col]) for r in _rows(path)})
    graph = sorted((r["memberOns"].value, r["parentOns"].value)
                   for r in store.query(AS_OF_MEMBERSHIP % (day, member, parent)))
    assert len(official) >= 4
    assert (sorted(set(official) - set(graph)), sorted(set(graph) - set(official))) == ([], [])
    assert graph == official  # no duplicates either


def test_area_teams_that_carried_on_are_linked_to_their_local_office(store):
    for code in ("Q70", "Q71"):
        steps = {(r["from_code"], r["from_type"], r["event"], r["date"], r["to_code"], r["to_type"])
                 for r in query(store, "lineage", code=code).records()}
        assert (code, "area-team", "abolition", "2015-04-01", code, "local-office") in steps
