"""GP practices and their commissioners, 2013 to today.

A GP practice is ``nhsid:practice/<ODS code>``: every row of ODS ``epraccur``
(2025) with prescribing setting 4 (GP practice) outside Wales (national
grouping ``W00``). Sources and rules:

- **Lifetime, name**: epraccur's open and close dates and its name (the name
  on the extract; ODS keeps no name history in this file). The snapshots'
  ``PRACTICE_NAME`` is not used for dated names (a snapshot shows a name on
  one day only).
- **Commissioner membership** (``org:Membership`` of the practice in a CCG
  until 2022-06-30, in the sub-ICB location of the same code from
  2022-07-01; the ICB follows through the sub-ICB location). The evidence of
  one practice, by commissioner code:

  * every ``epcmem`` row (generated 2019-08-30) whose parent is a CCG: join
    and left dates as given; a row with no left date held at least until the
    file was generated;
  * epraccur's current commissioner, with its join date (and left date for a
    closed practice); it is the same membership as the epcmem row of the same
    code and join date;
  * the practice maps of 2020-09-01, 2022-01-01 and 2026-01-01: the CCG or
    sub-ICB location on that day.

  In date order, a membership whose end no source gives ends between the last
  day it is known to hold and the day before the next known commissioner's
  first day; a commissioner seen only in a snapshot starts between the day
  after the previous one's last known day and the snapshot. Such a day is
  recorded as ``nhs:earliestEnd``/``nhs:latestEnd`` (or the start pair), never
  as one of the two days. Each membership is clipped to the lifetimes of the
  practice and of the CCG or sub-ICB location; a membership that only
  *may* have reached a CCG's or location's life is left out (and counted in
  the completeness register).
- **A snapshot that contradicts an exactly dated membership** (the map shows
  another commissioner on a day epcmem or epraccur date in one) is recorded as
  an ``nhs:ConflictNote``; the dated membership stands (ODS is the register).
- **Not modelled** (completeness register): membership of primary care trusts
  and PCGs before 2013-04-01 (no PCT organisations in the graph), Welsh
  practices and LHBs, and the epcmem codes that epraccur does not list as GP
  practices (other prescribing settings).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.milestones import STATUTORY_ICS
from nhsgraph.ingest.products import ORGANISATIONS, SOURCES
from nhsgraph.ingest.readers import ODS_COLUMNS, Row
from nhsgraph.temporal import Between, Interval, day_after, day_before, parse_yyyymmdd
from nhsgraph.terms import org_iri

EPRACCUR = "ods-epraccur-2025-09"
EPCMEM = "ods-epcmem-2019-08"
#: The day ODS generated the epcmem file (its repository's notes; data/raw/PROVENANCE.md).
EPCMEM_GENERATED = date(2019, 8, 30)
#: The practice maps: (day, source, column of the commissioner's ODS code).
MAPS = ((date(2020, 9, 1), "nhsd-gp-practice-map-2020-09", "CCG_CODE"),
        (date(2022, 1, 1), "nhsd-gp-practice-map-2022-01", "CCG_CODE"),
        (date(2026, 1, 1), "nhsd-gp-practice-map-2026-01", "SUB_ICB_LOCATION_CODE"))
#: The last open or join date in epraccur: the extract was taken on or after it (its day is not stated).
EPRACCUR_SEEN = date(2025, 9, 1)
EPCMEM_COLUMNS = ["practice", "parent", "parent_type", "join", "left", "amended"]
#: epraccur's 27 columns (the ODS layout with the practice fields named).
EPRACCUR_COLUMNS = [{"null_13": "status", "null_15": "commissioner", "null_16": "join_commissioner",
                     "null_17": "left_commissioner", "null_26": "prescribing_setting"}.get(c, c)
                    for c in ODS_COLUMNS]
GP_PRACTICE = "4"
WALES = "W00"

Day = date | Between
FIRST_NAME = ("INFERRED: the earliest name the sources give, taken to be the name from the practice's "
              "opening; no stored source gives an earlier one")


@dataclass
class Spell:
    """One commissioner of one practice: exact days where a source gives them, and the
    first and last days on which some source shows the practice in it."""

    code: str
    first_seen: date
    last_seen: date
    start: date | None = None
    end: date | None = None
    ongoing: bool = False
    sources: list[str] = field(default_factory=list)

    def holds(self, day: date, following: Spell | None) -> bool:
        """True if this spell certainly or possibly covers ``day`` (up to the next spell)."""
        begin = self.start or self.first_seen
        if day < begin:
            return False
        if self.end is not None:
            return day <= self.end
        if following is not None:
            return day < (following.start or following.first_seen)
        return True


def ingest(ctx: Context) -> None:
    b = ctx.builder
    practices: dict[str, Row] = {}
    for row in ctx.rows(EPRACCUR, header=EPRACCUR_COLUMNS):
        if row["prescribing_setting"] == GP_PRACTICE and row["national_grouping"] != WALES:
            if row.date("open_date", ods=True) is None:
                raise row.error(f"GP practice {row['code']} has no open date")
            practices[row["code"]] = row
    mapped: dict[str, list[tuple[date, str, str, Row]]] = defaultdict(list)  # day, source, column
    for day, source, column in MAPS:
        for row in ctx.rows(source):
            if row["PRACTICE_CODE"] in practices:
                mapped[row["PRACTICE_CODE"]].append((day, source, column, row))
    for code, row in practices.items():
        _define(ctx, code, row, [(day, r["PRACTICE_NAME"], source) for day, source, _, r in mapped[code]])

    spells: dict[str, list[Spell]] = defaultdict(list)
    for row in ctx.rows(EPCMEM, header=EPCMEM_COLUMNS):
        code, parent = row["practice"], row["parent"]
        if code not in practices or ctx.lifetime("ccg", parent) is None:
            continue  # not an English GP practice, or a PCT/PCG/LHB parent (not modelled)
        join, left = _ods_day(row, "join"), _ods_day(row, "left")
        if join is None:
            raise row.error(f"epcmem row of {code} in {parent} has no join date")
        seen = left if left else max(join, EPCMEM_GENERATED)
        spells[code].append(Spell(parent, join, seen, start=join, end=left, sources=[EPCMEM]))

    for code, row in practices.items():
        commissioner = row["commissioner"]
        join, left = row.date("join_commissioner", ods=True), row.date("left_commissioner", ods=True)
        if not commissioner or join is None:
            continue
        latest = max(spells[code], key=lambda s: s.start, default=None)
        # The same membership: the same code and join date, or the practice's latest epcmem
        # commissioner (epraccur keeps the join date of the PCT era: 5EM from 2001 is 04K).
        same = [s for s in spells[code] if s.code == commissioner and s.start == join] or (
            [latest] if latest is not None and latest.code == commissioner
            and latest.end in (None, left) else [])
        if same:
            spell = same[0]
            if join > spell.start:
                b.add_conflict(org_iri("practice", code),
                               f"epraccur dates practice {code} in {commissioner} from {join}, epcmem "
                               f"from {spell.start}; the membership history (epcmem) is kept",
                               sources=[EPRACCUR, EPCMEM], key="epraccur-join")
            spell.end, spell.last_seen = left, max(spell.last_seen, left or join)
            spell.sources.append(EPRACCUR)
        elif any(s.start >= join for s in spells[code]):
            # epraccur's join date is not after a later epcmem membership: the join date is
            # not the day this membership began (ODS re-dates merged commissioners).
            later = max(s.start for s in spells[code])
            b.add_conflict(org_iri("practice", code),
                           f"epraccur dates practice {code} in {commissioner} from {join}, but epcmem "
                           f"has it in another commissioner from {later}; the membership of "
                           f"{commissioner} is recorded as known only from {left or EPRACCUR_SEEN}",
                           sources=[EPRACCUR, EPCMEM], key="epraccur-join")
            spell = Spell(commissioner, left or EPRACCUR_SEEN, left or EPRACCUR_SEEN, end=left,
                          sources=[EPRACCUR])
            spells[code].append(spell)
        else:
            spell = Spell(commissioner, join, left or join, start=join, end=left, sources=[EPRACCUR])
            spells[code].append(spell)
        spell.ongoing = left is None

    for code, sightings in mapped.items():
        for day, source, column, row in sightings:
            _observe(ctx, spells[code], code, day, row[column], source)

    for code in sorted(spells):
        life = ctx.lifetime("practice", code)
        org = b.ref("practice", code)
        ordered = _coalesce(sorted(spells[code], key=lambda s: s.start or s.first_seen))
        for i, spell in enumerate(ordered):
            before = ordered[i - 1] if i else None
            after = ordered[i + 1] if i + 1 < len(ordered) else None
            start: Day = spell.start if spell.start else Between(
                day_after(before.end or before.last_seen) if before else life.start, spell.first_seen)
            end: Day | None = spell.end
            if end is None and not spell.ongoing and after is not None:
                latest = day_before(after.start or after.first_seen)
                if latest < spell.last_seen:  # epcmem leaves it open, a later record dates the move
                    b.add_conflict(org_iri("practice", code),
                                   f"epcmem has practice {code} in {spell.code} with no left date, but "
                                   f"it is dated in {after.code} from {after.start}; the membership of "
                                   f"{spell.code} is taken to end on {latest}",
                                   sources=sorted(set(spell.sources + after.sources)),
                                   key=f"open-{spell.code}")
                    end = latest
                else:
                    end = Between(spell.last_seen, latest)
            for kind in ("ccg", "sub-icb"):
                kept = _clip(start, end, ctx.lifetime(kind, spell.code), life)
                if kept is not None:
                    b.add_membership(org, b.ref(kind, spell.code, why=f"commissioner of practice {code}"),
                                     kept[0], kept[1], sources=sorted(set(spell.sources)))


def _define(ctx: Context, code: str, row: Row, names: list[tuple[date, str, str]]) -> None:
    """The practice, with its names by date: epraccur's (on the extract, or on the day a closed
    practice closed) and the maps' (on their days); see the module docstring."""
    b = ctx.builder
    open_day, close_day = row.date("open_date", ods=True), row.date("close_date", ods=True)
    names = names + [(close_day or EPRACCUR_SEEN, row["name"], EPRACCUR)]
    life = Interval(open_day, close_day)
    runs: list[list] = []  # [first seen, last seen, name, sources]
    for day, name, source in sorted(n for n in names if life.contains(n[0])):
        if runs and _same_name(runs[-1][2], name):
            runs[-1][1] = day
            runs[-1][3].append(source)
            if source == EPRACCUR:
                runs[-1][2] = name  # the register's spelling
        else:
            runs.append([day, day, name, [source]])
    org = b.add_organisation("practice", code, name=runs[-1][2] if runs else row["name"],
                             start=open_day, end=close_day, sources=[EPRACCUR], ods=code)
    for i, (first, last, name, sources) in enumerate(runs):
        start: Day = open_day if i == 0 else Between(day_after(runs[i - 1][1]), first)
        end: Day | None = close_day if i + 1 == len(runs) else Between(last, day_before(runs[i + 1][0]))
        b.add_name(org, name, start, end, sources=sorted(set(sources)),
                   comment=FIRST_NAME if i == 0 else None)


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.upper().split()) == " ".join(b.upper().split())


def _coalesce(ordered: list[Spell]) -> list[Spell]:
    """Join a spell to the next one of the same code where the first has no end a source
    gives (epcmem leaves it open, and a later record dates the same commissioner)."""
    out: list[Spell] = []
    for spell in ordered:
        last = out[-1] if out else None
        if last is not None and last.code == spell.code and last.end is None and not last.ongoing:
            last.last_seen = max(last.last_seen, spell.last_seen)
            last.end, last.ongoing = spell.end, spell.ongoing
            last.sources.extend(spell.sources)
            continue
        out.append(spell)
    return out


def _observe(ctx: Context, found: list[Spell], code: str, day: date, commissioner: str,
             source: str) -> None:
    """A practice map shows ``code`` in ``commissioner`` on ``day``."""
    ordered = sorted(found, key=lambda s: s.start or s.first_seen)
    for i, spell in enumerate(ordered):
        following = ordered[i + 1] if i + 1 < len(ordered) else None
        if not spell.holds(day, following):
            continue
        if spell.code == commissioner:
            spell.last_seen = max(spell.last_seen, day)
            spell.first_seen = min(spell.first_seen, day)
            spell.sources.append(source)
            return
        if spell.ongoing or spell.end is not None or day <= spell.last_seen:
            ctx.builder.add_conflict(
                org_iri("practice", code),
                f"the practice map of {day} puts practice {code} in {commissioner}, but "
                f"{', '.join(sorted(set(spell.sources)))} date it in {spell.code} on that day; "
                "the dated ODS record is kept (ODS is the register)",
                sources=sorted(set(spell.sources)) + [source], key=f"map-{day}")
            return
        break
    found.append(Spell(commissioner, day, day, sources=[source]))


def _clip(start: Day, end: Day | None, *limits: Interval | None) -> tuple[Day, Day | None] | None:
    """The part of a membership within every lifetime in ``limits``, or None if it is not
    certainly within one of them (or a lifetime is not defined)."""
    for bound in limits:
        if bound is None:
            return None
        surely_from = start.latest if isinstance(start, Between) else start
        surely_to = end.earliest if isinstance(end, Between) else end
        if surely_from > (bound.end or date.max) or (surely_to is not None and surely_to < bound.start):
            return None  # certainly outside, or only possibly inside
        if surely_from < bound.start:
            start = bound.start
        elif isinstance(start, Between) and start.earliest < bound.start:
            start = Between(bound.start, start.latest)
        if bound.end is not None:
            if end is None or (surely_to is not None and surely_to > bound.end):
                end = bound.end
            elif isinstance(end, Between) and end.latest > bound.end:
                end = Between(end.earliest, bound.end)
    return start, end


def _ods_day(row, column: str) -> date | None:
    try:
        return parse_yyyymmdd(row[column])
    except ValueError:
        raise row.error(f"column {column!r}: {row[column]!r} is not a YYYYMMDD date") from None


STEP = Step("practice", ingest, provides=(ORGANISATIONS["practice"],),
            needs=(SOURCES, ORGANISATIONS["ccg"], ORGANISATIONS["sub-icb"]))
