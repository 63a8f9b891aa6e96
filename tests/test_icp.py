"""Integrated care partnerships: made only from dated, cited rows of data/curated/icp.csv.

Two groups of tests:

- the built graph (the session ``store``) against ``icp.csv`` itself, so the
  expectations follow the table as rows gain sourced dates;
- the ingest module on small tables of its own, for the rows it must refuse or
  leave out.
"""

from __future__ import annotations

import csv
from datetime import date

import pytest

from nhsgraph import resources
from nhsgraph.build import GraphBuilder
from nhsgraph.errors import DataError
from nhsgraph.ingest import icp
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.products import ORGANISATIONS, SOURCES
from nhsgraph.terms import DCTERMS, ID, NHS, ORG, RDF_TYPE, SKOS, TIME

DUTY = date(2022, 7, 1)  # s.116ZA LGPIHA 2007 in force: the earliest an ICP can start
PRECISION_IRI = {"day": None, "month": TIME.unitMonth, "year": TIME.unitYear}


def icp_rows() -> list[dict[str, str]]:
    path = resources.folder("data") / "curated" / "icp.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def dated_rows() -> dict[str, dict[str, str]]:
    return {r["icb_ods"]: r for r in icp_rows() if r["start"].strip()}


def graph_icps(store) -> dict[str, dict[str, object]]:
    """Every ICP in the graph by IRI: its code, name, start, precision, sources and parents."""
    found: dict[str, dict[str, object]] = {}
    for row in store.query(
        f"SELECT ?p ?code ?name ?start WHERE {{ ?p <{RDF_TYPE}> <{NHS.IntegratedCarePartnership}> . "
        f"OPTIONAL {{ ?p <{SKOS.notation}> ?code }} OPTIONAL {{ ?p <{SKOS.prefLabel}> ?name }} "
        f"OPTIONAL {{ ?p <{NHS.startDate}> ?start }} }}"
    ):
        iri = row["p"].value
        entry = found.setdefault(iri, {"codes": set(), "names": set(), "starts": set(),
                                       "precision": set(), "sources": set(), "parents": set()})
        for key, var in (("codes", "code"), ("names", "name"), ("starts", "start")):
            if row[var] is not None:
                entry[key].add(row[var].value)
    for iri, entry in found.items():
        for key, pred in (("precision", NHS.startDatePrecision), ("sources", DCTERMS.source),
                          ("parents", ORG.subOrganizationOf)):
            entry[key] = {r["o"].value for r in store.query(f"SELECT ?o WHERE {{ <{iri}> <{pred}> ?o }}")}
    return found


# -- the curated table ----------------------------------------------------------------------

def test_the_table_has_one_row_per_icb_each_named_and_cited():
    rows = icp_rows()
    codes = [r["icb_ods"] for r in rows]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    for r in rows:
        assert r["icp_name"].strip(), r
        assert [s for s in r["source_ids"].split(";") if s], r
        assert bool(r["start"].strip()) == bool(r["start_precision"].strip()), r
        if r["start_precision"].strip():
            assert r["start_precision"] in PRECISION_IRI, r


def test_every_source_of_the_table_is_registered():
    path = resources.folder("data") / "sources" / "documents.csv"
    with path.open(encoding="utf-8", newline="") as f:
        registered = {r["id"] for r in csv.DictReader(f)}
    cited = {s for r in icp_rows() for s in r["source_ids"].split(";") if s}
    assert cited - registered == set()


# -- the graph against the table ------------------------------------------------------------

def test_every_dated_row_yields_exactly_one_icp_and_no_other_exists(store):
    found = graph_icps(store)
    expected = dated_rows()
    assert {f"{ID}icp/{code}" for code in expected} == set(found)
    for code, row in expected.items():
        entry = found[f"{ID}icp/{code}"]
        assert entry["codes"] == {code}
        assert entry["names"] == {row["icp_name"]}
        assert entry["starts"] == {row["start"]}
        want = PRECISION_IRI[row["start_precision"]]
        assert entry["precision"] == ({want} if want else set())


def test_rows_without_a_start_make_no_organisation(store):
    found = graph_icps(store)
    for row in icp_rows():
        if not row["start"].strip():
            assert f"{ID}icp/{row['icb_ods']}" not in found


def test_every_icp_cites_its_rows_sources(store):
    expected = dated_rows()
    for iri, entry in graph_icps(store).items():
        assert entry["sources"], f"{iri} has no dcterms:source"
        code = iri.rsplit("/", 1)[1]
        want = {f"{ID}source/{s}" for s in expected[code]["source_ids"].split(";") if s}
        assert entry["sources"] == want


def test_every_icp_starts_on_or_after_the_statutory_duty(store):
    for iri, entry in graph_icps(store).items():
        assert len(entry["starts"]) == 1, iri
        (start,) = entry["starts"]
        assert date.fromisoformat(start) >= DUTY, f"{iri} starts {start}"


def test_every_icp_is_part_of_the_existing_ics_of_its_code(store):
    for iri, entry in graph_icps(store).items():
        code = iri.rsplit("/", 1)[1]
        ics = f"{ID}ics/{code}"
        assert entry["parents"] == {ics}, iri
        rows = list(store.query(
            f"SELECT ?start ?end WHERE {{ <{ics}> <{RDF_TYPE}> <{NHS.IntegratedCareSystem}> ; "
            f"<{SKOS.notation}> \"{code}\" ; <{NHS.startDate}> ?start . "
            f"OPTIONAL {{ <{ics}> <{NHS.endDate}> ?end }} }}"
        ))
        assert len(rows) == 1, f"ICS {code} of {iri} is not in the graph"
        (start,) = entry["starts"]
        assert rows[0]["start"].value <= start
        assert rows[0]["end"] is None or start <= rows[0]["end"].value


# -- the ingest module on tables of its own -------------------------------------------------

HEADER = "icb_ods,icp_name,start,start_precision,source_ids,flags,note\n"


def run(tmp_path, lines: str, *, ics: tuple[str, ...] = ("QYG",)) -> GraphBuilder:
    (tmp_path / "curated").mkdir()
    (tmp_path / "curated" / "icp.csv").write_text(HEADER + lines, encoding="utf-8")
    builder = GraphBuilder()
    for code in ics:
        builder.add_organisation("ics", code, name=f"ICS {code}", start=DUTY, sources=["s"])
    ctx = Context(data_dir=tmp_path, builder=builder)
    ctx.supply(SOURCES, None)
    ctx.supply(ORGANISATIONS["ics"], None)
    ctx.run(icp.STEP)
    return builder


def icp_triples(builder: GraphBuilder) -> set[tuple[str, str, str]]:
    return {(t.subject.value, t.predicate.value, t.object.value) for t in builder.triples
            if t.subject.value.startswith(f"{ID}icp/")}


def test_a_dated_row_makes_an_icp_in_its_ics(tmp_path):
    b = run(tmp_path, "QYG,Some Partnership,2022-11-01,month,doc-a;doc-b,,\n")
    got = icp_triples(b)
    iri = f"{ID}icp/QYG"
    assert (iri, RDF_TYPE, NHS.IntegratedCarePartnership) in got
    assert (iri, ORG.subOrganizationOf, f"{ID}ics/QYG") in got
    assert (iri, NHS.startDate, "2022-11-01") in got
    assert (iri, NHS.startDatePrecision, TIME.unitMonth) in got
    assert {o for s, p, o in got if p == DCTERMS.source} == {f"{ID}source/doc-a", f"{ID}source/doc-b"}


def test_an_undated_row_makes_nothing(tmp_path):
    assert icp_triples(run(tmp_path, "QYG,Some Partnership,,,doc-a,,\n")) == set()


@pytest.mark.parametrize("line, message", [
    ("QYG,Some Partnership,2022-06-30,day,doc-a,,\n", "before the statutory duty"),
    ("QZZ,Some Partnership,2022-11-01,day,doc-a,,\n", "no statutory ICS"),
    ("QYG,,2022-11-01,day,doc-a,,\n", "no name"),
    ("QYG,Some Partnership,2022-11-01,day,,,\n", "no source_ids"),
    ("QYG,Some Partnership,2022-11-01,week,doc-a,,\n", "start_precision"),
    ("QYG,A,,,doc-a,,\nQYG,B,,,doc-a,,\n", "two ICP rows"),
])
def test_bad_rows_are_refused(tmp_path, line, message):
    with pytest.raises(DataError, match=message):
        run(tmp_path, line)
