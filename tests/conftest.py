"""Shared fixtures: one embedded graph per test session, in a private cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Build the graph once, into a cache no other run shares."""
    old = os.environ.get("NHSGRAPH_CACHE")
    os.environ["NHSGRAPH_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("NHSGRAPH_CACHE", None)
    else:
        os.environ["NHSGRAPH_CACHE"] = old


@pytest.fixture(scope="session")
def store():
    from nhsgraph import store as embedded

    return embedded.open_store()


@pytest.fixture(scope="session")
def triples():
    from nhsgraph import store as embedded

    return embedded.triples()


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def nhsgraph(capsys: pytest.CaptureFixture[str]):
    """Run the CLI in-process, as `nhsgraph ARGS...`, through its real error handling."""
    from nhsgraph.cli import run

    def invoke(*args: str) -> Outcome:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke


def query(store, name: str, **params: str):
    """Run a canned query on the embedded graph and return its Result."""
    from nhsgraph import engine, queries

    canned = queries.get(name)
    return engine.run_oxigraph(store, canned.text, queries.bind(canned, params, store))
