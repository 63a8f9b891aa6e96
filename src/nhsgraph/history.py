"""History tools built on the canned queries: lineage diagrams, crosswalks, diffs.

Each function takes an Oxigraph store (the embedded graph) and returns plain
Python data; the CLI formats it. Nothing here prints or exits.

Crosswalk shares. The graph records, for every organisation and district,
the share of the district's LSOAs the organisation covered (``nhs:share``).
The share of organisation F (on day D1) that lies in organisation T (on day
D2) is computed district by district: where either side covers the whole
district the overlap is exact (the other side's share); where both cover
only part of it the overlap is *estimated* as the product of the two shares
(the data do not say which LSOAs). The ``method`` column says which applied.
Where D2 has no coverage data (the ICBs created in 2026), the successor is
found through the succession events, with share 1 for a whole merger and no
share for a split.
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

@dataclass(frozen=True)
class CrosswalkRow:
    from_code: str
    from_name: str
    to_code: str
    to_name: str
    share: str
    method: str

    COLUMNS = ("from_code", "from_name", "to_code", "to_name", "share", "method")


_COVERAGE = """
PREFIX nhs: <https://w3id.org/nhsgraph/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?code ?lad ?share ?total WHERE {
  ?org nhs:kind ?_kind ; skos:notation ?code .
  ?cov nhs:coveringOrganisation ?org ; nhs:coveredArea ?lad ; nhs:share ?share ;
       nhs:lsoaTotal ?total ; nhs:startDate ?s .
  OPTIONAL { ?cov nhs:endDate ?e }
  FILTER(?s <= ?_date && COALESCE(?e, "9999-12-31"^^xsd:date) >= ?_date)
}
"""

_SUCCESSORS = """
PREFIX nhs: <https://w3id.org/nhsgraph/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT DISTINCT ?from ?to WHERE {
  ?f nhs:kind ?_fromKind ; skos:notation ?from ; nhs:hasSuccessor* ?x .
  {
    ?x nhs:kind ?_toKind .
    BIND(?x AS ?t)
  } UNION {
    # A successor of another kind (a sub-ICB location) lifted to the body it belonged to.
    ?m org:member ?x ; org:organization ?t ; nhs:startDate ?ms .
    ?t nhs:kind ?_toKind .
    OPTIONAL { ?m nhs:endDate ?me }
  }
  FILTER(COALESCE(?ms, ?_toDate) <= ?_toDate && COALESCE(?me, "9999-12-31"^^xsd:date) >= ?_toDate)
  ?t skos:notation ?to .
}
"""


def _coverage(store: ox.Store, kind: ox.NamedNode, day: ox.Literal) -> dict[str, dict[str, tuple[Decimal, int]]]:
    out: dict[str, dict[str, tuple[Decimal, int]]] = defaultdict(dict)
    text = queries.with_values(_COVERAGE, {"_kind": kind, "_date": day})
    for row in store.query(text):
        out[row["code"].value][row["lad"].value] = (Decimal(row["share"].value), int(row["total"].value))
    return out


def crosswalk(store: ox.Store, from_type: str, from_date: str, to_type: str, to_date: str) -> list[CrosswalkRow]:
    """Every organisation of ``from_type`` on ``from_date`` mapped to its successors of
    ``to_type`` on ``to_date``, with the share of its area each took."""
    bound = {
        "_from_type": queries.parse_param("type", from_type, name="--from-type"),
        "_from_date": queries.parse_param("date", from_date, name="--from-date"),
        "_to_type": queries.parse_param("type", to_type, name="--to-type"),
        "_to_date": queries.parse_param("date", to_date, name="--to-date"),
    }
    before = {r["code"]: r for r in run(store, "organisations-at", date=from_date, type=from_type).records()}
    after = {r["code"]: r for r in run(store, "organisations-at", date=to_date, type=to_type).records()}
    if not before:
        raise ParameterError(f"no organisation of type {from_type} existed on {from_date}")
    if not after:
        raise ParameterError(f"no organisation of type {to_type} existed on {to_date}")
    cov1 = _coverage(store, bound["_from_type"], bound["_from_date"])
    cov2 = _coverage(store, bound["_to_type"], bound["_to_date"])
    succ: dict[str, set[str]] = defaultdict(set)
    text = queries.with_values(_SUCCESSORS, {"_fromKind": bound["_from_type"], "_toKind": bound["_to_type"],
                                             "_toDate": bound["_to_date"]})
    for row in store.query(text):
        if row["to"].value in after:
            succ[row["from"].value].add(row["to"].value)
    rows: list[CrosswalkRow] = []
    for code in sorted(before):
        targets = sorted(succ.get(code, set()))
        if not targets:
            rows.append(CrosswalkRow(code, before[code]["name"], "", "", "", "no successor in the data"))
            continue
        shares, exact = _apportion(cov1.get(code, {}), {t: cov2.get(t, {}) for t in targets})
        for t_code in targets:
            share = shares.get(t_code)
            if share is not None:
                method = "district coverage (exact)" if exact else \
                    "district coverage (estimated within divided districts)"
            elif len(targets) == 1:
                share, method = Decimal(1), "succession (the only successor)"
            else:
                method = "succession (divided; share unknown)"
            if t_code == code and share == 1:
                method = "same organisation"
            text_share = "" if share is None else str(
                share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN).normalize())
            rows.append(CrosswalkRow(code, before[code]["name"], t_code, after[t_code]["name"],
                                     text_share, method))
    return rows


def _apportion(f_cov: dict[str, tuple[Decimal, int]],
               targets: dict[str, dict[str, tuple[Decimal, int]]]) -> tuple[dict[str, Decimal], bool]:
    """Divide F's area among its successors, district by district.

    In each district F covered: if F covered all of it, each successor gets
    its own part; if one successor covers the district whole, or is the only
    successor there, it gets all of F's part; otherwise F's part is divided
    in proportion to the successors' shares (an estimate: the data do not say
    which LSOAs). Returns the shares of F's total and whether all were exact.
    Successors without coverage data get no share.
    """
    covered = {t: cov for t, cov in targets.items() if cov}
    f_total = sum(share * total for share, total in f_cov.values())
    if not f_cov or not covered or f_total <= 0:
        return {}, True
    parts: dict[str, Decimal] = defaultdict(Decimal)
    exact = True
    for lad, (f_share, total) in f_cov.items():
        there = {t: cov[lad][0] for t, cov in covered.items() if lad in cov}
        if not there:
            continue
        if f_share == 1:
            for t, t_share in there.items():
                parts[t] += t_share * total
        elif len(there) == 1 or any(v == 1 for v in there.values()):
            winner = next((t for t, v in there.items() if v == 1), next(iter(there)))
            parts[winner] += f_share * total
        else:
            exact = False
            weight = sum(there.values())
            for t, t_share in there.items():
                parts[t] += f_share * total * t_share / weight
    return {t: part / f_total for t, part in parts.items()}, exact


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
