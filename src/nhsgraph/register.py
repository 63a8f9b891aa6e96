"""What the graph does not know: the notes the tools print from the completeness register.

Every canned query declares the kinds of fact it answers from (``#+ facts:``)
and, where no ``type`` parameter says, the organisation kinds (``#+ kinds:``).
After a query on dates, :func:`notes` gives one line for each register record
of those facts and kinds that is not ``complete`` on a day the query asked
about (or, for a range, on any day in it), and one line for organisations
that may or may not have existed on a date because their start is known only
between two days. The notes go to stderr; the answer is unchanged, and an
empty answer with no note means there was nothing.
"""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox

from nhsgraph import engine, queries
from nhsgraph.queries import CannedQuery
from nhsgraph.terms import KIND

_REGISTER: dict[int, list[dict[str, str]]] = {}


def register(store: ox.Store) -> list[dict[str, str]]:
    """Every completeness record of the graph (read once per store)."""
    key = id(store)
    if key not in _REGISTER:
        canned = queries.get("completeness")
        _REGISTER[key] = engine.run_oxigraph(store, canned.text, {}).records()
    return _REGISTER[key]


def notes(store: ox.Store, query: CannedQuery, bound: dict[str, ox.Term]) -> list[str]:
    """The notes for a query run with these bound parameters (``?_name`` -> term)."""
    days = [date.fromisoformat(term.value) for name, term in sorted(bound.items())
            if isinstance(term, ox.Literal) and term.datatype.value.endswith("#date")]
    if not days or not query.facts:
        return []
    first, last = min(days), max(days)
    ranged = bool(query.ranges)
    kind = bound.get("_type")
    kinds = {kind.value.removeprefix(KIND.iri)} if isinstance(kind, ox.NamedNode) else set(query.kinds)
    out: list[str] = []
    for rec in register(store):
        if rec["fact"] not in query.facts or rec["level"] == "complete":
            continue
        if kinds and rec["kind"] not in kinds:
            continue
        start = date.fromisoformat(rec["start"])
        end = date.fromisoformat(rec["end"]) if rec["end"] else date.max
        hit = (start <= last and end >= first) if ranged else any(start <= d <= end for d in days)
        if hit and rec["note"] not in out:
            out.append(rec["note"])
    if "lifetime" in query.facts and not ranged:
        uncertain = queries.get("uncertain-at")
        for day in sorted(set(days)):
            params = {"_date": ox.Literal(day.isoformat(), datatype=ox.NamedNode(
                "http://www.w3.org/2001/XMLSchema#date"))}
            if isinstance(kind, ox.NamedNode):
                params["_type"] = kind
            rows = engine.run_oxigraph(store, uncertain.text, params).records()
            if rows:
                listed = ", ".join(f"{r['type']} {r['code']} ({r['earliest_start']}..{r['latest_start']})"
                                   for r in rows[:8])
                more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
                out.append(f"{len(rows)} organisation(s) may or may not have existed on {day}: their "
                           f"start is known only between two days, and they are not listed: "
                           f"{listed}{more}")
    return out
