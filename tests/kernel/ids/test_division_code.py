import pytest
from django.utils.translation import override

from zhengtong.kernel.ids.public import (
    IdValidationError,
    division_code_known,
    division_code_level,
    division_code_parse,
)


@pytest.mark.parametrize(
    ("value", "code", "level"),
    [
        ("330000", "330000", "province"),
        ("330100", "330100", "city"),
        (" 330106 ", "330106", "county"),
        ("110101", "110101", "county"),
        ("330106001", "330106001", "township"),
        ("３３０１０６", "330106", "county"),
    ],
)
def test_codes_parse_to_their_normal_form_and_level(value, code, level):
    assert division_code_parse(value) == code
    assert division_code_level(code) == level


@pytest.mark.parametrize(
    ("value", "code", "position", "english"),
    [
        ("", "division_code.empty", None, "Enter an administrative division code"),
        (
            "3301",
            "division_code.length",
            None,
            "An administrative division code has 6 digits (9 for a township), not 4",
        ),
        (
            "3301060011",
            "division_code.length",
            None,
            "An administrative division code has 6 digits (9 for a township), not 10",
        ),
        ("33010A", "division_code.char", 6, "Character 6 (“A”) is not allowed here: only digits 0-9"),
        (
            "990106",
            "division_code.province",
            1,
            "Characters 1-6 (division code) “990106” are not valid: 99 is not a province code (GB/T 2260)",
        ),
    ],
)
def test_rejections(value, code, position, english):
    with pytest.raises(IdValidationError) as caught:
        division_code_parse(value)
    assert (caught.value.code, caught.value.position) == (code, position)
    with override("en"):
        assert str(caught.value) == english


def test_known_means_present_in_the_division_table(small_province):
    assert division_code_known("330106") is True
    assert division_code_known("330000") is True
    # Well formed and real (Beijing, Dongcheng), but not loaded on this platform.
    assert division_code_known("110101") is False
