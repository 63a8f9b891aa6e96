"""Reading a user's SPARQL text before anything runs it: its form, its SERVICE calls, its errors.

Every SPARQL text that comes from a user (``nhsgraph sparql``, a canned query
file, the ``sh:select``/``sh:ask``/``sh:construct`` of a shapes file given with
``--rules``) is parsed here with rdflib's SPARQL parser, a full SPARQL 1.1
grammar, before an engine sees it. The parse decides:

- the form: SELECT, ASK, CONSTRUCT, DESCRIBE, or UPDATE (anything that parses
  as a SPARQL Update, including an empty one). Read-only-ness is this form, not
  a reading of the first keyword, so a comment, a prologue or an escape cannot
  hide an update;
- every ``SERVICE`` in it, wherever it is nested (subqueries, ``EXISTS``,
  ``OPTIONAL``, an update's WHERE). Oxigraph follows ``SERVICE <url>`` over HTTP
  even on the embedded graph, and a remote endpoint would too, so a SERVICE is
  a network request the user must ask for (``--allow-service``).

SPARQL ends a comment at a carriage return as well as at a line feed (the
grammar's ``COMMENT`` excludes both), but rdflib ends it at a line feed only,
so carriage returns are read as line ends before parsing; the text an engine
runs keeps its bytes. Texts over :data:`MAX_BYTES` or nested deeper than
:data:`MAX_DEPTH` are refused before any parser sees them: rdflib's parser
recurses (it fails under 40 levels at Python's default limit) and Oxigraph's
overflows its stack (a segfault at 50,000 levels). The parse runs in a thread
with a large stack and gives up at the caller's deadline.

This module sits below the engines and imports none of them.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from nhsgraph.errors import QueryError

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
#: The longest SPARQL text accepted, in UTF-8 bytes.
MAX_BYTES = 4 * 1024 * 1024
#: The deepest nesting of ``{``, ``(`` and ``[`` accepted (the canned queries use 9).
MAX_DEPTH = 128
_STACK_BYTES = 256 * 1024 * 1024
_RECURSION = 20_000
_FORM_OF = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT",
            "DescribeQuery": "DESCRIBE"}
SERVICE_HINT = ("a SERVICE clause makes the engine fetch from another server; pass --allow-service "
                "if you mean it")


@dataclass(frozen=True)
class Parsed:
    """What the parse of one SPARQL text found."""

    form: str  # one of QUERY_FORMS, or "UPDATE"
    #: The target of every SERVICE clause (an IRI, or ``?var``), in order of appearance.
    services: tuple[str, ...]

    @property
    def is_update(self) -> bool:
        return self.form == "UPDATE"


def _lines(text: str) -> str:
    """The text with every CR, CRLF and LF read as one line end, as SPARQL's grammar does."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def nesting_depth(text: str) -> tuple[int, int]:
    """The deepest nesting of brackets outside comments, strings and IRIs, and where it is
    first reached (an index into ``text``; ``text`` has its line ends already read)."""
    depth = deepest = where = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            i = n if j == -1 else j
            continue
        if ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if quote == ch and text[j] == "\n":
                    break  # an unclosed short string: the parser will say so
                j += 2 if text[j] == "\\" else 1
            i = j + len(quote)
            continue
        if ch == "<":
            j = i + 1
            while j < n and text[j] not in "<>\"{}|^`\\ \t\n":
                j += 1
            if j < n and text[j] == ">":
                i = j + 1
                continue
        if ch in "{([":
            depth += 1
            if depth > deepest:
                deepest, where = depth, i
        elif ch in "})]":
            depth -= 1
        i += 1
    return deepest, where


def _shown_term(term: Any) -> str:
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Identifier

    if isinstance(term, CompValue) and term.name == "pname":
        return f"{term.get('prefix') or ''}:{term.get('localname') or ''}"
    if isinstance(term, Identifier):
        return term.n3()
    return "(a computed endpoint)"


def _walk_services(tree: Any) -> list[str]:
    from rdflib.plugins.sparql.parserutils import CompValue

    found: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                found.append(_shown_term(node.get("term")))
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, dict):
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            stack.extend(reversed(list(node)))
    return found


def _parse(text: str) -> Parsed:
    """Parse ``text`` (line ends already read) as a query, else as an update."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql import parser

    try:
        tree = parser.parseQuery(text)
    except ParseBaseException as query_error:
        try:
            update = parser.parseUpdate(text)
        except ParseBaseException as update_error:
            # Report the reading that got further: that is where the text goes wrong.
            raise max(query_error, update_error, key=lambda e: e.loc) from None
        return Parsed("UPDATE", tuple(_walk_services(update)))
    form = _FORM_OF.get(getattr(tree[1], "name", ""), "UPDATE")
    return Parsed(form, tuple(_walk_services(tree)))


def parse(text: str, *, where: str = "the query", deadline: float | None = None) -> Parsed:
    """Parse one SPARQL text (a query or an update) and say what it is.

    Args:
        text: the text exactly as the engine would get it.
        where: how messages name it (a file, ``stdin``, a shape).
        deadline: a ``time.monotonic()`` value after which the parse is abandoned.

    Raises:
        QueryError: the text is too long, nested too deep, not SPARQL (with its
            line and column), or the deadline passed.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise QueryError(f"{where}: the SPARQL text is {size:,} bytes, over the limit of {MAX_BYTES:,}",
                         hint="split the query, or load large data with `nhsgraph push`")
    lines = _lines(text.lstrip("\ufeff"))
    depth, at = nesting_depth(lines)
    if depth > MAX_DEPTH:
        line, column = _position(lines, at)
        raise QueryError(f"{where}:{line}:{column}: brackets nested {depth} deep, over the limit of "
                         f"{MAX_DEPTH}", hint="flatten the query")
    box: dict[str, Any] = {}

    def run() -> None:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, _RECURSION))
        try:
            box["value"] = _parse(lines)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
        finally:
            sys.setrecursionlimit(old)

    previous = threading.stack_size(_STACK_BYTES)
    try:
        thread = threading.Thread(target=run, daemon=True, name="nhsgraph-sparql-parse")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
    if thread.is_alive():
        raise QueryError(f"{where}: reading the SPARQL text did not finish in time and was stopped",
                         hint="shorten the query, or raise --timeout")
    error = box.get("error")
    if error is None:
        return box["value"]
    from pyparsing import ParseBaseException

    if isinstance(error, ParseBaseException):
        line, column = _position(lines, min(error.loc, len(lines)))
        found = lines[error.loc:error.loc + 20].split("\n")[0]
        near = f" near {found!r}" if found else " at the end of the text"
        raise QueryError(f"{where}:{line}:{column}: not valid SPARQL{near}",
                         hint="check the syntax there (https://www.w3.org/TR/sparql11-query/#grammar)")
    if isinstance(error, RecursionError):
        raise QueryError(f"{where}: nested too deep to read", hint="flatten the query")
    if isinstance(error, (ValueError, TypeError, KeyError, IndexError)):
        # rdflib's parse actions reject a few texts the grammar admits (a bad IRI, an escape)
        raise QueryError(f"{where}: not valid SPARQL ({error})")
    raise error


def mentions_service(text: str) -> bool:
    """False only when ``text`` cannot hold a SERVICE clause (cheap: no parse).

    The keyword must be spelled out after the \\u escapes are decoded, so a text
    without it, in any case, has none.
    """
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    return "service" in expandUnicodeEscapes(text).lower()


def check(text: str, *, where: str = "the query", allow_update: bool = False,
          allow_service: bool = False, deadline: float | None = None) -> Parsed:
    """Parse the text and refuse what was not allowed: an update, a SERVICE call.

    Raises:
        QueryError: the text does not parse, is an update without
            ``allow_update``, or calls SERVICE without ``allow_service``.
    """
    parsed = parse(text, where=where, deadline=deadline)
    if parsed.is_update and not allow_update:
        raise QueryError(
            f"{where}: this is a SPARQL Update, not a query (SELECT, ASK, CONSTRUCT or DESCRIBE); "
            "query and sparql only read",
            hint="use `nhsgraph push` to load a graph, or pass --allow-update with --endpoint if you mean it",
        )
    if parsed.services and not allow_service:
        raise QueryError(f"{where}: SERVICE {parsed.services[0]} is refused: it would make a network "
                         "request", hint=SERVICE_HINT)
    return parsed


def is_update(text: str) -> bool:
    """True unless the parse says the text is a query (SELECT, ASK, CONSTRUCT or DESCRIBE).

    Text that is not SPARQL at all counts as an update too: it is refused unless
    ``--allow-update`` is given (only ``push`` writes).
    """
    try:
        return parse(text).is_update
    except QueryError:
        return True
