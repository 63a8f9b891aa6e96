"""Area coverage by date (issue 3): districts, LSOA counts and their records.

Three groups of tests:

- the reading and aggregation of the ONS LSOA lookups, on the raw files;
- the records built from them (coalescing, clipping, shares), on the raw
  files with ONS-to-ODS maps built here from the ONS names-and-codes files,
  standing in for the code maps the ccg and stp steps provide;
- the same properties on the final graph (the session ``store``).
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from types import MappingProxyType

import pytest

from nhsgraph import resources
from nhsgraph.build import GraphBuilder
from nhsgraph.errors import BuildError, DataError
from nhsgraph.ingest import STEPS, area, coverage, lsoa, sources
from nhsgraph.ingest.contract import needed_by
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.coverage import Coverage, Gap, Snapshot, coverage_records, resolve, share
from nhsgraph.ingest.products import CCG_CODES, ORGANISATIONS, STP_CODES
from nhsgraph.temporal import Interval
from nhsgraph.terms import ID, NHS, RDF_TYPE

#: (kind, as-at date) of every snapshot the coverage module must read.
SNAPSHOTS = {
    ("ccg", date(2015, 7, 1)), ("ccg", date(2017, 4, 1)), ("ccg", date(2018, 4, 1)),
    ("ccg", date(2019, 4, 1)), ("ccg", date(2020, 4, 1)), ("ccg", date(2021, 4, 1)),
    ("stp", date(2017, 4, 1)), ("stp", date(2018, 4, 1)), ("stp", date(2019, 4, 1)),
    ("stp", date(2020, 4, 1)), ("stp", date(2021, 4, 1)),
    ("sub-icb", date(2022, 7, 1)), ("sub-icb", date(2024, 4, 1)),
    ("icb", date(2022, 7, 1)), ("icb", date(2024, 4, 1)),
}
BIRMINGHAM = "E08000025"


def new_context() -> Context:
    ctx = Context(data_dir=resources.folder("data"), builder=GraphBuilder())
    ctx.run(sources.STEP)
    return ctx


def dev_maps(ctx: Context) -> dict:
    """Stand-ins for ``ccg_ons_to_ods`` and ``stp_ons_to_ods``, from ONS files.

    The ONS names-and-codes files give the ODS code of every 2020 and 2021
    code; the 2017-2019 STP codes that ONS retired before 2020 have no ODS
    code in any ONS file and keep their ONS code here (the stp module maps
    them from the ODS partner mapping).
    """
    ccg: dict[str, str] = {}
    stp: dict[str, str] = {}
    for row in ctx.rows("ons-ccg21-stp21-cal21"):
        ccg[row["CCG21CD"]] = row["CCG21CDH"]
        stp[row["STP21CD"]] = row["STP21CDH"]
    for row in ctx.rows("ons-stp20-nc"):
        stp[row["STP20CD"]] = row["STP20CDH"]
    for source, column in (("ons-ccg17-stp17", "STP17CD"), ("ons-ccg18-stp18", "STP18CD"),
                           ("ons-ccg19-stp19", "STP19CD")):
        for row in ctx.rows(source):
            stp.setdefault(row[column], row[column])
    return {CCG_CODES: ccg, STP_CODES: stp}


@pytest.fixture(scope="module")
def snapshots() -> tuple[Snapshot, ...]:
    return coverage.read_snapshots(new_context())


@pytest.fixture(scope="module")
def dev() -> Context:
    """The steps coverage depends on, and coverage (not the whole build)."""
    ctx = Context(data_dir=resources.folder("data"), builder=GraphBuilder())
    for step in needed_by(STEPS, coverage.STEP):
        ctx.run(step)
    return ctx


def raw_rows(source: str) -> list[dict[str, str]]:
    """The rows of a registered raw CSV file, read here without the ingest readers."""
    with open(resources.folder("data") / "sources" / "files.csv", encoding="utf-8") as f:
        (row,) = [r for r in csv.DictReader(f) if r["id"] == source]
    path = resources.folder("data") / row["file"]
    with (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz"
          else open(path, encoding="utf-8")) as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def lad23() -> dict[str, str]:
    """The English LAD 2022 codes that ONS recoded in 2023, to their LAD 2023 code."""
    return {r["ltla22_code"]: r["ltla23_code"] for r in raw_rows("ons-lad22-lad23")
            if r["ltla22_code"] != r["ltla23_code"] and r["ltla22_code"].startswith("E")}


@pytest.fixture(scope="module")
def icb24_by_lad23(lad23) -> dict[str, Counter[str]]:
    """LSOAs of each 2023 unitary authority per ICB (ODS code), from the three raw files."""
    lad22 = {r["lsoa21_code"]: r["ltla22_code"] for r in raw_rows("ons-lsoa11-lsoa21-lad22")}
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for r in raw_rows("ons-lsoa21-sicbl24-icb24"):
        lad = lad22[r["lsoa21_code"]]
        if lad in lad23:
            found[lad23[lad]][r["icb24_code_nhs"]] += 1
    return found


def snapshot(snapshots, kind: str, as_at: date) -> Snapshot:
    (found,) = [s for s in snapshots if s.kind == kind and s.as_at == as_at]
    return found


# -- reading the lookups ----------------------------------------------------------------

def test_every_kind_has_its_snapshots(snapshots):
    assert {(s.kind, s.as_at) for s in snapshots} == SNAPSHOTS
    for s in snapshots:
        assert len(s.counts) > 300, (s.kind, s.as_at)


def test_every_lsoa_is_counted_once_per_snapshot(snapshots):
    for s in snapshots:
        assert sum(s.totals.values()) == (33_755 if s.as_at.year == 2024 else 32_844)
        assert sum(s.counts.values()) == sum(s.totals.values())
        by_lad: dict[str, int] = defaultdict(int)
        for (_, lad), count in s.counts.items():
            assert count > 0
            by_lad[lad] += count
        assert by_lad == dict(s.totals), (s.kind, s.as_at)


def test_snapshots_cite_the_joined_and_bridging_files(snapshots):
    assert snapshot(snapshots, "stp", date(2019, 4, 1)).sources == (
        "ons-lsoa11-ccg19-lad19", "ons-ccg19-stp19")
    assert snapshot(snapshots, "stp", date(2020, 4, 1)).sources == (
        "ons-lsoa11-ccg20-lad20", "ons-ccg20-stp20")
    assert snapshot(snapshots, "icb", date(2024, 4, 1)).sources == (
        "ons-lsoa21-sicbl24-icb24", "ons-lsoa11-lsoa21-lad22", "ons-lad22-lad23")
    assert snapshot(snapshots, "ccg", date(2017, 4, 1)).sources == (
        "ons-lsoa11-ccg17-stp17-lad17",)


def test_codes_needing_a_map_name_it(snapshots):
    needs = {(s.kind, s.as_at.year): s.lookup for s in snapshots if s.lookup}
    assert needs == {
        ("ccg", 2021): CCG_CODES,
        ("stp", 2017): STP_CODES, ("stp", 2018): STP_CODES,
        ("stp", 2019): STP_CODES, ("stp", 2021): STP_CODES,
    }


def test_birmingham_is_split_between_two_ccgs_in_2021(snapshots):
    s = snapshot(snapshots, "ccg", date(2021, 4, 1))
    split = {org: n for (org, lad), n in s.counts.items() if lad == BIRMINGHAM}
    # Birmingham and Solihull CCG (15E) and Black Country and West Birmingham CCG (D2P2L).
    assert split == {"E38000220": 547, "E38000250": 92}
    assert s.totals[BIRMINGHAM] == 639


def test_the_2020_stp_join_follows_the_ccgs(snapshots):
    ccg = snapshot(snapshots, "ccg", date(2020, 4, 1))
    stp = snapshot(snapshots, "stp", date(2020, 4, 1))
    assert {o: n for (o, lad), n in ccg.counts.items() if lad == BIRMINGHAM} == {
        "15E": 547, "05L": 92}
    assert {o: n for (o, lad), n in stp.counts.items() if lad == BIRMINGHAM} == {
        "QHL": 547, "QUA": 92}


def test_lad_codes_are_districts_named_by_a_lookup():
    codes = coverage.lad_codes(new_context())
    assert len(codes) == 338
    assert all(code[:3] in area.CHD for code in codes)
    assert codes["E06000028"] == ("ons-lsoa11-ccg15-lad15", "ons-lsoa11-ccg17-stp17-lad17",
                                  "ons-lsoa11-ccg18-stp18-lad18")  # Bournemouth, to 2019


def test_the_2024_lookup_names_the_districts_of_2023(snapshots, lad23):
    """The 2024 LSOAs reach districts through LAD 2022 codes, recoded to LAD 2023."""
    assert len(lad23) == 17
    assert set(lad23.values()) == {"E06000063", "E06000064", "E06000065", "E06000066"}
    for kind in ("sub-icb", "icb"):
        s = snapshot(snapshots, kind, date(2024, 4, 1))
        assert set(s.totals).isdisjoint(lad23)
        for new in set(lad23.values()):
            assert s.totals[new] == sum(n for (_, lad), n in s.counts.items() if lad == new)
        lad22 = snapshot(snapshots, kind, date(2022, 7, 1))
        assert set(lad23) <= set(lad22.totals)


def test_a_district_missing_from_the_recoding_file_is_refused(tmp_path):
    ctx = new_context()
    entry = ctx.registry["ons-lad22-lad23"]
    kept = [r for r in raw_rows("ons-lad22-lad23") if r["ltla22_code"] != "E07000163"]
    path = tmp_path / "lad22_lad23.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(kept[0]))
        writer.writeheader()
        writer.writerows(kept)
    ctx.registry["ons-lad22-lad23"] = replace(entry, file=str(path))
    (lookup,) = [lk for lk in lsoa.LOOKUPS if lk.recode]
    with pytest.raises(DataError, match=r"district E07000163 is not in .*lad22_lad23\.csv"):
        lsoa.read_lookup(ctx, lookup)


# -- from snapshots to records (synthetic) -----------------------------------------------

def snap(as_at: date, counts: dict, totals: dict, source: str, kind: str = "ccg") -> Snapshot:
    return Snapshot(kind, as_at, (source,), source, MappingProxyType(counts),
                    MappingProxyType(totals))


D1, D2, D3 = date(2019, 4, 1), date(2020, 4, 1), date(2021, 4, 1)


def unknown(kind: str, code: str) -> None:
    return None


def test_equal_consecutive_snapshots_merge_into_one_record_citing_both():
    series = [snap(D1, {("A", "L"): 3}, {"L": 4}, "s1"), snap(D2, {("A", "L"): 3}, {"L": 4}, "s2")]
    records, gaps = coverage_records(series, unknown)
    assert records == [Coverage("ccg", "A", "L", 3, 4, Interval(D1, None), ("s1", "s2"))]
    assert gaps == []


def test_a_change_or_an_absence_starts_a_new_record():
    series = [
        snap(D1, {("A", "L"): 3, ("B", "L"): 1}, {"L": 4}, "s1"),
        snap(D2, {("A", "L"): 4}, {"L": 4}, "s2"),
        snap(D3, {("A", "L"): 3, ("B", "L"): 1}, {"L": 4}, "s3"),
    ]
    records, _ = coverage_records(series, unknown)
    spans = {(r.org, r.count, r.span) for r in records}
    assert spans == {
        ("A", 3, Interval(D1, date(2020, 3, 31))),
        ("A", 4, Interval(D2, date(2021, 3, 31))),
        ("A", 3, Interval(D3, None)),
        ("B", 1, Interval(D1, date(2020, 3, 31))),
        ("B", 1, Interval(D3, None)),
    }


def test_records_are_clipped_to_the_organisation_and_the_district():
    lives = {("ccg", "A"): Interval(date(2013, 4, 1), date(2022, 6, 30)),
             ("lad", "L"): Interval(date(2009, 1, 1), date(2020, 12, 31))}
    series = [snap(D1, {("A", "L"): 2, ("A", "M"): 1}, {"L": 2, "M": 1}, "s1")]
    records, _ = coverage_records(series, lambda kind, code: lives.get((kind, code)))
    assert {(r.lad, r.span) for r in records} == {
        ("L", Interval(D1, date(2020, 12, 31))),
        ("M", Interval(D1, date(2022, 6, 30))),
    }


def test_an_organisation_that_did_not_exist_during_a_snapshot_is_refused():
    series = [snap(D2, {("A", "L"): 1}, {"L": 1}, "data/raw/x.csv")]
    life = Interval(date(2013, 4, 1), date(2020, 3, 31))
    with pytest.raises(DataError, match=r"ccg A covers L .* 2020-04-01.*2020-03-31") as err:
        coverage_records(series, lambda kind, code: life if kind == "ccg" else None)
    assert err.value.path == "data/raw/x.csv"


def test_a_district_that_had_ended_before_the_snapshot_is_a_gap():
    series = [snap(D1, {("A", "L"): 1}, {"L": 1}, "s1"), snap(D3, {("A", "L"): 1}, {"L": 1}, "s3")]
    life = Interval(date(2009, 1, 1), date(2020, 3, 31))
    records, gaps = coverage_records(series, lambda kind, code: life if kind == "lad" else None)
    assert [r.span for r in records] == [Interval(D1, date(2020, 3, 31))]
    assert gaps == [Gap("ccg", "A", "L", D3)]


def test_share_is_rounded_half_up_to_four_places():
    assert share(1, 3) == Decimal("0.3333")
    assert share(2, 3) == Decimal("0.6667")
    assert share(1, 16) == Decimal("0.0625")
    assert share(1, 32) == Decimal("0.0313")
    assert share(639, 639) == Decimal("1")


def test_resolve_maps_ons_codes_to_ods_and_adds_up_codes_of_one_body():
    s = Snapshot("stp", D1, ("s",), "w", MappingProxyType({("E1", "L"): 2, ("E2", "L"): 3}),
                 MappingProxyType({"L": 5}), STP_CODES)
    resolved = resolve(s, {STP_CODES: {"E1": "QXX", "E2": "QXX"}})
    assert dict(resolved.counts) == {("QXX", "L"): 5} and resolved.lookup is None
    with pytest.raises(DataError, match=f"stp E2 has no ODS code in {STP_CODES.name}"):
        resolve(s, {STP_CODES: {"E1": "QXX"}})
    with pytest.raises(DataError, match=f"no {STP_CODES.name}"):
        resolve(s, {})


# -- districts ------------------------------------------------------------------------------

def test_districts_are_defined_from_the_code_history_database(dev):
    b = dev.builder
    lads = {iri for iri in b._defined_orgs if iri.startswith(f"{ID}lad/")}
    assert len(lads) == 338
    lifetime = b.lifetime
    assert lifetime("lad", "E06000028") == Interval(date(2009, 1, 1), date(2019, 3, 31))
    assert lifetime("lad", "E06000058") == Interval(date(2019, 4, 1), None)
    names = {
        (t.subject.value, t.object.value) for t in b.triples
        if t.predicate.value == "http://www.w3.org/2004/02/skos/core#prefLabel"
        and t.subject.value.startswith(f"{ID}name/lad-E07000112/")
    }
    assert names == {(f"{ID}name/lad-E07000112/2009-01-01", "Shepway"),
                     (f"{ID}name/lad-E07000112/2018-04-01", "Folkestone and Hythe")}
    assert not any(t.predicate.value == NHS.odsCode and t.subject.value in lads
                   for t in b.triples)


def test_a_district_missing_from_the_code_history_is_refused(monkeypatch):
    ctx = new_context()
    fake = {"E07999999": ("ons-lsoa11-ccg15-lad15",)}
    monkeypatch.setattr(coverage, "lad_codes", lambda ctx: fake)
    with pytest.raises(DataError, match="district E07999999 .* has no version"):
        ctx.run(area.STEP)


# -- records with the stand-in maps ---------------------------------------------------------

def coverage_rows(ctx: Context) -> dict[str, dict[str, object]]:
    rows: dict[str, dict[str, object]] = defaultdict(dict)
    for t in ctx.builder.triples:
        if t.subject.value.startswith(f"{ID}coverage/"):
            rows[t.subject.value][t.predicate.value] = t.object.value
    return rows


def test_ingest_writes_complete_coverage_records(dev):
    rows = coverage_rows(dev)
    assert len(rows) > 2000
    for iri, row in rows.items():
        assert row[RDF_TYPE] == NHS.AreaCoverage
        for p in (NHS.coveringOrganisation, NHS.coveredArea, NHS.lsoaCount, NHS.lsoaTotal,
                  NHS.share, NHS.startDate, "http://purl.org/dc/terms/source"):
            assert p in row, (iri, p)
        count, total = int(row[NHS.lsoaCount]), int(row[NHS.lsoaTotal])
        assert 0 < count <= total
        assert Decimal(row[NHS.share]) == share(count, total)
        assert iri.endswith(f"/{row[NHS.coveredArea].rsplit('/', 1)[1]}/{row[NHS.startDate]}")
    covered = {row[NHS.coveredArea] for row in rows.values()}
    assert covered <= dev.builder._defined_orgs


def test_every_kind_and_snapshot_has_records_in_force(dev):
    rows = coverage_rows(dev).values()
    for kind, day in SNAPSHOTS:
        n = sum(1 for r in rows if r[NHS.coveringOrganisation].startswith(f"{ID}{kind}/")
                and r[NHS.startDate] <= day.isoformat() <= r.get(NHS.endDate, "9999-12-31"))
        assert n > 250, (kind, day)


def test_birmingham_records_with_the_stand_in_maps(dev):
    rows = [r for r in coverage_rows(dev).values()
            if r[NHS.coveredArea] == f"{ID}lad/{BIRMINGHAM}"
            and r[NHS.startDate] <= "2021-04-01" <= r.get(NHS.endDate, "9999-12-31")
            and r[NHS.coveringOrganisation].startswith(f"{ID}ccg/")]
    shares = {r[NHS.coveringOrganisation]: Decimal(r[NHS.share]) for r in rows}
    assert shares == {f"{ID}ccg/15E": Decimal("0.856"), f"{ID}ccg/D2P2L": Decimal("0.144")}
    assert sum(shares.values()) == 1


def test_no_snapshot_names_a_district_that_had_ended(dev, lad23):
    lifetime = dev.builder.lifetime
    for old, new in lad23.items():
        assert lifetime("lad", old).end == date(2023, 3, 31), old
        assert lifetime("lad", new) == Interval(date(2023, 4, 1), None), new
    maps = dev_maps(dev)
    for kind in coverage.KINDS:
        series = [resolve(s, maps) for s in coverage.read_snapshots(dev) if s.kind == kind]
        _, gaps = coverage_records(series, lifetime)
        assert gaps == [], kind


def test_a_missing_ons_to_ods_map_stops_the_build():
    ctx = new_context()
    ctx.run(area.STEP)
    with pytest.raises(BuildError, match="coverage needs CCG ONS-to-ODS codes, STP ONS-to-ODS"):
        ctx.run(coverage.STEP)


# -- the final graph (needs the ccg, stp, icb and sub_icb modules) --------------------------

PREFIXES = """
PREFIX nhs: <https://w3id.org/nhsgraph/def#>
PREFIX nhskind: <https://w3id.org/nhsgraph/def/kind/>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
IN_FORCE = """
?org nhs:kind nhskind:%(kind)s .
?rec nhs:coveringOrganisation ?org ; nhs:startDate ?start .
FILTER(?start <= "%(day)s"^^xsd:date)
OPTIONAL { ?rec nhs:endDate ?end }
FILTER(COALESCE(?end, "9999-12-31"^^xsd:date) >= "%(day)s"^^xsd:date)
?rec a nhs:AreaCoverage ; nhs:coveredArea ?lad ;
     nhs:lsoaCount ?count ; nhs:lsoaTotal ?total ; nhs:share ?share .
"""  # organisation first: Oxigraph takes ~3 s when the pattern starts from ?rec


def in_force(store, kind: str, day: date) -> list:
    text = (PREFIXES + "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
            "SELECT ?org ?lad ?count ?total ?share WHERE {"
            + IN_FORCE % {"kind": kind, "day": day.isoformat()} + "}")
    return list(store.query(text))


@pytest.mark.parametrize("kind, day", sorted(SNAPSHOTS))
def test_graph_counts_add_up_for_every_kind_and_snapshot(store, kind, day):
    rows = in_force(store, kind, day)
    assert len(rows) > 250
    sums: dict[str, int] = defaultdict(int)
    totals: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        sums[row["lad"].value] += int(row["count"].value)
        totals[row["lad"].value].add(int(row["total"].value))
    for lad, total in totals.items():
        assert len(total) == 1 and sums[lad] == total.pop(), (kind, day, lad)


def test_graph_shares_are_in_range_and_match_the_counts(store):
    rows = list(store.query(PREFIXES + """
        SELECT ?count ?total ?share WHERE {
          ?rec a nhs:AreaCoverage ; nhs:lsoaCount ?count ; nhs:lsoaTotal ?total ;
               nhs:share ?share }"""))
    assert len(rows) > 2000
    for row in rows:
        value = Decimal(row["share"].value)
        assert 0 < value <= 1
        assert value == share(int(row["count"].value), int(row["total"].value))


@pytest.mark.parametrize("day", [date(2024, 4, 1), date(2024, 12, 31)])
def test_graph_the_2023_districts_are_covered_by_the_icbs_of_the_2024_lookup(
        store, icb24_by_lad23, day):
    rows = in_force(store, "icb", day)
    assert set(icb24_by_lad23) == {"E06000063", "E06000064", "E06000065", "E06000066"}
    for lad, expected in icb24_by_lad23.items():
        found = [r for r in rows if r["lad"].value == f"{ID}lad/{lad}"]
        assert {r["org"].value.rsplit("/", 1)[1]: int(r["count"].value) for r in found} == dict(
            expected), lad
        assert {int(r["total"].value) for r in found} == {expected.total()}, lad
        shares = [Decimal(r["share"].value) for r in found]
        # Each share is rounded to 4 places, so their sum may miss 1 by half a unit each.
        assert abs(sum(shares) - 1) <= Decimal("0.00005") * len(shares), (lad, shares)


def test_graph_no_coverage_after_2023_points_to_an_abolished_district(store, lad23):
    abolished = " ".join(f"<{ID}lad/{lad}>" for lad in sorted(lad23))
    rows = list(store.query(PREFIXES + """
        SELECT ?lad ?end WHERE {
          VALUES ?lad { """ + abolished + """ }
          ?rec nhs:coveredArea ?lad .
          OPTIONAL { ?rec nhs:endDate ?end }
        }"""))
    assert {r["lad"].value.rsplit("/", 1)[1] for r in rows} == set(lad23)  # covered until then
    ends = {r["end"].value if r["end"] else None for r in rows}
    assert None not in ends and max(ends) == "2023-03-31"


@pytest.mark.parametrize("day, other", [(date(2021, 4, 1), "D2P2L"), (date(2020, 4, 1), "05L")])
def test_graph_birmingham_is_shared_by_two_ccgs(store, day, other):
    rows = [r for r in in_force(store, "ccg", day) if r["lad"].value == f"{ID}lad/{BIRMINGHAM}"]
    shares = {r["org"].value: Decimal(r["share"].value) for r in rows}
    assert shares == {f"{ID}ccg/15E": Decimal("0.856"), f"{ID}ccg/{other}": Decimal("0.144")}
    assert sum(shares.values()) == 1


def test_graph_coverage_lies_within_the_lifetimes_of_organisation_and_district(store):
    rows = list(store.query(PREFIXES + """
        SELECT ?rec WHERE {
          ?rec a nhs:AreaCoverage ; nhs:startDate ?s .
          OPTIONAL { ?rec nhs:endDate ?e }
          { ?rec nhs:coveringOrganisation ?x } UNION { ?rec nhs:coveredArea ?x }
          ?x nhs:startDate ?xs .
          OPTIONAL { ?x nhs:endDate ?xe }
          FILTER(?s < ?xs || COALESCE(?e, "9999-12-31"^^<http://www.w3.org/2001/XMLSchema#date>)
                 > COALESCE(?xe, "9999-12-31"^^<http://www.w3.org/2001/XMLSchema#date>))
        }"""))
    assert rows == []


def test_graph_every_covered_district_is_a_defined_district(store):
    rows = list(store.query(PREFIXES + """
        SELECT DISTINCT ?lad WHERE {
          ?rec nhs:coveredArea ?lad .
          FILTER NOT EXISTS { ?lad a nhs:LocalAuthorityDistrict ; nhs:kind nhskind:lad ;
                                   nhs:startDate ?s ; nhs:onsCode ?c ; dcterms:source ?src }
        }"""))
    assert rows == []
