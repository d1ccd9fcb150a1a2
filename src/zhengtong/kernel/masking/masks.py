"""Masking (脱敏) of personal data by the declared kind of each field.

The kind always comes from the field's declaration, never from looking at the value: a value
that happens to look like a mobile number in a free-text field is still free text, and a
malformed resident ID is still masked as a resident ID.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MASK = "*"
# Free text can hold anything; a fixed-width mask does not even reveal its length.
FREE_TEXT_MASK = "***"
EMAIL_LOCAL_MASK = "***"
ADDRESS_MASKED_TAIL = 8
# MASKING_RESIDENT_ID_STYLE: characters kept at the start and at the end.
RESIDENT_ID_STYLES = {"1+2": (1, 2), "6+4": (6, 4)}
DEFAULT_RESIDENT_ID_STYLE = "1+2"


class FieldKind(StrEnum):
    NAME = "name"
    RESIDENT_ID = "resident_id"
    MOBILE = "mobile"
    ADDRESS = "address"
    EMAIL = "email"
    CREDIT_CODE = "credit_code"
    BANK_ACCOUNT = "bank_account"
    FREE_TEXT = "free_text"  # never shown
    PLAIN = "plain"  # not sensitive


def _keep_ends(value: str, head: int, tail: int) -> str:
    """Keep `head` and `tail` characters; a value too short to hide anything is masked whole."""
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[len(value) - tail :]


def _resident_id_style() -> tuple[int, int]:
    style = getattr(settings, "MASKING_RESIDENT_ID_STYLE", DEFAULT_RESIDENT_ID_STYLE)
    try:
        return RESIDENT_ID_STYLES[style]
    except KeyError:
        raise ImproperlyConfigured(
            f"MASKING_RESIDENT_ID_STYLE is {style!r}; it must be one of {', '.join(RESIDENT_ID_STYLES)}"
        ) from None


def _mask_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at:
        # Not an address at all: nothing in it is known to be safe to show.
        return MASK * len(value)
    return local[:1] + EMAIL_LOCAL_MASK + at + domain


def _mask_address(value: str) -> str:
    if len(value) <= ADDRESS_MASKED_TAIL:
        return MASK * len(value)
    return value[:-ADDRESS_MASKED_TAIL] + MASK * ADDRESS_MASKED_TAIL


def mask_value(kind: FieldKind | str, value: str | None) -> str | None:
    """The masked form of `value` for a field declared as `kind` (None and "" pass through).

    Counts characters, not bytes, so Chinese text masks as it reads. The rules (DOMAIN.md):
    - NAME keeps the first character, one * for each other one (段誉 → 段*); a one-character
      value is masked whole.
    - RESIDENT_ID keeps the first 1 and last 2 (setting MASKING_RESIDENT_ID_STYLE = "1+2"), or
      the first 6 and last 4 ("6+4"); one * per hidden character.
    - MOBILE keeps the first 3 and last 4 (180****1999).
    - ADDRESS masks its last 8 characters.
    - EMAIL keeps the first character of the local part and the domain (z***@example.com).
    - BANK_ACCOUNT keeps the last 4.
    - CREDIT_CODE and PLAIN are returned unchanged: companies' codes are public.
    - FREE_TEXT is replaced by *** whatever its length.
    A value too short to keep its ends and still hide something is masked whole, same length.
    """
    kind = FieldKind(kind)
    if value is None or value == "":
        return value
    match kind:
        case FieldKind.NAME:
            return _keep_ends(value, 1, 0)
        case FieldKind.RESIDENT_ID:
            head, tail = _resident_id_style()
            return _keep_ends(value, head, tail)
        case FieldKind.MOBILE:
            return _keep_ends(value, 3, 4)
        case FieldKind.ADDRESS:
            return _mask_address(value)
        case FieldKind.EMAIL:
            return _mask_email(value)
        case FieldKind.BANK_ACCOUNT:
            return _keep_ends(value, 0, 4)
        case FieldKind.FREE_TEXT:
            return FREE_TEXT_MASK
        case FieldKind.CREDIT_CODE | FieldKind.PLAIN:
            return value


def mask_record(record: Mapping[str, Any], field_kinds: Mapping[str, FieldKind | str]) -> dict[str, Any]:
    """A copy of `record` with every declared field masked by its kind.

    Fails closed: a field with no declared kind is left out of the result, so a column added to a
    table later is not published unmasked by accident. Declared fields missing from the record
    are not added. PLAIN and CREDIT_CODE values are passed as they are (numbers stay numbers);
    other non-string values are masked as their text.
    """
    masked: dict[str, Any] = {}
    for name, value in record.items():
        if name not in field_kinds:
            continue
        kind = FieldKind(field_kinds[name])
        if kind in (FieldKind.PLAIN, FieldKind.CREDIT_CODE) or value is None:
            masked[name] = value
        else:
            masked[name] = mask_value(kind, value if isinstance(value, str) else str(value))
    return masked
