"""nhsgraph: a temporal knowledge graph of NHS England's organisational history.

``from nhsgraph import Graph`` is the Python front door (:mod:`nhsgraph.api`).

The library raises :class:`nhsgraph.errors.NhsGraphError` subclasses; only
:mod:`nhsgraph.cli` turns them into messages and exit codes.
"""

# The one place the version is written: pyproject.toml reads it from here
# (importlib.metadata would cost every CLI call about 60 ms of imports).
__version__ = "0.1.0"

__all__ = ["Graph", "Table", "__version__"]


def __getattr__(name: str):
    # Imported on first use, so that `nhsgraph --help` does not pay for the API's imports.
    if name in ("Graph", "Table"):
        from nhsgraph import api

        return getattr(api, name)
    raise AttributeError(f"module 'nhsgraph' has no attribute {name!r}")
