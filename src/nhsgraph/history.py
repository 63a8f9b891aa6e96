"""History tools built on the canned queries: lineage diagrams, crosswalks, diffs.

Each function takes an Oxigraph store (the embedded graph) and returns plain
Python data; the CLI formats it. Nothing here prints or exits.

Crosswalk shares come from the LSOA cells of the graph (see :func:`crosswalk`
and :mod:`nhsgraph.ingest.cells`): for each 'from' organisation, the part of
its LSOAs, and of its mid-2020 population, that lay in each 'to'
organisation, with a ``method`` column saying how exact that is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pyoxigraph as ox

from nhsgraph import engine, queries
from nhsgraph.errors import ParameterError
from nhsgraph.results import Result
from nhsgraph.temporal import check_range
from nhsgraph.terms import KIND_LABEL


def run(store: ox.Store, name: str, **params: str) -> Result:
    canned = queries.get(name)
    return engine.run_oxigraph(store, canned.text, queries.bind(canned, params, store))


# -- lineage ------------------------------------------------------------------------------

def lineage(store: ox.Store, code: str) -> Result:
    return run(store, "lineage", code=code)


def _node_id(kind: str, code: str) -> str:
    return f"{kind}_{code}".replace("-", "_")


def _lineage_graph(result: Result, newline: str) -> tuple[dict[str, str], set[tuple[str, str, str]]]:
    """Nodes (id -> label, lines joined by ``newline``) and edges (from, to, label) of a lineage."""
    nodes: dict[str, str] = {}
    edges: set[tuple[str, str, str]] = set()
    for r in result.records():
        a, b = _node_id(r["from_type"], r["from_code"]), _node_id(r["to_type"], r["to_code"])
        nodes[a] = f"{r['from_name']}{newline}{r['from_type']} {r['from_code']}"
        nodes[b] = f"{r['to_name']}{newline}{r['to_type']} {r['to_code']}"
        edges.add((a, b, f"{r['event']} {r['date']}"))
    return nodes, edges


def lineage_dot(result: Result) -> str:
    """The lineage as a Graphviz DOT digraph: one node per organisation, one edge per step."""
    nodes, edges = _lineage_graph(result, "\\n")
    lines = ["digraph lineage {", "  rankdir=LR;", "  node [shape=box];"]
    for key in sorted(nodes):
        label = nodes[key].replace('"', '\\"')
        lines.append(f'  {key} [label="{label}"];')
    for a, b, label in sorted(edges):
        lines.append(f'  {a} -> {b} [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def lineage_mermaid(result: Result) -> str:
    """The lineage as a Mermaid flowchart."""
    nodes, edges = _lineage_graph(result, "<br/>")
    lines = ["flowchart LR"]
    for key in sorted(nodes):
        lines.append(f'  {key}["{nodes[key].replace(chr(34), "#quot;")}"]')
    for a, b, label in sorted(edges):
        lines.append(f"  {a} -- \"{label}\" --> {b}")
    return "\n".join(lines) + "\n"


# -- crosswalk ----------------------------------------------------------------------------

#: The kinds with LSOA cell coverage (nhsgraph.ingest.cells), which a crosswalk can map.
CROSSWALK_KINDS = ("ccg", "stp", "sub-icb", "icb", "region")
_PLACES = Decimal("0.0001")
EXACT = "LSOA cells (exact)"
ACROSS = "LSOA cells across the 2011 and 2021 census geographies (merged or redrawn LSOAs left out)"
UNKNOWN_TO = "not known: no LSOA coverage of the 'to' kind on the date for this part (see the notes)"
UNKNOWN_FROM = "not known: no LSOA coverage of this organisation on the date (see the notes)"
ONLY_IRREGULAR = ("not known: every LSOA of this organisation was merged or redrawn between the "
                  "2011 and 2021 census geographies")


@dataclass(frozen=True)
class CrosswalkRow:
    from_code: str
    from_name: str
    to_code: str
    to_name: str
    share: str
    population_share: str
    method: str

    COLUMNS = ("from_code", "from_name", "to_code", "to_name", "share", "population_share", "method")


def _cells(store: ox.Store, kind: str, day: str, what: tuple[str, str]) -> dict[str, dict[str, str]]:
    canned = queries.get("cells-at")
    bound = {"_type": queries.parse_param("type", kind, name=what[0]),
             "_date": queries.parse_param("date", day, name=what[1])}
    return {r["cell"]: r for r in engine.run_oxigraph(store, canned.text, bound).records()}


def crosswalk(store: ox.Store, from_type: str, from_date: str, to_type: str, to_date: str) -> list[CrosswalkRow]:
    """Every organisation of ``from_type`` on ``from_date`` mapped to the organisations of
    ``to_type`` on ``to_date`` its area lay in, with the share of its area in each.

    Shares come from the LSOA cells (:mod:`nhsgraph.ingest.cells`): ``share``
    is the part of the organisation's LSOAs (counted in the census geography
    of its own date's lookup) that lay in the 'to' organisation, and
    ``population_share`` the part of its mid-2020 population. Both are exact
    counts when the two dates' lookups are of one census geography. Across
    the 2011 and 2021 geographies, cells whose LSOAs were merged or redrawn are
    left out (their two placements describe different ground) and the shares
    are of the rest. A part whose 'to' organisation is not known on the date
    gets a row with no 'to' code, so an organisation's shares add up to 1.
    Shares are rounded half-even to 4 decimal places.

    Raises:
        ParameterError: a type has no LSOA coverage, a date is not a date, or no
            organisation of a type existed on its date.
    """
    for value, name in ((from_type, "from_type"), (to_type, "to_type")):
        queries.parse_param("type", value, name=name)
        if value.strip().lower() not in CROSSWALK_KINDS:
            raise ParameterError(f"parameter {name}: {value} areas are not recorded LSOA by LSOA, so they cannot "
                                 "be mapped", hint=f"crosswalk maps {', '.join(CROSSWALK_KINDS)}")
    for value, name in ((from_date, "from_date"), (to_date, "to_date")):
        queries.parse_param("date", value, name=name)
    before = {r["code"]: r for r in run(store, "organisations-at", date=from_date, type=from_type).records()}
    after = {r["code"]: r for r in run(store, "organisations-at", date=to_date, type=to_type).records()}
    if not before:
        raise ParameterError(f"no organisation of type {from_type} existed on {from_date}")
    if not after:
        raise ParameterError(f"no organisation of type {to_type} existed on {to_date}")
    first = _cells(store, from_type, from_date, ("from_type", "from_date"))
    second = _cells(store, to_type, to_date, ("to_type", "to_date"))
    by_org: dict[str, list[dict[str, str]]] = defaultdict(list)
    for cell in first.values():
        by_org[cell["code"]].append(cell)
    rows: list[CrosswalkRow] = []
    for code in sorted(before):
        name = before[code]["name"]
        cells = by_org.get(code, [])
        if not cells:
            rows.append(CrosswalkRow(code, name, "", "", "", "", UNKNOWN_FROM))
            continue
        parts: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        across = False
        for cell in cells:
            there = second.get(cell["cell"])
            if there is not None and there["geography"] != cell["geography"]:
                across = True
                if cell["irregular"] == "true":
                    continue
            weight = cell["lsoa2011"] if cell["geography"] == "2011" else cell["lsoa2021"]
            part = parts[there["code"] if there else ""]
            part[0] += Decimal(weight)
            part[1] += Decimal(cell["population"])
        lsoas = sum(p[0] for p in parts.values())
        people = sum(p[1] for p in parts.values())
        if not parts or lsoas == 0:
            rows.append(CrosswalkRow(code, name, "", "", "", "", ONLY_IRREGULAR))
            continue
        for to_code in sorted(parts, key=lambda c: (c == "", c)):
            count, pop = parts[to_code]
            share, pop_share = _rounded(count / lsoas), _rounded(pop / people) if people else ""
            if not to_code:
                method = UNKNOWN_TO
            elif to_code == code and count == lsoas:
                method = "same organisation"
            else:
                method = ACROSS if across else EXACT
            to_name = after[to_code]["name"] if to_code in after else ""
            rows.append(CrosswalkRow(code, name, to_code, to_name, share, pop_share, method))
    return rows


def _rounded(value: Decimal) -> str:
    return str(value.quantize(_PLACES, rounding=ROUND_HALF_EVEN).normalize())


# -- diff ---------------------------------------------------------------------------------

def diff(store: ox.Store, first: str, second: str) -> list[str]:
    """What changed between two dates, in plain sentences, in date order."""
    d1 = date.fromisoformat(queries.parse_param("date", first, name="D1").value)
    d2 = date.fromisoformat(queries.parse_param("date", second, name="D2").value)
    check_range(d1, d2, what="diff D1 D2")
    before = {(r["type"], r["code"]): r for r in run(store, "organisations-at", date=first).records()}
    after = {(r["type"], r["code"]): r for r in run(store, "organisations-at", date=second).records()}
    lines: list[str] = []
    events = run(store, "changes-between", **{"from": _next_day(d1), "to": second}).records()
    grouped: dict[tuple[str, str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for e in events:
        grouped[(e["date"], e["event"], e["label"])][e["role"]].append(
            f"{e['name']} ({_kind(e['type'])} {e['code']})")
    for (day, event, label), roles in sorted(grouped.items()):
        text = label or f"{event}: {', '.join(roles.get('from', []))} -> {', '.join(roles.get('to', []))}"
        lines.append(f"{day}  {event}: {text}")
    for key in sorted(after.keys() - before.keys()):
        r = after[key]
        lines.append(f"established  {_kind(r['type'])} {r['code']} {r['name']} (from {r['start']})")
    for key in sorted(before.keys() - after.keys()):
        r = before[key]
        lines.append(f"ended        {_kind(r['type'])} {r['code']} {r['name']} (last day {r['end']})")
    for key in sorted(before.keys() & after.keys()):
        if before[key]["name"] != after[key]["name"]:
            lines.append(f"renamed      {_kind(key[0])} {key[1]}: {before[key]['name']} -> "
                         f"{after[key]['name']}")
    return lines


def _kind(slug: str) -> str:
    return KIND_LABEL.get(slug, slug)


def _next_day(day: date) -> str:
    from nhsgraph.temporal import day_after

    return day_after(day).isoformat()
