"""The registries' attributes: their labels, how each is masked, which are identifiers.

The canonical names come from the linkage contract (linkage.spec); this is what the registry
knows about them beyond the name.
"""

from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.masking.public import FieldKind

from .linkage.spec import COMPANY_ATTRIBUTES, PERSON_ATTRIBUTES

ATTRIBUTES = {"person": PERSON_ATTRIBUTES, "company": COMPANY_ATTRIBUTES}

LABELS = {
    "resident_id": _("Resident ID number"),
    "name": _("Name"),
    "birth_date": _("Date of birth"),
    "gender": _("Gender"),
    "mobile": _("Mobile"),
    "address": _("Address"),
    "division_code": _("Division code"),
    "uscc": _("Unified social credit code"),
    "registration_no": _("Registration number (before the credit code)"),
    "legal_representative": _("Legal representative"),
    "established_on": _("Established on"),
}

# How a value is masked when it comes from graded (L2 and up) data. Dates, gender and division
# alone identify nobody and are what a reviewer compares; a company's name, codes and address
# are public registration facts; its representative is a person.
MASKING = {
    "person": {
        "resident_id": FieldKind.RESIDENT_ID,
        "name": FieldKind.NAME,
        "birth_date": FieldKind.PLAIN,
        "gender": FieldKind.PLAIN,
        "mobile": FieldKind.MOBILE,
        "address": FieldKind.ADDRESS,
        "division_code": FieldKind.PLAIN,
    },
    "company": {
        "uscc": FieldKind.CREDIT_CODE,
        "registration_no": FieldKind.CREDIT_CODE,
        "name": FieldKind.PLAIN,
        "legal_representative": FieldKind.NAME,
        "established_on": FieldKind.PLAIN,
        "address": FieldKind.PLAIN,
        "division_code": FieldKind.PLAIN,
        "mobile": FieldKind.MOBILE,
    },
}

# Attributes found by blind index (exact lookups), and the kind's primary identifier.
IDENTIFIERS = ("resident_id", "uscc", "mobile")
PRIMARY_IDENTIFIER = {"person": "resident_id", "company": "uscc"}
# Shown as words rather than codes on pages.
GENDER_WORDS = {"M": _("Male"), "F": _("Female"), "男": _("Male"), "女": _("Female")}


def label(attribute: str) -> str:
    return str(LABELS.get(attribute, attribute))


def masking_kind(kind: str, attribute: str, sensitivity: str | None = None) -> FieldKind:
    """The masking of an attribute whose value came from data of this sensitivity (DB33/T 2350):
    L1 data is open and shown as it is; anything else is masked by the attribute's kind; an
    attribute the registry does not know is never shown."""
    if sensitivity == "L1":
        return FieldKind.PLAIN
    return MASKING.get(kind, {}).get(attribute, FieldKind.FREE_TEXT)
