"""One error, two languages: the message is rendered where it is shown, not where it was raised."""

import pytest
from django.utils.translation import override

from zhengtong.kernel.ids.public import IdValidationError, resident_id_parse, uscc_parse


def test_the_same_check_error_reads_in_chinese_and_in_english():
    with override("en"):
        # Raised under English, shown under both: the text follows the language at display time.
        with pytest.raises(IdValidationError) as caught:
            resident_id_parse("440113201410050011")
    with override("zh-hans"):
        assert str(caught.value) == "第18位校验码应为X，实际为1（GB 11643 ISO 7064 MOD 11-2）"
        assert str(caught.value.message) == "第18位校验码应为X，实际为1（GB 11643 ISO 7064 MOD 11-2）"
    with override("en"):
        assert str(caught.value) == "Character 18 (check character) should be X, not 1 (GB 11643, ISO 7064 MOD 11-2)"


def test_the_same_character_error_reads_in_chinese_and_in_english():
    with pytest.raises(IdValidationError) as caught:
        uscc_parse("91110000600037341I")
    with override("zh-hans"):
        assert str(caught.value) == "第18位字符“I”无效，此处只允许0-9和除I、O、Z、S、V以外的A-Z"
    with override("en"):
        assert str(caught.value) == "Character 18 (“I”) is not allowed here: only 0-9 and A-Z except I, O, Z, S, V"


def test_birth_date_errors_in_chinese():
    expected = {
        "110102189912310071": "第7-14位出生日期“18991231”早于1900年1月1日",
        "110102209912310071": "第7-14位出生日期“20991231”晚于今天",
        "110102199102300071": "第7-14位出生日期“19910230”无效：1991年2月没有30日",
    }
    for number, text in expected.items():
        with pytest.raises(IdValidationError) as caught:
            resident_id_parse(number)
        with override("zh-hans"):
            assert str(caught.value) == text


def test_default_language_is_chinese():
    with pytest.raises(IdValidationError) as caught:
        resident_id_parse("3604261991")
    assert str(caught.value) == "居民身份证号码应为18位（旧号码为15位），实际为10位"
