"""The catalogue of canned queries (``queries/*.rq``) and how they are run.

Each file starts with a header in the grlc style::

    #+ summary: Every organisation in existence on a date.
    #+ param: date: date: required: the day to look at (YYYY-MM-DD)
    #+ param: type: type: optional: an organisation kind such as icb or ccg
    #+ columns: code, name, type, start, end

A parameter ``NAME`` is the variable ``?_NAME`` in the query. Its value is
checked against its type and turned into an RDF term, which is *bound* to the
variable (rdflib ``initBindings``, or a ``VALUES`` block built from the term
for Oxigraph and remote endpoints). The value is never pasted
into the query text, so no value can change what the query does.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from nhsgraph import resources
from nhsgraph.errors import DataError, ParameterError, QueryError, shown
from nhsgraph.sparql import is_update  # noqa: F401 - the parse decides, for every caller
from nhsgraph.temporal import check_range, parse_date
from nhsgraph.terms import KIND, KIND_CLASS, XSD

PARAM_TYPES = ("date", "code", "type", "area", "text")
#: The kinds of fact a query may declare with ``#+ facts:`` (the nhsfact: scheme).
FACTS = ("lifetime", "name", "membership", "coverage")
#: Kinds a ``type`` parameter accepts: the organisation kinds and the partnership statuses.
TYPES = tuple(sorted(set(KIND_CLASS) | {"acs", "ics"}))
_CODE = re.compile(r"^[A-Za-z0-9]{2,12}$")
_HEADER = re.compile(r"^#\+\s*(\w+)\s*:\s*(.*)$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    description: str

    @property
    def variable(self) -> str:
        return f"_{self.name}"


@dataclass(frozen=True)
class CannedQuery:
    name: str
    path: Path
    summary: str
    params: tuple[Param, ...]
    columns: tuple[str, ...]
    text: str
    ranges: tuple[tuple[str, str], ...] = field(default=())
    #: The kinds of fact the query answers from (``nhsfact:`` notations), whose
    #: completeness register notes the tools print.
    facts: tuple[str, ...] = field(default=())
    #: The organisation kinds it answers about, when no ``type`` parameter says.
    kinds: tuple[str, ...] = field(default=())

    def usage(self) -> str:
        parts = [f"{p.name}={p.type}" if p.required else f"[{p.name}={p.type}]" for p in self.params]
        return " ".join(parts)


def parse_header(path: Path) -> CannedQuery:
    """Read a query file and its header.

    Raises:
        DataError: the header is missing or malformed (names file and line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        raise DataError("not UTF-8 text", path=str(path), line=raw[: exc.start].count(b"\n") + 1,
                        hint="save the query as UTF-8") from None
    summary, columns = "", ()
    params: list[Param] = []
    ranges: list[tuple[str, str]] = []
    facts: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match[1], match[2].strip()
        if key == "summary":
            summary = value
        elif key == "columns":
            columns = tuple(c.strip() for c in value.split(","))
        elif key in ("facts", "kinds"):
            found = tuple(v.strip() for v in value.split(",") if v.strip())
            known = FACTS if key == "facts" else tuple(KIND_CLASS)
            unknown = [v for v in found if v not in known]
            if unknown:
                raise DataError(f"#+ {key}: {', '.join(unknown)} not one of {', '.join(known)}",
                                path=str(path), line=number)
            if key == "facts":
                facts = found
            else:
                kinds = found
        elif key == "range":
            first, _, second = value.partition(",")
            ranges.append((first.strip(), second.strip()))
        elif key == "param":
            bits = [b.strip() for b in value.split(":", 3)]
            if len(bits) != 4 or bits[1] not in PARAM_TYPES or bits[2] not in ("required", "optional"):
                raise DataError(
                    "a param line reads 'NAME: TYPE: required|optional: description' with TYPE one of "
                    + ", ".join(PARAM_TYPES),
                    path=str(path), line=number,
                )
            params.append(Param(bits[0], bits[1], bits[2] == "required", bits[3]))
    if not summary or not columns:
        raise DataError("the header needs '#+ summary:' and '#+ columns:' lines", path=str(path), line=1)
    return CannedQuery(path.stem, path, summary, tuple(params), columns, text, tuple(ranges),
                       facts, kinds)


def catalogue(folder: Path | None = None) -> dict[str, CannedQuery]:
    """Every canned query, by name."""
    folder = folder or resources.folder("queries")
    return {q.name: q for q in (parse_header(p) for p in sorted(folder.glob("*.rq")))}


def get(name: str) -> CannedQuery:
    queries = catalogue()
    if name not in queries:
        close = difflib.get_close_matches(name, list(queries), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see `nhsgraph query --list`"
        raise ParameterError(f"unknown query {name!r}", hint=hint)
    return queries[name]


_PREFIXES = (
    "PREFIX nhs: <https://w3id.org/nhsgraph/def#> "
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
)
#: What a value of each checked type must name, and the list to suggest from.
_LOOKUPS = {
    "code": ("ASK { ?o nhs:odsCode|nhs:onsCode|skos:notation ?_value ; nhs:kind ?k }",
             "SELECT DISTINCT ?c { ?o nhs:odsCode|nhs:onsCode|skos:notation ?c ; nhs:kind ?k }"),
    "area": ("ASK { ?a nhs:kind <https://w3id.org/nhsgraph/def/kind/lad> ; skos:prefLabel ?n ; "
             "nhs:onsCode ?c . FILTER(?c = ?_value || LCASE(?n) = LCASE(?_value)) }",
             "SELECT DISTINCT ?c { ?a nhs:kind <https://w3id.org/nhsgraph/def/kind/lad> ; "
             "skos:prefLabel|nhs:onsCode ?c }"),
}
_DISTRICTS = (
    "SELECT ?a ?c ?n ?s ?e { ?a nhs:kind <https://w3id.org/nhsgraph/def/kind/lad> ; "
    "skos:prefLabel ?n ; nhs:onsCode ?c ; nhs:startDate ?s . OPTIONAL { ?a nhs:endDate ?e } "
    "FILTER(?c = ?_value || LCASE(?n) = LCASE(?_value)) } ORDER BY ?c"
)


def _unknown(store: ox.Store | None, kind: str, value: ox.Literal) -> list[str] | None:
    """None if the value names something in the graph (or there is no store to ask);
    otherwise close matches to suggest."""
    if store is None:
        return None
    ask, candidates = _LOOKUPS[kind]
    if bool(store.query(with_values(_PREFIXES + ask, {"_value": value}))):
        return None
    names = [s["c"].value for s in store.query(_PREFIXES + candidates)]
    folded = {n.lower(): n for n in names}
    close = difflib.get_close_matches(value.value.lower(), list(folded), n=5, cutoff=0.6)
    return [folded[c] for c in close]


def bind(query: CannedQuery, raw: dict[str, str], store: ox.Store | None = None) -> dict[str, ox.Term]:
    """Check every parameter value and turn it into the RDF term it binds.

    Raises:
        ParameterError: a parameter is unknown, missing, or not of its type.
    """
    known = {p.name: p for p in query.params}
    for key in raw:
        if key not in known:
            raise ParameterError(
                f"query {query.name!r} has no parameter {key!r}",
                hint=f"its parameters are: {query.usage() or '(none)'}",
            )
    bound: dict[str, ox.Term] = {}
    for param in query.params:
        if param.name not in raw:
            if param.required:
                raise ParameterError(
                    f"query {query.name!r} needs --param {param.name}=<{param.type}>",
                    hint=param.description,
                )
            continue
        bound[param.variable] = parse_param(param.type, raw[param.name], name=param.name, store=store)
    for first, second in query.ranges:
        a, b = bound.get(f"_{first}"), bound.get(f"_{second}")
        if isinstance(a, ox.Literal) and isinstance(b, ox.Literal):
            check_range(date.fromisoformat(a.value), date.fromisoformat(b.value),
                        what=f"parameters {first}..{second}")
    return bound


def _district(store: ox.Store | None, text: str, what: str) -> ox.Term:
    """The district IRI a code or name stands for (queries anchor their patterns on it)."""
    from nhsgraph.terms import ID

    if store is None:  # no graph to ask: only a code can be turned into its IRI
        if re.fullmatch(r"E0[6-9]\d{6}", text):
            return ox.NamedNode(f"{ID}lad/{text}")
        raise ParameterError(f"{what}: {shown(text)} needs the embedded graph to be resolved; give an ONS code")
    found = list(store.query(with_values(_PREFIXES + _DISTRICTS, {"_value": ox.Literal(text)})))
    if not found:
        close = _unknown(store, "area", ox.Literal(text)) or []
        hint = (f"did you mean {', '.join(close)}?" if close
                else "give a local authority district code or name, e.g. E08000025 or Birmingham")
        raise ParameterError(f"{what}: no local authority district is called {shown(text)}", hint=hint)
    if len(found) > 1:
        options = "; ".join(
            f"{r['c'].value} ({r['n'].value}, {r['s'].value} to {r['e'].value if r['e'] else 'today'})"
            for r in found)
        raise ParameterError(f"{what}: {shown(text)} names {len(found)} districts", hint=f"give one code: {options}")
    return found[0]["a"]


def parse_param(kind: str, value: str, *, name: str, store: ox.Store | None = None) -> ox.Term:
    """Check one parameter value against its type and return the RDF term it binds.

    Raises:
        ParameterError: the value is not of its type, or names nothing in ``store``.
    """
    what = name if name.startswith("-") else f"parameter {name}"
    if kind == "date":
        day = parse_date(value, what=what)
        return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD.date))
    if kind == "type":
        slug = value.strip().lower()
        if slug not in TYPES:
            close = difflib.get_close_matches(slug, TYPES, n=3)
            raise ParameterError(
                f"{what}: {shown(value)} is not an organisation type",
                hint=(f"did you mean {', '.join(close)}? " if close else "")
                + f"types are: {', '.join(TYPES)}",
            )
        return ox.NamedNode(KIND[slug])
    if kind == "code":
        code = value.strip().upper()
        if not _CODE.match(code):
            raise ParameterError(
                f"{what}: {shown(value)} is not an ODS or ONS code (2-12 letters and digits)",
                hint="for example 42D, QHL or E54000028",
            )
        close = _unknown(store, "code", ox.Literal(code))
        if close is not None:
            hint = f"did you mean {', '.join(close)}?" if close else "no organisation has a similar code"
            raise ParameterError(f"{what}: no organisation has the code {shown(code)}", hint=hint)
        return ox.Literal(code)
    if kind in ("area", "text") and re.search(r"\\[uU][0-9A-Fa-f]{4}", value):
        raise ParameterError(f"{what}: {shown(value)} contains a \\u escape, which SPARQL engines "
                             "decode differently; write the character itself")
    if kind == "area":
        text = value.strip()
        if not text or len(text) > 100 or any(not ch.isprintable() for ch in text):
            raise ParameterError(f"{what}: {shown(value)} is not a district code or name")
        return _district(store, text, what)
    text = value
    if len(text) > 200:
        raise ParameterError(f"{what}: longer than 200 characters")
    return ox.Literal(text)


# -- running ------------------------------------------------------------------------------

def strip_comments(text: str) -> str:
    """The query text without comments (a ``#`` outside IRIs and strings)."""
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":
            long = text.startswith(ch * 3, i)
            quote = ch * 3 if long else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + len(quote)])
            i = j + len(quote)
        elif ch == "<":
            j = text.find(">", i)
            if j == -1 or any(c in text[i:j] for c in " \n\t{}"):
                out.append(ch)
                i += 1
            else:
                out.append(text[i : j + 1])
                i = j + 1
        elif ch == "#":  # a comment ends at a line feed or a carriage return
            ends = [k for k in (text.find("\n", i), text.find("\r", i)) if k != -1]
            i = min(ends) if ends else n
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def with_values(text: str, bindings: dict[str, ox.Term]) -> str:
    """The query with a ``VALUES`` block for ``bindings`` at the top of its WHERE clause.

    Used for Oxigraph and remote endpoints. Each value is
    an RDF term already checked by :func:`bind`, written in its N-Triples
    form, so it can only ever be one term.
    """
    if not bindings:
        return text
    body = strip_comments(text)
    match = re.search(r"\bWHERE\s*\{", body, re.IGNORECASE) or re.search(r"\{", body)
    if match is None:
        raise QueryError("the query has no WHERE clause to bind parameters in")
    names = sorted(bindings)
    row = " ".join(str(bindings[n]) for n in names)
    values = f" VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }} "
    return body[: match.end()] + values + body[match.end():]
