import pytest
from django.utils.translation import override

from zhengtong.kernel.ids.public import IdValidationError, mobile_normalise

ONLY_MAINLAND = "Only mainland China mobile numbers (country code +86) are accepted"


@pytest.mark.parametrize(
    "value",
    [
        "18012345678",
        "+86 180-1234-5678",
        "+8618012345678",
        "8618012345678",
        "0086 180 1234 5678",
        "180 1234 5678",
        "１８０－１２３４－５６７８",
    ],
)
def test_accepted_spellings_normalise_to_11_digits(value):
    assert mobile_normalise(value) == "18012345678"


@pytest.mark.parametrize(
    ("value", "code", "position", "english"),
    [
        ("", "mobile.empty", None, "Enter a mobile number"),
        ("+852 6123 4567", "mobile.country_code", None, ONLY_MAINLAND),
        ("00852 6123 4567", "mobile.country_code", None, ONLY_MAINLAND),
        ("1801234567", "mobile.length", None, "A mainland China mobile number has 11 digits, not 10"),
        ("+86 180123456789", "mobile.length", None, "A mainland China mobile number has 11 digits, not 12"),
        ("180-1234-567a", "mobile.char", 11, "Character 11 (“a”) is not allowed here: only digits 0-9"),
        (
            "12012345678",
            "mobile.prefix",
            2,
            "A mainland China mobile number starts with 1 and its second digit is 3-9, not “12”",
        ),
        (
            "28012345678",
            "mobile.prefix",
            1,
            "A mainland China mobile number starts with 1 and its second digit is 3-9, not “28”",
        ),
    ],
)
def test_rejections(value, code, position, english):
    with pytest.raises(IdValidationError) as caught:
        mobile_normalise(value)
    assert (caught.value.code, caught.value.position) == (code, position)
    with override("en"):
        assert str(caught.value) == english


def test_rejection_in_chinese():
    with pytest.raises(IdValidationError) as caught:
        mobile_normalise("12012345678")
    with override("zh-hans"):
        assert str(caught.value) == "中国大陆手机号码以1开头、第2位为3-9，实际开头为“12”"
