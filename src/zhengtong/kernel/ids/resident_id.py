"""Resident ID numbers (公民身份号码, GB 11643-1999)."""

import calendar
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .division_code import DIGITS, PROVINCE_CODES, compact, division_province_check
from .errors import IdValidationError

# ISO 7064 MOD 11-2: weight i is 2^(17-i) mod 11; the remainder picks the check character.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
CHECK_CHAR_ALLOWED = frozenset("0123456789X")

# Residence permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证) carry 18-digit
# numbers under the same rules with 810000, 820000 and 830000; 83 is not a GB/T 2260 province.
RESIDENT_ID_PROVINCES = PROVINCE_CODES | {"83"}
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


@dataclass(frozen=True)
class ResidentId:
    number: str
    division_code: str
    birth_date: date
    sequence: str
    gender: str  # "M" or "F": the 17th digit is odd for men, even for women


def _char_error(position: int, char: str, allowed) -> IdValidationError:
    return IdValidationError(
        "resident_id.char",
        _("Character %(position)s (“%(char)s”) is not allowed here: only %(allowed)s"),
        position=position,
        char=char,
        allowed=allowed,
    )


def _digits_check(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char not in DIGITS:
            raise _char_error(position, char, _("digits 0-9"))


def resident_id_check_char(body17: str) -> str:
    """The 18th character for the first 17 digits."""
    if len(body17) != 17:
        raise IdValidationError(
            "resident_id.length",
            _("The first part of a resident ID number has 17 digits, not %(length)s"),
            length=len(body17),
        )
    _digits_check(body17)
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(body17, WEIGHTS)) % 11]


def _birth_date_check(text: str, year: int, *, first: int) -> date:
    """`text` is the date as written (YYYYMMDD, or YYMMDD in a 15-digit number) at `first`."""
    last = first + len(text) - 1
    month, day = int(text[-4:-2]), int(text[-2:])
    params = {"first": first, "last": last, "value": text}
    if not 1 <= month <= 12:
        raise IdValidationError(
            "resident_id.birth_date",
            _(
                "Characters %(first)s-%(last)s (birth date) “%(value)s” are not a valid date: "
                "there is no month %(month)s"
            ),
            position=last - 3,
            reason="month",
            month=month,
            **params,
        )
    days_in_month = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if not 1 <= day <= days_in_month:
        raise IdValidationError(
            "resident_id.birth_date",
            _(
                "Characters %(first)s-%(last)s (birth date) “%(value)s” are not a valid date: "
                "month %(month)s of %(year)s has no day %(day)s"
            ),
            position=last - 1,
            reason="day",
            year=year,
            month=month,
            day=day,
            **params,
        )
    if year < EARLIEST_BIRTH_DATE.year:
        raise IdValidationError(
            "resident_id.birth_date",
            _("Characters %(first)s-%(last)s (birth date) “%(value)s” are before 1 January 1900"),
            position=first,
            reason="before_1900",
            **params,
        )
    born = date(year, month, day)
    if born > timezone.localdate():
        raise IdValidationError(
            "resident_id.birth_date",
            _("Characters %(first)s-%(last)s (birth date) “%(value)s” are in the future"),
            position=first,
            reason="future",
            **params,
        )
    return born


def _normal_form(value: str) -> str:
    return compact(value).replace("x", "X")


def _legacy15_check(number: str) -> None:
    _digits_check(number)
    division_province_check(number[:6], error_code="resident_id.division", first=1, provinces=RESIDENT_ID_PROVINCES)
    _birth_date_check(number[6:12], 1900 + int(number[6:8]), first=7)


def resident_id_from_legacy15(value15: str) -> str:
    """The 18-character number for a 15-digit one (issued before 1999, born in the 1900s)."""
    number = _normal_form(value15)
    if len(number) != 15:
        raise IdValidationError(
            "resident_id.length",
            _("A 15-digit resident ID number has 15 digits, not %(length)s"),
            length=len(number),
        )
    _legacy15_check(number)
    body = number[:6] + "19" + number[6:]
    return body + resident_id_check_char(body)


def resident_id_parse(value: str) -> ResidentId:
    """Validate an 18-character (or legacy 15-digit) resident ID number and split it into its parts.

    Spaces (and full-width characters) are tolerated and a lower-case x is read as X; a 15-digit
    number is converted to 18. Raises IdValidationError naming the first character that breaks a
    rule: characters, province, birth date (1900-01-01 to today), then the check character.
    """
    number = _normal_form(value)
    if not number:
        raise IdValidationError("resident_id.empty", _("Enter a resident ID number"))
    if len(number) == 15:
        number = resident_id_from_legacy15(number)
    elif len(number) != 18:
        raise IdValidationError(
            "resident_id.length",
            _("A resident ID number has 18 characters (or 15 digits for an old number), not %(length)s"),
            length=len(number),
        )
    _digits_check(number[:17])
    if number[17] not in CHECK_CHAR_ALLOWED:
        raise _char_error(18, number[17], _("digits 0-9 or X"))
    division_province_check(number[:6], error_code="resident_id.division", first=1, provinces=RESIDENT_ID_PROVINCES)
    birth_date = _birth_date_check(number[6:14], int(number[6:10]), first=7)
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise IdValidationError(
            "resident_id.check_char",
            _(
                "Character %(position)s (check character) should be %(expected)s, not %(actual)s "
                "(GB 11643, ISO 7064 MOD 11-2)"
            ),
            position=18,
            expected=expected,
            actual=number[17],
        )
    return ResidentId(
        number=number,
        division_code=number[:6],
        birth_date=birth_date,
        sequence=number[14:17],
        gender="M" if int(number[16]) % 2 else "F",
    )
