"""Properties of the check-character schemes, against oracles written independently of the code.

The oracles use the algebra behind the weight tables (powers of 2 mod 11, of 3 mod 31), so a
mistyped weight in the implementation cannot be copied into the test.
"""

from datetime import date

from hypothesis import given, settings, strategies as st

from zhengtong.kernel.ids.public import (
    IdValidationError,
    organization_code_check_char,
    resident_id_check_char,
    resident_id_from_legacy15,
    resident_id_parse,
    uscc_check_char,
    uscc_parse,
)

DIGITS = "0123456789"
USCC_SYMBOLS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_SYMBOLS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PROVINCES = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
]  # fmt: skip
# GB 32100-2015 table 1.
AUTHORITY_CATEGORIES = {
    "1": "1239", "2": "19", "3": "123459", "4": "19", "5": "1239", "6": "129",
    "7": "129", "8": "19", "9": "123", "A": "19", "N": "1239", "Y": "1",
}  # fmt: skip
PAIRS = [(authority, category) for authority, categories in AUTHORITY_CATEGORIES.items() for category in categories]


def iso7064_mod11_2(body: str) -> str:
    """The recursive form of ISO 7064 MOD 11-2 (no weight table)."""
    p = 0
    for digit in body:
        p = (p + int(digit)) * 2 % 11
    return "0123456789X"[(12 - p) % 11]


def gb11714(body: str) -> str:
    total = sum(ORG_SYMBOLS.index(c) * pow(2, 8 - i, 11) for i, c in enumerate(body))
    return "0123456789X0"[11 - total % 11]


def gb32100(body: str) -> str:
    total = sum(USCC_SYMBOLS.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return USCC_SYMBOLS[-total % 31]


four_digits = st.text(DIGITS, min_size=4, max_size=4)
division_codes = st.builds(lambda province, rest: province + rest, st.sampled_from(PROVINCES), four_digits)


@st.composite
def resident_ids(draw, born=st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31))):
    body = draw(division_codes) + draw(born).strftime("%Y%m%d") + draw(st.text(DIGITS, min_size=3, max_size=3))
    return body + iso7064_mod11_2(body)


@st.composite
def credit_codes(draw):
    authority, category = draw(st.sampled_from(PAIRS))
    division = draw(st.sampled_from(PROVINCES + ["10"])) + draw(four_digits)
    org_body = draw(st.text(USCC_SYMBOLS, min_size=8, max_size=8))
    body = authority + category + division + org_body + gb11714(org_body)
    return body + gb32100(body)


def rejects(parse, value: str) -> bool:
    try:
        parse(value)
    except IdValidationError:
        return True
    return False


@given(st.text(DIGITS, min_size=17, max_size=17))
def test_resident_id_check_char_matches_iso7064(body):
    assert resident_id_check_char(body) == iso7064_mod11_2(body)


@given(st.text(ORG_SYMBOLS, min_size=8, max_size=8))
def test_organization_code_check_char_matches_gb11714(body):
    assert organization_code_check_char(body) == gb11714(body)


@given(st.text(USCC_SYMBOLS, min_size=17, max_size=17))
def test_uscc_check_char_matches_gb32100(body):
    assert uscc_check_char(body) == gb32100(body)


@given(resident_ids())
def test_valid_resident_ids_round_trip(number):
    parsed = resident_id_parse(number)
    assert parsed.number == number
    assert (parsed.division_code, parsed.birth_date.strftime("%Y%m%d"), parsed.sequence) == (
        number[:6],
        number[6:14],
        number[14:17],
    )
    assert parsed.gender == ("M" if number[16] in "13579" else "F")
    assert resident_id_parse(" ".join([number[:6], number[6:14], number[14:].lower()])) == parsed


@settings(deadline=None)
@given(resident_ids())
def test_every_single_substitution_of_a_resident_id_is_rejected(number):
    for index in range(18):
        allowed = DIGITS + "X" if index == 17 else DIGITS
        for char in allowed:
            if char != number[index]:
                changed = number[:index] + char + number[index + 1 :]
                assert rejects(resident_id_parse, changed), changed


@given(resident_ids(born=st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31))))
def test_15_digit_numbers_convert_back_to_the_18_character_number(number):
    legacy = number[:6] + number[8:17]
    assert resident_id_from_legacy15(legacy) == number
    assert resident_id_parse(legacy).number == number


@given(credit_codes())
def test_valid_credit_codes_round_trip(code):
    parsed = uscc_parse(code)
    assert (
        parsed.code,
        parsed.registration_authority,
        parsed.category,
        parsed.division_code,
        parsed.organization_code,
    ) == (code, code[0], code[1], code[2:8], code[8:17])
    assert uscc_parse(code.lower()) == parsed


@settings(deadline=None)
@given(credit_codes())
def test_every_single_substitution_of_a_credit_code_is_rejected(code):
    for index in range(18):
        for char in USCC_SYMBOLS:
            if char != code[index]:
                changed = code[:index] + char + code[index + 1 :]
                assert rejects(uscc_parse, changed), changed
