"""A second engine agrees: every canned query gives the same rows on Jena ARQ as on Oxigraph.

Both engines get the same query text (parameters bound with the same VALUES
block) over the same data (the embedded graph's N-Triples). Rows must be
equal in order too: every canned query orders its rows completely. Numeric
literals are compared by value, since engines may print 1 or 1.0 for the same
xsd:decimal. rdflib's agreement is checked on synthetic data by
tests/test_benchmark_regression.py (it is too slow on the full graph for a
test suite).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from nhsgraph import engine, queries
from nhsgraph import store as embedded
from nhsgraph.results import from_sparql_json

ROOT = Path(__file__).resolve().parent.parent
JENA = ROOT / "scripts" / "jena-shacl"
SAMPLES = {"date": "2022-07-01", "code": "QHL", "type": "icb", "area": "Birmingham",
           "from": "2019-01-01", "to": "2019-12-31"}
CATALOGUE = queries.catalogue()
NUMERIC = {"http://www.w3.org/2001/XMLSchema#" + t for t in ("decimal", "integer", "int", "long", "double")}


def _jena_available() -> bool:
    return Path("/usr/share/java/jena-arq.jar").exists() and shutil.which("java") is not None


pytestmark = pytest.mark.skipif(
    not _jena_available() and os.geteuid() != 0 and not os.environ.get("CI"),
    reason="Apache Jena is not installed (scripts/setup-test-env installs it when run as root)",
)


def _normal(rows):
    out = []
    for row in rows:
        cells = []
        for c in row:
            if c is not None and c.datatype in NUMERIC:
                cells.append(("number", Decimal(c.value).normalize()))
            else:
                cells.append(c)
        out.append(tuple(cells))
    return out


def test_every_canned_query_is_covered():
    assert len(CATALOGUE) >= 13


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_jena_arq_agrees_with_oxigraph(store, name, tmp_path):
    assert _jena_available(), "Jena must be installed here (CI installs it)"
    canned = CATALOGUE[name]
    params = {p.name: SAMPLES.get(p.name, SAMPLES.get(p.type)) for p in canned.params}
    bindings = queries.bind(canned, params, store)
    ours = engine.run_oxigraph(store, canned.text, bindings)
    query_file = tmp_path / f"{name}.rq"
    query_file.write_text(queries.with_values(canned.text, bindings), encoding="utf-8")
    done = subprocess.run(
        [str(JENA), "--class", "arq.arq", "--data", str(embedded.build().ntriples),
         "--query", str(query_file), "--results=json"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    theirs = from_sparql_json(json.loads(done.stdout))
    assert theirs.columns == ours.columns
    assert _normal(theirs.rows) == _normal(ours.rows)
