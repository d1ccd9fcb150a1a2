from datetime import date

import pytest
from django.utils import timezone
from django.utils.translation import override

from zhengtong.kernel.ids.public import (
    IdValidationError,
    ResidentId,
    resident_id_check_char,
    resident_id_from_legacy15,
    resident_id_parse,
)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("360426199101010071", ResidentId("360426199101010071", "360426", date(1991, 1, 1), "007", "M")),
        ("44011320141005001X", ResidentId("44011320141005001X", "440113", date(2014, 10, 5), "001", "M")),
        ("110102199101010078", ResidentId("110102199101010078", "110102", date(1991, 1, 1), "007", "M")),
    ],
)
def test_valid_numbers_from_domain_md_parse_into_their_parts(number, expected):
    assert resident_id_parse(number) == expected


def test_an_even_17th_digit_is_a_woman():
    body = "11010219910101002"
    assert resident_id_parse(body + resident_id_check_char(body)).gender == "F"


def test_check_characters_of_the_domain_md_examples():
    assert resident_id_check_char("36042619910101007") == "1"
    assert resident_id_check_char("44011320141005001") == "X"
    assert resident_id_check_char("11010219910101007") == "8"


def test_spaces_full_width_digits_and_lower_case_x_are_normalised():
    assert resident_id_parse(" 440113 20141005 001x ").number == "44011320141005001X"
    assert resident_id_parse("４４０１１３２０１４１００５００１ｘ").number == "44011320141005001X"


def test_wrong_check_character_names_position_expected_and_actual():
    with pytest.raises(IdValidationError) as caught:
        resident_id_parse("36042619910102009X")
    error = caught.value
    assert (error.code, error.position) == ("resident_id.check_char", 18)
    assert error.params == {"position": 18, "expected": "3", "actual": "X"}
    with override("en"):
        assert str(error) == "Character 18 (check character) should be 3, not X (GB 11643, ISO 7064 MOD 11-2)"


def test_month_13_is_a_birth_date_error_not_a_check_error():
    with pytest.raises(IdValidationError) as caught:
        resident_id_parse("360426199113010079")
    error = caught.value
    assert (error.code, error.position, error.params["reason"]) == ("resident_id.birth_date", 11, "month")
    with override("en"):
        assert str(error) == "Characters 7-14 (birth date) “19911301” are not a valid date: there is no month 13"
    with override("zh-hans"):
        assert str(error) == "第7-14位出生日期“19911301”无效：不存在13月"


def test_february_30_and_february_29_of_a_common_year_are_rejected():
    for birth, day in (("19910230", 30), ("19910229", 29)):
        body = "110102" + birth + "007"
        with pytest.raises(IdValidationError) as caught:
            resident_id_parse(body + resident_id_check_char(body))
        assert (caught.value.code, caught.value.position, caught.value.params["day"]) == (
            "resident_id.birth_date",
            13,
            day,
        )
        with override("zh-hans"):
            assert str(caught.value) == f"第7-14位出生日期“{birth}”无效：1991年2月没有{day}日"


def test_february_29_of_a_leap_year_is_a_date():
    body = "11010220000229007"
    assert resident_id_parse(body + resident_id_check_char(body)).birth_date == date(2000, 2, 29)


def test_birth_dates_before_1900_and_in_the_future_are_rejected():
    tomorrow = timezone.localdate().toordinal() + 1
    future = date.fromordinal(tomorrow).strftime("%Y%m%d")
    for birth, reason in (("18991231", "before_1900"), (future, "future")):
        body = "110102" + birth + "007"
        with pytest.raises(IdValidationError) as caught:
            resident_id_parse(body + resident_id_check_char(body))
        assert (caught.value.code, caught.value.position, caught.value.params["reason"]) == (
            "resident_id.birth_date",
            7,
            reason,
        )
    with override("en"):
        assert str(caught.value) == f"Characters 7-14 (birth date) “{future}” are in the future"


def test_1900_01_01_and_today_are_accepted():
    today = timezone.localdate()
    for born in (date(1900, 1, 1), today):
        body = "110102" + born.strftime("%Y%m%d") + "007"
        assert resident_id_parse(body + resident_id_check_char(body)).birth_date == born


@pytest.mark.parametrize(
    ("value", "code", "position", "english"),
    [
        ("", "resident_id.empty", None, "Enter a resident ID number"),
        ("   ", "resident_id.empty", None, "Enter a resident ID number"),
        (
            "36042619910101007",
            "resident_id.length",
            None,
            "A resident ID number has 18 characters (or 15 digits for an old number), not 17",
        ),
        (
            "3604261991010100711",
            "resident_id.length",
            None,
            "A resident ID number has 18 characters (or 15 digits for an old number), not 19",
        ),
        (
            "3604261991O1010071",
            "resident_id.char",
            11,
            "Character 11 (“O”) is not allowed here: only digits 0-9",
        ),
        (
            "36042619910101007Y",
            "resident_id.char",
            18,
            "Character 18 (“Y”) is not allowed here: only digits 0-9 or X",
        ),
        (
            "X60426199101010071",
            "resident_id.char",
            1,
            "Character 1 (“X”) is not allowed here: only digits 0-9",
        ),
        (
            "990426199101010071",
            "resident_id.division",
            1,
            "Characters 1-6 (division code) “990426” are not valid: 99 is not a province code (GB/T 2260)",
        ),
        (
            "360426199100010071",
            "resident_id.birth_date",
            11,
            "Characters 7-14 (birth date) “19910001” are not a valid date: there is no month 0",
        ),
    ],
)
def test_rejections_name_the_rule_and_the_character(value, code, position, english):
    with pytest.raises(IdValidationError) as caught:
        resident_id_parse(value)
    assert (caught.value.code, caught.value.position) == (code, position)
    with override("en"):
        assert str(caught.value) == english


def test_residence_permits_of_hong_kong_macao_and_taiwan_residents_are_accepted():
    for division in ("810000", "820000", "830000"):
        body = division + "19910101007"
        assert resident_id_parse(body + resident_id_check_char(body)).division_code == division


def test_a_15_digit_number_becomes_18_characters():
    assert resident_id_from_legacy15("360426910101007") == "360426199101010071"
    assert resident_id_from_legacy15("110102910101007") == "110102199101010078"
    parsed = resident_id_parse("360426 910101 007")
    assert parsed == ResidentId("360426199101010071", "360426", date(1991, 1, 1), "007", "M")


def test_a_15_digit_number_reports_positions_in_its_own_layout():
    with pytest.raises(IdValidationError) as caught:
        resident_id_parse("360426911301007")
    assert (caught.value.code, caught.value.position) == ("resident_id.birth_date", 9)
    with override("en"):
        assert str(caught.value) == "Characters 7-12 (birth date) “911301” are not a valid date: there is no month 13"
    with pytest.raises(IdValidationError) as caught:
        resident_id_from_legacy15("36042691010100")
    assert (caught.value.code, caught.value.params["length"]) == ("resident_id.length", 14)


def test_check_char_wants_17_digits():
    with pytest.raises(IdValidationError) as caught:
        resident_id_check_char("3604261991010100")
    assert (caught.value.code, caught.value.params["length"]) == ("resident_id.length", 16)
    with pytest.raises(IdValidationError) as caught:
        resident_id_check_char("3604261991010100A")
    assert (caught.value.code, caught.value.position) == ("resident_id.char", 17)


def test_the_error_is_a_value_error_with_a_stable_repr():
    with pytest.raises(ValueError) as caught:
        resident_id_parse("36042619910102009X")
    assert repr(caught.value) == "IdValidationError(code='resident_id.check_char', position=18)"
