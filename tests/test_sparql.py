"""The parse that decides what a user's SPARQL text is (``nhsgraph.sparql``, issue 12)."""

from __future__ import annotations

import pytest

from nhsgraph import sparql
from nhsgraph.errors import QueryError


@pytest.mark.parametrize(("text", "form"), [
    ("SELECT * { ?s ?p ?o }", "SELECT"),
    ("ask { ?s ?p ?o }", "ASK"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("DESCRIBE <http://ex/a>", "DESCRIBE"),
    ("PREFIX ex: <http://ex/>\nINSERT DATA { ex:a ex:b ex:c }", "UPDATE"),
    # A comment ends at CR: what follows it is the update an engine would run.
    ("# nothing to see\rINSERT DATA { <http://ex/a> <http://ex/b> 1 }", "UPDATE"),
    ("# one\r\nDROP ALL", "UPDATE"),
    # \u escapes are decoded before the grammar applies (SPARQL 1.1 §19.2).
    ("\\u0049NSERT DATA { <http://ex/a> <http://ex/b> 1 }", "UPDATE"),
    ("# only a comment", "UPDATE"),
    ("\ufeffSELECT * { ?s ?p ?o }", "SELECT"),
])
def test_the_form_comes_from_the_parse(text, form):
    assert sparql.parse(text).form == form


def test_a_query_that_only_looks_like_an_update_is_a_query():
    text = 'SELECT * { ?s ?p "INSERT DATA { }" } # DROP ALL\n'
    assert sparql.parse(text).form == "SELECT"
    assert not sparql.is_update(text)


@pytest.mark.parametrize("text", [
    "SELECT * { SERVICE <http://a/> { ?s ?p ?o } }",
    "SELECT * { ?s ?p ?o FILTER NOT EXISTS { { SELECT ?s { SERVICE <http://a/> { ?s ?p ?o } } } } }",
    "PREFIX e: <http://a/> SELECT * { OPTIONAL { SERVICE SILENT e:x { ?s ?p ?o } } }",
    "SELECT * { BIND(EXISTS { SERVICE ?e { ?s ?p ?o } } AS ?x) }",
    "DELETE { ?s ?p ?o } WHERE { SERVICE <http://a/> { ?s ?p ?o } }",
    "SELECT * { \\u0053ERVICE <http://a/> { ?s ?p ?o } }",
])
def test_service_is_found_wherever_it_is_nested(text):
    assert sparql.mentions_service(text)
    assert len(sparql.parse(text).services) == 1
    with pytest.raises(QueryError, match="--allow-service"):
        sparql.check(text, allow_update=True)
    assert sparql.check(text, allow_update=True, allow_service=True).services


def test_the_word_service_in_a_string_is_not_a_service_call():
    assert sparql.parse('SELECT * { ?s ?p "SERVICE <http://a/> {}" }').services == ()


def test_a_syntax_error_names_the_line_and_column():
    with pytest.raises(QueryError, match=r"^q\.rq:3:\d+: not valid SPARQL"):
        sparql.parse("SELECT *\r\nWHERE {\n  ?s ?p ?o .. }", where="q.rq")


@pytest.mark.parametrize("opening", ["{", "(", "["])
def test_deep_nesting_is_refused_before_any_parser_sees_it(opening):
    closing = {"{": "}", "(": ")", "[": "]"}[opening]
    text = "SELECT * { FILTER " + opening * 50_000 + closing * 50_000 + " }"
    with pytest.raises(QueryError, match="nested 50001 deep|nested 50000 deep"):
        sparql.parse(text)
    at_limit = "SELECT * { " + "{" * (sparql.MAX_DEPTH - 1) + "?s ?p ?o" + "}" * (sparql.MAX_DEPTH - 1) + " }"
    assert sparql.parse(at_limit).form == "SELECT"


def test_brackets_in_strings_iris_and_comments_do_not_count():
    text = 'SELECT * { ?s ?p "' + "{" * 500 + '" # ' + "(" * 500 + "\n}"
    assert sparql.nesting_depth(text)[0] == 1


def test_a_text_over_the_size_limit_is_refused_without_parsing():
    with pytest.raises(QueryError, match="over the limit"):
        sparql.parse("SELECT * { ?s ?p '" + "x" * sparql.MAX_BYTES + "' }")


def test_a_parse_past_the_deadline_is_abandoned():
    import time

    with pytest.raises(QueryError, match="did not finish in time"):
        sparql.parse("SELECT * { ?s ?p '" + "x" * 2_000_000 + "' }", deadline=time.monotonic())
