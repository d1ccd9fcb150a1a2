import pytest
from django.utils.translation import override

from zhengtong.kernel.ids.public import (
    CreditCode,
    IdValidationError,
    organization_code_check_char,
    uscc_check_char,
    uscc_parse,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("91110000600037341L", CreditCode("91110000600037341L", "9", "1", "110000", "600037341")),
        ("91310115MA1K3BTP2B", CreditCode("91310115MA1K3BTP2B", "9", "1", "310115", "MA1K3BTP2")),
        ("9144030071526726XG", CreditCode("9144030071526726XG", "9", "1", "440300", "71526726X")),
    ],
)
def test_valid_codes_from_domain_md_parse_into_their_parts(code, expected):
    assert uscc_parse(code) == expected


def test_labels_follow_the_active_language():
    parsed = uscc_parse("91110000600037341L")
    with override("zh-hans"):
        assert (parsed.registration_authority_label, parsed.category_label) == ("工商", "企业")
    with override("en"):
        assert (parsed.registration_authority_label, parsed.category_label) == ("Market regulation", "Enterprise")


def test_check_characters():
    assert uscc_check_char("91110000600037341") == "L"
    assert uscc_check_char("91310115MA1K3BTP2") == "B"
    assert uscc_check_char("9144030071526726X") == "G"
    assert organization_code_check_char("60003734") == "1"
    assert organization_code_check_char("MA1K3BTP") == "2"
    # 11 - (sum mod 11) gives 10 and 11 here, written X and 0.
    assert organization_code_check_char("71526726") == "X"
    assert organization_code_check_char("00000000") == "0"


def test_lower_case_and_spaces_are_normalised():
    assert uscc_parse(" 91310115 ma1k3btp2b").code == "91310115MA1K3BTP2B"


def test_wrong_final_check_character():
    with pytest.raises(IdValidationError) as caught:
        uscc_parse("91110000600037341N")
    error = caught.value
    assert (error.code, error.position, error.params) == (
        "uscc.check_char",
        18,
        {"position": 18, "expected": "L", "actual": "N"},
    )
    with override("zh-hans"):
        assert str(error) == "第18位校验码应为L，实际为N（GB 32100 MOD 31）"
    with override("en"):
        assert str(error) == "Character 18 (check character) should be L, not N (GB 32100, MOD 31)"


def test_wrong_organization_code_check_character_is_reported_before_the_final_one():
    body = "91110000600037342"
    with pytest.raises(IdValidationError) as caught:
        uscc_parse(body + uscc_check_char(body))
    assert (caught.value.code, caught.value.position) == ("uscc.org_code_check", 17)
    with override("zh-hans"):
        assert str(caught.value) == "第17位（第9-17位组织机构代码的校验码）应为1，实际为2（GB 11714）"
    with override("en"):
        assert str(caught.value) == (
            "Character 17 (check character of the organization code in characters 9-17) should be 1, not 2 (GB 11714)"
        )


@pytest.mark.parametrize(
    ("value", "code", "position", "english"),
    [
        ("", "uscc.empty", None, "Enter a unified social credit code"),
        ("9111000060003734", "uscc.length", None, "A unified social credit code has 18 characters, not 16"),
        (
            "91110000600O37341L",
            "uscc.char",
            12,
            "Character 12 (“O”) is not allowed here: only 0-9 and A-Z except I, O, Z, S, V",
        ),
        (
            "B1110000600037341L",
            "uscc.registration_authority",
            1,
            "Character 1 (registration authority) “B” is not one of 1, 2, 3, 4, 5, 6, 7, 8, 9, A, N, Y (GB 32100)",
        ),
        (
            "94110000600037341L",
            "uscc.category",
            2,
            "Character 2 (category) “4” is not a category of registration authority 9 (Market regulation): "
            "only 1, 2, 3 (GB 32100)",
        ),
        (
            "9111A000600037341L",
            "uscc.division",
            5,
            "Characters 3-8 (division code) “11A000” must be digits: character 5 is “A”",
        ),
        (
            "91990000600037341L",
            "uscc.division",
            3,
            "Characters 3-8 (division code) “990000” are not valid: 99 is not a province code (GB/T 2260)",
        ),
    ],
)
def test_rejections_name_the_rule_and_the_character(value, code, position, english):
    with pytest.raises(IdValidationError) as caught:
        uscc_parse(value)
    assert (caught.value.code, caught.value.position) == (code, position)
    with override("en"):
        assert str(caught.value) == english


def test_category_error_in_chinese_lists_with_the_chinese_separator():
    with pytest.raises(IdValidationError) as caught:
        uscc_parse("94110000600037341L")
    with override("zh-hans"):
        assert str(caught.value) == "第2位机构类别代码“4”不属于登记管理部门9（工商），只能是1、2、3（GB 32100）"


def test_central_organs_with_division_100000_are_accepted():
    body = "11100000" + "00001312" + organization_code_check_char("00001312")
    parsed = uscc_parse(body + uscc_check_char(body))
    with override("en"):
        labels = (parsed.registration_authority_label, parsed.category_label)
    assert (parsed.division_code, *labels) == (
        "100000",
        "Institutional staffing",
        "Government organ",
    )


def test_check_char_functions_reject_malformed_bodies():
    with pytest.raises(IdValidationError) as caught:
        uscc_check_char("9111000060003734")
    assert (caught.value.code, caught.value.params["length"]) == ("uscc.length", 16)
    with pytest.raises(IdValidationError) as caught:
        uscc_check_char("9111000060003734I")
    assert (caught.value.code, caught.value.position) == ("uscc.char", 17)
    with pytest.raises(IdValidationError) as caught:
        organization_code_check_char("6000373")
    assert (caught.value.code, caught.value.params["length"]) == ("organization_code.length", 7)
    with pytest.raises(IdValidationError) as caught:
        organization_code_check_char("6000373a")
    assert (caught.value.code, caught.value.position) == ("organization_code.char", 8)
