"""One entry point for "is this value a valid identifier of kind K", for the API and imports."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .credit_code import uscc_parse
from .division_code import division_code_known, division_code_level, division_code_parse
from .errors import IdValidationError
from .mobile import mobile_normalise
from .resident_id import resident_id_parse


class IdKind(StrEnum):
    RESIDENT_ID = "resident_id"
    USCC = "uscc"
    DIVISION_CODE = "division_code"
    MOBILE = "mobile"


@dataclass(frozen=True)
class IdValidation:
    """The outcome: the normal form and its parts, or the error. Labels are in the active language."""

    valid: bool
    normalised: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    error: IdValidationError | None = None


def id_validate(*, kind: IdKind | str, value: str) -> IdValidation:
    """Validate `value` as an identifier of `kind`; never raises IdValidationError."""
    kind = IdKind(kind)
    try:
        if kind is IdKind.RESIDENT_ID:
            resident = resident_id_parse(value)
            return IdValidation(
                valid=True,
                normalised=resident.number,
                details={
                    "division_code": resident.division_code,
                    "birth_date": resident.birth_date.isoformat(),
                    "sequence": resident.sequence,
                    "gender": resident.gender,
                },
            )
        if kind is IdKind.USCC:
            credit = uscc_parse(value)
            return IdValidation(
                valid=True,
                normalised=credit.code,
                details={
                    "registration_authority": credit.registration_authority,
                    "registration_authority_label": credit.registration_authority_label,
                    "category": credit.category,
                    "category_label": credit.category_label,
                    "division_code": credit.division_code,
                    "organization_code": credit.organization_code,
                },
            )
        if kind is IdKind.DIVISION_CODE:
            code = division_code_parse(value)
            return IdValidation(
                valid=True,
                normalised=code,
                details={"level": division_code_level(code), "known": division_code_known(code)},
            )
        return IdValidation(valid=True, normalised=mobile_normalise(value))
    except IdValidationError as error:
        return IdValidation(valid=False, error=error)
