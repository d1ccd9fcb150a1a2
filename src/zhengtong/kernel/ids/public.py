"""What other modules may use of kernel.ids (证件校验): parse, validate and normalise identifiers."""

from .credit_code import CreditCode, organization_code_check_char, uscc_check_char, uscc_parse
from .division_code import division_code_known, division_code_level, division_code_parse
from .errors import IdValidationError
from .mobile import mobile_normalise
from .resident_id import ResidentId, resident_id_check_char, resident_id_from_legacy15, resident_id_parse
from .validation import IdKind, IdValidation, id_validate

__all__ = [
    "CreditCode",
    "IdKind",
    "IdValidation",
    "IdValidationError",
    "ResidentId",
    "division_code_known",
    "division_code_level",
    "division_code_parse",
    "id_validate",
    "mobile_normalise",
    "organization_code_check_char",
    "resident_id_check_char",
    "resident_id_from_legacy15",
    "resident_id_parse",
    "uscc_check_char",
    "uscc_parse",
]
