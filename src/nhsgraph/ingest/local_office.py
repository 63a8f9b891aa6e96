"""NHS England's area teams (2013-2015) and regional local offices (2015-2020).

ONS codes both with E39 codes; ODS with Q-codes. An area team is
``nhsid:area-team/<Q-code>``; a local office is ``nhsid:local-office/<Q-code>``,
or ``nhsid:local-office/<E39 code>`` where no shipped source gives its ODS
code. Sources and rules:

- **Lifetimes, names, ONS codes and parent regions** come from the ONS Code
  History Database (CHD E39). A version that ends by 2015-03-31 belongs to an
  area team; a later one to a local office. ODS open and close dates are
  known for only some of these bodies (``eauth`` of November 2018 lists the
  Q-codes open in 2015 or later), so the CHD dates are used for all of them,
  and where ODS gives a different date it is kept as an ``nhs:ConflictNote``.
- **Area team ODS codes** come from OpenPrescribing's ``at.csv`` (ONS E39 to
  HSCIC Q-code, 2013). **Local office ODS codes** come from the ONS April 2018
  lookup, which carries both codes, and otherwise from ``eauth`` where its
  name is the CHD name (ignoring case) of exactly one office. An office
  recoded by ONS but registered once by ODS (Q74: E39000027, then E39000039
  after the 2017 boundary change) is one organisation with two ONS codes.
- **Two registers, two organisations.** ODS kept Q70 (Wessex) and Q71
  (London), and ONS kept E39000025 and E39000018, when their area teams
  became local offices on 2015-04-01. As with a CCG and its sub-ICB location,
  the area team and the local office are distinct organisations, linked by
  the area team's ``nhs:Abolition``, whose result is the local office with
  the same code. The other 23 area teams are abolished with no stated
  successor: no shipped source says which office took over which area.
- **Memberships.** Area teams and local offices are members of their CHD
  parent region, version by version. CCGs are members of an area team from
  the ONS April 2013 lookup and of a local office from the ONS April 2017 and
  April 2018 lookups; each snapshot holds until the day before the next, and
  never past the end of the CHD version of the office it names (most offices
  were re-versioned on 2019-04-01, with new names and regions). No shipped
  lookup gives CCG memberships for 2015-16, 2016-17 or 2019-20 (a gap listed
  in data/README.md).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from nhsgraph.errors import DataError
from nhsgraph.ingest.chd import Version
from nhsgraph.ingest.codes import CodeMap
from nhsgraph.ingest.context import Context
from nhsgraph.ingest.contract import Step
from nhsgraph.ingest.milestones import CCGS_ESTABLISHED, LOCAL_OFFICES_BEGIN
from nhsgraph.ingest.products import CCG_CODES, ORGANISATIONS, REGION_CODES, SOURCES
from nhsgraph.ingest.snapshots import Snapshot, snapshot_runs
from nhsgraph.temporal import Interval, coalesce, day_before

CHD = "ons-chd-2024-07-e39"
AT_CODES = "openprescribing-at"
EAUTH = "ods-eauth-2018-11"
#: CCG snapshots: (as at, source, CCG ONS column, CCG ODS column or None, office ONS column)
SNAPSHOTS = (
    (CCGS_ESTABLISHED, "ons-ccg13-nhsat13-nhscr13", "CCG13CD", None, "NHSAT13CD"),
    (date(2017, 4, 1), "ons-ccg17-nhsrlo17-nhser17", "CCG17CD", None, "NHSRLO17CD"),
    (date(2018, 4, 1), "ons-ccg18-nhsrlo18-nhser18", "CCG18CD", "CCG18CDH", "NHSRLO18CD"),
)
#: The versions of one organisation: (kind, code) -> [E39 version].
Versions = dict[tuple[str, str], list[Version]]


def ingest(ctx: Context) -> None:
    chd = ctx.chd(CHD)
    area_teams = {r["ons_code"]: r["hscic_code"] for r in ctx.rows(AT_CODES)}
    versions: Versions = defaultdict(list)
    office_codes = _office_codes(ctx, chd)
    for ons, vs in sorted(chd.items()):
        for v in vs:
            if v.span.end is not None and v.span.end < LOCAL_OFFICES_BEGIN:
                if ons not in area_teams:
                    raise DataError(f"area team {ons} has no ODS code", path=ctx.display(AT_CODES),
                                    hint="add its row to the area-team code file")
                versions[("area-team", area_teams[ons])].append(v)
            else:
                versions[("local-office", office_codes.get(ons, ons))].append(v)
    for (kind, code), spans in sorted(versions.items()):
        _organisation(ctx, kind, code, sorted(spans, key=lambda v: v.span.start))
    _abolitions(ctx, versions)
    _ccg_memberships(ctx, versions)


def _office_codes(ctx: Context, chd: dict[str, tuple[Version, ...]]) -> CodeMap:
    """The ODS Q-code of each local office's E39 code, where a shipped source gives it."""
    codes = CodeMap("local office")
    for row in ctx.rows("ons-ccg18-nhsrlo18-nhser18"):
        codes.add(row["NHSRLO18CD"], row["NHSRLO18CDH"], row, where="an earlier row")
    by_name: dict[str, list[str]] = defaultdict(list)
    for ons, vs in chd.items():
        for v in vs:
            if v.span.start >= LOCAL_OFFICES_BEGIN:
                by_name[v.name.upper()].append(ons)
    for row in ctx.ods_rows(EAUTH):
        for ons in sorted(set(by_name.get(row["name"].upper(), []))):
            codes.add(ons, row["code"], row, where="the ONS 2018 lookup (matched by name here)")
    return codes


def _organisation(ctx: Context, kind: str, code: str, spans: list[Version]) -> None:
    b = ctx.builder
    regions = ctx.get(REGION_CODES)
    ends = [v.span.end for v in spans]
    start, end = spans[0].span.start, (None if None in ends else max(ends))
    ods = code if code.startswith("Q") else None
    sources = [CHD] + ([AT_CODES if kind == "area-team" else EAUTH] if ods else [])
    org = b.add_organisation(kind, code, name=spans[-1].name, start=start, end=end,
                             sources=sources, ods=ods, ons=sorted({v.code for v in spans}))
    for v in spans:
        b.add_code(org, "ONS", v.code, v.span.start, v.span.end, sources=[CHD])
        parent = regions.get(v.parent or "")
        if parent is None:
            raise DataError(f"{v.code}: parent region {v.parent} has no ODS code",
                            path=ctx.display(CHD))
        b.add_membership(org, b.ref("region", parent, why=f"region of {kind} {code}"),
                         v.span.start, v.span.end, sources=[CHD])
    for span, name in coalesce([(v.span, v.name) for v in spans]):
        b.add_name(org, name, span.start, span.end, sources=[CHD])
    if ods:
        b.add_code(org, "ODS", ods, start, end, sources=sources[1:])
    if kind == "local-office" and ods:
        _ods_dates(ctx, org, ods, start, end)


def _ods_dates(ctx: Context, org, ods: str, start: date, end: date | None) -> None:
    """Keep ODS's open and close dates where they differ from the CHD's."""
    row = next((r for r in ctx.ods_rows(EAUTH) if r["code"] == ods), None)
    if row is None:
        return
    opened, closed = row.date("open_date", ods=True), row.date("close_date", ods=True)
    notes = []
    if opened and opened != start:
        notes.append(f"ODS opened {ods} on {opened.isoformat()}; ONS starts its local-office "
                     f"code on {start.isoformat()}")
    if closed and closed != end:
        notes.append(f"ODS closed {ods} on {closed.isoformat()}; ONS "
                     + (f"ends its code on {end.isoformat()}" if end else "has not ended its code"))
    if notes:
        ctx.builder.add_conflict(
            org.value, "; ".join(notes) + ". Rule: the ONS Code History Database dates every area "
            "team and local office, because ODS dates are shipped for only some of them.",
            sources=[EAUTH, CHD], key="dates")


def _abolitions(ctx: Context, versions: Versions) -> None:
    b = ctx.builder
    offices = {code for kind, code in versions if kind == "local-office"}
    for kind, code in sorted(versions):
        if kind != "area-team":
            continue
        life = b.lifetime(kind, code)
        if life.end != day_before(LOCAL_OFFICES_BEGIN):
            raise DataError(f"area team {code} ends on {life.end}, not on the day before the "
                            f"local offices began ({LOCAL_OFFICES_BEGIN})", path=ctx.display(CHD))
        if code in offices:
            b.add_event("Abolition", LOCAL_OFFICES_BEGIN, original=[b.ref(kind, code)],
                        resulting=[b.ref("local-office", code)], sources=[CHD, AT_CODES, EAUTH],
                        label=f"area team {code} abolished; ODS code {code} and its ONS code carry "
                        f"on as local office {code}")
        else:
            b.add_event("Abolition", LOCAL_OFFICES_BEGIN, original=[b.ref(kind, code)],
                        sources=[CHD],
                        label=f"area team {code} abolished (no shipped source names a successor)")


def _ccg_memberships(ctx: Context, versions: Versions) -> None:
    """CCG -> area team or local office, from the ONS snapshots (see the module docstring)."""
    b = ctx.builder
    ccg_codes = ctx.get(CCG_CODES)
    # E39 code -> [(version span, kind, code)]
    owner: dict[str, list[tuple[Interval, str, str]]] = defaultdict(list)
    for (kind, code), spans in versions.items():
        for v in spans:
            owner[v.code].append((v.span, kind, code))
    snapshots: list[Snapshot[tuple[str, str, str]]] = []
    for as_at, source, ccg_ons, ccg_ods, office_col in SNAPSHOTS:
        members: dict[tuple[str, str, str], date | None] = {}
        for row in ctx.rows(source):
            ccg = row[ccg_ods] if ccg_ods else ccg_codes.get(row[ccg_ons])
            if ccg is None:
                raise row.error(f"CCG {row[ccg_ons]} has no ODS code in the shipped ONS files")
            found = [(span, kind, code) for span, kind, code in owner.get(row[office_col], [])
                     if span.contains(as_at)]
            if len(found) != 1:
                raise row.error(f"{row[office_col]} is not one area team or local office on {as_at}")
            span, kind, code = found[0]
            members[(ccg, kind, code)] = span.end  # never past the end of the office's version
        snapshots.append(Snapshot(as_at, source, members))
    for (ccg, kind, code), runs in sorted(snapshot_runs(snapshots).items()):
        ccg_life = ctx.lifetime("ccg", ccg)
        for run in runs:
            span = Interval(run.start, run.end)
            if ccg_life is not None:
                span = span.intersection(ccg_life)
            if span is None:
                continue
            b.add_membership(b.ref("ccg", ccg, why=f"member of {kind} {code}"), b.ref(kind, code),
                             span.start, span.end, sources=list(run.sources))


STEP = Step(
    "local_office", ingest,
    provides=(ORGANISATIONS["area-team"], ORGANISATIONS["local-office"]),
    needs=(SOURCES, REGION_CODES, CCG_CODES, ORGANISATIONS["ccg"]),
)
