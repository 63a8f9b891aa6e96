"""Round trips: Turtle -> N-Triples -> JSON-LD -> Turtle without loss, and stable bytes.

``tests/test_build.py`` already checks that two builds give identical Turtle
and that each export format re-parses (with rdflib) to the graph. This file
checks the multi-format chain and the CLI path:

- ``nhsgraph export -o`` in every format it offers (data-driven over the
  command's ``--format`` choices) parses back, with Oxigraph, to exactly the
  embedded graph, and a second serialization gives the same bytes;
- the chain Turtle -> N-Triples -> JSON-LD -> Turtle through rdflib, starting
  from the CLI's own Turtle, ends isomorphic (``rdflib.compare.isomorphic``) to
  where it started and to the CLI's own N-Triples and JSON-LD. rdflib takes
  minutes over the whole graph, so the chain runs on a slice of the CLI's
  output that holds every predicate, every datatype and language, and every
  literal with quotes, backslashes, newlines or non-ASCII text;
- Hypothesis: arbitrary triples (literals of any text, IRIs under the
  instance base and the bound namespaces) survive ``export`` in every format.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib.compare import isomorphic

from nhsgraph import export
from nhsgraph.cli import cli
from nhsgraph.terms import ID, PREFIXES, RDF_TYPE

#: What `nhsgraph export --format` offers.
FORMATS = list(next(p for p in cli.commands["export"].params if p.name == "fmt").type.choices)
OX_FORMAT = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}
RDFLIB_FORMAT = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld"}


def test_every_export_format_is_known_here():
    assert set(FORMATS) == set(OX_FORMAT) == set(export.FORMATS)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, triples) -> dict[str, bytes]:
    """Each format as `nhsgraph export --format F -o FILE` wrote it."""
    from nhsgraph.cli import run

    folder = tmp_path_factory.mktemp("exports")
    out: dict[str, bytes] = {}
    for fmt in FORMATS:
        target = folder / f"graph.{fmt}"
        assert run(["export", "--format", fmt, "-o", str(target)]) == 0
        out[fmt] = target.read_bytes()
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_cli_export_parses_back_to_exactly_the_graph_and_is_stable(exported, triples, fmt):
    back = {q.triple for q in ox.parse(exported[fmt], format=OX_FORMAT[fmt])}
    assert back == set(triples)
    assert len(back) > 10_000
    assert export.serialize(triples, fmt).encode("utf-8") == exported[fmt], "not byte-stable"


# -- the chain, through rdflib, on a slice of the CLI's own output --------------------------

def _interesting(triples: list[ox.Triple]) -> set[ox.NamedNode]:
    """Subjects that between them use every predicate, datatype and language, and odd text."""
    chosen: set = set()
    seen: set = set()
    odd = {'"': 0, "\\": 0, "\n": 0, "non-ascii": 0, "'": 0}
    for t in triples:
        keys = [("p", t.predicate.value)]
        if isinstance(t.object, ox.Literal):
            keys.append(("dt", t.object.datatype.value, t.object.language))
            text = t.object.value
            for mark, count in odd.items():
                hit = any(ord(c) > 127 for c in text) if mark == "non-ascii" else mark in text
                if hit and count < 5:
                    odd[mark] = count + 1
                    chosen.add(t.subject)
        for key in keys:
            if key not in seen:
                seen.add(key)
                chosen.add(t.subject)
    return chosen


@pytest.fixture(scope="module")
def chain_slice(exported, triples):
    """The CLI's Turtle, N-Triples and JSON-LD, cut down to the interesting subjects."""
    chosen = _interesting(triples)
    # Turtle: a header, then one block per subject, in the order of str(subject).
    header, *blocks = exported["turtle"].decode("utf-8").split("\n\n")
    subjects = sorted({t.subject for t in triples}, key=str)
    assert len(blocks) == len(subjects), "one Turtle block per subject"
    ttl = "\n\n".join([header] + [b for s, b in zip(subjects, blocks) if s in chosen]) + "\n"
    starts = tuple(f"{s} " for s in chosen)
    nt = "".join(line + "\n" for line in exported["nt"].decode("utf-8").splitlines()
                 if line.startswith(starts))
    ids = {s.value for s in chosen}
    nodes = [n for n in json.loads(exported["jsonld"]) if n.get("@id") in ids]
    expected = [t for t in triples if t.subject in chosen]
    return {"turtle": ttl, "nt": nt, "jsonld": json.dumps(nodes)}, expected


def _graph(text: str, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=text, format=RDFLIB_FORMAT[fmt])


def test_the_slice_covers_what_it_should(chain_slice, triples):
    _texts, expected = chain_slice
    predicates = {t.predicate for t in triples}
    assert {t.predicate for t in expected} == predicates
    assert 200 < len(expected) < len(triples) / 4
    assert any(t.object.language for t in expected if isinstance(t.object, ox.Literal))


def _decimals_by_value(graph: rdflib.Graph) -> rdflib.Graph:
    """The graph with every xsd:decimal written one way ("1" and "1.0" are the same number)."""
    from decimal import Decimal

    out = rdflib.Graph()
    for s, p, o in graph:
        if isinstance(o, rdflib.Literal) and o.datatype == rdflib.XSD.decimal:
            o = rdflib.Literal(format(Decimal(str(o)).normalize(), "f"), datatype=rdflib.XSD.decimal)
        out.add((s, p, o))
    return out


def _chain(texts: dict[str, str], same) -> list[rdflib.Graph]:
    start = _graph(texts["turtle"], "turtle")
    # The CLI's own formats agree with its Turtle.
    assert same(_graph(texts["nt"], "nt"), start)
    assert same(_graph(texts["jsonld"], "jsonld"), start)
    # The chain, each hop written by rdflib and read back.
    as_nt = _graph(start.serialize(format="nt"), "nt")
    as_jsonld = _graph(as_nt.serialize(format="json-ld"), "jsonld")
    back = _graph(as_jsonld.serialize(format="turtle"), "turtle")
    return [start, as_nt, as_jsonld, back]


def test_turtle_to_ntriples_to_jsonld_to_turtle_keeps_every_fact(chain_slice):
    """Every triple survives; numbers are compared by value (see the strict test below)."""
    texts, expected = chain_slice

    def same(a: rdflib.Graph, b: rdflib.Graph) -> bool:
        return isomorphic(_decimals_by_value(a), _decimals_by_value(b))

    reference = _graph("".join(f"{t} .\n" for t in expected), "nt")
    hops = _chain(texts, same)
    assert len(hops[0]) == len(expected)
    for hop in hops:
        assert len(hop) == len(expected)
        assert same(hop, reference)


def test_turtle_to_ntriples_to_jsonld_to_turtle_is_lossless_term_for_term(chain_slice):
    texts, expected = chain_slice
    reference = _graph("".join(f"{t} .\n" for t in expected), "nt")
    for hop in _chain(texts, isomorphic):
        assert isomorphic(hop, reference)


def test_rdflib_ntriples_of_the_cli_jsonld_equal_the_cli_ntriples(chain_slice):
    """And back again: JSON-LD (the CLI's) -> rdflib -> N-Triples is the CLI's N-Triples."""
    texts, _expected = chain_slice
    again = _graph(_graph(texts["jsonld"], "jsonld").serialize(format="nt"), "nt")
    assert isomorphic(again, _graph(texts["nt"], "nt"))


# -- arbitrary triples -----------------------------------------------------------------------

SAFE_REST = st.from_regex(r"\A[A-Za-z0-9_+-]{1,8}(/[A-Za-z0-9_+-]{1,8}){0,2}\Z")
#: Every character export._iri writes as a relative IRI (``[A-Za-z0-9_./:+-]``).
ANY_REST = st.from_regex(r"\A[A-Za-z0-9_./:+-]{1,12}\Z").filter(lambda r: not r.startswith(("/", ".")))
LOCAL = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_-]{0,8}\Z")
NAMESPACES = sorted(set(PREFIXES.values()))
XSD = PREFIXES["xsd"]


def _iris(rest: st.SearchStrategy[str]) -> st.SearchStrategy[ox.NamedNode]:
    return st.one_of(
        rest.map(lambda r: ox.NamedNode(ID + r)),
        st.builds(lambda ns, local: ox.NamedNode(ns + local), st.sampled_from(NAMESPACES), LOCAL),
        # Any path characters RFC 3987 allows, unescaped.
        st.text(alphabet="abcXYZ019-._~!$&'()*+,;=:@/\u00e9\u4e2d", min_size=1, max_size=10)
        .map(lambda p: ox.NamedNode("http://example.org/" + p)),
    )


LITERALS = st.one_of(
    st.text(max_size=30).map(ox.Literal),
    st.builds(lambda text, lang: ox.Literal(text, language=lang),
              st.text(max_size=20), st.sampled_from(["en", "en-GB", "cy", "fr-BE"])),
    st.dates().map(lambda d: ox.Literal(d.isoformat(), datatype=ox.NamedNode(XSD + "date"))),
    st.integers(-10**12, 10**12).map(lambda i: ox.Literal(str(i), datatype=ox.NamedNode(XSD + "integer"))),
    st.builds(lambda text: ox.Literal(text, datatype=ox.NamedNode("http://example.org/dt#custom")),
              st.text(max_size=10)),
)


def _triples(rest: st.SearchStrategy[str]) -> st.SearchStrategy[list[ox.Triple]]:
    iris = _iris(rest)
    predicates = st.one_of(st.just(ox.NamedNode(RDF_TYPE)), iris)
    return st.lists(st.builds(ox.Triple, iris, predicates, st.one_of(iris, LITERALS)),
                    min_size=1, max_size=8)


SETTINGS = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _assert_round_trip(triples: list[ox.Triple]) -> None:
    for fmt in FORMATS:
        text = export.serialize(triples, fmt)
        back = {q.triple for q in ox.parse(text.encode("utf-8"), format=OX_FORMAT[fmt])}
        assert back == set(triples), (fmt, text)
        assert export.serialize(triples, fmt) == text


@SETTINGS
@given(triples=_triples(SAFE_REST))
@example(triples=[ox.Triple(ox.NamedNode(ID + "icb/QHL"), ox.NamedNode(PREFIXES["skos"] + "prefLabel"),
                            ox.Literal('He said "hi"\\n\n\t\u2028 ; . # <x> """', language="en"))])
def test_any_triples_survive_every_export_format(triples):
    _assert_round_trip(triples)


@SETTINGS
@given(triples=_triples(ANY_REST))
@example(triples=[ox.Triple(ox.NamedNode(ID + "a:b"), ox.NamedNode(RDF_TYPE), ox.NamedNode(ID + "x/../y"))])
def test_any_instance_iri_survives_every_export_format(triples):
    _assert_round_trip(triples)
