"""The RDF terms nhsgraph writes and reads, as closed vocabularies.

A misspelt term raises ``AttributeError`` at import time instead of minting a
new IRI (as rdflib's ``DefinedNamespace`` with ``_fail = True``). A drift test
checks that every ``nhs:`` term listed here is defined in ``ontology/``.
This module imports no RDF library: IRIs are plain strings.
"""

from __future__ import annotations

BASE = "https://w3id.org/nhsgraph/"


class Vocabulary:
    """A namespace whose attribute access is limited to a fixed list of terms."""

    def __init__(self, iri: str, terms: str) -> None:
        self._iri = iri
        self._terms = frozenset(terms.split())

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        local = name.replace("__", "-")
        if local not in self._terms:
            raise AttributeError(f"{self._iri}{local} is not a term of this vocabulary")
        return self._iri + local

    def __getitem__(self, local: str) -> str:
        if local not in self._terms:
            raise KeyError(f"{self._iri}{local} is not a term of this vocabulary")
        return self._iri + local

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and iri.startswith(self._iri) and iri[len(self._iri):] in self._terms

    @property
    def iri(self) -> str:
        return self._iri

    def terms(self) -> list[str]:
        return sorted(self._iri + t for t in self._terms)


NHS = Vocabulary(
    BASE + "def#",
    """
    HealthOrganisation ClinicalCommissioningGroup SubICBLocation SubICBReportingEntity
    SustainabilityAndTransformationPartnership AccountableCareSystem IntegratedCareSystem
    IntegratedCareBoard IntegratedCarePartnership NHSEnglandRegion CommissioningRegion AreaTeam
    RegionalLocalOffice ICBCluster LocalAuthority LocalAuthorityDistrict Area NHSTrust
    ProviderCollaborative PlaceBasedPartnership PrimaryCareNetwork HealthAndWellbeingBoard
    CommissioningHub
    GPPractice
    odsCode onsCode kind kindClass
    startDate endDate effectiveDate datePrecision startDatePrecision endDatePrecision
    earliestStart latestStart earliestEnd latestEnd
    CompletenessRecord factKind organisationKind parentKind completeness
    TemporalRecord NameRecord nameOf CodeRecord codeOf codeScheme CodeScheme ODS ONS
    StatusRecord statusOf status AreaCoverage coveringOrganisation coveredArea lsoaCount
    lsoaTotal share
    LsoaCell lsoa2011Count lsoa2021Count population irregularCorrespondence CellCoverage
    cellOrganisation coveredCell censusGeography
    Establishment Designation Renaming Merger Split BoundaryChange Abolition Clustering planned
    hasSuccessor passedPartTo
    BoardPost nominatedBy partialListing
    Source file sha256 ConflictNote about
    """,
)
KIND = Vocabulary(
    BASE + "def/kind/",
    """stp acs ics icb icp ccg sub-icb sub-icb-reporting-entity region commissioning-region
    area-team local-office cluster lad local-authority trust provider-collaborative
    place-based-partnership pcn hwb commissioning-hub
    practice""",
)
STATUS = Vocabulary(BASE + "def/status/", "stp acs ics statutory-ics")
FACT = Vocabulary(BASE + "def/fact/", "lifetime name membership coverage")
COMPLETENESS = Vocabulary(BASE + "def/completeness/", "complete inferred partial unknown")
ID = BASE + "id/"

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = Vocabulary("http://www.w3.org/2000/01/rdf-schema#", "label seeAlso comment subClassOf")
SKOS = Vocabulary(
    "http://www.w3.org/2004/02/skos/core#", "prefLabel altLabel notation definition Concept"
)
ORG = Vocabulary(
    "http://www.w3.org/ns/org#",
    """Organization Membership member organization role subOrganizationOf ChangeEvent
    originalOrganization resultingOrganization Post postIn heldBy""",
)
DCTERMS = Vocabulary(
    "http://purl.org/dc/terms/", "source title publisher issued license description identifier"
)
PROV = Vocabulary("http://www.w3.org/ns/prov#", "Entity wasDerivedFrom")
TIME = Vocabulary("http://www.w3.org/2006/time#", "unitDay unitMonth unitYear")
XSD = Vocabulary("http://www.w3.org/2001/XMLSchema#", "date string integer decimal boolean")

#: Prefixes used in every serialization, in one place (bound only by export).
PREFIXES: dict[str, str] = {
    "dcterms": DCTERMS.iri,
    "nhs": NHS.iri,
    "nhsid": ID,
    "nhskind": KIND.iri,
    "nhspost": BASE + "def/post/",
    "nhsstatus": STATUS.iri,
    "nhscompleteness": COMPLETENESS.iri,
    "nhsfact": FACT.iri,
    "nominator": BASE + "def/nominator/",
    "org": ORG.iri,
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": PROV.iri,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": RDFS.iri,
    "skos": SKOS.iri,
    "time": TIME.iri,
    "xsd": XSD.iri,
}

#: The organisation kinds, by their slug (the ``type`` column of query results).
KIND_CLASS: dict[str, str] = {
    "stp": NHS.SustainabilityAndTransformationPartnership,
    "acs": NHS.AccountableCareSystem,
    "ics": NHS.IntegratedCareSystem,
    "icb": NHS.IntegratedCareBoard,
    "icp": NHS.IntegratedCarePartnership,
    "ccg": NHS.ClinicalCommissioningGroup,
    "sub-icb": NHS.SubICBLocation,
    "sub-icb-reporting-entity": NHS.SubICBReportingEntity,
    "region": NHS.NHSEnglandRegion,
    "commissioning-region": NHS.CommissioningRegion,
    "area-team": NHS.AreaTeam,
    "local-office": NHS.RegionalLocalOffice,
    "cluster": NHS.ICBCluster,
    "lad": NHS.LocalAuthorityDistrict,
    "trust": NHS.NHSTrust,
    # -- issue 14 (practices branch) --
    "practice": NHS.GPPractice,
}


#: How each kind is named in prose (messages, labels, notes).
KIND_LABEL: dict[str, str] = {
    "stp": "STP", "acs": "ACS", "ics": "ICS", "icb": "ICB", "icp": "ICP", "ccg": "CCG",
    "sub-icb": "sub-ICB location", "sub-icb-reporting-entity": "sub-ICB reporting entity",
    "region": "region", "commissioning-region": "commissioning region", "area-team": "area team",
    "local-office": "local office", "cluster": "ICB cluster", "lad": "district", "trust": "trust",
    # -- issue 14 (practices branch) --
    "practice": "GP practice",
}


def org_iri(kind: str, code: str) -> str:
    """The IRI of the organisation of ``kind`` whose stable code is ``code``.

    >>> org_iri("icb", "QHL")
    'https://w3id.org/nhsgraph/id/icb/QHL'
    """
    if kind not in KIND_CLASS:
        raise ValueError(f"unknown organisation kind {kind!r}")
    return f"{ID}{kind}/{code}"
