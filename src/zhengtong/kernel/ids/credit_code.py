"""Unified social credit codes (统一社会信用代码, GB 32100-2015) and organization codes (GB 11714)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _, pgettext_lazy

from .division_code import DIGITS, PROVINCE_CODES, compact, division_province_check
from .errors import IdValidationError, enumeration_lazy

# 31 symbols valued 0-30: I, O, Z, S and V are left out because they read like 1, 0, 2, 5 and U.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_VALUE = {char: value for value, char in enumerate(USCC_ALPHABET)}
# Weight i is 3^i mod 31.
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_CODE_VALUE = {char: value for value, char in enumerate(ORG_CODE_ALPHABET)}
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Codes of central organs and of bodies registered nationally carry 100000 as their division.
USCC_PROVINCES = PROVINCE_CODES | {"10"}

# GB 32100-2015 table 1: registration authority (登记管理部门) → institution categories (机构类别).
# The labels carry a context so short words ("Other", "Culture") keep their own translation here.
REGISTRATION_AUTHORITIES = {
    "1": pgettext_lazy("credit code", "Institutional staffing"),
    "2": pgettext_lazy("credit code", "Foreign affairs"),
    "3": pgettext_lazy("credit code", "Judicial administration"),
    "4": pgettext_lazy("credit code", "Culture"),
    "5": pgettext_lazy("credit code", "Civil affairs"),
    "6": pgettext_lazy("credit code", "Tourism"),
    "7": pgettext_lazy("credit code", "Religious affairs"),
    "8": pgettext_lazy("credit code", "Trade unions"),
    "9": pgettext_lazy("credit code", "Market regulation"),
    "A": pgettext_lazy("credit code", "Central Military Commission staffing office"),
    "N": pgettext_lazy("credit code", "Agriculture"),
    "Y": pgettext_lazy("credit code", "Other"),
}
OTHER = pgettext_lazy("credit code", "Other")
CATEGORIES = {
    "1": {
        "1": pgettext_lazy("credit code", "Government organ"),
        "2": pgettext_lazy("credit code", "Public institution"),
        "3": pgettext_lazy("credit code", "Mass organisation"),
        "9": OTHER,
    },
    "2": {"1": pgettext_lazy("credit code", "Resident foreign news agency"), "9": OTHER},
    "3": {
        "1": pgettext_lazy("credit code", "Law firm"),
        "2": pgettext_lazy("credit code", "Notary office"),
        "3": pgettext_lazy("credit code", "Grassroots legal service office"),
        "4": pgettext_lazy("credit code", "Forensic appraisal institution"),
        "5": pgettext_lazy("credit code", "Arbitration commission"),
        "9": OTHER,
    },
    "4": {"1": pgettext_lazy("credit code", "Foreign cultural centre in China"), "9": OTHER},
    "5": {
        "1": pgettext_lazy("credit code", "Social organisation"),
        "2": pgettext_lazy("credit code", "Private non-enterprise unit"),
        "3": pgettext_lazy("credit code", "Foundation"),
        "9": OTHER,
    },
    "6": {
        "1": pgettext_lazy("credit code", "Resident office of a foreign tourism authority"),
        "2": pgettext_lazy("credit code", "Resident office of a Hong Kong, Macao or Taiwan tourism authority"),
        "9": OTHER,
    },
    "7": {
        "1": pgettext_lazy("credit code", "Place of religious activity"),
        "2": pgettext_lazy("credit code", "Religious college"),
        "9": OTHER,
    },
    "8": {"1": pgettext_lazy("credit code", "Grassroots trade union"), "9": OTHER},
    "9": {
        "1": pgettext_lazy("credit code", "Enterprise"),
        "2": pgettext_lazy("credit code", "Individual business"),
        "3": pgettext_lazy("credit code", "Farmers' cooperative"),
    },
    "A": {"1": pgettext_lazy("credit code", "Military public institution"), "9": OTHER},
    "N": {
        "1": pgettext_lazy("credit code", "Group-level collective economic organisation"),
        "2": pgettext_lazy("credit code", "Village-level collective economic organisation"),
        "3": pgettext_lazy("credit code", "Township-level collective economic organisation"),
        "9": OTHER,
    },
    "Y": {"1": OTHER},
}


@dataclass(frozen=True)
class CreditCode:
    code: str
    registration_authority: str
    category: str
    division_code: str
    organization_code: str  # 9 characters, its own check character last

    @property
    def registration_authority_label(self) -> str:
        return str(REGISTRATION_AUTHORITIES[self.registration_authority])

    @property
    def category_label(self) -> str:
        return str(CATEGORIES[self.registration_authority][self.category])


def organization_code_check_char(body8: str) -> str:
    """The 9th character of an organization code (GB 11714) for its first 8."""
    if len(body8) != 8:
        raise IdValidationError(
            "organization_code.length",
            _("The first part of an organization code has 8 characters, not %(length)s"),
            length=len(body8),
        )
    for position, char in enumerate(body8, start=1):
        if char not in ORG_CODE_VALUE:
            raise IdValidationError(
                "organization_code.char",
                _("Character %(position)s (“%(char)s”) is not allowed here: only %(allowed)s"),
                position=position,
                char=char,
                allowed=_("0-9 and A-Z"),
            )
    check = 11 - sum(ORG_CODE_VALUE[c] * w for c, w in zip(body8, ORG_CODE_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _uscc_chars_check(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char not in USCC_VALUE:
            raise IdValidationError(
                "uscc.char",
                _("Character %(position)s (“%(char)s”) is not allowed here: only %(allowed)s"),
                position=position,
                char=char,
                allowed=_("0-9 and A-Z except I, O, Z, S, V"),
            )


def uscc_check_char(body17: str) -> str:
    """The 18th character of a unified social credit code for its first 17."""
    if len(body17) != 17:
        raise IdValidationError(
            "uscc.length",
            _("The first part of a unified social credit code has 17 characters, not %(length)s"),
            length=len(body17),
        )
    _uscc_chars_check(body17)
    total = sum(USCC_VALUE[c] * w for c, w in zip(body17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_parse(value: str) -> CreditCode:
    """Validate a unified social credit code and split it into its parts.

    Spaces (and full-width characters) are tolerated and letters are upper-cased. Checks, in
    order: the 31 allowed symbols; registration authority and category (GB 32100 table 1); the
    division part; the embedded organization code's check character (position 17, GB 11714); the
    final check character (position 18, MOD 31).
    """
    code = compact(value).upper()
    if not code:
        raise IdValidationError("uscc.empty", _("Enter a unified social credit code"))
    if len(code) != 18:
        raise IdValidationError(
            "uscc.length",
            _("A unified social credit code has 18 characters, not %(length)s"),
            length=len(code),
        )
    _uscc_chars_check(code)
    authority, category = code[0], code[1]
    if authority not in REGISTRATION_AUTHORITIES:
        raise IdValidationError(
            "uscc.registration_authority",
            _("Character 1 (registration authority) “%(char)s” is not one of %(allowed)s (GB 32100)"),
            position=1,
            char=authority,
            allowed=enumeration_lazy(tuple(REGISTRATION_AUTHORITIES)),
        )
    if category not in CATEGORIES[authority]:
        raise IdValidationError(
            "uscc.category",
            _(
                "Character 2 (category) “%(char)s” is not a category of registration authority "
                "%(authority)s (%(authority_label)s): only %(allowed)s (GB 32100)"
            ),
            position=2,
            char=category,
            authority=authority,
            authority_label=REGISTRATION_AUTHORITIES[authority],
            allowed=enumeration_lazy(tuple(CATEGORIES[authority])),
        )
    division = code[2:8]
    for offset, char in enumerate(division):
        if char not in DIGITS:
            raise IdValidationError(
                "uscc.division",
                _("Characters 3-8 (division code) “%(value)s” must be digits: character %(position)s is “%(char)s”"),
                position=3 + offset,
                value=division,
                char=char,
            )
    division_province_check(division, error_code="uscc.division", first=3, provinces=USCC_PROVINCES)
    org_expected = organization_code_check_char(code[8:16])
    if code[16] != org_expected:
        raise IdValidationError(
            "uscc.org_code_check",
            _(
                "Character %(position)s (check character of the organization code in characters 9-17) "
                "should be %(expected)s, not %(actual)s (GB 11714)"
            ),
            position=17,
            expected=org_expected,
            actual=code[16],
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise IdValidationError(
            "uscc.check_char",
            _("Character %(position)s (check character) should be %(expected)s, not %(actual)s (GB 32100, MOD 31)"),
            position=18,
            expected=expected,
            actual=code[17],
        )
    return CreditCode(
        code=code,
        registration_authority=authority,
        category=category,
        division_code=division,
        organization_code=code[8:17],
    )
