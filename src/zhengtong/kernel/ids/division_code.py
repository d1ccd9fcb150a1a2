"""Administrative division codes (行政区划代码, GB/T 2260; 9 digits for townships, GB/T 10114)."""

import unicodedata

from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.org.public import division_get

from .errors import IdValidationError

DIGITS = frozenset("0123456789")

# Province-level codes of GB/T 2260 (71 Taiwan, 81 Hong Kong, 82 Macao).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


def division_province_check(
    code6: str, *, error_code: str, first: int, provinces: frozenset[str] = PROVINCE_CODES
) -> None:
    """Raise unless the first two digits of a 6-digit code are one of `provinces`.

    `first` is where the code starts in the identifier being checked, so the message can point at
    characters 1-6 of a resident ID or 3-8 of a credit code.
    """
    if code6[:2] not in provinces:
        raise IdValidationError(
            error_code,
            _(
                "Characters %(first)s-%(last)s (division code) “%(value)s” are not valid: "
                "%(province)s is not a province code (GB/T 2260)"
            ),
            position=first,
            first=first,
            last=first + 5,
            value=code6,
            province=code6[:2],
        )


def compact(value: str) -> str:
    """Full-width characters to ASCII (what Chinese input methods often type) and no whitespace."""
    return "".join(unicodedata.normalize("NFKC", value).split())


def division_code_parse(value: str) -> str:
    """A division code in its normal form: 6 digits, or 9 digits for a township.

    Checks the format and that the province part exists; whether the code is in the platform's
    division table is a separate question (`division_code_known`), since valid codes of other
    provinces, and codes since abolished, are not loaded.
    """
    code = compact(value)
    if not code:
        raise IdValidationError("division_code.empty", _("Enter an administrative division code"))
    for position, char in enumerate(code, start=1):
        if char not in DIGITS:
            raise IdValidationError(
                "division_code.char",
                _("Character %(position)s (“%(char)s”) is not allowed here: only %(allowed)s"),
                position=position,
                char=char,
                allowed=_("digits 0-9"),
            )
    if len(code) not in (6, 9):
        raise IdValidationError(
            "division_code.length",
            _("An administrative division code has 6 digits (9 for a township), not %(length)s"),
            length=len(code),
        )
    division_province_check(code[:6], error_code="division_code.province", first=1)
    return code


def division_code_level(code: str) -> str:
    """"province", "city", "county" or "township", read from the shape of a parsed code."""
    if len(code) == 9:
        return "township"
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def division_code_known(code: str) -> bool:
    """Whether the platform's division table (kernel.org) holds this code."""
    return division_get(code) is not None
