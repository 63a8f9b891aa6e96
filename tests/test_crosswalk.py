"""The crosswalk against the ONS LSOA lookups themselves, and its invariants.

Where both dates fall on one ONS lookup's geography, each share must equal
the count of LSOAs the two lookups put in both organisations, divided by the
'from' organisation's LSOAs: read here straight from the files in data/raw,
not through the ingest code. Everywhere, an organisation's shares add up to 1.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from nhsgraph import history

RAW = Path(__file__).resolve().parent.parent / "data" / "raw"
LOOKUP_2021 = RAW / "ons-lsoa-ccg-stp-lad-2021" / "lookup_lsoa11_ccg21_stp21_ltla21.csv.gz"
CCG_CODES_2021 = RAW / "ons-ccg-stp-cal-2021" / "CCG21_STP21_CAL21_EN_LU.csv"
LOOKUP_2022 = RAW / "ons-lsoa-sicbl-icb-lad-2022" / "lookup_lsoa11_sicbl22_icb22_ltla22.csv.gz"
LOOKUP_2024 = RAW / "ons-lsoa-sicbl-icb-2024" / "lookup_lsoa21_icb24.csv.gz"
PLACES = Decimal("0.0001")


def _rows(path: Path) -> list[dict[str, str]]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def _expected(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(from, to) -> the share the files give, rounded as the crosswalk rounds."""
    both = Counter(pairs)
    per_from = Counter(f for f, _ in pairs)
    return {(f, t): str((Decimal(n) / per_from[f]).quantize(PLACES).normalize())
            for (f, t), n in both.items()}


def _shares(store, *args: str) -> dict[tuple[str, str], str]:
    return {(r.from_code, r.to_code): r.share for r in history.crosswalk(store, *args)}


def test_ccg_2021_to_icb_2022_equals_the_two_ons_lookups(store):
    ods = {r["CCG21CD"]: r["CCG21CDH"] for r in _rows(CCG_CODES_2021)}
    ccg = {r["lsoa11_code"]: ods[r["ccg21_code"]] for r in _rows(LOOKUP_2021)}
    icb = {r["lsoa11_code"]: r["icb22_code_h"] for r in _rows(LOOKUP_2022)}
    assert ccg.keys() == icb.keys()
    expected = _expected([(ccg[lsoa], icb[lsoa]) for lsoa in ccg])
    assert _shares(store, "ccg", "2021-04-01", "icb", "2022-07-01") == expected


def test_icb_2024_to_sub_icb_2024_equals_the_ons_lookup(store):
    rows = _rows(LOOKUP_2024)
    expected = _expected([(r["icb24_code_nhs"], r["sicbl24_code_nhs"]) for r in rows])
    assert _shares(store, "icb", "2024-04-01", "sub-icb", "2024-04-01") == expected


def test_sub_icb_2022_to_icb_2023_follows_the_2022_lookup_where_no_lsoa_moved(store):
    """Between July 2022 and April 2023 only the Chichester LSOAs moved (the rule of
    nhsgraph.ingest.lsoa.between_lookups); every other location keeps its 2022 ICB."""
    rows = _rows(LOOKUP_2022)
    expected = _expected([(r["sicbl22_code_h"], r["icb22_code_h"]) for r in rows])
    got = _shares(store, "sub-icb", "2022-07-01", "icb", "2022-12-31")
    assert got == expected


@pytest.mark.parametrize("args", [
    ("ccg", "2021-04-01", "icb", "2026-04-01"),
    ("ccg", "2014-06-01", "ccg", "2020-04-01"),
    ("stp", "2016-06-01", "icb", "2024-04-01"),
    ("icb", "2025-04-01", "icb", "2026-04-01"),
    ("sub-icb", "2024-04-01", "ccg", "2019-04-01"),
    ("region", "2019-04-01", "icb", "2026-06-01"),
])
def test_every_organisations_shares_add_up_to_one(store, args):
    rows = history.crosswalk(store, *args)
    by_from: dict[str, list[history.CrosswalkRow]] = {}
    for r in rows:
        by_from.setdefault(r.from_code, []).append(r)
    for code, mine in by_from.items():
        if not mine[0].share:  # nothing known of it: one row saying so
            assert len(mine) == 1 and mine[0].method.startswith("not known"), mine
            continue
        for column in ("share", "population_share"):
            total = sum(Decimal(getattr(r, column)) for r in mine)
            assert abs(total - 1) <= PLACES * len(mine), (code, column, mine)
        assert len({r.to_code for r in mine}) == len(mine)


def test_2026_splits_go_where_the_ods_change_summary_sends_each_location(store):
    """West Essex went wholly to Essex; Hertfordshire's CCGs to Central East; no invented
    second successor with an unknown share."""
    got = _shares(store, "ccg", "2021-04-01", "icb", "2026-04-01")
    targets = {}
    for (f, t), share in got.items():
        targets.setdefault(f, {})[t] = share
    assert targets["07H"] == {"D7T5G": "1"}
    assert targets["06T"] == {"D7T5G": "1"}
    assert set(targets["06K"]) == set(targets["06N"]) == {"S1Y5D"}
    assert set(targets["06L"]) == set(targets["07K"]) == {"T6Y0W"}


def test_no_boundary_moves_from_the_change_of_census_geography(store):
    """Both 2021 and 2022 lookups are LSOA 2011: Surrey Heartlands and Frimley kept
    their areas, so no share of them lies in another ICB."""
    got = _shares(store, "ccg", "2021-04-01", "icb", "2022-07-01")
    assert {t for f, t in got if f == "92A"} == {"QXU"}
    assert {t for f, t in got if f == "D4U1Y"} == {"QNQ"}
    assert not any(r.method.startswith("LSOA cells across")
                   for r in history.crosswalk(store, "ccg", "2021-04-01", "icb", "2022-07-01"))


def test_an_unknown_part_is_a_row_of_its_own(store):
    """Newcastle Gateshead's predecessors (2014) are not divided by any lookup: the
    crosswalk says so rather than giving nothing."""
    rows = [r for r in history.crosswalk(store, "ccg", "2014-06-01", "icb", "2022-07-01")
            if r.from_code in ("00F", "00G", "00H")]
    assert len(rows) == 3 and all(r.to_code == "" and r.method.startswith("not known") for r in rows)


@pytest.mark.parametrize("flag,args", [
    ("--from-type", ("trust", "2021-04-01", "icb", "2022-07-01")),
    ("--to-type", ("ccg", "2021-04-01", "ics", "2022-07-01")),
])
def test_kinds_without_lsoa_coverage_are_refused(store, flag, args):
    from nhsgraph.errors import ParameterError

    with pytest.raises(ParameterError, match=flag.strip("-").replace("-", "_")):
        history.crosswalk(store, *args)


CELL_TOTALS = """
PREFIX nhs: <https://w3id.org/nhsgraph/def#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?org (SUM(IF(?g = 2011, ?n11, ?n21)) AS ?n) WHERE {
  ?run nhs:coveredCell ?c ; nhs:cellOrganisation ?org ; nhs:censusGeography ?g ; nhs:startDate ?s .
  OPTIONAL { ?run nhs:endDate ?e }
  ?org nhs:kind ?kind .
  ?c nhs:lsoa2011Count ?n11 ; nhs:lsoa2021Count ?n21 .
  FILTER(?s <= ?day && COALESCE(?e, "9999-12-31"^^xsd:date) >= ?day)
} GROUP BY ?org
"""
AREA_TOTALS = """
PREFIX nhs: <https://w3id.org/nhsgraph/def#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?org (SUM(?n) AS ?total) WHERE {
  ?cov nhs:coveringOrganisation ?org ; nhs:lsoaCount ?n ; nhs:startDate ?s .
  OPTIONAL { ?cov nhs:endDate ?e }
  ?org nhs:kind ?kind .
  FILTER(?s <= ?day && COALESCE(?e, "9999-12-31"^^xsd:date) >= ?day)
} GROUP BY ?org
"""


def test_cells_add_up_to_the_district_coverage_on_every_boundary_day(store):
    """On every day a cell record starts, for every kind, each organisation's cells hold
    as many LSOAs as its district coverage records: so every crosswalk between any two
    of these days and kinds divides exactly the LSOAs the lookups give each organisation."""
    import pyoxigraph as ox

    from nhsgraph import queries

    days = sorted({r["s"].value for r in store.query(
        "PREFIX nhs: <https://w3id.org/nhsgraph/def#> "
        "SELECT DISTINCT ?s { { ?r nhs:coveredCell ?c } UNION { ?r nhs:coveredArea ?a } "
        "?r nhs:startDate ?s }")})
    assert len(days) >= 12
    checked = 0
    for kind in history.CROSSWALK_KINDS:
        term = ox.NamedNode(f"https://w3id.org/nhsgraph/def/kind/{kind}")
        for day in days:
            bound = {"kind": term, "day": ox.Literal(day, datatype=ox.NamedNode(
                "http://www.w3.org/2001/XMLSchema#date"))}
            cells = {r["org"].value: int(r["n"].value)
                     for r in store.query(queries.with_values(CELL_TOTALS, bound))}
            areas = {r["org"].value: int(r["total"].value)
                     for r in store.query(queries.with_values(AREA_TOTALS, bound))}
            assert cells == areas, (kind, day)
            checked += len(cells)
    assert checked > 2000  # (organisation, day) pairs compared
