"""The April 2026 map against ODS's change summary itself (tab "ICB Footprints").

Every sub-ICB location the workbook lists must, on 2026-04-01, be in the ICB
of the name it is listed under, carry the new name it is listed with, and
have all its LSOAs in that ICB. The counts of 2026-04-01 come from the
summary's six new ICBs replacing twelve.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from nhsgraph import history
from nhsgraph.ingest import readers

from conftest import query

ROOT = Path(__file__).resolve().parent.parent
DAY = "2026-04-01"


def _workbook() -> Path:
    with open(ROOT / "data" / "sources" / "files.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["id"] == "ods-icb-mergers-2026")
    return ROOT / "data" / row["file"]


def footprints() -> dict[str, tuple[str, str]]:
    """Sub-ICB location code -> (its ICB's name, its own name), as the tab lists them."""
    rows = readers.read_xlsx_sheet(_workbook(), "ICB Footprints", display="ICB Footprints")
    out: dict[str, tuple[str, str]] = {}
    icb = None
    for row in rows:
        b, c, d = (row.values.get(k, "").strip() for k in "BCD")
        if b.upper().endswith("INTEGRATED CARE BOARD"):
            icb = b
        elif b:
            icb = None
        if icb and re.fullmatch(r"[0-9A-Z]{3,5}", c):
            out[c] = (icb, d)
    return out


FOOTPRINTS = footprints()


def test_the_tab_lists_the_sub_icb_locations_of_the_seven_icbs():
    assert len({icb for icb, _ in FOOTPRINTS.values()}) == 7  # six new ICBs and QRL
    assert len(FOOTPRINTS) >= 25


def _parents(store, day):
    rows = query(store, "organisations-at", date=day, type="icb").records()
    return {r["code"]: r["name"] for r in rows}


def test_every_listed_location_is_in_its_icb_with_its_new_name(store):
    icbs = {name.upper(): code for code, name in _parents(store, DAY).items()}
    subs = {r["code"]: r["name"] for r in query(store, "organisations-at", date=DAY, type="sub-icb").records()}
    walk = {(r.from_code, r.to_code): r.share
            for r in history.crosswalk(store, "sub-icb", DAY, "icb", DAY)}
    for code, (icb_name, sub_name) in FOOTPRINTS.items():
        assert icb_name.upper() in icbs, f"{icb_name} is not an ICB on {DAY}"
        assert subs.get(code, "").upper() == sub_name.upper(), code
        assert walk.get((code, icbs[icb_name.upper()])) == "1", code


@pytest.mark.parametrize("kind", ["icb", "ics"])
def test_36_icbs_and_statutory_icss_on_2026_04_01(store, kind):
    assert len(query(store, "organisations-at", date=DAY, type=kind).rows) == 36
