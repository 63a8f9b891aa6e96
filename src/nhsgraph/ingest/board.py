"""Board posts of integrated care boards, from ``data/curated/boards.csv``.

Each row of ``boards.csv`` is one seat of one ICB board as one source shows it
on one date (see ``data/curated/boards-README.md``). A row becomes an
``nhs:BoardPost`` (an ``org:Post``): ``org:postIn`` the ICB, ``org:role`` the
``nhspost:`` concept of its ``post`` column, ``nhs:nominatedBy`` the
``nominator:`` concept, ``org:heldBy`` the person where the source names one
(``nhsid:person/<slug>`` with the name as ``skos:prefLabel``), and the
row's note as ``rdfs:comment``. Sources and rules:

- Dates: a source shows a seat on one day (a meeting) or in one month or year.
  The post's ``nhs:startDate`` and ``nhs:endDate`` are both that date, with
  the same precision: the source is evidence for that day only. An open end
  would claim the seat and its holder still hold today (Derby and Derbyshire's
  vice chair of November 2022 is gone from the March 2023 minutes), and it
  would make every later snapshot of the board inherit every earlier seat.
- Rows the graph cannot hold are left out:
  rows without a date (``as_of`` blank, flag ``UNDATED``): a post must have a
  start date; rows whose post is ``other`` (executives the page lists without
  saying they are board members): the ``nhspost:`` scheme has no concept for
  them; rows dated before the ICB existed (a designate named before
  2022-07-01): the board did not exist yet.
- Complete and partial listings: the governance shapes check a board's
  composition on each date it is recorded. Only the two Derby and Derbyshire
  snapshots list the whole board (the "Completeness" column of
  ``boards-README.md``), so every other post carries ``nhs:partialListing
  true``: the rest of those boards is unknown, not absent, and the statutory
  rules are not applied to those dates.
- Person IRIs are slugs of the name without titles (Dr, Dame, Rt Hon, ...),
  so the same person in two snapshots is one node; the first spelling is the
  ``skos:prefLabel`` and any other spelling an ``skos:altLabel``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from nhsgraph.errors import DataError
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.milestones import STATUTORY_ICS
from nhsgraph.ingest.products import SOURCES
from nhsgraph.ingest.readers import Row
from nhsgraph.terms import PREFIXES

TABLE = "boards.csv"
POST = PREFIXES["nhspost"]
NOMINATOR = PREFIXES["nominator"]

#: The ``post`` values that are concepts of the nhspost: scheme.
POSTS = frozenset({
    "chair", "chief-executive", "ordinary-member", "partner-member-trusts",
    "partner-member-primary-medical-services", "partner-member-local-authorities",
    "finance-director", "medical-director", "nursing-director", "non-executive-member",
    "mental-health-expertise-member",
})
#: The ``nominated_by`` values that are concepts of the nominator: scheme.
NOMINATORS = frozenset({
    "nhs-trusts-and-foundation-trusts", "primary-medical-services", "local-authorities", "icb",
})
#: Snapshots (ICB, as_of, source) that list the whole board, per boards-README.md.
COMPLETE = frozenset({
    ("QJ2", "2022-11-17", "dd-icb-board-minutes-2022-11-17"),
    ("QJ2", "2023-03-16", "dd-icb-board-minutes-2023-03-16"),
})
_TITLES = re.compile(r"^(?:(?:dr|dame|sir|prof|professor|rt hon|cllr|mr|mrs|ms|miss)\.?\s+)+", re.IGNORECASE)


def ingest(ctx: Context) -> None:
    b = ctx.builder
    for row in ctx.curated(TABLE):
        code, post = row["icb_ods"], row["post"]
        if post == "other":
            continue  # no nhspost: concept for it
        if post not in POSTS:
            raise row.error(f"post {post!r} is not a concept of the nhspost: scheme",
                            hint=f"use one of {', '.join(sorted(POSTS))}, or 'other'")
        start, precision = _as_of(row)
        if start is None or start < STATUTORY_ICS:
            continue  # undated (a post needs a date), or a designate named before the ICB existed
        source = row["source_id"]
        if not source:
            raise row.error("empty source_id: every board post cites a source")
        nominated = row["nominated_by"]
        if nominated and nominated not in NOMINATORS:
            raise row.error(f"nominated_by {nominated!r} is not a concept of the nominator: scheme",
                            hint=f"use one of {', '.join(sorted(NOMINATORS))}")
        holder = row["holder"]
        b.add_post(
            b.ref("icb", code, why=f"board post in {TABLE}"), POST + post, start,
            precision=precision, sources=[source],
            holder=b.add_person(_slug(holder), holder) if holder else None,
            nominated_by=NOMINATOR + nominated if nominated else None,
            partial=(code, row["as_of"], source) not in COMPLETE,
            comment=row["note"] or None,
        )


def _as_of(row: Row) -> tuple[date | None, str]:
    """The ``as_of`` date (first day of its month or year) and its precision."""
    text, precision = row["as_of"], row["as_of_precision"] or "day"
    if not text:
        return None, precision
    try:
        if precision == "year" and re.fullmatch(r"\d{4}", text):
            return date(int(text), 1, 1), precision
        if precision == "month" and re.fullmatch(r"\d{4}-\d{2}", text):
            year, month = text.split("-")
            return date(int(year), int(month), 1), precision
        if precision == "day":
            return date.fromisoformat(text), precision
    except ValueError:
        pass
    raise DataError(f"as_of {text!r} does not match as_of_precision {precision!r}",
                    path=row.path, line=row.line,
                    hint="use YYYY-MM-DD with day, YYYY-MM with month, YYYY with year")


def _slug(name: str) -> str:
    """``Dr. Onyi Okonkwo`` -> ``onyi-okonkwo``: the name without titles, ASCII, kebab-case."""
    bare = _TITLES.sub("", name.strip())
    ascii_name = unicodedata.normalize("NFKD", bare).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


STEP = Step("board", ingest, needs=(SOURCES,))
