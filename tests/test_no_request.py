"""No input makes nhsgraph contact a server the user did not name (issue 12, class 1).

A loopback canary (``tests/canary.py``) records every request it receives.
Each case below is a hostile input whose URLs all point at the canary:
queries with SERVICE in every place the grammar allows, shapes whose SPARQL
calls SERVICE, data files whose ``@context``, ``xml:base``, DTD entities and
``owl:imports`` name it, and the proxy variables, which route any request
urllib makes to the canary as well. Every case must leave the canary with
**0 requests**, exit 0, 1 or 2 (never 3), and print no traceback.

The control case proves the canary would have seen a request: with
``--allow-service`` the same SERVICE query does reach it.
"""

from __future__ import annotations

import pytest
from canary import Canary

from nhsgraph import queries

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(scope="module")
def canary():
    with Canary() as server:
        yield server


@pytest.fixture
def hostile_env(monkeypatch: pytest.MonkeyPatch, canary: Canary) -> Canary:
    """Every proxy variable names the canary: whatever urllib fetches, the canary sees."""
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, canary.url())
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.setenv("NHSGRAPH_ENDPOINT_USER", "reader")
    monkeypatch.setenv("NHSGRAPH_ENDPOINT_PASSWORD", "pw-canary")
    return canary


def _queries(url: str) -> dict[str, str]:
    """SERVICE in every place a query can hold it, each aimed at the canary."""
    return {
        "plain": f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "silent-lowercase": f"select * {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        "subquery": f"SELECT ?s {{ {{ SELECT ?s {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        "exists": f"SELECT * {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} LIMIT 1",
        "not-exists-optional": (f"SELECT * {{ OPTIONAL {{ ?s ?p ?o FILTER NOT EXISTS "
                                f"{{ SERVICE <{url}> {{ ?s ?q ?r }} }} }} }} LIMIT 1"),
        "union-minus": (f"SELECT * {{ {{ ?s ?p ?o }} UNION {{ ?s ?p ?o MINUS "
                        f"{{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }} LIMIT 1"),
        "variable": f"SELECT * {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        "codepoint-escape": f"SELECT * {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
        "prefixed": f"PREFIX c: <{url}>\nSELECT * {{ SERVICE c:sparql {{ ?s ?p ?o }} }}",
        "after-cr-comment": f"# harmless\rSELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "construct": f"CONSTRUCT {{ ?s ?p ?o }} {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "ask": f"ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    }


QUERY_IDS = list(_queries("http://x/"))
SHAPES_HEAD = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex: <http://example.org/> .
@prefix nhs: <https://w3id.org/nhsgraph/def#> .
"""


def _shapes(url: str) -> dict[str, str]:
    return {
        "sparql-constraint": SHAPES_HEAD + f"""
ex:S a sh:NodeShape ; sh:targetClass nhs:Organisation ;
  sh:sparql [ a sh:SPARQLConstraint ;
    sh:select "SELECT $this WHERE {{ SERVICE <{url}> {{ $this ?p ?o }} }}" ] .
""",
        "sparql-target": SHAPES_HEAD + f"""
ex:S a sh:NodeShape ;
  sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this {{ SERVICE <{url}> {{ ?this ?p ?o }} }}" ] ;
  sh:property [ sh:path ex:p ; sh:minCount 1 ] .
""",
        "ask-validator": SHAPES_HEAD + f"""
ex:C a sh:ConstraintComponent ; sh:parameter [ sh:path ex:q ] ;
  sh:validator [ a sh:SPARQLAskValidator ;
    sh:ask "ASK {{ FILTER NOT EXISTS {{ SERVICE <{url}> {{ $value ?p ?o }} }} }}" ] .
ex:S a sh:NodeShape ; sh:targetClass nhs:Organisation ; ex:q 1 .
""",
        "nested-in-exists": SHAPES_HEAD + f"""
ex:S a sh:NodeShape ; sh:targetClass nhs:Organisation ;
  sh:sparql [ sh:select \"\"\"SELECT $this WHERE {{ $this ?p ?o
    FILTER EXISTS {{ {{ SELECT ?x {{ SERVICE SILENT <{url}> {{ ?x ?y ?z }} }} }} }} }}\"\"\" ] .
""",
        "owl-imports": SHAPES_HEAD + f"""
<{url}shapes> a owl:Ontology ; owl:imports <{url}more.ttl> .
ex:S a sh:NodeShape ; sh:targetClass nhs:Organisation ; sh:property [ sh:path ex:p ; sh:maxCount 9 ] .
""",
    }


SHAPE_IDS = list(_shapes("http://x/"))


def _data(url: str) -> dict[str, tuple[str, str]]:
    """Data files in every format the validator reads, each naming the canary."""
    return {
        "rdfxml-system-entity": (".rdf", f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY remote SYSTEM "{url}entity.xml"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>&remote;</ex:p></rdf:Description>
</rdf:RDF>
"""),
        "rdfxml-external-dtd": (".rdf", f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF SYSTEM "{url}rdf.dtd">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>x</ex:p></rdf:Description>
</rdf:RDF>
"""),
        "rdfxml-xml-base": (".rdf", f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/"
         xml:base="{url}">
  <rdf:Description rdf:about="a"><ex:p rdf:resource="b"/></rdf:Description>
</rdf:RDF>
"""),
        "jsonld-remote-context": (".jsonld", f"""{{"@context": "{url}context.jsonld",
 "@id": "http://example.org/a", "p": "x"}}"""),
        "jsonld-context-array": (".jsonld", f"""{{"@context": [{{"ex": "http://example.org/"}}, "{url}c"],
 "@id": "ex:a", "ex:p": {{"@id": "{url}b"}}}}"""),
        "turtle-base-imports": (".ttl", f"""@base <{url}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<a> a owl:Ontology ; owl:imports <{url}more.ttl> , <remote.ttl> .
"""),
    }


DATA_IDS = list(_data("http://x/"))


def assert_untouched(canary: Canary, outcome) -> None:
    assert canary.requests == [], f"the canary was called: {canary.requests[:3]}"
    assert outcome.code in (0, 1, 2), outcome.err
    assert "Traceback" not in outcome.out + outcome.err


@pytest.mark.parametrize("case", QUERY_IDS)
def test_a_service_query_from_stdin_is_refused_and_sends_nothing(hostile_env, nhsgraph, monkeypatch,
                                                                  case):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.StringIO(_queries(hostile_env.url("sparql"))[case]))
    outcome = nhsgraph("sparql", "-", "--timeout", "5")
    assert_untouched(hostile_env, outcome)
    assert outcome.code == 2 and "--allow-service" in outcome.err, outcome.err


@pytest.mark.parametrize("case", ["plain", "exists", "after-cr-comment", "codepoint-escape"])
def test_a_service_query_from_a_crlf_file_is_refused_and_sends_nothing(hostile_env, nhsgraph, tmp_path,
                                                                       case):
    path = tmp_path / f"{case}.rq"
    path.write_bytes(_queries(hostile_env.url())[case].replace(" {", "\r\n{").encode())
    outcome = nhsgraph("sparql", str(path))
    assert_untouched(hostile_env, outcome)
    assert outcome.code == 2 and "--allow-service" in outcome.err and str(path) in outcome.err


def test_a_canned_query_with_service_is_refused_and_sends_nothing(hostile_env, nhsgraph, tmp_path,
                                                                 monkeypatch):
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "fetch.rq").write_text("#+ summary: Looks like a report.\n#+ columns: s\n"
                                     + _queries(hostile_env.url())["subquery"], encoding="utf-8")
    real = queries.catalogue
    monkeypatch.setattr(queries, "catalogue", lambda folder_=None: real(folder))
    outcome = nhsgraph("query", "fetch")
    assert_untouched(hostile_env, outcome)
    assert outcome.code == 2 and "--allow-service" in outcome.err


@pytest.mark.parametrize("case", SHAPE_IDS)
def test_shapes_cannot_make_a_request(hostile_env, nhsgraph, tmp_path, case):
    rules = tmp_path / f"{case}.ttl"
    rules.write_text(_shapes(hostile_env.url())[case], encoding="utf-8")
    outcome = nhsgraph("validate", "examples/board-compliant.ttl", "--rules", str(rules))
    assert_untouched(hostile_env, outcome)
    if case != "owl-imports":
        assert outcome.code == 2 and "--allow-service" in outcome.err and str(rules) in outcome.err


@pytest.mark.parametrize("case", DATA_IDS)
def test_data_files_cannot_make_a_request(hostile_env, nhsgraph, tmp_path, case):
    suffix, text = _data(hostile_env.url())[case]
    path = tmp_path / f"{case}{suffix}"
    path.write_text(text, encoding="utf-8")
    outcome = nhsgraph("validate", str(path))
    assert_untouched(hostile_env, outcome)


def test_the_environment_cannot_make_a_request(hostile_env, nhsgraph):
    """Credentials and proxies set, no --endpoint: every command stays local."""
    for args in (("query", "organisations-at", "--param", "date=2022-07-01", "--param", "type=icb"),
                 ("lineage", "42D"), ("diff", "2022-06-30", "2022-07-01")):
        assert_untouched(hostile_env, nhsgraph(*args))


def test_the_canary_sees_a_service_call_the_user_allowed(hostile_env, nhsgraph, monkeypatch):
    """The control: with --allow-service the same query does reach the canary."""
    import io
    import sys

    before = len(hostile_env.requests)
    monkeypatch.setattr(sys, "stdin", io.StringIO(_queries(hostile_env.url("sparql"))["plain"]))
    outcome = nhsgraph("sparql", "-", "--allow-service", "--timeout", "10")
    assert "Traceback" not in outcome.err
    assert len(hostile_env.requests) > before
    # Leave the module's canary clean for the cases that run after this one.
    with hostile_env._server.lock:
        hostile_env._server.requests.clear()
