"""SHACL validation of the embedded graph or of users' own files.

The shapes are ``shapes/*.shapes.ttl``. The data graph is the user's files
(or the embedded history) together with the ontology, so that
``sh:targetClass`` reaches instances of subclasses through the ontology's
``rdfs:subClassOf`` triples without running inference.

pySHACL runs over an rdflib memory graph: over an Oxigraph-backed graph it is
quadratic (``../shared/research/toolchain.md`` §2.3). Two things keep it fast
on the shipped graph: the SPARQL-based targets (SHACL-AF ``sh:SPARQLTarget``,
used by the rules that span several facts) are run once in Oxigraph and given
to pySHACL as ``sh:targetNode`` values (:func:`resolve_sparql_targets`), and
each SPARQL constraint is parsed once, not once per focus node
(:func:`_sparql_parsed_once`). The shapes files stay standard SHACL, which
``tests/test_jena.py`` checks by running them unchanged in Apache Jena.

A :class:`Report` holds the findings; ``conforms`` is false only when a
finding has severity Violation (warnings fail a run only with ``strict``;
findings of severity Info, such as the optional Wikipedia rule set's, never do).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
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

    @property
    def infos(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Info"]

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
        triples = parse_file(path, fmt)
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", path=str(path), hint="save the file as UTF-8") from None
    except ValueError as exc:  # pyoxigraph reports some encoding errors this way
        raise DataError(f"cannot be parsed ({exc})", path=str(path)) from None
    if not triples:
        raise DataError("no triples: the file is empty or was cut off", path=str(path))
    return triples


def to_rdflib(triples: list[ox.Triple]) -> Any:
    """An rdflib memory graph of the triples.

    Terms are converted directly, with a cache (IRIs and many literals repeat),
    which is about twice as fast as re-parsing N-Triples; blank node labels are
    kept, so that focus nodes found by Oxigraph are the same nodes here.
    """
    import rdflib

    graph = rdflib.Graph()
    convert = _term_converter()
    graph.addN(
        (convert(t.subject), convert(t.predicate), convert(t.object), graph) for t in triples
    )
    return graph


def _term_converter() -> Any:
    import rdflib

    xsd_string = "http://www.w3.org/2001/XMLSchema#string"
    cache: dict[ox.Term, Any] = {}

    def convert(term: ox.Term) -> Any:
        hit = cache.get(term)
        if hit is not None:
            return hit
        if isinstance(term, ox.NamedNode):
            out: Any = rdflib.URIRef(term.value)
        elif isinstance(term, ox.BlankNode):
            out = rdflib.BNode(term.value)
        elif term.language:
            out = rdflib.Literal(term.value, lang=term.language)
        elif term.datatype.value == xsd_string:
            out = rdflib.Literal(term.value)  # as rdflib's own parsers give it
        else:
            out = rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
        cache[term] = out
        return out

    return convert


#: The SHACL and SHACL-AF properties whose value is SPARQL text an engine runs.
SPARQL_TEXT = tuple(SH + name for name in ("select", "ask", "construct", "update"))


def check_shapes_sparql(triples: list[ox.Triple], path: Path, *, allow_service: bool = False) -> int:
    """Parse every SPARQL text of a shapes file (constraints, targets, rules, validators)
    and refuse an update or a SERVICE call, as for a query; returns how many were read.

    Raises:
        QueryError: a text is not SPARQL, is an update, or calls SERVICE without
            ``allow_service``; the message names the file, the node and the property.
    """
    from nhsgraph import sparql

    count = 0
    for t in triples:
        if t.predicate.value in SPARQL_TEXT:
            count += 1
            node = f"<{t.subject.value}>" if isinstance(t.subject, ox.NamedNode) else "a blank node"
            where = f"{path}: {node} sh:{t.predicate.value[len(SH):]}"
            if not isinstance(t.object, ox.Literal):
                raise InputError(f"{where} is not a literal holding SPARQL text")
            sparql.check(t.object.value, where=where, allow_service=allow_service)
    return count


def shapes_graph(extra: list[Path] | None = None, *, allow_service: bool = False) -> Any:
    """The shapes of ``shapes/*.ttl``, plus any extra rule sets (``--rules``), whose SPARQL
    texts are checked first (:func:`check_shapes_sparql`)."""
    import rdflib

    graph = rdflib.Graph()
    convert = _term_converter()
    folder = resources.folder("shapes")
    shipped = sorted(folder.glob("*.ttl"))
    for path in shipped + list(extra or []):
        triples = parse_file(Path(path), ox.RdfFormat.TURTLE)
        if path not in shipped:
            check_shapes_sparql(triples, Path(path), allow_service=allow_service)
        for t in triples:
            graph.add((convert(t.subject), convert(t.predicate), convert(t.object)))
    return graph


def sparql_target_query(shapes: Any, target: Any) -> str:
    """The text of a SPARQL-based target, with the PREFIX lines its sh:prefixes declare."""
    import rdflib

    sh = rdflib.Namespace(SH)
    lines = []
    for prefixes in shapes.objects(target, sh.prefixes):
        for declaration in shapes.objects(prefixes, sh.declare):
            lines.append(f"PREFIX {shapes.value(declaration, sh.prefix)}: "
                         f"<{shapes.value(declaration, sh.namespace)}>")
    return "\n".join(sorted(set(lines)) + [str(shapes.value(target, sh.select))])


def resolve_sparql_targets(shapes: Any, store: ox.Store) -> Any:
    """A copy of the shapes whose SPARQL-based targets are replaced by the nodes they select.

    pySHACL runs a SPARQL target with rdflib's SPARQL engine, which took minutes
    on the shipped graph for a self-join (the coverage overlap rule) that
    Oxigraph answers in about a second. The nodes a SELECT target returns do not
    depend on the engine, so each target is run once here, in Oxigraph, and
    given to pySHACL as ``sh:targetNode`` values. The shapes files themselves
    keep their standard SHACL-AF targets, which Jena runs as they are.
    """
    import rdflib

    sh = rdflib.Namespace(SH)
    runnable = rdflib.Graph()
    for triple in shapes:
        runnable.add(triple)
    selected: dict[Any, list[Any]] = {}
    convert = _term_converter()
    for shape, target in list(shapes.subject_objects(sh.target)):
        if shapes.value(target, sh.select) is None:
            continue  # not a SPARQL-based target; pySHACL handles it
        if target not in selected:
            try:
                rows = store.query(sparql_target_query(shapes, target))
            except SyntaxError as exc:
                raise InputError(f"the SPARQL target of <{shape}> is not valid SPARQL: {exc}") from None
            selected[target] = [convert(row["this"]) for row in rows if row["this"] is not None]
        runnable.remove((shape, sh.target, target))
        for node in selected[target]:
            runnable.add((shape, sh.targetNode, node))
    return runnable


_PREPARED: dict[tuple[str, str | None, tuple[tuple[str, str], ...]], Any] = {}


@contextmanager
def _sparql_parsed_once() -> Iterator[None]:
    """While pySHACL runs, parse each distinct SPARQL text once.

    pySHACL hands rdflib the text of a SPARQL constraint once per focus node,
    and rdflib parses it every time: 8 ms for a small query
    (../shared/research/toolchain.md §2.3), over 100 ms for the board rules'
    aggregate queries. rdflib's prepared queries are made to be evaluated again
    with other initial bindings, so the parsed and translated query is kept,
    keyed by its text, base and namespaces, for the life of the process (the
    patch itself is in place only while pySHACL runs).
    """
    from rdflib.plugins.sparql import processor

    original = processor.SPARQLProcessor.query
    prepared = _PREPARED

    def query(self: Any, query_object: Any, initBindings: Any = None,
              initNs: Any = None, base: str | None = None, DEBUG: bool = False) -> Any:
        if isinstance(query_object, str):
            text = _sorted_prologue(query_object)
            key = (text, base, tuple(sorted((k, str(v)) for k, v in (initNs or {}).items())))
            if key not in prepared:
                prepared[key] = processor.translateQuery(processor.parseQuery(text), base, initNs)
            query_object = prepared[key]
        return original(self, query_object, initBindings, initNs, base, DEBUG)

    processor.SPARQLProcessor.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        processor.SPARQLProcessor.query = original  # type: ignore[method-assign]


def _sorted_prologue(text: str) -> str:
    """The query with its leading PREFIX lines sorted (pySHACL writes them in no fixed order)."""
    lines = text.split("\n")
    head = 0
    while head < len(lines) and (not lines[head].strip() or lines[head].lstrip().upper().startswith("PREFIX ")):
        head += 1
    return "\n".join(sorted(line for line in lines[:head] if line.strip()) + lines[head:])


def memory_store(triples: list[ox.Triple]) -> ox.Store:
    """An in-memory Oxigraph store of the triples, for the SPARQL targets."""
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return store


def validate_triples(data: list[ox.Triple], *, with_ontology: bool = True,
                     rule_sets: list[Path] | None = None, store: ox.Store | None = None,
                     allow_service: bool = False) -> Report:
    """Validate triples against the shapes and return the report.

    Args:
        data: the triples to validate.
        with_ontology: add the ontology's triples (so that sh:targetClass
            reaches instances of subclasses, and the SKOS schemes are known).
        rule_sets: extra shapes files to apply, such as shapes/optional/*.ttl.
        store: an Oxigraph store holding exactly the same triples (with the
            ontology); built in memory when not given.
    """
    import pyshacl

    triples = list(data) + (ontology_triples() if with_ontology else [])
    graph = to_rdflib(triples)
    shapes = shapes_graph(rule_sets, allow_service=allow_service)
    runnable = resolve_sparql_targets(shapes, store if store is not None else memory_store(triples))
    # inplace=True: advanced mode otherwise clones the data graph first (8 s at
    # 60k triples) in case SHACL rules add triples; these shapes have no rules.
    with _sparql_parsed_once():
        _conforms, report_graph, _text = pyshacl.validate(
            graph, shacl_graph=runnable, inference="none", advanced=True, allow_warnings=True,
            inplace=True,
        )
    return Report(_findings(report_graph, graph, shapes), report_graph)


def validate_files(paths: list[Path], *, with_history: bool = False,
                   rule_sets: list[Path] | None = None, allow_service: bool = False) -> Report:
    from nhsgraph import store

    triples: list[ox.Triple] = []
    for path in paths:
        triples.extend(read_rdf(path))
    if with_history:
        triples.extend(store.triples())
    return validate_triples(triples, rule_sets=rule_sets, allow_service=allow_service)


def validate_embedded(rule_sets: list[Path] | None = None, *, allow_service: bool = False) -> Report:
    """Validate the embedded history (which already holds the ontology)."""
    from nhsgraph import store

    embedded = store.open_store()  # the triples come from it: the file is read once
    return validate_triples([quad.triple for quad in embedded], with_ontology=False,
                            rule_sets=rule_sets, store=embedded, allow_service=allow_service)


def _findings(report: Any, data: Any, shapes: Any) -> list[Finding]:
    import rdflib

    SHN = rdflib.Namespace(SH)
    RDFS_LABEL = rdflib.RDFS.label
    SEE_ALSO = rdflib.RDFS.seeAlso
    PREF = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
    ODS = rdflib.URIRef("https://w3id.org/nhsgraph/def#odsCode")
    ONS = rdflib.URIRef("https://w3id.org/nhsgraph/def#onsCode")
    out = []
    # The report's own results; pySHACL also types the nested sh:detail results
    # of sh:node as sh:ValidationResult, which would report one problem twice.
    tops = [r for rep in report.subjects(rdflib.RDF.type, SHN.ValidationReport)
            for r in report.objects(rep, SHN.result)]
    for result in tops:
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
    return sorted(out, key=lambda f: (_RANK.get(f.severity, 3), f.shape, f.focus, f.path or "", f.value or ""))


_RANK = {"Violation": 0, "Warning": 1, "Info": 2}


def format_report(report: Report, fmt: str, *, strict: bool = False) -> str:
    if fmt == "turtle":
        return report.graph.serialize(format="turtle")
    if fmt == "json":
        return json.dumps({
            "conforms": report.conforms(strict=strict),
            "violations": len(report.violations),
            "warnings": len(report.warnings),
            "infos": len(report.infos),
            "results": [f.__dict__ | {"see_also": list(f.see_also)} for f in report.findings],
        }, indent=1, ensure_ascii=False) + "\n"
    if fmt != "text":
        raise InputError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    lines = []
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        groups[(f.severity, f.shape)].append(f)
    for (severity, shape), items in sorted(groups.items(), key=lambda kv: (_RANK.get(kv[0][0], 3), kv[0][1])):
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
    counts = f"{len(report.violations)} violation(s), {len(report.warnings)} warning(s)"
    if report.infos:
        counts += f", {len(report.infos)} info(s)"
    lines.append(f"{verdict}: {counts}")
    return "\n".join(lines) + "\n"
