"""The CLI contract: commands, --help, exit codes, and the 42-ICB slice."""

from __future__ import annotations

import csv
import io
import json

import pytest

from nhsgraph.cli import cli

COMMANDS = sorted(cli.commands)


def test_the_contract_commands_exist():
    assert {"build", "export", "validate", "query", "sparql"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(nhsgraph, command):
    result = nhsgraph(command, "--help")
    assert result.code == 0
    assert "Example" in result.out
    assert "nhsgraph " + command in result.out or command == "build" and "nhsgraph build" in result.out


def test_top_level_help_lists_exit_codes(nhsgraph):
    result = nhsgraph("--help")
    assert result.code == 0 and "Exit codes" in result.out


@pytest.mark.parametrize("day, expected", [("2022-06-30", 0), ("2022-07-01", 42)])
def test_icbs_on_both_sides_of_2022_07_01(nhsgraph, day, expected):
    result = nhsgraph("query", "organisations-at", "--param", f"date={day}", "--param", "type=icb",
                      "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert len(rows) == expected
    assert all(r["type"] == "icb" and r["start"] == "2022-07-01" for r in rows)
    if expected:
        assert {"code", "name", "type", "start", "end"} == set(rows[0])
        codes = {r["code"] for r in rows}
        assert {"QHL", "QUA", "QMJ", "QRV", "QOP"} <= codes


def test_the_icb_slice_carries_names_ons_codes_and_regions(store):
    from conftest import query

    result = query(store, "organisations-at", date="2022-07-01", type="icb")
    by_code = {r["code"]: r for r in result.records()}
    assert by_code["QHL"]["name"] == "NHS Birmingham and Solihull Integrated Care Board"
    rows = list(store.query(
        "PREFIX nhs: <https://w3id.org/nhsgraph/def#> PREFIX org: <http://www.w3.org/ns/org#> "
        "SELECT ?ons ?region WHERE { ?icb nhs:odsCode 'QHL' ; nhs:onsCode ?ons . "
        "?m org:member ?icb ; org:organization ?r . ?r nhs:odsCode ?region }"
    ))
    assert [(r["ons"].value, r["region"].value) for r in rows] == [("E54000055", "Y60")]


def test_json_is_sparql_results_json(nhsgraph):
    result = nhsgraph("query", "organisations-at", "--param", "date=2022-07-01", "--param", "type=icb",
                      "--format", "json")
    doc = json.loads(result.out)
    assert doc["head"]["vars"] == ["code", "name", "type", "start", "end"]
    assert len(doc["results"]["bindings"]) == 42
    start = doc["results"]["bindings"][0]["start"]
    assert start == {"type": "literal", "value": "2022-07-01",
                     "datatype": "http://www.w3.org/2001/XMLSchema#date"}


def test_exit_0_on_success(nhsgraph):
    assert nhsgraph("query", "--list").code == 0


def test_exit_1_when_checks_find_problems(nhsgraph, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix nhs: <https://w3id.org/nhsgraph/def#> .\n"
        "<https://example.org/icb> a nhs:IntegratedCareBoard .\n", encoding="utf-8")
    result = nhsgraph("validate", str(bad))
    assert result.code == 1, result.out + result.err
    assert "Violation" in result.out


@pytest.mark.parametrize("args, where", [
    (("query", "organisations-at", "--param", "date=2019-13-45"), "parameter date"),
    (("query", "no-such-query"), "unknown query"),
    (("query", "organisations-at", "--param", "date=2022-07-01", "--param", "type=icbx"), "parameter type"),
    (("query", "organisations-at", "--param", "date=2022-07-01", "--format", "xml"), "--format"),
    (("query", "organisations-at"), "needs --param date"),
    (("export", "--format", "rdfxml"), "--format"),
    (("sparql", "does-not-exist.rq"), "does-not-exist.rq"),
    (("no-such-command",), "No such command"),
])
def test_exit_2_on_bad_input_naming_what_is_wrong(nhsgraph, args, where):
    result = nhsgraph(*args)
    assert result.code == 2
    assert where in result.err
    assert "Traceback" not in result.err + result.out


def test_exit_2_on_a_malformed_file_with_its_line(nhsgraph, tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:a ex:b \"open .\n", encoding="utf-8")
    result = nhsgraph("validate", str(bad))
    assert result.code == 2
    assert f"{bad}:3" in result.err


def test_exit_3_on_an_internal_error_without_a_traceback(nhsgraph, monkeypatch):
    import nhsgraph.queries as queries

    def broken(*_args, **_kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(queries, "catalogue", broken)
    result = nhsgraph("query", "--list")
    assert result.code == 3
    assert "internal error" in result.err and "simulated bug" in result.err
    assert "Traceback" not in result.err


def test_export_writes_a_file(nhsgraph, tmp_path):
    target = tmp_path / "graph.nt"
    result = nhsgraph("export", "--format", "nt", "-o", str(target))
    assert result.code == 0, result.err
    assert target.read_text(encoding="utf-8").count(" .\n") > 1000
