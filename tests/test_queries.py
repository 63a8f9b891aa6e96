"""Every canned query answers real questions with known answers; headers are sound."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import query

from nhsgraph import queries

CATALOGUE = queries.catalogue()


def test_the_catalogue_has_every_query_the_issue_names():
    expected = {"organisations-at", "systems-at", "systems-during", "lineage", "successors-at",
                "area-history", "covering-at", "cluster-members", "changes-between",
                "counts-by-year", "board-at", "name-at", "sources-of"}
    assert expected <= set(CATALOGUE)
    assert len(CATALOGUE) >= 13


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_query_declares_prefixes_params_and_columns(name):
    q = CATALOGUE[name]
    assert q.summary and q.columns
    assert "PREFIX" in q.text
    for p in q.params:
        assert f"?_{p.name}" in q.text, f"{name}: parameter {p.name} is not used"
    for column in q.columns:
        assert f"?{column}" in q.text


def test_systems_on_2020_06_01_eighteen_are_designated_icss(store):
    rows = query(store, "systems-at", date="2020-06-01").records()
    assert len(rows) == 42
    assert sum(r["status"] == "ics" for r in rows) == 18
    assert {r["type"] for r in rows} == {"stp"}


def test_systems_at_uses_the_name_of_the_day(store):
    rows = {r["code"]: r for r in query(store, "systems-at", date="2019-01-01").records()}
    assert rows["QNX"]["name"] == "Sussex and East Surrey"
    later = {r["code"]: r for r in query(store, "systems-at", date="2020-01-01").records()}
    assert later["QNX"]["name"] == "Sussex Health and Care Partnership"


def test_systems_at_after_2022_lists_statutory_systems(store):
    rows = query(store, "systems-at", date="2022-07-01").records()
    assert len(rows) == 42 and {r["status"] for r in rows} == {"statutory-ics"}


def test_systems_during_2019(store):
    rows = query(store, "systems-during", **{"from": "2019-01-01", "to": "2019-12-31"}).records()
    assert len(rows) == 42
    assert "QHM" in {r["code"] for r in rows}
    earlier = query(store, "systems-during", **{"from": "2016-04-01", "to": "2018-12-31"}).records()
    assert len(earlier) == 45  # 44 footprints, then QHM from 2018


def test_lineage_of_north_yorkshire_ccg(store):
    rows = query(store, "lineage", code="42D").records()
    predecessors = {r["from_code"] for r in rows if r["direction"] == "predecessor" and r["event"] == "merger"}
    assert predecessors == {"03D", "03E", "03M"}
    assert {r["date"] for r in rows if r["event"] == "merger"} == {"2020-04-01"}
    icbs = {(r["to_code"], r["date"]) for r in rows if r["to_type"] == "icb"}
    assert icbs == {("QOQ", "2022-07-01")}


def test_successor_of_north_west_london_icb_on_2026_04_01(store):
    rows = query(store, "successors-at", code="QRV", date="2026-04-01").records()
    assert {(r["code"], r["name"]) for r in rows if r["type"] == "icb"} == {
        ("Z9B2Z", "NHS West and North London Integrated Care Board")}
    # the statutory ICS follows its ICB
    assert {(r["from_type"], r["code"]) for r in rows if r["type"] == "ics"} == {
        ("ics", "Z9B2Z"), ("stp", "Z9B2Z")}


def test_west_birmingham_coverage_either_side_of_2022_07_01(store):
    before = query(store, "covering-at", area="E08000025", date="2022-06-30").records()
    after = query(store, "covering-at", area="Birmingham", date="2022-07-01").records()
    ccgs = {r["code"]: r["share"] for r in before if r["type"] == "ccg"}
    # Sandwell and West Birmingham CCG (05L) merged into D2P2L on 2021-04-01 (ODS).
    assert set(ccgs) == {"15E", "D2P2L"}
    assert float(ccgs["15E"]) + float(ccgs["D2P2L"]) == pytest.approx(1.0)
    icbs = {r["code"]: r["share"] for r in after if r["type"] == "icb"}
    # The 2021 boundary review moved West Birmingham to Birmingham and Solihull ICB.
    assert {code: float(share) for code, share in icbs.items()} == {"QHL": 1.0}
    assert {r["code"] for r in after if r["type"] == "region"} == {"Y60"}


def test_area_history_shows_the_split_district(store):
    rows = query(store, "area-history", area="Birmingham").records()
    d2p2l = [r for r in rows if r["code"] == "D2P2L"]
    assert d2p2l and d2p2l[0]["start"] == "2021-04-01" and d2p2l[0]["end"] == "2022-06-30"
    assert 0 < float(d2p2l[0]["share"]) < 1


def test_cluster_members_late_2025(store):
    rows = query(store, "cluster-members", date="2025-12-01").records()
    clusters = {r["cluster"] for r in rows}
    assert "QHL-QUA" in clusters and len(clusters) == 14
    assert {r["code"] for r in rows if r["cluster"] == "QHL-QUA"} == {"QHL", "QUA"}
    assert query(store, "cluster-members", date="2024-12-01").rows == ()


def test_changes_between_the_2018_merger(store):
    rows = query(store, "changes-between", **{"from": "2018-04-01", "to": "2018-04-01"}).records()
    stp = {(r["role"], r["code"]) for r in rows if r["type"] == "stp" and r["event"] == "merger"}
    assert stp == {("from", "QMK"), ("from", "QT8"), ("from", "QVP"), ("to", "QHM")}


def test_counts_by_year_for_ccgs(store):
    rows = {r["year"]: int(r["count"]) for r in query(store, "counts-by-year", type="ccg").records()}
    assert rows["2013"] == 211 and rows["2020"] == 135 and rows["2021"] == 106
    assert "2023" not in rows


def test_name_at_follows_renaming(store):
    assert [r["name"] for r in query(store, "name-at", code="QNX", date="2019-08-31").records()
            if r["type"] == "stp"] == ["Sussex and East Surrey"]
    assert [r["name"] for r in query(store, "name-at", code="QNX", date="2019-09-01").records()
            if r["type"] == "stp"] == ["Sussex Health and Care Partnership"]


def test_sources_of_names_files_with_licences(store):
    rows = query(store, "sources-of", code="QHL").records()
    sources = {r["source"] for r in rows}
    assert {"ons-loc22-icb22-nhser22", "ons-chd-2024-07-e54"} <= sources
    assert all(r["title"] and r["publisher"] for r in rows)


def test_board_at_lists_cited_posts(store):
    rows = query(store, "board-at", code="QJ2", date="2022-11-17").records()
    if not rows:
        pytest.skip("no board data ingested yet")  # board.py is filled by issue 4
    assert any("chair" in r["post"] for r in rows)


@pytest.mark.parametrize("value", ["2019-13-45", "2022-02-30", "yesterday"])
def test_bad_dates_are_refused(nhsgraph, value):
    result = nhsgraph("query", "systems-at", "--param", f"date={value}")
    assert result.code == 2 and "parameter date" in result.err


def test_unknown_code_suggests_close_matches(nhsgraph):
    result = nhsgraph("query", "lineage", "--param", "code=42E")
    assert result.code == 2
    assert "no organisation has the code '42E'" in result.err and "did you mean" in result.err


def test_impossible_range_is_refused(nhsgraph):
    result = nhsgraph("query", "changes-between", "--param", "from=2020-01-02", "--param", "to=2020-01-01")
    assert result.code == 2 and "after" in result.err


@pytest.mark.parametrize("value", ['QHL" } UNION { ?s ?p ?o', "QHL'; DROP", "42D#", "<http://x>", "QHL\n}"])
def test_injection_through_a_code_is_refused(nhsgraph, value):
    result = nhsgraph("query", "lineage", "--param", f"code={value}")
    assert result.code == 2 and "parameter code" in result.err


def test_an_area_name_with_quotes_is_bound_as_one_literal(store):
    hostile = 'Birmingham" ) } UNION { ?s ?p ?o } #'
    canned = queries.get("area-history")
    with pytest.raises(Exception) as info:
        queries.bind(canned, {"area": hostile}, store)
    assert "no local authority district" in str(info.value)
    text = queries.with_values(canned.text, {"_area": __import__("pyoxigraph").Literal(hostile)})
    assert text.count("VALUES") == 1
    assert store.query(text).__class__.__name__ == "QuerySolutions"
    assert list(store.query(text)) == []


def test_lineage_command_draws_dot_and_mermaid(nhsgraph):
    dot = nhsgraph("lineage", "42D", "--format", "dot")
    assert dot.code == 0 and dot.out.startswith("digraph lineage {")
    assert 'ccg_03D -> ccg_42D [label="merger 2020-04-01"];' in dot.out
    mermaid = nhsgraph("lineage", "42D", "--format", "mermaid")
    assert mermaid.code == 0 and mermaid.out.startswith("flowchart LR")
    assert 'ccg_42D -- "abolition 2022-07-01" --> icb_QOQ' in mermaid.out


def test_crosswalk_ccg_2021_to_icb_2022_with_boundary_review_shares(nhsgraph):
    result = nhsgraph("crosswalk", "--from-type", "ccg", "--from-date", "2021-04-01",
                      "--to-type", "icb", "--to-date", "2022-07-01")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert len({r["from_code"] for r in rows}) == 106
    glossop = {r["to_code"]: float(r["share"]) for r in rows if r["from_code"] == "01Y"}
    assert set(glossop) == {"QOP", "QJ2"} and glossop["QOP"] + glossop["QJ2"] == pytest.approx(1.0)
    for code in {r["from_code"] for r in rows}:
        shares = [float(r["share"]) for r in rows if r["from_code"] == code and r["share"]]
        assert sum(shares) == pytest.approx(1.0, abs=0.01)


def test_crosswalk_across_the_2026_mergers(nhsgraph):
    result = nhsgraph("crosswalk", "--from-type", "icb", "--from-date", "2025-04-01",
                      "--to-type", "icb", "--to-date", "2026-04-01")
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert result.code == 0 and len({r["from_code"] for r in rows}) == 42
    assert {r["to_code"] for r in rows} <= {r for r in {r["to_code"] for r in rows}}
    nwl = [r for r in rows if r["from_code"] == "QRV"]
    assert [(r["to_code"], r["share"]) for r in nwl] == [("Z9B2Z", "1")]
    frimley = {r["to_code"] for r in rows if r["from_code"] == "QNQ"}
    assert frimley == {"QRL", "S0E4D", "S9B9J"}


def test_diff_across_the_icb_start(nhsgraph):
    result = nhsgraph("diff", "2022-06-30", "2022-07-01")
    assert result.code == 0
    assert "established  ICB QHL NHS Birmingham and Solihull Integrated Care Board" in result.out
    assert "ended        CCG 15E NHS Birmingham and Solihull CCG (last day 2022-06-30)" in result.out
    assert "Glossop" in result.out


def test_diff_refuses_a_backwards_range(nhsgraph):
    result = nhsgraph("diff", "2022-07-01", "2022-06-30")
    assert result.code == 2 and "after" in result.err
