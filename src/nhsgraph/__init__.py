"""nhsgraph: a temporal knowledge graph of NHS England's organisational history.

The library raises :class:`nhsgraph.errors.NhsGraphError` subclasses; only
:mod:`nhsgraph.cli` turns them into messages and exit codes.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nhsgraph")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
