"""Docs that must not drift: the CLI reference and the query catalogue."""

from __future__ import annotations

import runpy
from pathlib import Path

from nhsgraph import queries
from nhsgraph.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def _render() -> str:
    return runpy.run_path(str(ROOT / "scripts" / "gen-cli-docs"))["render"]()


def test_docs_cli_md_is_generated_from_the_current_help(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    expected = _render()
    actual = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run COLUMNS=100 scripts/gen-cli-docs"
    for name in cli.commands:
        assert f"## nhsgraph {name}" in actual


def test_every_canned_query_is_in_the_queries_readme():
    readme = (ROOT / "queries" / "README.md").read_text(encoding="utf-8")
    names = list(queries.catalogue())
    assert len(names) >= 13
    for name in names:
        assert f"`{name}`" in readme, f"queries/README.md does not describe {name}"


def test_each_usage_block_in_docs_cli_md_is_what_help_prints(monkeypatch, nhsgraph):
    """The reference shows each command as a user sees it (`Usage: nhsgraph build`, not
    `nhsgraph nhsgraph build`): every block equals `nhsgraph CMD --help` run for real."""
    monkeypatch.setenv("COLUMNS", "100")
    actual = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in sorted(cli.commands):
        shown = nhsgraph(name, "--help")
        assert shown.code == 0
        assert shown.out.startswith(f"Usage: nhsgraph {name} ")
        assert f"## nhsgraph {name}\n\n```\n{shown.out}```\n" in actual, name
