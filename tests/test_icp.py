"""Integrated care partnerships: starts known only between two days, from cited evidence.

Three groups of tests:

- ``data/curated/icp.csv`` against the evidence it was curated from
  (``data/curated/icp-evidence.csv``): every bound is a dated row of it;
- the built graph (the session ``store``) against ``icp.csv``;
- the ingest module on small tables of its own, for the rows it must refuse.
"""

from __future__ import annotations

import calendar
import csv
from datetime import date

import pytest

from nhsgraph import resources
from nhsgraph.build import GraphBuilder
from nhsgraph.errors import DataError
from nhsgraph.ingest import icp
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.products import ORGANISATIONS, SOURCES
from nhsgraph.terms import DCTERMS, ID, NHS, ORG, RDF_TYPE, SKOS

DUTY = date(2022, 7, 1)  # s.116ZA LGPIHA 2007 in force: the earliest an ICP can start


def curated(name: str) -> list[dict[str, str]]:
    path = resources.folder("data") / "curated" / name
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def ids(text: str) -> set[str]:
    return {s for s in text.split(";") if s}


def upper_bound(row: dict[str, str]) -> date:
    """The last day an evidence row's date can stand for (a month or year only: its last day)."""
    day = date.fromisoformat(row["evidence_date"])
    if row["note"].startswith("MONTH-ONLY"):
        return day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if row["note"].startswith("YEAR-ONLY"):
        return date(day.year, 12, 31)
    return day


# -- the table against its evidence -----------------------------------------------------------

def test_the_table_has_one_row_per_icb_with_ordered_cited_bounds():
    rows = curated("icp.csv")
    codes = [r["icb_ods"] for r in rows]
    assert codes == sorted(set(codes)) and len(rows) >= 25
    for r in rows:
        earliest, latest = date.fromisoformat(r["earliest_start"]), date.fromisoformat(r["latest_start"])
        assert DUTY <= earliest <= latest, r
        assert ids(r["latest_source_ids"]), r
        assert bool(r["icp_name"]) == bool(ids(r["name_source_ids"])), r
        assert (earliest == DUTY) == (not ids(r["earliest_source_ids"])), r


def test_every_bound_is_a_dated_row_of_the_evidence_with_the_same_source():
    evidence = curated("icp-evidence.csv")
    for r in curated("icp.csv"):
        mine = [e for e in evidence if e["icb_code"] == r["icb_ods"] and e["evidence_date"]]
        latest = date.fromisoformat(r["latest_start"])
        backing = [e for e in mine if upper_bound(e) == latest and e["source_id"] in ids(r["latest_source_ids"])]
        assert backing, f"{r['icb_ods']}: no evidence row bounds the start by {latest}"
        assert all(e["evidence_kind"] != "council-decision" for e in backing), r["icb_ods"]
        if ids(r["earliest_source_ids"]):
            earliest = r["earliest_start"]
            assert any(e["evidence_date"] == earliest and e["source_id"] in ids(r["earliest_source_ids"])
                       for e in mine), f"{r['icb_ods']}: no evidence row dated {earliest}"


def test_every_name_is_written_so_by_a_cited_evidence_row():
    evidence = curated("icp-evidence.csv")
    for r in curated("icp.csv"):
        if r["icp_name"]:
            assert any(e["icb_code"] == r["icb_ods"] and e["icp_name"] == r["icp_name"]
                       and e["source_id"] in ids(r["name_source_ids"]) for e in evidence), r["icb_ods"]


def test_every_source_of_the_tables_is_registered():
    folder = resources.folder("data") / "sources"
    registered = {row["id"] for path in folder.glob("*.csv")
                  for row in csv.DictReader(path.open(encoding="utf-8", newline=""))}
    cited = {s for r in curated("icp.csv") for column in ("name_source_ids", "earliest_source_ids",
                                                           "latest_source_ids") for s in ids(r[column])}
    cited |= {r["source_id"] for r in curated("icp-evidence.csv")}
    assert cited and cited - registered == set()


# -- the graph against the table ----------------------------------------------------------------

def values(store, iri: str, predicate: str) -> set[str]:
    return {r["o"].value for r in store.query(f"SELECT ?o WHERE {{ <{iri}> <{predicate}> ?o }}")}


def test_every_row_yields_one_icp_with_its_bounds_and_no_other_exists(store):
    rows = {r["icb_ods"]: r for r in curated("icp.csv")}
    found = {r["p"].value for r in store.query(
        f"SELECT ?p WHERE {{ ?p <{RDF_TYPE}> <{NHS.IntegratedCarePartnership}> }}")}
    assert found == {f"{ID}icp/{code}" for code in rows}
    for code, row in rows.items():
        iri = f"{ID}icp/{code}"
        assert values(store, iri, SKOS.notation) == {code}
        if row["earliest_start"] == row["latest_start"]:
            assert values(store, iri, NHS.startDate) == {row["latest_start"]}
            assert values(store, iri, NHS.earliestStart) == set()
        else:  # recorded as bounds, never as one of them
            assert values(store, iri, NHS.startDate) == set()
            assert values(store, iri, NHS.earliestStart) == {row["earliest_start"]}
            assert values(store, iri, NHS.latestStart) == {row["latest_start"]}
        want = {f"{ID}source/{s}" for column in ("name_source_ids", "earliest_source_ids",
                                                  "latest_source_ids") for s in ids(row[column])}
        assert values(store, iri, DCTERMS.source) == want
        if row["icp_name"]:
            assert values(store, iri, SKOS.prefLabel) == {row["icp_name"]}
        else:
            (label,) = values(store, iri, SKOS.prefLabel)
            assert label.endswith("name not known")


def test_every_icp_is_part_of_its_ics_and_ends_with_its_icb(store):
    for row in curated("icp.csv"):
        code = row["icb_ods"]
        iri = f"{ID}icp/{code}"
        assert values(store, iri, ORG.subOrganizationOf) == {f"{ID}ics/{code}"}
        assert values(store, iri, NHS.endDate) == values(store, f"{ID}icb/{code}", NHS.endDate)


def test_icbs_without_evidence_have_no_icp(store):
    with_row = {r["icb_ods"] for r in curated("icp.csv")}
    icbs = {r["c"].value for r in store.query(
        "SELECT ?c WHERE { ?i <https://w3id.org/nhsgraph/def#kind> "
        "<https://w3id.org/nhsgraph/def/kind/icb> ; <https://w3id.org/nhsgraph/def#startDate> "
        "\"2022-07-01\"^^<http://www.w3.org/2001/XMLSchema#date> ; "
        "<http://www.w3.org/2004/02/skos/core#notation> ?c }")}
    assert len(icbs) == 42 and with_row <= icbs
    for code in icbs - with_row:
        assert not bool(store.query(f"ASK {{ <{ID}icp/{code}> ?p ?o }}")), code


# -- the ingest module on tables of its own -------------------------------------------------

HEADER = ("icb_ods,icp_name,name_source_ids,earliest_start,earliest_source_ids,latest_start,"
          "latest_source_ids,flags,note\n")


def run(tmp_path, lines: str, *, ics: tuple[str, ...] = ("QYG",)) -> GraphBuilder:
    (tmp_path / "curated").mkdir()
    (tmp_path / "curated" / "icp.csv").write_text(HEADER + lines, encoding="utf-8")
    builder = GraphBuilder()
    for code in ics:
        builder.add_organisation("ics", code, name=f"ICS {code}", start=DUTY, sources=["s"])
        builder.add_organisation("icb", code, name=f"NHS {code} ICB", start=DUTY, sources=["s"])
    ctx = Context(data_dir=tmp_path, builder=builder)
    for product in (SOURCES, ORGANISATIONS["ics"], ORGANISATIONS["icb"]):
        ctx.supply(product, None)
    ctx.run(icp.STEP)
    return builder


def icp_triples(builder: GraphBuilder) -> set[tuple[str, str, str]]:
    return {(t.subject.value, t.predicate.value, t.object.value) for t in builder.triples
            if t.subject.value.startswith(f"{ID}icp/")}


def test_a_row_makes_an_icp_whose_start_is_the_two_bounds(tmp_path):
    got = icp_triples(run(tmp_path, "QYG,Some Partnership,doc-n,2022-07-01,,2022-11-08,doc-a,,\n"))
    iri = f"{ID}icp/QYG"
    assert (iri, RDF_TYPE, NHS.IntegratedCarePartnership) in got
    assert (iri, ORG.subOrganizationOf, f"{ID}ics/QYG") in got
    assert (iri, NHS.earliestStart, "2022-07-01") in got
    assert (iri, NHS.latestStart, "2022-11-08") in got
    assert not any(p == NHS.startDate for s, p, o in got if s == iri)
    assert {o for s, p, o in got if p == DCTERMS.source and s == iri} == {
        f"{ID}source/doc-a", f"{ID}source/doc-n"}


def test_equal_bounds_are_an_exact_start_and_no_name_is_a_described_label(tmp_path):
    got = icp_triples(run(tmp_path, "QYG,,,2022-07-01,,2022-07-01,doc-a,,\n"))
    iri = f"{ID}icp/QYG"
    assert (iri, NHS.startDate, "2022-07-01") in got
    assert (iri, SKOS.prefLabel, "Integrated care partnership of NHS QYG ICB, name not known") in got
    assert not any(p == NHS.nameOf for s, p, o in got)


@pytest.mark.parametrize("line, message", [
    ("QYG,P,doc-n,2022-06-30,,2022-11-01,doc-a,,\n", "before the statutory duty"),
    ("QYG,P,doc-n,2022-12-01,doc-e,2022-11-01,doc-a,,\n", "before the earliest"),
    ("QZZ,P,doc-n,2022-07-01,,2022-11-01,doc-a,,\n", "no statutory ICS"),
    ("QYG,P,,2022-07-01,,2022-11-01,doc-a,,\n", "a name but no name_source_ids"),
    ("QYG,P,doc-n,2022-07-01,,2022-11-01,,,\n", "no latest_source_ids"),
    ("QYG,P,doc-n,2022-07-01,,,doc-a,,\n", "both needed"),
    ("QYG,A,doc-n,2022-07-01,,2022-11-01,doc-a,,\nQYG,B,doc-n,2022-07-01,,2022-11-01,doc-a,,\n",
     "two ICP rows"),
])
def test_bad_rows_are_refused(tmp_path, line, message):
    with pytest.raises(DataError, match=message):
        run(tmp_path, line)
