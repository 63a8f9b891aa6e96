"""The completeness register: what the graph knows, by kind of fact, kind and day.

Every record says, for one kind of fact (``nhsfact:``) about one kind of
organisation, over a span of days, whether the graph is ``complete``,
``inferred`` (derived by a stated rule), ``partial`` or ``unknown``, with a
one-line note the tools print when a question touches those days
(``nhs:CompletenessRecord``, ``ontology/completeness.ttl``). Sources and
rules:

- **Area coverage** is judged from the LSOA assignments themselves
  (:mod:`nhsgraph.ingest.lsoa`): the days of an ONS lookup are complete; the
  days of a derived assignment are inferred, or partial where the rule leaves
  LSOAs without an organisation. Consecutive days of one level and one rule
  are one record.
- **Other facts** come from ``data/curated/completeness.csv``: a curator's
  judgement of each known gap, with the sources whose extent it rests on
  (the gaps listed in ``data/README.md``).
"""

from __future__ import annotations

from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.products import LSOA_ASSIGNMENTS, SOURCES
from nhsgraph.temporal import day_before
from nhsgraph.terms import KIND_LABEL

TABLE = "completeness.csv"
LEVELS = ("complete", "inferred", "partial", "unknown")
FACTS = ("lifetime", "name", "membership", "coverage")


def ingest(ctx: Context) -> None:
    b = ctx.builder
    for row in ctx.curated(TABLE):
        if row["fact"] not in FACTS or row["level"] not in LEVELS:
            raise row.error(f"fact {row['fact']!r} or level {row['level']!r} is not known",
                            hint=f"facts: {', '.join(FACTS)}; levels: {', '.join(LEVELS)}")
        b.add_completeness(row["fact"], row["kind"], row.date("start"), row.date("end"),
                           row["level"], row["note"], parent_kind=row["parent_kind"] or None,
                           sources=[s for s in row["source_ids"].split(";") if s])
    for kind, spans in _coverage(ctx).items():
        for start, end, level, rules, sources in spans:
            period = f"from {start}" + (f" to {end}" if end else "")
            if level == "complete" and kind == "region":
                note = (f"region coverage {period} follows from the coverage of the CCGs (ICBs from "
                        "2022-07-01) and their regions, all read from the sources")
            elif level == "complete":
                note = f"{KIND_LABEL[kind]} coverage {period} is read from the ONS LSOA lookups"
            else:
                note = f"{KIND_LABEL[kind]} coverage {period} is derived: " + " | ".join(rules)
            b.add_completeness("coverage", kind, start, end, level, note, sources=sources)


def _coverage(ctx: Context):
    by_kind: dict[str, list] = {}
    for a in ctx.get(LSOA_ASSIGNMENTS):
        by_kind.setdefault(a.kind, []).append(a)
    out = {}
    for kind, found in sorted(by_kind.items()):
        found.sort(key=lambda a: a.as_at)
        spans: list[list] = []
        for i, a in enumerate(found):
            end = day_before(found[i + 1].as_at) if i + 1 < len(found) else None
            if a.rule is None:
                level = "complete"
            elif len(a.org) < len(a.lad):
                level = "partial"
            else:
                level = "inferred"
            rule = a.rule.removeprefix("INFERRED: ") if a.rule else None
            last = spans[-1] if spans else None
            if last and last[2] == level and (level == "complete" or last[3][-1] == rule):
                last[1] = end
                last[4] = tuple(dict.fromkeys(last[4] + a.sources))
            else:
                spans.append([a.as_at, end, level, [rule] if rule else [], a.sources])
        out[kind] = [tuple(s) for s in spans]
    return out


STEP = Step("completeness", ingest, needs=(SOURCES, LSOA_ASSIGNMENTS))
