"""Controlled vocabularies the catalog maps its fields to (EU Publications Office authority tables,
as DCAT-AP 3 asks), and the licences a dataset may carry."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import DatasetStatus, Licence, OpenType, UpdateCycle

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
DATA_THEME_SCHEME = EU_AUTHORITY + "data-theme"


class Theme(models.TextChoices):
    """The EU data-theme vocabulary (DCAT-AP's mandatory theme taxonomy)."""

    AGRI = "AGRI", _("Agriculture, fisheries, forestry and food")
    ECON = "ECON", _("Economy and finance")
    EDUC = "EDUC", _("Education, culture and sport")
    ENER = "ENER", _("Energy")
    ENVI = "ENVI", _("Environment")
    GOVE = "GOVE", _("Government and public sector")
    HEAL = "HEAL", _("Health")
    INTR = "INTR", _("International issues")
    JUST = "JUST", _("Justice, legal system and public safety")
    REGI = "REGI", _("Regions and cities")
    SOCI = "SOCI", _("Population and society")
    TECH = "TECH", _("Science and technology")
    TRAN = "TRAN", _("Transport")


def theme_iri(code: str) -> str:
    return f"{DATA_THEME_SCHEME}/{code}"


# dct:accrualPeriodicity from the EU frequency table.
FREQUENCY = {
    UpdateCycle.REALTIME: "UPDATE_CONT",
    UpdateCycle.DAILY: "DAILY",
    UpdateCycle.WEEKLY: "WEEKLY",
    UpdateCycle.MONTHLY: "MONTHLY",
    UpdateCycle.QUARTERLY: "QUARTERLY",
    UpdateCycle.YEARLY: "ANNUAL",
    UpdateCycle.IRREGULAR: "IRREG",
}

# dct:accessRights from the EU access-right table: open → public, on application → restricted.
ACCESS_RIGHTS = {
    OpenType.OPEN: "PUBLIC",
    OpenType.CONDITIONAL: "RESTRICTED",
    OpenType.NOT_OPEN: "NON_PUBLIC",
}

# dcatap:availability of a distribution from the EU planned-availability table.
AVAILABILITY = {
    DatasetStatus.PUBLISHED: "STABLE",
    DatasetStatus.DRAFT: "EXPERIMENTAL",
    DatasetStatus.RETIRED: "TEMPORARY",
}


@dataclass(frozen=True)
class FileFormat:
    code: str  # Frictionless "format"
    eu_code: str  # EU file-type table
    media_type: str


CSV = FileFormat("csv", "CSV", "text/csv")
PARQUET = FileFormat("parquet", "PARQUET", "application/vnd.apache.parquet")
JSON = FileFormat("json", "JSON", "application/json")


@dataclass(frozen=True)
class LicenceInfo:
    iri: str  # the EU licence table's IRI, for DCAT
    url: str  # the licence text, for Frictionless
    adms_type: str  # ADMS licence type


LICENCES = {
    Licence.CC_BY_4_0: LicenceInfo(
        EU_AUTHORITY + "licence/CC_BY_4_0", "https://creativecommons.org/licenses/by/4.0/",
        "http://purl.org/adms/licencetype/Attribution",
    ),
    Licence.CC0_1_0: LicenceInfo(
        EU_AUTHORITY + "licence/CC0", "https://creativecommons.org/publicdomain/zero/1.0/",
        "http://purl.org/adms/licencetype/PublicDomain",
    ),
}
# Sharing between departments is under the platform's sharing terms, whatever the open licence.
SHARING_TERMS_PATH = "/terms/data-sharing"
SHARING_TERMS_TYPE = "http://purl.org/adms/licencetype/OtherRestrictiveClauses"

# ADMS publisher types: the province is a regional authority, cities and counties local ones.
PUBLISHER_TYPE = {
    "province": "http://purl.org/adms/publishertype/RegionalAuthority",
    "city": "http://purl.org/adms/publishertype/LocalAuthority",
    "county": "http://purl.org/adms/publishertype/LocalAuthority",
    "township": "http://purl.org/adms/publishertype/LocalAuthority",
}

LANGUAGE_ZH = EU_AUTHORITY + "language/ZHO"
LANGUAGE_EN = EU_AUTHORITY + "language/ENG"
