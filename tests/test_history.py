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

AS_OF = """
PREFIX nhs: <https://w3id.org/nhsgraph/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?ccgOns ?ccgOds ?stpOns WHERE {
  VALUES ?d { "%s"^^xsd:date }
  ?m a org:Membership ; org:member ?ccg ; org:organization ?stp ; nhs:startDate ?s .
  OPTIONAL { ?m nhs:endDate ?e }
  FILTER(?s <= ?d && COALESCE(?e, "9999-12-31"^^xsd:date) >= ?d)
  ?ccg nhs:kind <https://w3id.org/nhsgraph/def/kind/ccg> ; nhs:odsCode ?ccgOds .
  ?stp nhs:kind <https://w3id.org/nhsgraph/def/kind/stp> .
  ?c1 nhs:codeOf ?ccg ; nhs:codeScheme nhs:ONS ; skos:notation ?ccgOns ; nhs:startDate ?c1s .
  OPTIONAL { ?c1 nhs:endDate ?c1e }
  FILTER(?c1s <= ?d && COALESCE(?c1e, "9999-12-31"^^xsd:date) >= ?d)
  ?c2 nhs:codeOf ?stp ; nhs:codeScheme nhs:ONS ; skos:notation ?stpOns ; nhs:startDate ?c2s .
  OPTIONAL { ?c2 nhs:endDate ?c2e }
  FILTER(?c2s <= ?d && COALESCE(?c2e, "9999-12-31"^^xsd:date) >= ?d)
}
"""


@pytest.mark.parametrize("day, path, ccg_ons, ccg_ods, stp_ons", LOOKUPS, ids=[lk[0][:4] for lk in LOOKUPS])
def test_as_of_query_reproduces_each_ons_ccg_to_stp_lookup(store, day, path, ccg_ons, ccg_ods, stp_ons):
    with open(DATA / path, encoding="utf-8-sig", newline="") as handle:
        official = sorted((r[ccg_ons], r[ccg_ods], r[stp_ons]) for r in csv.DictReader(handle))
    graph = sorted((r["ccgOns"].value, r["ccgOds"].value, r["stpOns"].value)
                   for r in store.query(AS_OF % day))
    assert len(official) > 100
    missing = sorted(set(official) - set(graph))
    extra = sorted(set(graph) - set(official))
    assert (missing, extra) == ([], [])
    assert graph == official  # no duplicates either
