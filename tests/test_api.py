"""The Python front door: typed results that agree with the canned queries and the CLI."""

from __future__ import annotations

import csv
import doctest
import io
from datetime import date
from decimal import Decimal

import pytest

import nhsgraph
from nhsgraph import api
from nhsgraph.errors import ParameterError

from conftest import query


@pytest.fixture(scope="module")
def g():
    return nhsgraph.Graph.open()


def test_the_package_exports_graph_and_table_lazily():
    assert nhsgraph.Graph is api.Graph and nhsgraph.Table is api.Table
    with pytest.raises(AttributeError):
        nhsgraph.NoSuchThing  # noqa: B018


def test_query_is_the_canned_query_with_typed_values(g, store):
    typed = g.query("organisations-at", date=date(2022, 7, 1), type="icb")
    plain = query(store, "organisations-at", date="2022-07-01", type="icb")
    assert typed.columns == plain.columns and len(typed) == len(plain.rows) == 42
    for mine, theirs in zip(typed, plain.records()):
        assert mine["code"] == theirs["code"]
        assert mine["start"] == date.fromisoformat(theirs["start"])
        assert mine["end"] is None if not theirs["end"] else mine["end"] == date.fromisoformat(theirs["end"])


def test_a_keyword_parameter_takes_a_trailing_underscore(g, store):
    mine = g.query("systems-during", from_="2019-01-01", to=date(2019, 12, 31))
    assert [r["code"] for r in mine] == [r["code"] for r in query(
        store, "systems-during", **{"from": "2019-01-01", "to": "2019-12-31"}).records()]


def test_crosswalk_shares_are_decimals_that_add_up(g):
    table = g.crosswalk("ccg", date(2021, 4, 1), "icb", "2022-07-01")
    by_from: dict[str, Decimal] = {}
    for row in table:
        assert isinstance(row["share"], Decimal) and isinstance(row["population_share"], Decimal)
        by_from[row["from_code"]] = by_from.get(row["from_code"], Decimal(0)) + row["share"]
    assert len(by_from) == 106
    assert all(abs(total - 1) <= Decimal("0.0005") for total in by_from.values())


def test_errors_name_the_parameter_not_a_flag(g):
    with pytest.raises(ParameterError) as caught:
        g.crosswalk("ccg", "2021-13-01", "icb", "2022-07-01")
    assert "from_date" in str(caught.value) and "--" not in str(caught.value)
    with pytest.raises(ParameterError, match="not a date or a string"):
        g.query("organisations-at", date=20220701)


def test_to_csv_round_trips_and_writes_a_file(g, tmp_path):
    table = g.query("name-at", code="QHL", date="2022-07-01")
    path = tmp_path / "out.csv"
    text = table.to_csv(path)
    assert path.read_text(encoding="utf-8") == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["code"] for r in rows] == [r["code"] for r in table]
    assert rows[0]["start"] == table[0]["start"].isoformat()


def test_to_pandas_gives_a_frame_or_says_how_to_install_it(g):
    table = g.query("organisations-at", date="2022-07-01", type="icb")
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ParameterError, match=r"nhsgraph\[pandas\]"):
            table.to_pandas()
        return
    frame = table.to_pandas()
    assert list(frame.columns) == list(table.columns) and len(frame) == 42


def test_sparql_lineage_diff_and_export(g, triples):
    assert g.sparql("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")[0]["n"] == len(triples)
    assert any(r["to_code"] == "42D" for r in g.lineage("03D"))
    assert any("QHL" in line for line in g.diff("2022-06-30", "2022-07-01"))
    assert g.export("nt").count("\n") == len(triples)


def test_a_graph_from_another_data_folder(tmp_path):
    from nhsgraph import resources, store

    built = nhsgraph.Graph.open(data_dir=resources.folder("data"))
    assert len(built.store) == len(store.compile_graph())


def test_the_module_docstring_example_runs():
    failures, tried = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert tried >= 4 and failures == 0
