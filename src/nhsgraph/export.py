"""Writing the graph out: Turtle, N-Triples and JSON-LD, deterministically.

The Turtle is written here rather than by a generic serializer so that it is
a file a person can read and diff: named prefixes, ``@base`` for the
instance IRIs (``<icb/QHL>``), one block per subject in IRI order, ``a``
first and the other predicates in order, one object per line. Two builds
give the same bytes; re-parsing gives an isomorphic graph (both tested).

Files are written atomically: into a temporary file beside the target, then
renamed over it, so an interrupted export leaves the previous file intact.
This module and nothing else binds prefixes.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from urllib.parse import urljoin
from collections.abc import Callable, Iterable
from itertools import groupby
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from nhsgraph.errors import InputError, OutputError
from nhsgraph.terms import ID, PREFIXES, RDF_TYPE

FORMATS = ("turtle", "nt", "jsonld")
_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_RELATIVE = re.compile(r"^[A-Za-z0-9_./:+-]+$")
# Longest namespace first, so nhskind: wins over a shorter prefix of it.
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))
_XSD = PREFIXES["xsd"]


def _iri(value: str) -> str:
    if value.startswith(ID):
        rest = value[len(ID):]
        # A relative reference whose first segment holds ':' would read as a
        # scheme (RFC 3986 §4.2), and '.'/'..' segments are resolved away.
        if _RELATIVE.match(rest) and ":" not in rest.split("/", 1)[0] and urljoin(ID, rest) == value:
            return f"<{rest}>"
    for prefix, namespace in _BY_LENGTH:
        if value.startswith(namespace):
            local = value[len(namespace):]
            if _LOCAL.match(local):
                return f"{prefix}:{local}"
    return f"<{value}>"


def _term(term: ox.Term) -> str:
    if isinstance(term, ox.NamedNode):
        return _iri(term.value)
    if isinstance(term, ox.Literal):
        text = str(ox.Literal(term.value))  # N-Triples escaping of the lexical form
        if term.language:
            return f"{text}@{term.language}"
        datatype = term.datatype.value
        if datatype == _XSD + "string":
            return text
        if datatype.startswith(_XSD):
            return f"{text}^^xsd:{datatype[len(_XSD):]}"
        return f"{text}^^<{datatype}>"
    return str(term)


def _predicate_key(predicate: ox.NamedNode) -> tuple[int, str]:
    return (0, "") if predicate.value == RDF_TYPE else (1, _iri(predicate.value))


def turtle(triples: Iterable[ox.Triple]) -> str:
    """The triples as readable, deterministic Turtle."""
    lines = [f"@base <{ID}> ."]
    lines += [f"@prefix {p}: <{iri}> ." for p, iri in sorted(PREFIXES.items())]
    ordered = sorted(triples, key=lambda t: (str(t.subject), _predicate_key(t.predicate),
                                             str(t.object)))
    for subject, group in groupby(ordered, key=lambda t: t.subject):
        lines.append("")
        lines.append(_term(subject))
        for predicate, pgroup in groupby(group, key=lambda t: t.predicate):
            verb = "a" if predicate.value == RDF_TYPE else _iri(predicate.value)
            objects = [_term(t.object) for t in pgroup]
            for obj in objects:
                lines.append(f"    {verb} {obj} ;")
        lines[-1] = lines[-1][:-2] + " ."
    return "\n".join(lines) + "\n"


def ntriples(triples: Iterable[ox.Triple]) -> str:
    """Canonical N-Triples, one triple a line, lines sorted."""
    return "".join(sorted(f"{t} .\n" for t in triples))


def jsonld(triples: Iterable[ox.Triple]) -> str:
    """JSON-LD (expanded form, in triple order) as written by Oxigraph."""
    data = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.JSON_LD)
    return data.decode("utf-8") if isinstance(data, bytes) else str(data)


_WRITERS: dict[str, Callable[[Iterable[ox.Triple]], str]] = {
    "turtle": turtle,
    "nt": ntriples,
    "jsonld": jsonld,
}


def serialize(triples: Iterable[ox.Triple], fmt: str) -> str:
    try:
        writer = _WRITERS[fmt]
    except KeyError:
        raise InputError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}") from None
    return writer(triples)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    Raises:
        OutputError: the target cannot be written (read-only, full disk, a
            directory); the previous file, if any, is left as it was.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a directory", hint="give a file name with -o")
    folder = path.parent if str(path.parent) else Path(".")
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        # mkstemp makes the file 0600; the user's file gets the mode any new
        # file would (0666 less the umask), or keeps the mode of the file it replaces.
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot write ({exc.strerror or exc})",
            hint="check that the folder exists, is writable and has free space",
        ) from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_stdout(text: str, stream: BinaryIO | None = None) -> None:
    out = stream or sys.stdout.buffer
    out.write(text.encode("utf-8"))
    out.flush()
