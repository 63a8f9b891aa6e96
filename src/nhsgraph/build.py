"""Facts from the ingest step become triples here, and only here.

:class:`GraphBuilder` offers one method per kind of fact (an organisation, a
name, a membership, an event, ...). Each method takes the source of the fact
and writes the ORG/nhs pattern documented in ``docs/model.md``, so ingest
modules never write triples by hand. The builder refuses a fact without a
source, and two different values for a single-valued property of one node
(for example two start dates for one organisation) unless the ingest chose
one by a stated rule.

It imports pyoxigraph (the store's term model) and no rdflib.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pyoxigraph as ox

from nhsgraph.errors import BuildError
from nhsgraph.temporal import Between, Interval
from nhsgraph.terms import (
    COMPLETENESS,
    DCTERMS,
    FACT,
    ID,
    KIND,
    KIND_CLASS,
    NHS,
    ORG,
    RDF_TYPE,
    RDFS,
    SKOS,
    STATUS,
    TIME,
    XSD,
    org_iri,
)

Value = ox.NamedNode | str | date | int | Decimal | bool
PRECISION = {"day": None, "month": TIME.unitMonth, "year": TIME.unitYear}

#: Event types through which an organisation succeeds another (nhs:hasSuccessor); a
#: boundary change passes part of an area on (nhs:passedPartTo).
SUCCESSIONS = frozenset({"Establishment", "Merger", "Split", "Abolition"})

#: Properties that take at most one value per node; a second value is a conflict.
FUNCTIONAL = frozenset(
    {
        NHS.startDate,
        NHS.endDate,
        NHS.earliestStart,
        NHS.latestStart,
        NHS.earliestEnd,
        NHS.latestEnd,
        NHS.effectiveDate,
        NHS.odsCode,
        NHS.share,
        NHS.lsoaCount,
        NHS.lsoaTotal,
        NHS.lsoa2011Count,
        NHS.lsoa2021Count,
        NHS.population,
        NHS.irregularCorrespondence,
        NHS.cellOrganisation,
        NHS.coveredCell,
        NHS.censusGeography,
        ORG.member,
        ORG.organization,
        NHS.nameOf,
        NHS.statusOf,
        NHS.status,
    }
)


def literal(value: Value) -> ox.NamedNode | ox.Literal:
    """The RDF term for a Python value (``date`` becomes ``xsd:date``)."""
    if isinstance(value, ox.NamedNode):
        return value
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD.boolean))
    if isinstance(value, date):
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD.date))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD.integer))
    if isinstance(value, Decimal):
        # One lexical form per value, with at least one fractional digit ("0.18",
        # "1.0"): the form Turtle's decimal shorthand needs, so the literal reads
        # back term for term through every Turtle writer (rdflib writes 1.0).
        text = format(value.normalize(), "f")
        if "." not in text:
            text += ".0"
        return ox.Literal(text, datatype=ox.NamedNode(XSD.decimal))
    if isinstance(value, str):
        return ox.Literal(value)
    raise TypeError(f"no RDF term for {value!r}")


def node(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


@dataclass
class GraphBuilder:
    """Collects the facts of the history and checks them as they arrive."""

    triples: set[ox.Triple] = field(default_factory=set)
    _single: dict[tuple[str, str], tuple[ox.Term, str]] = field(default_factory=dict)
    _defined_orgs: set[str] = field(default_factory=set)
    _referenced_orgs: dict[str, str] = field(default_factory=dict)
    _sources: set[str] = field(default_factory=set)
    _cited: dict[str, str] = field(default_factory=dict)
    _person_names: dict[str, str] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)
    _post_keys: dict[str, int] = field(default_factory=dict)

    # -- low level -----------------------------------------------------------------
    def _add(self, subject: str, predicate: str, value: Value, *, why: str = "") -> None:
        obj = literal(value)
        if predicate in FUNCTIONAL:
            key = (subject, predicate)
            seen = self._single.get(key)
            if seen is not None and seen[0] != obj:
                raise BuildError(
                    f"two values for <{predicate}> of <{subject}>: {seen[0]} ({seen[1]}) "
                    f"and {obj} ({why})",
                    hint="choose one by a rule in the ingest module and record the other "
                    "as an nhs:ConflictNote",
                )
            self._single[key] = (obj, why)
        self.triples.add(ox.Triple(node(subject), node(predicate), obj))

    def _cite(self, subject: str, sources: Iterable[str]) -> None:
        ids = list(sources)
        if not ids:
            raise BuildError(f"<{subject}> has no source; every fact must cite one")
        for source_id in ids:
            iri = source_iri(source_id)
            self._cited.setdefault(iri, subject)
            self._add(subject, DCTERMS.source, node(iri))

    def _dated(
        self,
        subject: str,
        start: date | Between | None,
        end: date | Between | None,
        *,
        start_precision: str = "day",
        end_precision: str = "day",
        why: str,
    ) -> None:
        """Date a node: exact days as nhs:startDate/endDate, bounded ones as the
        earliest/latest pair (a bound of one day is that day)."""
        if isinstance(start, Between) and start.earliest == start.latest:
            start = start.earliest
        if isinstance(end, Between) and end.earliest == end.latest:
            end = end.earliest
        first = start.earliest if isinstance(start, Between) else start
        last = end.latest if isinstance(end, Between) else end
        if first is not None and last is not None and last < first:
            raise BuildError(f"<{subject}> ends ({last}) before it starts ({first}); {why}")
        if isinstance(start, Between):
            self._add(subject, NHS.earliestStart, start.earliest, why=why)
            self._add(subject, NHS.latestStart, start.latest, why=why)
        elif start is not None:
            self._add(subject, NHS.startDate, start, why=why)
            if PRECISION[start_precision]:
                self._add(subject, NHS.startDatePrecision, node(PRECISION[start_precision]))
        if isinstance(end, Between):
            self._add(subject, NHS.earliestEnd, end.earliest, why=why)
            self._add(subject, NHS.latestEnd, end.latest, why=why)
        elif end is not None:
            self._add(subject, NHS.endDate, end, why=why)
            if PRECISION[end_precision]:
                self._add(subject, NHS.endDatePrecision, node(PRECISION[end_precision]))

    def lifetime(self, kind: str, code: str) -> Interval | None:
        """The days on which an organisation defined so far may have existed (its exact
        lifetime, or from its earliest possible start to its latest possible end);
        None if it is not (yet) defined."""
        iri = org_iri(kind, code)

        def day(*predicates: str) -> date | None:
            for predicate in predicates:
                found = self._single.get((iri, predicate))
                if found is not None:
                    return date.fromisoformat(found[0].value)
            return None

        start = day(NHS.startDate, NHS.earliestStart)
        if start is None:
            return None
        return Interval(start, day(NHS.endDate, NHS.latestEnd))

    def name(self, kind: str, code: str) -> str | None:
        """The latest name (``skos:prefLabel``) of an organisation defined so far."""
        return self._names.get(org_iri(kind, code))

    def ref(self, kind: str, code: str, *, why: str = "") -> ox.NamedNode:
        """A reference to an organisation that some ingest module must define."""
        iri = org_iri(kind, code)
        self._referenced_orgs.setdefault(iri, why)
        return node(iri)

    # -- sources ---------------------------------------------------------------------
    def add_source(
        self,
        source_id: str,
        *,
        title: str,
        publisher: str,
        issued: date | None,
        licence: str | None,
        url: str | None,
        file: str | None = None,
        sha256: str | None = None,
        note: str | None = None,
    ) -> None:
        iri = source_iri(source_id)
        self._sources.add(iri)
        self._add(iri, RDF_TYPE, node(NHS.Source))
        self._add(iri, DCTERMS.identifier, source_id)
        self._add(iri, DCTERMS.title, title)
        self._add(iri, DCTERMS.publisher, publisher)
        if issued:
            self._add(iri, DCTERMS.issued, issued)
        if licence:
            self._add(iri, DCTERMS.license, node(licence) if licence.startswith("http") else licence)
        if url:
            self._add(iri, RDFS.seeAlso, node(url))
        if file:
            self._add(iri, NHS.file, file)
        if sha256:
            self._add(iri, NHS.sha256, sha256)
        if note:
            self._add(iri, RDFS.comment, note)

    # -- organisations ---------------------------------------------------------------
    def add_organisation(
        self,
        kind: str,
        code: str,
        *,
        name: str,
        start: date | Between | None,
        end: date | Between | None = None,
        sources: Iterable[str],
        ods: str | None = None,
        ons: Iterable[str] = (),
        start_precision: str = "day",
        planned: bool = False,
        also_types: Iterable[str] = (),
        comment: str | None = None,
    ) -> ox.NamedNode:
        """Define an organisation: its kind, latest name, lifetime, codes and sources.

        ``also_types`` are further classes it belongs to (a commissioning region
        is also an NHS England region).
        """
        iri = org_iri(kind, code)
        why = f"{kind} {code}"
        self._defined_orgs.add(iri)
        self._names[iri] = name
        self._add(iri, RDF_TYPE, node(KIND_CLASS[kind]))
        if comment:
            self._add(iri, RDFS.comment, comment)
        for cls in also_types:
            self._add(iri, RDF_TYPE, node(cls))
        self._add(iri, NHS.kind, node(KIND[kind]))
        self._add(iri, SKOS.prefLabel, name)
        self._add(iri, SKOS.notation, code)
        if ods:
            self._add(iri, NHS.odsCode, ods, why=why)
        for code_value in ons:
            self._add(iri, NHS.onsCode, code_value)
        self._dated(iri, start, end, start_precision=start_precision, why=why)
        if planned:
            self._add(iri, NHS.planned, True)
        self._cite(iri, sources)
        return node(iri)

    def add_name(
        self, org: ox.NamedNode, name: str, start: date | Between, end: date | Between | None, *,
        sources: Iterable[str], comment: str | None = None,
    ) -> None:
        """The organisation was called ``name`` from ``start`` to ``end``.

        ``comment`` says how the name was chosen where no source states it as the name.
        """
        iri = record_iri("name", org, start.earliest if isinstance(start, Between) else start)
        self._add(iri, RDF_TYPE, node(NHS.NameRecord))
        self._add(iri, NHS.nameOf, org)
        self._add(iri, SKOS.prefLabel, name, why=f"name of {org.value}")
        self._dated(iri, start, end, why=f"name {name!r}")
        if comment:
            self._add(iri, RDFS.comment, comment)
        self._cite(iri, sources)

    def add_code(
        self,
        org: ox.NamedNode,
        scheme: str,
        code: str,
        start: date,
        end: date | None,
        *,
        sources: Iterable[str],
        comment: str | None = None,
    ) -> ox.NamedNode:
        """The organisation had ``code`` in ``scheme`` ("ODS" or "ONS") over the dates.

        ``comment`` says how the pairing was made where no source states it.
        """
        iri = f"{record_iri('code', org, start)}/{scheme.lower()}/{code}"
        self._add(iri, RDF_TYPE, node(NHS.CodeRecord))
        self._add(iri, NHS.codeOf, org)
        self._add(iri, NHS.codeScheme, node(NHS[scheme]))
        self._add(iri, SKOS.notation, code)
        self._dated(iri, start, end, why=f"{scheme} code {code}")
        if comment:
            self._add(iri, RDFS.comment, comment)
        self._cite(iri, sources)
        return node(iri)

    def add_status(
        self,
        org: ox.NamedNode,
        status: str,
        start: date,
        end: date | None,
        *,
        sources: Iterable[str],
        start_precision: str = "day",
        end_precision: str = "day",
    ) -> None:
        """A partnership's designation status (``stp``, ``acs``, ``ics``) over the dates."""
        iri = record_iri("status", org, start)
        self._add(iri, RDF_TYPE, node(NHS.StatusRecord))
        self._add(iri, NHS.statusOf, org)
        self._add(iri, NHS.status, node(STATUS[status]), why=f"status of {org.value}")
        self._dated(
            iri, start, end, start_precision=start_precision, end_precision=end_precision,
            why=f"status {status}",
        )
        self._cite(iri, sources)

    def add_membership(
        self,
        member: ox.NamedNode,
        organisation: ox.NamedNode,
        start: date | Between,
        end: date | Between | None,
        *,
        sources: Iterable[str],
        comment: str | None = None,
    ) -> None:
        """``member`` was part of ``organisation`` over the dates (an org:Membership).

        A start or end known only between two days is a :class:`Between` (recorded
        as the earliest/latest pair). ``comment`` states the rule where the
        membership was derived, not read.
        """
        first = start.earliest if isinstance(start, Between) else start
        iri = f"{ID}membership/{_slug(member)}/{_slug(organisation)}/{first.isoformat()}"
        self._add(iri, RDF_TYPE, node(ORG.Membership))
        self._add(iri, ORG.member, member)
        self._add(iri, ORG.organization, organisation)
        self._dated(iri, start, end, why=f"{_slug(member)} in {_slug(organisation)}")
        if comment:
            self._add(iri, RDFS.comment, comment)
        self._cite(iri, sources)

    def add_coverage(
        self,
        organisation: ox.NamedNode,
        area: ox.NamedNode,
        start: date,
        end: date | None,
        *,
        count: int,
        total: int,
        share: Decimal,
        sources: Iterable[str],
        comment: str | None = None,
    ) -> ox.NamedNode:
        """``organisation`` covered ``count`` of the ``total`` LSOAs of ``area`` (an nhs:AreaCoverage)."""
        if not 0 < count <= total:
            raise BuildError(f"coverage of {area.value} by {organisation.value}: "
                             f"{count} of {total} LSOAs is not a share in (0, 1]")
        lad = area.value.rsplit("/", 1)[-1]
        iri = f"{ID}coverage/{_slug(organisation)}/{lad}/{start.isoformat()}"
        return self._record(iri, NHS.AreaCoverage, (
            (NHS.coveringOrganisation, organisation), (NHS.coveredArea, area), (NHS.lsoaCount, count),
            (NHS.lsoaTotal, total), (NHS.share, share)), start, end, sources=sources, comment=comment,
            why=f"{_slug(organisation)} covers {lad}")

    def _record(self, iri: str, cls: str, values: Iterable[tuple[str, Value]], start: date,
                end: date | None, *, sources: Iterable[str], comment: str | None, why: str) -> ox.NamedNode:
        """A dated, sourced record of class ``cls`` with its property values."""
        self._add(iri, RDF_TYPE, node(cls))
        for predicate, value in values:
            self._add(iri, predicate, value, why=why)
        if comment:
            self._add(iri, RDFS.comment, comment)
        self._dated(iri, start, end, why=why)
        self._cite(iri, sources)
        return node(iri)

    def add_cell(self, cell: str, *, lsoa2011: int, lsoa2021: int, population: Decimal,
                 irregular: bool, sources: Iterable[str]) -> ox.NamedNode:
        """An LSOA cell (an nhs:LsoaCell): a piece of England no organisation boundary divides.

        ``cell`` is its notation (``<LSOA 2011>-<LSOA 2021>`` of its lowest piece).
        """
        if lsoa2011 < 0 or lsoa2021 < 0 or population < 0:
            raise BuildError(f"cell {cell}: {lsoa2011} LSOAs 2011, {lsoa2021} LSOAs 2021 and "
                             f"population {population} do not make a cell")
        iri = f"{ID}cell/{cell}"
        self._add(iri, RDF_TYPE, node(NHS.LsoaCell))
        self._add(iri, SKOS.notation, cell)
        self._add(iri, NHS.lsoa2011Count, lsoa2011, why=f"cell {cell}")
        self._add(iri, NHS.lsoa2021Count, lsoa2021, why=f"cell {cell}")
        self._add(iri, NHS.population, population, why=f"cell {cell}")
        self._add(iri, NHS.irregularCorrespondence, irregular, why=f"cell {cell}")
        self._cite(iri, sources)
        return node(iri)

    def add_cell_coverage(self, organisation: ox.NamedNode, cell: ox.NamedNode, start: date,
                          end: date | None, *, geography: int, sources: Iterable[str],
                          comment: str | None = None) -> ox.NamedNode:
        """``cell`` lay in ``organisation`` between the dates (an nhs:CellCoverage), by the
        LSOA assignments of one census ``geography`` (2011 or 2021)."""
        if geography not in (2011, 2021):
            raise BuildError(f"cell coverage of {cell.value}: census geography {geography} "
                             "is not 2011 or 2021")
        name = cell.value.rsplit("/", 1)[-1]
        iri = f"{ID}cell-coverage/{_slug(organisation)}/{name}/{start.isoformat()}"
        return self._record(iri, NHS.CellCoverage, (
            (NHS.cellOrganisation, organisation), (NHS.coveredCell, cell), (NHS.censusGeography, geography)),
            start, end, sources=sources, comment=comment, why=f"{_slug(organisation)} covers cell {name}")

    def add_event(
        self,
        event_type: str,
        effective: date,
        *,
        original: Iterable[ox.NamedNode] = (),
        resulting: Iterable[ox.NamedNode] = (),
        sources: Iterable[str],
        label: str | None = None,
        precision: str = "day",
        planned: bool = False,
        key: str | None = None,
        comment: str | None = None,
    ) -> ox.NamedNode:
        """A change event taking effect on ``effective`` (the first day of the new state).

        ``key`` tells apart events of one type, day and inputs (for example two
        areas moving between the same two bodies); by default the inputs name it.
        """
        original, resulting = sorted(original, key=_slug), sorted(resulting, key=_slug)
        key = key or "+".join(_slug(o) for o in (original or resulting))
        iri = f"{ID}event/{effective.isoformat()}/{event_type.lower()}/{key}"
        self._add(iri, RDF_TYPE, node(NHS[event_type]))
        self._add(iri, NHS.effectiveDate, effective, why=f"{event_type} {key}")
        if PRECISION[precision]:
            self._add(iri, NHS.datePrecision, node(PRECISION[precision]))
        for org in original:
            self._add(iri, ORG.originalOrganization, org)
        for org in resulting:
            self._add(iri, ORG.resultingOrganization, org)
        if label:
            self._add(iri, RDFS.label, label)
        if comment:
            self._add(iri, RDFS.comment, comment)
        if planned:
            self._add(iri, NHS.planned, True)
        link = NHS.hasSuccessor if event_type in SUCCESSIONS else (
            NHS.passedPartTo if event_type == "BoundaryChange" else None)
        if link:
            for before in original:
                for after in resulting:
                    if before != after:
                        self._add(before.value, link, after)
        self._cite(iri, sources)
        return node(iri)

    def add_part_of(self, part: ox.NamedNode, whole: ox.NamedNode, *, sources: Iterable[str]) -> None:
        """``part`` is a standing part of ``whole`` for its whole life (``org:subOrganizationOf``),
        as ``sources`` (cited by the part) say: an ICB of its statutory ICS, an ICP of its ICS."""
        self._add(part.value, ORG.subOrganizationOf, whole)
        self._cite(part.value, sources)

    def add_person(self, slug: str, name: str) -> ox.NamedNode:
        """A person named by a source, ``nhsid:person/<slug>``; the first spelling seen is the
        ``skos:prefLabel``, any other an ``skos:altLabel``."""
        iri = f"{ID}person/{slug}"
        first = self._person_names.setdefault(iri, name)
        self._add(iri, SKOS.prefLabel if first == name else SKOS.altLabel, name)
        return node(iri)

    def add_post(
        self,
        organisation: ox.NamedNode,
        role: str,
        day: date,
        *,
        precision: str,
        sources: Iterable[str],
        holder: ox.NamedNode | None = None,
        nominated_by: str | None = None,
        partial: bool = False,
        comment: str | None = None,
    ) -> ox.NamedNode:
        """A seat of ``organisation``'s board (an ``nhs:BoardPost``) as a source shows it on
        ``day`` (to the ``precision`` given): dated that day only, start and end.

        The IRI names the organisation, day, role and holder (``seat`` when the source
        names none); a second seat with the same name gets ``-2``, and so on.
        """
        holder_key = holder.value.rsplit("/", 1)[-1] if holder is not None else "seat"
        key = f"{ID}post/{_slug(organisation)}/{day.isoformat()}/{role.rsplit('/', 1)[-1]}/{holder_key}"
        self._post_keys[key] = self._post_keys.get(key, 0) + 1
        iri = key if self._post_keys[key] == 1 else f"{key}-{self._post_keys[key]}"
        self._add(iri, RDF_TYPE, node(NHS.BoardPost))
        self._add(iri, ORG.postIn, organisation)
        self._add(iri, ORG.role, node(role))
        if nominated_by:
            self._add(iri, NHS.nominatedBy, node(nominated_by))
        if holder is not None:
            self._add(iri, ORG.heldBy, holder)
        if partial:
            self._add(iri, NHS.partialListing, True)
        if comment:
            self._add(iri, RDFS.comment, comment)
        self._dated(iri, day, day, start_precision=precision, end_precision=precision,
                    why=f"post {key}")
        self._cite(iri, sources)
        return node(iri)

    def add_completeness(
        self,
        fact: str,
        kind: str,
        start: date,
        end: date | None,
        level: str,
        note: str,
        *,
        sources: Iterable[str],
        parent_kind: str | None = None,
    ) -> ox.NamedNode:
        """A completeness record: how completely the graph knows ``fact`` about organisations
        of ``kind`` (members of ``parent_kind``) from ``start`` to ``end``."""
        scope = kind + (f"-in-{parent_kind}" if parent_kind else "")
        iri = f"{ID}completeness/{fact}/{scope}/{start.isoformat()}"
        self._add(iri, RDF_TYPE, node(NHS.CompletenessRecord))
        self._add(iri, NHS.factKind, node(FACT[fact]))
        self._add(iri, NHS.organisationKind, node(KIND[kind]))
        if parent_kind:
            self._add(iri, NHS.parentKind, node(KIND[parent_kind]))
        self._add(iri, NHS.completeness, node(COMPLETENESS[level]))
        self._add(iri, RDFS.comment, note)
        self._dated(iri, start, end, why=f"completeness of {fact} of {scope}")
        self._cite(iri, sources)
        return node(iri)

    def add_conflict(self, about: str, comment: str, *, sources: Iterable[str], key: str) -> None:
        """Record that sources disagree about ``about``, and what was chosen by which rule."""
        iri = f"{ID}conflict/{_slug(node(about))}/{key}"
        self._add(iri, RDF_TYPE, node(NHS.ConflictNote))
        self._add(iri, NHS.about, node(about))
        self._add(iri, RDFS.comment, comment)
        self._cite(iri, sources)

    # -- the end -----------------------------------------------------------------------
    def finish(self) -> list[ox.Triple]:
        """Check the collected facts as a whole and return them in a stable order.

        Raises:
            BuildError: an organisation is referenced but never defined, or a
                fact cites a source that is not described.
        """
        dangling = sorted(set(self._referenced_orgs) - self._defined_orgs)
        if dangling:
            examples = ", ".join(f"{d} ({self._referenced_orgs[d]})" for d in dangling[:5])
            raise BuildError(
                f"{len(dangling)} organisations are referenced but never defined: {examples}"
            )
        undescribed = sorted(set(self._cited) - self._sources)
        if undescribed:
            examples = ", ".join(f"{s} (cited by {self._cited[s]})" for s in undescribed[:5])
            raise BuildError(
                f"{len(undescribed)} sources are cited but not described in data/sources: "
                f"{examples}"
            )
        return sorted(self.triples, key=str)


def source_iri(source_id: str) -> str:
    return f"{ID}source/{source_id}"


def record_iri(what: str, org: ox.NamedNode, start: date) -> str:
    return f"{ID}{what}/{_slug(org)}/{start.isoformat()}"


def _slug(org: ox.NamedNode) -> str:
    """``kind-code`` of an organisation IRI, for readable record IRIs."""
    return org.value[len(ID):].replace("/", "-")
