"""Drift between the code's vocabulary and the ontology, and term hygiene."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from nhsgraph import store
from nhsgraph.terms import KIND, KIND_CLASS, NHS, STATUS

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DEFINITION = "http://www.w3.org/2004/02/skos/core#definition"
NOTATION = "http://www.w3.org/2004/02/skos/core#notation"
MINTED = ("https://w3id.org/nhsgraph/def",)


@pytest.fixture(scope="module")
def ontology():
    graph = {}
    for t in store.ontology_triples():
        graph.setdefault(t.subject.value if isinstance(t.subject, ox.NamedNode) else None, []).append(t)
    return graph


@pytest.mark.parametrize("term", NHS.terms() + KIND.terms() + STATUS.terms())
def test_every_term_the_code_uses_is_defined(ontology, term):
    assert term in ontology, f"{term} is used by the code but not defined in ontology/"


def test_every_minted_term_has_one_label_and_one_definition(ontology):
    checked = 0
    for subject, triples in ontology.items():
        if not subject or not subject.startswith(MINTED) or "/0." in subject:
            continue
        if any(t.object == ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology") for t in triples):
            continue  # an ontology header, described by dcterms:title
        labels = [t for t in triples if t.predicate.value == RDFS_LABEL and t.object.language == "en"]
        definitions = [t for t in triples if t.predicate.value == DEFINITION and t.object.language == "en"]
        assert len(labels) == 1, f"{subject} has {len(labels)} English labels"
        assert len(definitions) == 1, f"{subject} has {len(definitions)} English definitions"
        checked += 1
    assert checked > 60


@pytest.mark.parametrize("slug", sorted(KIND_CLASS))
def test_every_kind_has_its_notation(ontology, slug):
    notations = [t.object.value for t in ontology[KIND[slug]] if t.predicate.value == NOTATION]
    assert notations == [slug]
