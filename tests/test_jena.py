"""An independent engine agrees: Apache Jena's SHACL gives the same results as pySHACL.

The same shapes (``shapes/*.ttl``, plus the optional rule sets a fixture
imports) run in Jena 4.5 (Debian's ``libapache-jena-java``, through
``scripts/jena-shacl``) over the same data: every fixture in
``tests/shapes/``, every example in ``examples/`` (each with the ontology, as
``nhsgraph validate FILE`` does) and the shipped graph (``nhsgraph export
--format nt``, which holds the ontology). For each, the two engines must give
the same verdict and the same set of (focus node, source shape, severity).

Jena runs its own SPARQL-based targets (SHACL-AF ``sh:SPARQLTarget``), where
nhsgraph evaluates them with Oxigraph before handing the shapes to pySHACL
(``nhsgraph.validate.resolve_sparql_targets``), so this also checks that step.

Cost: a JVM start and load is 1.5-2 s, so the fixtures and examples are merged
into one data file per rule-set combination, each file's instance IRIs tagged
with its own suffix (``~3``) so that no rule can join facts of two files; the
results are mapped back by the tag. Three Jena runs in all.

Jena's ``shacl validate`` exits 0 on data that does not conform, so the report
(Turtle on stdout) is read instead of the exit code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from test_shapes import EXAMPLES, SH, load_fixtures, pyshacl_results, results

from nhsgraph import validate
from nhsgraph.store import ontology_triples

ROOT = Path(__file__).resolve().parent.parent
JENA = ROOT / "scripts" / "jena-shacl"
INSTANCES = ("https://w3id.org/nhsgraph/id/", "https://example.org/")


def _jena_available() -> bool:
    return Path("/usr/share/java/jena-shacl.jar").exists() and shutil.which("java") is not None


pytestmark = pytest.mark.skipif(
    not _jena_available() and os.geteuid() != 0 and not os.environ.get("CI"),
    reason="Apache Jena is not installed and this is not root or CI "
    "(scripts/setup-test-env installs default-jre-headless and libapache-jena-java as root)",
)


def _tag(term: ox.Term, tag: str) -> ox.Term:
    if isinstance(term, ox.NamedNode) and term.value.startswith(INSTANCES):
        return ox.NamedNode(f"{term.value}~{tag}")
    if isinstance(term, ox.BlankNode):
        return ox.BlankNode(f"t{tag}x{term.value}")
    return term


def _untag(iri: str) -> tuple[str, str]:
    """(original IRI, tag) of a tagged focus node."""
    base, _sep, tag = iri.rpartition("~")
    assert base, f"an untagged focus node came back from Jena: {iri}"
    return base, tag


def _jena(shapes: rdflib.Graph, data: list[ox.Triple], tmp_path: Path, name: str) -> rdflib.Graph:
    assert _jena_available(), "Jena must be installed here (CI installs it with scripts/setup-test-env)"
    shapes_file = tmp_path / f"{name}.shapes.ttl"
    shapes_file.write_text(shapes.serialize(format="turtle"), encoding="utf-8")
    data_file = tmp_path / f"{name}.data.nt"
    with data_file.open("w", encoding="utf-8") as out:
        for t in data:
            out.write(f"{t} .\n")
    done = subprocess.run(
        [str(JENA), "validate", "--shapes", str(shapes_file), "--data", str(data_file)],
        check=False, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = rdflib.Graph().parse(data=done.stdout, format="turtle")
    assert list(report.subjects(rdflib.RDF.type, SH.ValidationReport)), done.stdout[:2000]
    return report


def _conforms(report: rdflib.Graph) -> bool:
    node = next(report.subjects(rdflib.RDF.type, SH.ValidationReport))
    return bool(report.value(node, SH.conforms).toPython())


def _by_tag(report: rdflib.Graph) -> dict[str, set[tuple[str, str, str]]]:
    out: dict[str, set[tuple[str, str, str]]] = {}
    for focus, shape, severity in results(report):
        base, tag = _untag(focus)
        out.setdefault(tag, set()).add((base, shape, severity))
    return out


def _merged_run(cases: dict[str, list[ox.Triple]], rule_sets: list[Path], tmp_path: Path, name: str):
    data = [ox.Triple(_tag(t.subject, tag), t.predicate, _tag(t.object, tag))
            for tag, triples in cases.items() for t in triples]
    data.extend(ontology_triples())
    report = _jena(validate.shapes_graph(rule_sets), data, tmp_path, name)
    return report, _by_tag(report)


def test_jena_agrees_on_every_fixture(tmp_path):
    fixtures = load_fixtures()
    groups: dict[tuple[Path, ...], list] = {}
    for fixture in fixtures:
        groups.setdefault(fixture.rule_sets, []).append(fixture)
    checked = 0
    for n, (rule_sets, members) in enumerate(sorted(groups.items())):
        cases = {str(i): list(f.data) for i, f in enumerate(members)}
        report, found = _merged_run(cases, list(rule_sets), tmp_path, f"fixtures-{n}")
        disagreements = {}
        for i, fixture in enumerate(members):
            jena = found.get(str(i), set())
            ours = set(pyshacl_results(fixture.name))
            if jena != ours:
                disagreements[fixture.name] = {"jena only": sorted(jena - ours), "pyshacl only": sorted(ours - jena)}
            checked += 1
        assert not disagreements, disagreements
        assert _conforms(report) == (not found)
    assert checked == len(fixtures)


def test_jena_agrees_on_every_example(tmp_path):
    examples = sorted(EXAMPLES.glob("*.ttl"))
    assert len(examples) >= 8
    cases = {str(i): validate.read_rdf(path) for i, path in enumerate(examples)}
    _report, found = _merged_run(cases, [], tmp_path, "examples")
    for i, path in enumerate(examples):
        ours = validate.validate_triples(cases[str(i)])
        mine = results(ours.graph)
        assert found.get(str(i), set()) == mine, path.name
        jena_violates = any(sev == "Violation" for _f, _s, sev in found.get(str(i), set()))
        assert jena_violates == (not ours.conforms()), path.name


def test_jena_agrees_on_the_shipped_graph(nhsgraph, tmp_path):
    exported = tmp_path / "nhsgraph.nt"
    assert nhsgraph("export", "--format", "nt", "-o", str(exported)).code == 0
    triples = validate.read_rdf(exported)
    report = _jena(validate.shapes_graph(), triples, tmp_path, "shipped")
    ours = validate.validate_embedded()
    jena = results(report)
    mine = results(ours.graph)
    assert jena == mine, {"jena only": sorted(jena - mine)[:20], "pyshacl only": sorted(mine - jena)[:20]}
    assert _conforms(report) == (not mine)
    assert (not any(sev == "Violation" for _f, _s, sev in jena)) == ours.conforms()
