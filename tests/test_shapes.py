"""The SHACL shapes: self-describing fixtures, the examples and ``nhsgraph validate``.

Each ``tests/shapes/*.test.ttl`` holds data and a ``dash:GraphValidationTestCase``
whose ``dash:expectedResult`` is the exact set of (focus node, source shape,
severity) results, validated as ``nhsgraph validate FILE`` would: the data with
the ontology, against every ``shapes/*.ttl`` plus the optional rule sets the
case names with ``owl:imports``. ``dcterms:subject`` names the rules a case
exercises; every rule must have a case that breaks it and one that does not.
See ``tests/shapes/README.md`` for the format.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from nhsgraph import validate

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "shapes"
EXAMPLES = ROOT / "examples"
SHAPES = ROOT / "shapes"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
DASH = rdflib.Namespace("http://datashapes.org/dash#")
NHSSHAPE = "https://w3id.org/nhsgraph/shapes#"
QE1 = "https://w3id.org/nhsgraph/id/icb/QE1"
TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target)
#: Fewer fixtures than this means a glob or a filter lost some.
MIN_FIXTURES = 80

Result = tuple[str, str, str]  # (focus node, source shape, severity), as strings


@dataclass(frozen=True)
class Fixture:
    name: str
    path: Path
    data: tuple[ox.Triple, ...]
    expected: frozenset[Result]
    expected_conforms: bool
    subjects: frozenset[str]
    rule_sets: tuple[Path, ...]


def optional_rule_sets() -> dict[str, Path]:
    """Ontology IRI -> file, for the rule sets under shapes/optional/."""
    out = {}
    for path in sorted((SHAPES / "optional").glob("*.ttl")):
        graph = rdflib.Graph().parse(path)
        for iri in graph.subjects(rdflib.RDF.type, rdflib.OWL.Ontology):
            out[str(iri)] = path
    return out


def rules(paths: list[Path]) -> set[str]:
    """The rules of some shapes files: the named shapes that have a target."""
    graph = rdflib.Graph()
    for path in paths:
        graph.parse(path)
    return {str(s) for t in TARGETS for s in graph.subjects(t, None) if isinstance(s, rdflib.URIRef)}


@functools.cache
def load_fixtures() -> tuple[Fixture, ...]:
    imports = optional_rule_sets()
    out = []
    for path in sorted(FIXTURES.glob("*.test.ttl")):
        triples = validate.read_rdf(path)
        graph = validate.to_rdflib(triples)
        cases = list(graph.subjects(rdflib.RDF.type, DASH.GraphValidationTestCase))
        assert len(cases) == 1, f"{path.name}: one dash:GraphValidationTestCase per file"
        case = cases[0]
        report = graph.value(case, DASH.expectedResult)
        expected = frozenset(
            (str(graph.value(r, SH.focusNode)), str(graph.value(r, SH.sourceShape)),
             str(graph.value(r, SH.resultSeverity)).rsplit("#", 1)[-1])
            for r in graph.objects(report, SH.result)
        )
        conforms = graph.value(report, SH.conforms)
        assert conforms is not None, f"{path.name}: the expected report states sh:conforms"
        # The test case and its expected report are metadata, not data.
        meta = {ox.NamedNode(str(case))}
        frontier = [ox.NamedNode(str(case))]
        while frontier:
            node = frontier.pop()
            for t in triples:
                if t.subject == node and isinstance(t.object, ox.BlankNode) and t.object not in meta:
                    meta.add(t.object)
                    frontier.append(t.object)
        data = tuple(t for t in triples if t.subject not in meta)
        rule_sets = []
        for iri in graph.objects(case, rdflib.OWL.imports):
            assert str(iri) in imports, f"{path.name}: owl:imports <{iri}> is not a rule set in shapes/optional/"
            rule_sets.append(imports[str(iri)])
        out.append(Fixture(
            name=path.name[: -len(".test.ttl")], path=path, data=data, expected=expected,
            expected_conforms=bool(conforms.toPython()),
            subjects=frozenset(str(s) for s in graph.objects(case, rdflib.DCTERMS.subject)),
            rule_sets=tuple(rule_sets),
        ))
    return tuple(out)


def results(report_graph: rdflib.Graph) -> set[Result]:
    """The (focus, source shape, severity) set of a sh:ValidationReport graph.

    Only the report's own sh:result values: pySHACL also types the nested
    sh:detail results of sh:node as sh:ValidationResult.
    """
    return {
        (str(report_graph.value(r, SH.focusNode)), str(report_graph.value(r, SH.sourceShape)),
         str(report_graph.value(r, SH.resultSeverity)).rsplit("#", 1)[-1])
        for report in report_graph.subjects(rdflib.RDF.type, SH.ValidationReport)
        for r in report_graph.objects(report, SH.result)
    }


@functools.cache
def pyshacl_results(name: str) -> frozenset[Result]:
    fixture = next(f for f in load_fixtures() if f.name == name)
    report = validate.validate_triples(list(fixture.data), rule_sets=list(fixture.rule_sets))
    return frozenset(results(report.graph))


def _short(results_: set[Result] | frozenset[Result]) -> list[tuple[str, str, str]]:
    return sorted((f, s.replace(NHSSHAPE, "nhsshape:"), sev) for f, s, sev in results_)


# -- the fixtures ------------------------------------------------------------------


def test_the_fixtures_are_all_collected():
    assert len(load_fixtures()) >= MIN_FIXTURES


@pytest.mark.parametrize("name", [f.name for f in load_fixtures()])
def test_fixture(name):
    fixture = next(f for f in load_fixtures() if f.name == name)
    got = pyshacl_results(name)
    assert _short(got) == _short(fixture.expected)
    assert fixture.expected_conforms == (not fixture.expected), "sh:conforms disagrees with the results"


def test_every_rule_has_a_breaking_and_a_conforming_fixture():
    all_rules = rules(sorted(SHAPES.glob("*.ttl")) + sorted((SHAPES / "optional").glob("*.ttl")))
    assert len(all_rules) >= 70
    broken = {shape for f in load_fixtures() for _focus, shape, _sev in f.expected}
    conforming = {s for f in load_fixtures() for s in f.subjects
                  if s not in {shape for _focus, shape, _sev in f.expected}}
    unknown = {s for f in load_fixtures() for s in f.subjects} - all_rules
    assert not unknown, f"fixtures name rules that do not exist: {sorted(unknown)}"
    assert not all_rules - broken, f"rules without a breaking fixture: {sorted(all_rules - broken)}"
    assert not all_rules - conforming, f"rules without a conforming fixture: {sorted(all_rules - conforming)}"


def test_every_shape_is_documented():
    """Each rule has a label, a source to cite and (Core rules) a message; severity is explicit."""
    graph = rdflib.Graph()
    for path in sorted(SHAPES.glob("*.ttl")) + sorted((SHAPES / "optional").glob("*.ttl")):
        graph.parse(path)
    for rule in rules(sorted(SHAPES.glob("*.ttl")) + sorted((SHAPES / "optional").glob("*.ttl"))):
        node = rdflib.URIRef(rule)
        assert rule.startswith(NHSSHAPE), rule
        assert graph.value(node, rdflib.RDFS.label), f"{rule}: no rdfs:label"
        assert list(graph.objects(node, rdflib.RDFS.seeAlso)), f"{rule}: no rdfs:seeAlso"
        assert graph.value(node, SH.severity) in (SH.Violation, SH.Warning, SH.Info), f"{rule}: no sh:severity"
        messages = list(graph.objects(node, SH.message)) + [
            m for c in graph.objects(node, SH.sparql) for m in graph.objects(c, SH.message)]
        assert messages, f"{rule}: no sh:message"


def test_statute_is_a_violation_and_policy_a_warning():
    graph = rdflib.Graph()
    for path in sorted(SHAPES.glob("*.ttl")):
        graph.parse(path)
    statute = "https://www.legislation.gov.uk/"
    policy = "https://england.nhs.uk/long-read/guidance-on-integrated-care-board-constitutions-and-governance"
    for rule in rules(sorted(SHAPES.glob("*.ttl"))):
        node = rdflib.URIRef(rule)
        cites = {str(s) for s in graph.objects(node, rdflib.RDFS.seeAlso)}
        severity = graph.value(node, SH.severity)
        if policy in cites:
            assert severity == SH.Warning, rule
        elif any(c.startswith(statute) for c in cites) and rule.startswith(NHSSHAPE + "IcbBoard"):
            assert severity == SH.Violation, rule


# -- the examples and the command line ----------------------------------------------

#: The rules each example breaks (Violation) or warns about (Warning).
EXAMPLE_RULES = {
    "board-compliant.ttl": (0, set(), set()),
    "board-no-chair.ttl": (1, {"IcbBoardChairShape"}, set()),
    "board-no-chief-executive.ttl": (1, {"IcbBoardChiefExecutiveShape"}, set()),
    "board-two-ordinary-members.ttl": (1, {"IcbBoardOrdinaryMembersShape", "IcbBoardLocalAuthorityPartnerShape"},
                                       {"IcbBoardFinanceDirectorShape", "IcbBoardMedicalDirectorShape",
                                        "IcbBoardNursingDirectorShape", "IcbBoardNonExecutiveMembersShape",
                                        "IcbBoardMentalHealthMemberShape"}),
    "board-no-trust-partner.ttl": (1, {"IcbBoardTrustPartnerShape"}, set()),
    "board-no-primary-care-partner.ttl": (1, {"IcbBoardPrimaryCarePartnerShape"}, set()),
    "board-no-local-authority-partner.ttl": (1, {"IcbBoardLocalAuthorityPartnerShape"}, set()),
    "board-policy-only.ttl": (0, set(), {"IcbBoardNursingDirectorShape", "IcbBoardNonExecutiveMembersShape",
                                         "IcbBoardMentalHealthMemberShape"}),
}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.ttl")) == sorted(EXAMPLE_RULES)


@pytest.mark.parametrize("name", sorted(EXAMPLE_RULES))
def test_example_exit_code_and_rules(nhsgraph, name):
    code, violations, warnings = EXAMPLE_RULES[name]
    path = EXAMPLES / name
    assert path.read_text(encoding="utf-8").startswith("# "), "every example starts with a comment"
    result = nhsgraph("validate", str(path), "--format", "json")
    assert result.code == code, result.out + result.err
    found = json.loads(result.out)["results"]
    assert {r["shape"].removeprefix(NHSSHAPE) for r in found if r["severity"] == "Violation"} == violations
    assert {r["shape"].removeprefix(NHSSHAPE) for r in found if r["severity"] == "Warning"} == warnings
    assert {r["focus"] for r in found} <= {QE1}
    if violations:
        text = nhsgraph("validate", str(path))
        assert text.code == 1
        for rule in violations:
            assert f"rule: {NHSSHAPE}{rule}" in text.out


def test_strict_fails_on_policy_warnings(nhsgraph):
    assert nhsgraph("validate", str(EXAMPLES / "board-policy-only.ttl")).code == 0
    result = nhsgraph("validate", str(EXAMPLES / "board-policy-only.ttl"), "--strict")
    assert result.code == 1
    assert "Warning: An ICB board has a director of nursing" in result.out
    assert nhsgraph("validate", str(EXAMPLES / "board-compliant.ttl"), "--strict").code == 0


def test_the_wikipedia_rules_apply_only_when_asked(nhsgraph):
    compliant = str(EXAMPLES / "board-compliant.ttl")
    assert "Wikipedia" not in nhsgraph("validate", compliant).out
    result = nhsgraph("validate", compliant, "--rules", str(SHAPES / "optional" / "wikipedia-board-size.shapes.ttl"))
    assert result.code == 0  # severity Info never fails a run
    assert f"rule: {NHSSHAPE}WikipediaBoardExecutivesShape" in result.out
    assert nhsgraph("validate", compliant, "--strict", "--rules",
                    str(SHAPES / "optional" / "wikipedia-board-size.shapes.ttl")).code == 0


def test_an_example_finds_the_same_with_the_history(nhsgraph):
    """With --with-history the example's own findings are unchanged (the history adds the ICB's dates)."""
    path = str(EXAMPLES / "board-no-chair.ttl")
    alone = json.loads(nhsgraph("validate", path, "--format", "json").out)["results"]
    together = json.loads(nhsgraph("validate", path, "--with-history", "--format", "json").out)["results"]
    def key(r):
        return r["severity"], r["shape"], r["focus"], r["value"]

    mine = [key(r) for r in together if r["focus"] == QE1 or r["focus"].startswith("https://example.org/")]
    assert mine == [key(r) for r in alone]
    assert any(r["shape"] == NHSSHAPE + "IcbBoardChairShape" for r in alone)


def test_a_malformed_file_exits_2_with_its_line(nhsgraph, tmp_path):
    broken = tmp_path / "my-board.ttl"
    text = (EXAMPLES / "board-compliant.ttl").read_text(encoding="utf-8")
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "org:role nhspost:chair" in line)
    lines[number - 1] = lines[number - 1].replace("nhspost:chair ;", '"chair ;')  # an unterminated string
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = nhsgraph("validate", str(broken))
    assert result.code == 2
    assert f"{broken}:{number}" in result.err, result.err
    assert "Traceback" not in result.err


def test_an_unknown_rule_set_exits_2(nhsgraph):
    result = nhsgraph("validate", str(EXAMPLES / "board-compliant.ttl"), "--rules", "no-such-rules.ttl")
    assert result.code == 2
    assert "no-such-rules.ttl" in result.err


def test_the_shipped_graph_conforms(nhsgraph):
    result = nhsgraph("validate")
    assert result.code == 0, result.out[-3000:]


# -- drift: every term the shapes use is defined in the ontology ---------------------

_TERM_PREFIXES = {
    "nhs": "https://w3id.org/nhsgraph/def#",
    "nhskind": "https://w3id.org/nhsgraph/def/kind/",
    "nhspost": "https://w3id.org/nhsgraph/def/post/",
    "nhsstatus": "https://w3id.org/nhsgraph/def/status/",
    "nominator": "https://w3id.org/nhsgraph/def/nominator/",
}


def _terms_used_by_shapes() -> list[str]:
    used: set[str] = set()
    for path in sorted(SHAPES.glob("*.ttl")) + sorted((SHAPES / "optional").glob("*.ttl")):
        graph = rdflib.Graph().parse(path)
        for triple in graph:
            for term in triple:
                if isinstance(term, rdflib.URIRef) and str(term).startswith(tuple(_TERM_PREFIXES.values())):
                    used.add(str(term))
        for query in graph.objects(None, SH.select):  # prefixed names inside SPARQL text
            for prefix, local in re.findall(r"\b(nhs|nhskind|nhspost|nhsstatus|nominator):([A-Za-z][\w-]*)", str(query)):
                used.add(_TERM_PREFIXES[prefix] + local)
    return sorted(used)


@functools.cache
def _defined_terms() -> set[str]:
    graph = rdflib.Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(path)
    return {str(s) for s in graph.subjects(rdflib.RDFS.label, None)}


@pytest.mark.parametrize("term", _terms_used_by_shapes())
def test_every_term_the_shapes_use_is_defined(term):
    assert term in _defined_terms()
