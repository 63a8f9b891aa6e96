"""LSOA cells: the pieces of England that no organisation boundary of the graph divides.

A crosswalk between two kinds on two dates needs to know which LSOAs of one
organisation lay in which organisation of the other; district coverage
(:mod:`coverage`) cannot say it where both divide a district. The LSOA
assignments (:mod:`~nhsgraph.ingest.lsoa`) can, but there are 37 of them over
two census geographies and ~33,000 LSOAs each. Cells carry what they say in a
few hundred nodes:

- A *piece* is one row of the ONS LSOA 2011 to LSOA 2021 lookup: an (LSOA
  2011, LSOA 2021) pair. An assignment of the 2011 geography places a piece
  by its LSOA 2011, one of the 2021 geography by its LSOA 2021.
- A *cell* is the set of pieces that every assignment places in the same
  organisation, and that have the same kind of correspondence (regular: the
  LSOA was unchanged (U) or split (S); irregular: merged (M) or redrawn (X)).
  Its notation is the ``<LSOA 2011>-<LSOA 2021>`` of its lowest piece.
- ``nhs:lsoa2011Count`` counts the LSOAs 2011 whose lowest piece is in the
  cell, ``nhs:lsoa2021Count`` the LSOAs 2021 likewise, so each LSOA counts
  once, and the counts of an organisation's cells add up to its LSOAs in a
  lookup of that geography. ``nhs:population`` is the ONS mid-2020 estimate
  (LSOA 2011 geography) of its pieces, an LSOA 2011 split into several LSOAs
  2021 dividing its population equally among them (a stated estimate).
- An ``nhs:CellCoverage`` record says which organisation of a kind a cell lay
  in between two days: an assignment holds from its as-at day to the day
  before the next one of the kind (the last one until the organisation ends),
  clipped to the organisation's lifetime; consecutive assignments of one
  geography that agree make one record citing all their sources. A record
  from a derived assignment carries its rule in an ``rdfs:comment`` starting
  "INFERRED". A cell with no record of a kind on a day is not known on that day
  (the completeness register says where).

Between the two geographies, an irregular cell's two placements describe
different ground (several LSOAs 2011 merged into one LSOA 2021, or redrawn), so
a comparison across them must leave irregular cells out; ``crosswalk`` does,
and says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from nhsgraph.errors import DataError
from nhsgraph.ingest import lsoa
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.products import LSOA_ASSIGNMENTS, ORGANISATIONS, SOURCES
from nhsgraph.temporal import Interval, day_before

POPULATION = "ons-pop-lsoa11-2020"
IRREGULAR = frozenset({"M", "X"})
KINDS = ("ccg", "stp", "sub-icb", "icb", "region")


@dataclass(frozen=True)
class Cell:
    """One cell: its pieces and the organisation of each assignment (``None``: unknown)."""

    pieces: tuple[tuple[str, str], ...]
    orgs: tuple[str | None, ...]
    irregular: bool

    @property
    def notation(self) -> str:
        return "-".join(self.pieces[0])


def cells_of(found: tuple[lsoa.Assignment, ...], bridge: lsoa.Bridge) -> list[Cell]:
    """The cells of the assignments ``found`` (see the module docstring), in notation order.

    Pieces that no assignment places (Wales) make no cell.

    Raises:
        DataError: an assignment names an LSOA that is not in the bridge.
    """
    for a in found:
        known = bridge.children if a.geography == 2011 else bridge.parents
        missing = [code for code in a.org if code not in known]
        if missing:
            raise DataError(f"{len(missing)} LSOAs of the {a.kind} assignment as at {a.as_at} "
                            f"(e.g. {missing[0]}) are not in the LSOA 2011-to-2021 lookup",
                            path=a.where, hint="the lookups and the bridge must be of the same ONS "
                            "release; check data/sources/files.csv")
    groups: dict[tuple[tuple[str | None, ...], bool], list[tuple[str, str]]] = defaultdict(list)
    for old, kids in bridge.children.items():
        irregular = bridge.change.get(old) in IRREGULAR
        for new in kids:
            orgs = tuple(a.org.get(old if a.geography == 2011 else new) for a in found)
            if any(o is not None for o in orgs):
                groups[orgs, irregular].append((old, new))
    cells = [Cell(tuple(sorted(pieces)), orgs, irregular) for (orgs, irregular), pieces in groups.items()]
    return sorted(cells, key=lambda c: c.pieces[0])


def counts(cells: list[Cell], bridge: lsoa.Bridge) -> dict[str, tuple[int, int]]:
    """Cell notation -> (LSOAs 2011, LSOAs 2021) counted in the cell of their lowest piece."""
    home = {piece: c.notation for c in cells for piece in c.pieces}
    out = {c.notation: [0, 0] for c in cells}
    for old, kids in bridge.children.items():
        lowest = (old, min(kids))
        if lowest in home:
            out[home[lowest]][0] += 1
    for new, parents in bridge.parents.items():
        lowest = (min(parents), new)
        if lowest in home:
            out[home[lowest]][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def populations(cells: list[Cell], bridge: lsoa.Bridge, people: dict[str, int]) -> dict[str, Decimal]:
    """Cell notation -> mid-2020 population, a split LSOA 2011 divided equally (2 places)."""
    out: dict[str, Decimal] = {}
    for c in cells:
        total = sum((Decimal(people.get(old, 0)) / len(bridge.children[old]) for old, _ in c.pieces),
                    Decimal(0))
        out[c.notation] = total.quantize(Decimal("0.01"))
    return out


@dataclass(frozen=True)
class Run:
    """A cell in one organisation of a kind over ``span``, by assignments of one geography."""

    kind: str
    org: str
    span: Interval
    geography: int
    sources: tuple[str, ...]
    rule: str | None


def runs_of(cell: Cell, found: tuple[lsoa.Assignment, ...], lifetime) -> list[Run]:
    """The coverage runs of one cell, kind by kind, merged where consecutive ones agree."""
    out: list[Run] = []
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(found):
        by_kind[a.kind].append(i)
    for kind, indexes in by_kind.items():
        indexes.sort(key=lambda i: found[i].as_at)
        runs: list[Run] = []
        for n, i in enumerate(indexes):
            a, org = found[i], cell.orgs[i]
            if org is None:
                continue
            until = day_before(found[indexes[n + 1]].as_at) if n + 1 < len(indexes) else None
            span = Interval(a.as_at, until)
            life = lifetime(kind, org)
            if life is not None:
                span = span.intersection(life)
                if span is None:  # the coverage step refuses this contradiction
                    continue
            last = runs[-1] if runs else None
            if (last is not None and (last.org, last.geography) == (org, a.geography)
                    and last.span.is_followed_by(span)):
                runs[-1] = Run(kind, org, Interval(last.span.start, span.end), a.geography,
                               tuple(dict.fromkeys(last.sources + a.sources)), last.rule)
            else:
                runs.append(Run(kind, org, span, a.geography, a.sources, a.rule))
        out += runs
    return out


def ingest(ctx: Context) -> None:
    b = ctx.builder
    found = tuple(a for a in ctx.get(LSOA_ASSIGNMENTS) if a.kind in KINDS)
    bridge = lsoa.read_bridge(ctx)
    people: dict[str, int] = {}
    for row in ctx.rows(POPULATION):
        value = row["total_population"]
        if not value.isdigit():
            raise row.error(f"population {value!r} is not a whole number")
        people[row["lsoa11_code"]] = int(value)
    cells = cells_of(found, bridge)
    missing = sorted({old for c in cells for old, _ in c.pieces if old not in people})
    if missing:
        raise DataError(f"{len(missing)} LSOAs 2011 of England (e.g. {missing[0]}) have no population",
                        path=ctx.display(POPULATION))
    count = counts(cells, bridge)
    pop = populations(cells, bridge, people)
    cell_sources = (lsoa.BRIDGE, POPULATION)
    for c in cells:
        iri = b.add_cell(c.notation, lsoa2011=count[c.notation][0], lsoa2021=count[c.notation][1],
                         population=pop[c.notation], irregular=c.irregular, sources=cell_sources)
        for run in runs_of(c, found, ctx.lifetime):
            b.add_cell_coverage(b.ref(run.kind, run.org, why=f"cell {c.notation}"), iri,
                                run.span.start, run.span.end, geography=run.geography,
                                sources=run.sources + (lsoa.BRIDGE,), comment=run.rule)


STEP = Step("cells", ingest, needs=(SOURCES, LSOA_ASSIGNMENTS, *(ORGANISATIONS[k] for k in KINDS)))
