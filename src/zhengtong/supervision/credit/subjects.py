"""Subject keys: how credit knows a company or a person without storing a person's resident ID.

"C:" + the unified social credit code (GB 32100, public) for a company; "P:" + a keyed blind index
of the resident ID (GB 11643) for a person, so equal IDs give equal keys and the key reveals nothing
without the platform's index key (kernel.crypto).
"""

import re

from zhengtong.kernel.crypto.public import blind_index
from zhengtong.kernel.ids.public import resident_id_check_char

from .models import SubjectKind

PERSON_KEY_PURPOSE = "credit.subject.resident_id"
_RESIDENT_SHAPE = re.compile(r"\d{17}[\dX]")


def normalize(identifier: str) -> str:
    return "".join(str(identifier or "").split()).upper()


def company_key(uscc: str) -> str:
    return "C:" + normalize(uscc)


def person_key(resident_id: str) -> str:
    return "P:" + blind_index(normalize(resident_id), purpose=PERSON_KEY_PURPOSE)


def subject_key(kind: str, identifier: str) -> str:
    return company_key(identifier) if kind == SubjectKind.COMPANY else person_key(identifier)


def may_be_resident_id(identifier: str) -> bool:
    """Shape and check digit of a resident ID. An all-digit credit code may pass too, so a caller
    that does not know the kind looks up both keys (selectors.credit_classes)."""
    return bool(_RESIDENT_SHAPE.fullmatch(identifier)) and resident_id_check_char(identifier[:17]) == identifier[17]
