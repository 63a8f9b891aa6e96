"""The interval logic (nhsgraph.temporal), property-based where it can be."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nhsgraph.errors import ParameterError
from nhsgraph.temporal import (
    Allen,
    Interval,
    check_range,
    coalesce,
    day_after,
    day_before,
    parse_date,
)

days = st.dates(min_value=date(2010, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def intervals(draw):
    start = draw(days)
    if draw(st.booleans()):
        return Interval(start, None)
    length = draw(st.integers(min_value=0, max_value=4000))
    return Interval(start, start + timedelta(days=length))


@given(intervals(), intervals())
def test_exactly_one_allen_relation_and_its_converse(a, b):
    rel = a.relation(b)
    assert isinstance(rel, Allen)
    assert b.relation(a) is rel.converse


@given(intervals(), intervals())
def test_overlap_agrees_with_allen(a, b):
    disjoint = {Allen.BEFORE, Allen.AFTER, Allen.MEETS, Allen.MET_BY}
    assert a.overlaps(b) == (a.relation(b) not in disjoint)


@given(intervals(), days)
def test_contains_matches_the_sparql_form(a, d):
    # The form every canned query uses: start <= D && COALESCE(end, 9999-12-31) >= D.
    sparql = a.start <= d and (a.end or date(9999, 12, 31)) >= d
    assert a.contains(d) == sparql


@given(intervals(), intervals())
def test_intersection_is_exactly_the_shared_days(a, b):
    common = a.intersection(b)
    assert (common is None) == (not a.overlaps(b))
    if common is not None:
        for d in (common.start, common.end or date(2031, 1, 1)):
            assert a.contains(d) and b.contains(d)


@given(intervals())
def test_meets_means_the_next_day(a):
    assume(a.end is not None)
    follower = Interval(day_after(a.end))
    assert a.is_followed_by(follower)
    assert a.relation(follower) is Allen.MEETS
    assert not a.overlaps(follower)


@pytest.mark.parametrize(
    "last_day, first_day",
    [(date(2022, 6, 30), date(2022, 7, 1)), (date(2026, 3, 31), date(2026, 4, 1))],
)
def test_boundary_days(last_day, first_day):
    ccg = Interval(date(2013, 4, 1), last_day)
    icb = Interval(first_day)
    assert ccg.contains(last_day) and not ccg.contains(first_day)
    assert icb.contains(first_day) and not icb.contains(last_day)
    assert ccg.relation(icb) is Allen.MEETS
    assert day_before(first_day) == last_day and day_after(last_day) == first_day


def test_open_ends_bb_bu_ub_uu():
    bounded = Interval(date(2016, 1, 1), date(2018, 1, 1))
    unbounded = Interval(date(2017, 1, 1))
    assert bounded.relation(unbounded) is Allen.OVERLAPS
    assert unbounded.relation(bounded) is Allen.OVERLAPPED_BY
    assert Interval(date(2017, 1, 1)).relation(unbounded) is Allen.EQUALS
    assert Interval(date(2016, 1, 1)).relation(unbounded) is Allen.FINISHED_BY
    assert bounded.relation(Interval(date(2016, 1, 1), date(2018, 1, 1))) is Allen.EQUALS


def test_an_interval_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        Interval(date(2022, 7, 1), date(2022, 6, 30))


@pytest.mark.parametrize("text", ["2019-13-45", "2022-02-30", "22-07-01", "2022/07/01", "", "today"])
def test_parse_date_refuses_what_is_not_a_date(text):
    with pytest.raises(ParameterError) as info:
        parse_date(text, what="parameter date")
    assert "parameter date" in str(info.value)


@given(days)
def test_parse_date_reads_iso(d):
    assert parse_date(d.isoformat()) == d


def test_check_range_refuses_from_after_to():
    with pytest.raises(ParameterError, match="after"):
        check_range(date(2020, 1, 2), date(2020, 1, 1))
    check_range(date(2020, 1, 1), date(2020, 1, 1))


@given(st.lists(st.tuples(intervals(), st.sampled_from("ab")), max_size=6))
def test_coalesce_keeps_the_same_days_per_value(runs):
    merged = coalesce(runs)
    probe = [date(2010, 1, 1) + timedelta(days=90 * i) for i in range(90)]
    for value in "ab":
        before = {d for d in probe for i, v in runs if v == value and i.contains(d)}
        after = {d for d in probe for i, v in merged if v == value and i.contains(d)}
        assert before == after
    for (i1, v1), (i2, v2) in zip(merged, merged[1:]):
        if v1 == v2:
            assert not i1.overlaps(i2) and not i1.is_followed_by(i2)
