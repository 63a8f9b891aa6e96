"""Typed errors. The library raises these; only the CLI maps them to exit codes.

Exit codes (see ``nhsgraph --help``):
    0 ok; 1 checks ran and found problems; 2 bad input or usage; 3 internal error.
"""

from __future__ import annotations


def shown(value: object, limit: int = 60) -> str:
    """A value as it may appear in a message: repr, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "...'"


class NhsGraphError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 3

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InputError(NhsGraphError):
    """Bad input from the user: a file, a parameter, a format name (exit 2)."""

    exit_code = 2


class DataError(InputError):
    """A data or ontology file is malformed; the message names file and line."""

    def __init__(self, message: str, *, path: str, line: int | None = None, hint: str | None = None):
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = path
        self.line = line


class ParameterError(InputError):
    """A query parameter is missing, unknown or of the wrong type."""


class QueryError(InputError):
    """A SPARQL query cannot be parsed or run, or an endpoint failed."""


class EndpointError(InputError):
    """A remote SPARQL endpoint could not be reached or answered badly."""


class BuildError(NhsGraphError):
    """The sources contradict each other in a way no stated rule resolves (exit 3)."""


class OutputError(InputError):
    """An output file cannot be written (read-only target, full disk)."""
