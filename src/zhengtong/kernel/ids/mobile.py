"""Mainland China mobile numbers (11 digits, 1[3-9]…)."""

from django.utils.translation import gettext_lazy as _

from .division_code import DIGITS, compact
from .errors import IdValidationError

SECOND_DIGITS = frozenset("3456789")


def mobile_normalise(value: str) -> str:
    """The 11 digits of a mainland mobile number.

    Accepts what people type: spaces and dashes anywhere, a leading +86, 0086 or 86 (when 13
    digits long). Positions in error messages count in the 11-digit number itself.
    """
    number = compact(value).replace("-", "")
    if not number:
        raise IdValidationError("mobile.empty", _("Enter a mobile number"))
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    elif number.startswith(("+", "00")):
        raise IdValidationError(
            "mobile.country_code",
            _("Only mainland China mobile numbers (country code +86) are accepted"),
        )
    elif len(number) == 13 and number.startswith("86"):
        number = number[2:]
    for position, char in enumerate(number, start=1):
        if char not in DIGITS:
            raise IdValidationError(
                "mobile.char",
                _("Character %(position)s (“%(char)s”) is not allowed here: only %(allowed)s"),
                position=position,
                char=char,
                allowed=_("digits 0-9"),
            )
    if len(number) != 11:
        raise IdValidationError(
            "mobile.length",
            _("A mainland China mobile number has 11 digits, not %(length)s"),
            length=len(number),
        )
    if number[0] != "1" or number[1] not in SECOND_DIGITS:
        raise IdValidationError(
            "mobile.prefix",
            _("A mainland China mobile number starts with 1 and its second digit is 3-9, not “%(prefix)s”"),
            position=1 if number[0] != "1" else 2,
            prefix=number[:2],
        )
    return number
