"""nhsgraph: a temporal knowledge graph of NHS England's organisational history.

The library raises :class:`nhsgraph.errors.NhsGraphError` subclasses; only
:mod:`nhsgraph.cli` turns them into messages and exit codes.
"""

# The one place the version is written: pyproject.toml reads it from here
# (importlib.metadata would cost every CLI call about 60 ms of imports).
__version__ = "0.1.0"
