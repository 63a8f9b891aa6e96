"""SHACL validation of the embedded graph or of users' own files.

The shapes are ``shapes/*.shapes.ttl``. The data graph is the user's files
(or the embedded history) together with the ontology, so that
``sh:targetClass`` reaches instances of subclasses through the ontology's
``rdfs:subClassOf`` triples without running inference.

pySHACL runs over an rdflib memory graph: over an Oxigraph-backed graph it is
quadratic (``../shared/research/toolchain.md`` §2.3).

A :class:`Report` holds the findings; ``conforms`` is false only when a
finding has severity Violation (warnings never fail a run unless ``strict``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from nhsgraph import resources
from nhsgraph.errors import DataError, InputError
from nhsgraph.store import ontology_triples, parse_file

FORMATS = ("text", "turtle", "json")
SH = "http://www.w3.org/ns/shacl#"
_SUFFIX_FORMAT = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


@dataclass(frozen=True)
class Finding:
    severity: str  # Violation, Warning or Info
    shape: str
    focus: str
    path: str | None
    value: str | None
    message: str
    focus_label: str = ""
    rule_label: str = ""
    see_also: tuple[str, ...] = ()


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    graph: Any = None  # the sh:ValidationReport as an rdflib Graph

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Warning"]

    def conforms(self, *, strict: bool = False) -> bool:
        return not self.violations and not (strict and self.warnings)


def read_rdf(path: Path) -> list[ox.Triple]:
    """Parse a user's RDF file, by its suffix.

    Raises:
        DataError: the file is missing, unreadable or malformed (with its line).
    """
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", path=str(path))
    if path.is_dir():
        raise DataError("is a directory, not a file", path=str(path), hint="name the RDF files inside it")
    fmt = _SUFFIX_FORMAT.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"unknown RDF file type {path.suffix or '(no suffix)'!r}", path=str(path),
            hint="use .ttl, .nt, .jsonld or .rdf",
        )
    try:
        return parse_file(path, fmt)
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", path=str(path), hint="save the file as UTF-8") from None
    except ValueError as exc:  # pyoxigraph reports some encoding errors this way
        raise DataError(f"cannot be parsed ({exc})", path=str(path)) from None


def to_rdflib(triples: list[ox.Triple]) -> Any:
    """An rdflib memory graph of the triples (via canonical N-Triples)."""
    import rdflib

    graph = rdflib.Graph()
    if triples:
        graph.parse(data="".join(f"{t} .\n" for t in triples), format="nt")
    return graph


def shapes_graph(extra: list[Path] | None = None) -> Any:
    import rdflib

    graph = rdflib.Graph()
    folder = resources.folder("shapes")
    for path in sorted(folder.glob("*.ttl")) + list(extra or []):
        for triple in parse_file(path, ox.RdfFormat.TURTLE):
            graph.add(_rdflib_triple(triple))
    return graph


def _rdflib_triple(t: ox.Triple) -> tuple[Any, Any, Any]:
    import rdflib

    def conv(term: ox.Term) -> Any:
        if isinstance(term, ox.NamedNode):
            return rdflib.URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return rdflib.BNode(term.value)
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))

    return conv(t.subject), conv(t.predicate), conv(t.object)


def validate_triples(data: list[ox.Triple], *, with_ontology: bool = True,
                     rule_sets: list[Path] | None = None) -> Report:
    """Validate triples against the shapes and return the report."""
    import pyshacl

    triples = list(data) + (ontology_triples() if with_ontology else [])
    graph = to_rdflib(triples)
    shapes = shapes_graph(rule_sets)
    _conforms, report_graph, _text = pyshacl.validate(
        graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
    )
    return Report(_findings(report_graph, graph, shapes), report_graph)


def validate_files(paths: list[Path], *, with_history: bool = False,
                   rule_sets: list[Path] | None = None) -> Report:
    from nhsgraph import store

    triples: list[ox.Triple] = []
    for path in paths:
        triples.extend(read_rdf(path))
    if with_history:
        triples.extend(store.triples())
    return validate_triples(triples, rule_sets=rule_sets)


def validate_embedded(rule_sets: list[Path] | None = None) -> Report:
    from nhsgraph import store

    return validate_triples(store.triples(), with_ontology=False, rule_sets=rule_sets)


def _findings(report: Any, data: Any, shapes: Any) -> list[Finding]:
    import rdflib

    SHN = rdflib.Namespace(SH)
    RDFS_LABEL = rdflib.RDFS.label
    SEE_ALSO = rdflib.RDFS.seeAlso
    PREF = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
    ODS = rdflib.URIRef("https://w3id.org/nhsgraph/def#odsCode")
    ONS = rdflib.URIRef("https://w3id.org/nhsgraph/def#onsCode")
    out = []
    for result in report.subjects(rdflib.RDF.type, SHN.ValidationResult):
        severity = str(report.value(result, SHN.resultSeverity)).rsplit("#", 1)[-1]
        shape = report.value(result, SHN.sourceShape)
        focus = report.value(result, SHN.focusNode)
        path = report.value(result, SHN.resultPath)
        value = report.value(result, SHN.value)
        message = report.value(result, SHN.resultMessage)
        name = data.value(focus, PREF) or data.value(focus, RDFS_LABEL)
        code = data.value(focus, ODS) or data.value(focus, ONS)
        label = " ".join(x for x in (str(name) if name else "", f"({code})" if code else "") if x)
        # A property shape's label and citations are on its node shape too.
        rule = shape
        parents = list(shapes.subjects(SHN.property, shape))
        owner = parents[0] if parents else shape
        rule_label = shapes.value(owner, RDFS_LABEL) or shapes.value(shape, rdflib.URIRef(SH + "name"))
        see = tuple(sorted(str(s) for s in set(shapes.objects(owner, SEE_ALSO)) | set(shapes.objects(shape, SEE_ALSO))))
        out.append(Finding(
            severity=severity,
            shape=str(owner if isinstance(owner, rdflib.URIRef) else rule),
            focus=str(focus),
            path=str(path) if path is not None else None,
            value=str(value) if value is not None else None,
            message=str(message) if message else "",
            focus_label=label,
            rule_label=str(rule_label) if rule_label else "",
            see_also=see,
        ))
    return sorted(out, key=lambda f: (f.severity != "Violation", f.shape, f.focus, f.path or "", f.value or ""))


def format_report(report: Report, fmt: str, *, strict: bool = False) -> str:
    if fmt == "turtle":
        return report.graph.serialize(format="turtle")
    if fmt == "json":
        return json.dumps({
            "conforms": report.conforms(strict=strict),
            "violations": len(report.violations),
            "warnings": len(report.warnings),
            "results": [f.__dict__ | {"see_also": list(f.see_also)} for f in report.findings],
        }, indent=1, ensure_ascii=False) + "\n"
    if fmt != "text":
        raise InputError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    lines = []
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        groups[(f.severity, f.shape)].append(f)
    for (severity, shape), items in sorted(groups.items(), key=lambda kv: (kv[0][0] != "Violation", kv[0][1])):
        first = items[0]
        lines.append(f"{severity}: {first.rule_label or shape} ({len(items)})")
        lines.append(f"  rule: {shape}")
        for see in first.see_also:
            lines.append(f"  see: {see}")
        for f in items:
            who = f.focus_label or f.focus
            lines.append(f"  - {who} <{f.focus}>: {f.message}" + (f" [value: {f.value}]" if f.value else ""))
        lines.append("")
    verdict = "conforms" if report.conforms(strict=strict) else "does not conform"
    lines.append(f"{verdict}: {len(report.violations)} violation(s), {len(report.warnings)} warning(s)")
    return "\n".join(lines) + "\n"
