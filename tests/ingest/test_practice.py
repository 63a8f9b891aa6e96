"""GP practices against the ODS files and practice maps they come from, row by row.

The files are read here with the csv module (not the ingest code), and each
row is looked for in the built graph (the session ``store``):

- every English GP practice of epraccur, with its dates, and its current
  commissioner with the join date;
- every epcmem row whose parent is a CCG of the graph;
- every practice map row, on the map's day (and, for 2026, the ICB through
  the sub-ICB location);
- invariants: a bounded day is a true interval; no practice is certainly in two
  commissioners on one day.
"""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from datetime import date

import pytest

from nhsgraph import resources
from nhsgraph.terms import ID

RAW = resources.folder("data") / "raw"
FAR = date(9999, 12, 31)
GENERATED = date(2019, 8, 30)  # epcmem was generated on this day
MAPS = ((date(2020, 9, 1), "nhsd-gp-practice-map-2020-09", "CCG_CODE"),
        (date(2022, 1, 1), "nhsd-gp-practice-map-2022-01", "CCG_CODE"),
        (date(2026, 1, 1), "nhsd-gp-practice-map-2026-01", "SUB_ICB_LOCATION_CODE"))


def ods_day(text: str) -> date | None:
    return date(int(text[:4]), int(text[4:6]), int(text[6:])) if text else None


def gz_rows(path) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def epraccur() -> dict[str, list[str]]:
    rows = gz_rows(RAW / "ods-epraccur-2025-09" / "epraccur.csv.gz")
    return {r[0]: r for r in rows if r[25] == "4" and r[2] != "W00"}


@pytest.fixture(scope="module")
def epcmem() -> list[list[str]]:
    return gz_rows(RAW / "ods-epcmem-2019-08" / "epcmem.csv.gz")


def _select(store, text: str):
    return list(store.query(text))


def _value(term):
    if term is None:
        return None
    v = term.value
    return date.fromisoformat(v) if len(v) == 10 and v[4] == "-" else v


@pytest.fixture(scope="module")
def graph(store):
    """Practices (dates, name) and their memberships, read from the built graph."""
    orgs = {}
    for r in _select(store, """
        PREFIX nhs: <https://w3id.org/nhsgraph/def#>
        PREFIX nhskind: <https://w3id.org/nhsgraph/def/kind/>
        SELECT ?code ?start ?end WHERE {
          ?p nhs:kind nhskind:practice ; nhs:odsCode ?code ; nhs:startDate ?start .
          OPTIONAL { ?p nhs:endDate ?end } }"""):
        orgs[r["code"].value] = (_value(r["start"]), _value(r["end"]))
    members = defaultdict(list)
    for r in _select(store, """
        PREFIX nhs: <https://w3id.org/nhsgraph/def#>
        PREFIX nhskind: <https://w3id.org/nhsgraph/def/kind/>
        PREFIX org: <http://www.w3.org/ns/org#>
        SELECT ?code ?parent ?s ?es ?ls ?e ?ee ?le WHERE {
          ?p nhs:kind nhskind:practice ; nhs:odsCode ?code .
          ?m org:member ?p ; org:organization ?parent .
          OPTIONAL { ?m nhs:startDate ?s } OPTIONAL { ?m nhs:earliestStart ?es }
          OPTIONAL { ?m nhs:latestStart ?ls } OPTIONAL { ?m nhs:endDate ?e }
          OPTIONAL { ?m nhs:earliestEnd ?ee } OPTIONAL { ?m nhs:latestEnd ?le } }"""):
        members[r["code"].value].append({k: _value(r[k]) for k in ("parent", "s", "es", "ls", "e", "ee", "le")})
    conflicts = {r["about"].value.rsplit("/", 1)[-1] for r in _select(store, """
        PREFIX nhs: <https://w3id.org/nhsgraph/def#>
        SELECT ?about WHERE { ?c a nhs:ConflictNote ; nhs:about ?about }""")}
    return orgs, members, conflicts


def certainly(m: dict, day: date) -> bool:
    first = m["s"] or m["ls"]
    last = m["e"] or m["ee"] or (FAR if m["le"] is None else None)
    return first <= day <= last


def possibly(m: dict, day: date) -> bool:
    first = m["s"] or m["es"]
    last = m["e"] or m["le"] or FAR
    return first <= day <= last


def commissioner(m: dict) -> str:
    return m["parent"].removeprefix(ID)


def test_every_english_gp_practice_of_epraccur_is_a_practice_with_its_dates(graph, epraccur):
    orgs, _, _ = graph
    assert set(orgs) == set(epraccur)
    for code, row in epraccur.items():
        assert orgs[code] == (ods_day(row[10]), ods_day(row[11])), code


def test_every_practice_is_in_its_epraccur_commissioner_from_the_join_date(graph, epraccur, epcmem):
    orgs, members, conflicts = graph
    earlier_joins = defaultdict(set)  # epcmem keeps the CCG-era join where epraccur keeps the PCT's
    for r in epcmem:
        earlier_joins[(r[0], r[1])].add(ods_day(r[3]))
    checked = 0
    for code, row in epraccur.items():
        parent, join, left = row[14], ods_day(row[15]), ods_day(row[16])
        day = left or date(2025, 9, 1)
        found = [m for m in members[code] if commissioner(m) in (f"ccg/{parent}", f"sub-icb/{parent}")
                 and certainly(m, day)]
        if not found and not any(commissioner(m).endswith(f"/{parent}") for m in members[code]):
            continue  # a PCT or Welsh LHB commissioner (not modelled)
        assert found, (code, parent, day)
        starts = {m["s"] for m in members[code] if commissioner(m).endswith(f"/{parent}") and m["s"]}
        if code not in conflicts:
            assert starts & ({join} | earlier_joins[(code, parent)]
                             | {date(2013, 4, 1), date(2022, 7, 1)}), (code, parent, join, starts)
        checked += 1
    assert checked > 8000


def test_every_epcmem_row_with_a_ccg_parent_is_a_membership(graph, epraccur, epcmem, store):
    orgs, members, conflicts = graph
    ccgs = {r["c"].value: (_value(r["s"]), _value(r["e"]) or FAR) for r in _select(store, """
        PREFIX nhs: <https://w3id.org/nhsgraph/def#>
        PREFIX nhskind: <https://w3id.org/nhsgraph/def/kind/>
        SELECT ?c ?s ?e WHERE { ?o nhs:kind nhskind:ccg ; nhs:odsCode ?c ; nhs:startDate ?s .
                                OPTIONAL { ?o nhs:endDate ?e } }""")}
    checked = 0
    for practice, parent, _, join, left, _ in epcmem:
        if practice not in epraccur or parent not in ccgs:
            continue
        ccg_start, ccg_end = ccgs[parent]
        opened, closed = orgs[practice][0], orgs[practice][1] or FAR
        # The row, clipped to the lives of the CCG and the practice.
        first = max(ods_day(join), ccg_start, opened)
        left_day = min(ods_day(left), ccg_end, closed) if left else None
        held = left_day if left_day else min(max(ods_day(join), GENERATED), ccg_end, closed)
        if first > held:
            continue
        mine = [m for m in members[practice] if commissioner(m) == f"ccg/{parent}"]
        assert any(possibly(m, first) and possibly(m, held) for m in mine), \
            (practice, parent, join, left, mine)
        assert any(m["s"] == first for m in mine) or practice in conflicts, (practice, parent, join, mine)
        if left_day:
            assert any(m["e"] == left_day for m in mine), (practice, parent, left, mine)
        elif practice not in conflicts:
            assert any(certainly(m, held) for m in mine), (practice, parent, mine)
        checked += 1
    assert checked > 9000
    # The rows left out are those of PCTs, PCGs, LHBs and other prescribing settings.
    assert all(r[1] not in ccgs or r[0] not in epraccur for r in epcmem if ods_day(r[3]) < date(2013, 4, 1))


@pytest.mark.parametrize("day, source, column", MAPS)
def test_every_practice_map_row_holds_on_its_day(graph, store, day, source, column):
    orgs, members, conflicts = graph
    with (RAW / source / "gp-reg-pat-prac-map.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    kind = "ccg" if column == "CCG_CODE" else "sub-icb"
    icbs = {}
    if kind == "sub-icb":
        for r in _select(store, f"""
            PREFIX nhs: <https://w3id.org/nhsgraph/def#>
            PREFIX org: <http://www.w3.org/ns/org#>
            PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            SELECT ?s ?i WHERE {{
              ?m org:member ?loc ; org:organization ?icb ; nhs:startDate ?start .
              ?loc nhs:kind <https://w3id.org/nhsgraph/def/kind/sub-icb> ; nhs:odsCode ?s .
              ?icb nhs:kind <https://w3id.org/nhsgraph/def/kind/icb> ; nhs:odsCode ?i .
              OPTIONAL {{ ?m nhs:endDate ?end }}
              FILTER(?start <= "{day}"^^xsd:date && COALESCE(?end, "9999-12-31"^^xsd:date) >= "{day}"^^xsd:date) }}"""):
            icbs[r["s"].value] = r["i"].value
    checked = 0
    for row in rows:
        code = row["PRACTICE_CODE"]
        if code not in orgs or code in conflicts:
            continue
        target = f"{kind}/{row[column]}"
        assert any(commissioner(m) == target and certainly(m, day) for m in members[code]), \
            (code, target, day, members[code])
        if kind == "sub-icb":
            assert icbs[row[column]] == row["ICB_CODE"], (code, row[column])
        checked += 1
    assert checked > 6000


def test_bounds_are_intervals_and_no_practice_is_surely_in_two_commissioners(graph):
    _, members, _ = graph
    for code, found in members.items():
        for m in found:
            assert (m["s"] is None) != (m["es"] is None), (code, m)
            assert m["es"] is None or m["es"] < m["ls"], (code, m)
            assert m["ee"] is None or m["ee"] < m["le"], (code, m)
            assert m["e"] is None or m["ee"] is None, (code, m)
        for day in (date(2014, 1, 1), date(2019, 6, 1), date(2020, 1, 1), date(2021, 1, 1),
                    date(2023, 1, 1), date(2026, 4, 1)):
            assert sum(certainly(m, day) for m in found) <= 1, (code, day, found)


def test_the_densham_surgery_answers_of_the_issue(graph):
    _, members, _ = graph
    found = members["A81001"]
    held = {day: [commissioner(m) for m in found if certainly(m, day)]
            for day in (date(2019, 6, 1), date(2021, 1, 1), date(2023, 1, 1))}
    assert held == {date(2019, 6, 1): ["ccg/00K"], date(2021, 1, 1): ["ccg/16C"],
                    date(2023, 1, 1): ["sub-icb/16C"]}
