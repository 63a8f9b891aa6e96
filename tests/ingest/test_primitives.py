"""The shared ingest primitives: snapshot runs, code maps, Code History versions."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nhsgraph.errors import DataError
from nhsgraph.ingest.chd import Version, versions
from nhsgraph.ingest.codes import CodeMap
from nhsgraph.ingest.readers import Row
from nhsgraph.ingest.snapshots import Run, Snapshot, snapshot_runs
from nhsgraph.temporal import Interval, day_before

D = [date(2017 + i, 4, 1) for i in range(6)]


def snaps(*members_by_year: dict) -> list[Snapshot]:
    return [Snapshot(D[i], f"s{i}", m) for i, m in enumerate(members_by_year)]


def test_a_pair_in_consecutive_snapshots_is_one_run_citing_each():
    runs = snapshot_runs(snaps({"a": None}, {"a": None}, {"a": None}))
    assert runs == {"a": [Run(D[0], None, ("s0", "s1", "s2"))]}


def test_a_pair_that_leaves_ends_the_day_before_the_first_snapshot_without_it():
    runs = snapshot_runs(snaps({"a": None, "b": None}, {"b": None}, {"a": None, "b": None}))
    assert runs["a"] == [Run(D[0], day_before(D[1]), ("s0",)), Run(D[2], None, ("s2",))]
    assert runs["b"] == [Run(D[0], None, ("s0", "s1", "s2"))]


def test_a_cap_ends_the_run_early_and_a_capped_run_does_not_join_the_next():
    cap = date(2017, 12, 31)
    runs = snapshot_runs(snaps({"a": cap}, {"a": None}))
    assert runs["a"] == [Run(D[0], cap, ("s0",)), Run(D[1], None, ("s1",))]
    runs = snapshot_runs(snaps({"a": day_before(D[1])}, {"a": None}))
    assert runs["a"] == [Run(D[0], None, ("s0", "s1"))]


@given(st.lists(st.sets(st.sampled_from("abc")), min_size=1, max_size=6))
def test_runs_hold_exactly_on_the_snapshots_that_list_the_key(listed):
    runs = snapshot_runs(snaps(*({k: None for k in keys} for keys in listed)))
    for key in "abc":
        for i, keys in enumerate(listed):
            held = any(Interval(r.start, r.end).contains(D[i]) for r in runs.get(key, []))
            assert held == (key in keys), (key, i)
        for r in runs.get(key, []):  # every run starts on a snapshot that lists it
            assert r.start in D and key in listed[D.index(r.start)]


ROW = Row({}, "data/x.csv", 7)


def test_a_code_map_refuses_a_second_pairing_and_names_the_row():
    codes = CodeMap("CCG")
    codes.add("E38000001", "00C", ROW)
    codes.add("E38000001", "00C", ROW)
    assert dict(codes) == {"E38000001": "00C"} and len(codes) == 1
    with pytest.raises(DataError, match=r"data/x.csv:7: E38000001 is CCG 00D here but 00C in"):
        codes.add("E38000001", "00D", ROW)


def test_rule_found_pairs_never_override_stated_ones():
    codes = CodeMap("STP", {"E1": "QAA"})
    codes.update_from({"E1": "QBB", "E2": "QCC"})
    assert dict(codes) == {"E1": "QAA", "E2": "QCC"}


def test_code_history_versions_are_typed_and_in_file_order():
    data = {"areas": {"E1": [
        {"date": {"s": "2013-04-01", "e": "2019-03-31"}, "nm": "Old", "parent": "E9"},
        {"date": {"s": "2019-04-01"}, "nm": "New"},
    ]}}
    assert versions(data, where="f.json") == {"E1": (
        Version("E1", Interval(date(2013, 4, 1), date(2019, 3, 31)), "Old", "E9"),
        Version("E1", Interval(date(2019, 4, 1)), "New", None),
    )}


@pytest.mark.parametrize("data, message", [
    ({"areas": []}, "not an ONS Code History Database file"),
    ({"areas": {"E1": [{"nm": "x"}]}}, "not an ONS Code History Database file"),
    ({"areas": {"E1": [{"date": {"s": "2013-13-01"}, "nm": "x"}]}}, "E1: a version has no valid"),
    ({"areas": {"E1": [{"date": {"s": "2013-04-01", "e": "2012-01-01"}, "nm": "x"}]}},
     "E1: a version has no valid"),
])
def test_a_malformed_code_history_file_is_refused_with_its_name(data, message):
    with pytest.raises(DataError, match=f"f.json: {message}"):
        versions(data, where="f.json")
