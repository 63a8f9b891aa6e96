"""Where the project's resource folders are: a source checkout or the wheel.

In a checkout (including an editable install) ``ontology/``, ``data/``,
``queries/`` and ``shapes/`` sit at the repository root; a wheel carries them
under ``nhsgraph/_resources/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def root() -> Path:
    """The folder that holds ``ontology/``, ``data/``, ``queries/`` and ``shapes/``."""
    bundled = _PACKAGE / "_resources"
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent.parent


def folder(name: str) -> Path:
    """One resource folder, for example ``folder("queries")``."""
    return root() / name


def package_dir() -> Path:
    return _PACKAGE
