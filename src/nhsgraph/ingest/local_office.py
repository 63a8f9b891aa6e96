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
from nhsgraph.ingest.context import Context
from nhsgraph.temporal import Interval, coalesce, day_before

CHD = "ons-chd-2024-07-e39"
AT_CODES = "openprescribing-at"
EAUTH = "ods-eauth-2018-11"
LOCAL_OFFICES = date(2015, 4, 1)
#: CCG snapshots: (as at, source, CCG ONS column, CCG ODS column or None, office ONS column)
SNAPSHOTS = (
    (date(2013, 4, 1), "ons-ccg13-nhsat13-nhscr13", "CCG13CD", None, "NHSAT13CD"),
    (date(2017, 4, 1), "ons-ccg17-nhsrlo17-nhser17", "CCG17CD", None, "NHSRLO17CD"),
    (date(2018, 4, 1), "ons-ccg18-nhsrlo18-nhser18", "CCG18CD", "CCG18CDH", "NHSRLO18CD"),
)


def ingest(ctx: Context) -> None:
    chd = ctx.chd(CHD)
    area_teams = {r["ons_code"]: r["hscic_code"] for r in ctx.rows(AT_CODES)}
    # (kind, code) of the organisation each (E39 code, version) belongs to.
    versions: dict[tuple[str, str], list[tuple[Interval, str, dict]]] = defaultdict(list)
    office_codes = _office_codes(ctx, chd)
    for ons, vs in sorted(chd.items()):
        for v in vs:
            span = _span(v)
            if span.end is not None and span.end < LOCAL_OFFICES:
                if ons not in area_teams:
                    raise DataError(f"area team {ons} has no ODS code", path=ctx.display(AT_CODES),
                                    hint="add its row to the area-team code file")
                versions[("area-team", area_teams[ons])].append((span, ons, v))
            else:
                versions[("local-office", office_codes.get(ons, ons))].append((span, ons, v))
    for (kind, code), spans in sorted(versions.items()):
        _organisation(ctx, kind, code, sorted(spans, key=lambda s: s[0].start))
    _abolitions(ctx, versions)
    _ccg_memberships(ctx, versions)


def _office_codes(ctx: Context, chd: dict[str, list[dict]]) -> dict[str, str]:
    """The ODS Q-code of each local office's E39 code, where a shipped source gives it."""
    codes: dict[str, str] = {}
    for row in ctx.rows("ons-ccg18-nhsrlo18-nhser18"):
        known = codes.setdefault(row["NHSRLO18CD"], row["NHSRLO18CDH"])
        if known != row["NHSRLO18CDH"]:
            raise row.error(f"{row['NHSRLO18CD']} is {row['NHSRLO18CDH']} here but {known} above")
    by_name: dict[str, list[str]] = defaultdict(list)
    for ons, vs in chd.items():
        for v in vs:
            if _span(v).start >= LOCAL_OFFICES:
                by_name[v["nm"].upper()].append(ons)
    for row in ctx.ods_rows(EAUTH):
        matches = sorted(set(by_name.get(row["name"].upper(), [])))
        for ons in matches:
            known = codes.setdefault(ons, row["code"])
            if known != row["code"]:
                raise row.error(f"{ons} is {known} in the ONS 2018 lookup but {row['code']} by name here")
    return codes


def _organisation(ctx: Context, kind: str, code: str, spans: list[tuple[Interval, str, dict]]) -> None:
    b = ctx.builder
    regions = ctx.lookups["region_ons_to_ods"]
    ends = [s.end for s, _, _ in spans]
    start, end = spans[0][0].start, (None if None in ends else max(ends))
    ods = code if code.startswith("Q") else None
    sources = [CHD] + ([AT_CODES if kind == "area-team" else EAUTH] if ods else [])
    org = b.add_organisation(kind, code, name=spans[-1][2]["nm"], start=start, end=end,
                             sources=sources, ods=ods, ons=sorted({ons for _, ons, _ in spans}))
    for span, ons, version in spans:
        b.add_code(org, "ONS", ons, span.start, span.end, sources=[CHD])
        parent = regions.get(version["parent"])
        if parent is None:
            raise DataError(f"{ons}: parent region {version['parent']} has no ODS code",
                            path=ctx.display(CHD))
        b.add_membership(org, b.ref("region", parent, why=f"region of {kind} {code}"),
                         span.start, span.end, sources=[CHD])
    for span, name in coalesce([(span, v["nm"]) for span, _, v in spans]):
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


def _abolitions(ctx: Context, versions: dict[tuple[str, str], list]) -> None:
    b = ctx.builder
    offices = {code for kind, code in versions if kind == "local-office"}
    for kind, code in sorted(versions):
        if kind != "area-team":
            continue
        life = b.lifetime(kind, code)
        if life.end != day_before(LOCAL_OFFICES):
            raise DataError(f"area team {code} ends on {life.end}, not on the day before the "
                            f"local offices began ({LOCAL_OFFICES})", path=ctx.display(CHD))
        if code in offices:
            b.add_event("Abolition", LOCAL_OFFICES, original=[b.ref(kind, code)],
                        resulting=[b.ref("local-office", code)], sources=[CHD, AT_CODES, EAUTH],
                        label=f"area team {code} abolished; ODS code {code} and its ONS code carry "
                        f"on as local office {code}")
        else:
            b.add_event("Abolition", LOCAL_OFFICES, original=[b.ref(kind, code)], sources=[CHD],
                        label=f"area team {code} abolished (no shipped source names a successor)")


def _ccg_memberships(ctx: Context, versions: dict[tuple[str, str], list]) -> None:
    """CCG -> area team or local office, from the ONS snapshots (see the module docstring)."""
    b = ctx.builder
    ccg_codes = ctx.lookups["ccg_ons_to_ods"]
    # E39 code -> [(version span, kind, code)]
    owner: dict[str, list[tuple[Interval, str, str]]] = defaultdict(list)
    for (kind, code), spans in versions.items():
        for span, ons, _ in spans:
            owner[ons].append((span, kind, code))
    runs: dict[tuple[str, str, str], list[list]] = defaultdict(list)
    for index, (as_at, source, ccg_ons, ccg_ods, office_col) in enumerate(SNAPSHOTS):
        following = SNAPSHOTS[index + 1][0] if index + 1 < len(SNAPSHOTS) else None
        for row in ctx.rows(source):
            ccg = row[ccg_ods] if ccg_ods else ccg_codes.get(row[ccg_ons])
            if ccg is None:
                raise row.error(f"CCG {row[ccg_ons]} has no ODS code in the shipped ONS files")
            found = [(span, kind, code) for span, kind, code in owner.get(row[office_col], [])
                     if span.contains(as_at)]
            if len(found) != 1:
                raise row.error(f"{row[office_col]} is not one area team or local office on {as_at}")
            span, kind, code = found[0]
            limits = [d for d in (span.end, day_before(following) if following else None) if d]
            end = min(limits) if limits else None
            run = runs[(ccg, kind, code)]
            if run and day_before(as_at) == run[-1][1]:  # seen in the previous snapshot too
                run[-1][1] = end
                run[-1][2].append(source)
            else:
                run.append([as_at, end, [source]])
    for (ccg, kind, code), spans in sorted(runs.items()):
        ccg_life = b.lifetime("ccg", ccg)
        for start, end, sources in spans:
            span = Interval(start, end)
            if ccg_life is not None:
                span = span.intersection(ccg_life)
            if span is None:
                continue
            b.add_membership(b.ref("ccg", ccg, why=f"member of {kind} {code}"), b.ref(kind, code),
                             span.start, span.end, sources=sources)


def _span(version: dict) -> Interval:
    d = version["date"]
    return Interval(date.fromisoformat(d["s"]), date.fromisoformat(d["e"]) if d.get("e") else None)
