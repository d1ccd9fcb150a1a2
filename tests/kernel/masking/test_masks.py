import pytest
from django.core.exceptions import ImproperlyConfigured

from zhengtong.kernel.masking.public import FieldKind, mask_record, mask_value


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        (FieldKind.NAME, "段正淳", "段**"),
        (FieldKind.NAME, "张三", "张*"),
        (FieldKind.NAME, "欧阳娜娜", "欧***"),
        (FieldKind.NAME, "阿卜杜拉·买买提", "阿*******"),
        (FieldKind.NAME, "𠮷大力", "𠮷**"),  # outside the BMP: one character, four UTF-8 bytes
        (FieldKind.NAME, "李", "*"),
        (FieldKind.RESIDENT_ID, "360426199101010071", "3***************71"),
        (FieldKind.RESIDENT_ID, "44011320141005001X", "4***************1X"),
        (FieldKind.RESIDENT_ID, "360426910101007", "3************07"),
        (FieldKind.MOBILE, "18012341999", "180****1999"),
        (FieldKind.MOBILE, "1801234", "*******"),
        (FieldKind.ADDRESS, "浙江省杭州市西湖区北山街道保俶路12号3幢", "浙江省杭州市西湖区北山街道********"),
        (FieldKind.ADDRESS, "西湖区北山街道", "*******"),
        (FieldKind.EMAIL, "zhangsan@example.com", "z***@example.com"),
        (FieldKind.EMAIL, "z@example.com", "z***@example.com"),
        (FieldKind.EMAIL, "张三@例子.中国", "张***@例子.中国"),
        (FieldKind.EMAIL, "not-an-address", "**************"),
        (FieldKind.BANK_ACCOUNT, "6222020200112233445", "***************3445"),
        (FieldKind.BANK_ACCOUNT, "3445", "****"),
        (FieldKind.CREDIT_CODE, "91110000600037341L", "91110000600037341L"),
        (FieldKind.FREE_TEXT, "患者自述三年前确诊糖尿病", "***"),
        (FieldKind.FREE_TEXT, "x", "***"),
        (FieldKind.PLAIN, "杭州市西湖区人民政府", "杭州市西湖区人民政府"),
    ],
)
def test_masking_follows_the_documented_rules(kind, value, masked):
    assert mask_value(kind, value) == masked


@pytest.mark.parametrize("kind", list(FieldKind))
def test_none_and_empty_pass_through(kind):
    assert mask_value(kind, None) is None
    assert mask_value(kind, "") == ""


def test_kind_may_be_given_by_its_name():
    assert mask_value("mobile", "18012341999") == "180****1999"
    with pytest.raises(ValueError):
        mask_value("passport", "E12345678")


def test_the_declared_kind_decides_not_the_look_of_the_value():
    # A mobile number typed into a name field is masked as a name, and as free text it vanishes.
    assert mask_value(FieldKind.NAME, "18012341999") == "1**********"
    assert mask_value(FieldKind.FREE_TEXT, "18012341999") == "***"


def test_resident_id_style_6_plus_4(settings):
    settings.MASKING_RESIDENT_ID_STYLE = "6+4"
    assert mask_value(FieldKind.RESIDENT_ID, "360426199101010071") == "360426********0071"
    assert mask_value(FieldKind.RESIDENT_ID, "360426910101007") == "360426*****1007"


def test_resident_id_style_1_plus_2_explicitly(settings):
    settings.MASKING_RESIDENT_ID_STYLE = "1+2"
    assert mask_value(FieldKind.RESIDENT_ID, "360426199101010071") == "3***************71"


def test_an_unknown_resident_id_style_is_a_configuration_error(settings):
    settings.MASKING_RESIDENT_ID_STYLE = "3+3"
    with pytest.raises(ImproperlyConfigured) as caught:
        mask_value(FieldKind.RESIDENT_ID, "360426199101010071")
    assert str(caught.value) == "MASKING_RESIDENT_ID_STYLE is '3+3'; it must be one of 1+2, 6+4"


def test_mask_record_masks_declared_fields_and_drops_undeclared_ones():
    record = {
        "name": "段正淳",
        "resident_id": "360426199101010071",
        "mobile": "18012341999",
        "diagnosis": "糖尿病",
        "company": "91110000600037341L",
        "age": 34,
        "remark": None,
        "notes": "新增列，尚未声明类别",
    }
    field_kinds = {
        "name": FieldKind.NAME,
        "resident_id": FieldKind.RESIDENT_ID,
        "mobile": "mobile",
        "diagnosis": FieldKind.FREE_TEXT,
        "company": FieldKind.CREDIT_CODE,
        "age": FieldKind.PLAIN,
        "remark": FieldKind.NAME,
        "address": FieldKind.ADDRESS,
    }
    assert mask_record(record, field_kinds) == {
        "name": "段**",
        "resident_id": "3***************71",
        "mobile": "180****1999",
        "diagnosis": "***",
        "company": "91110000600037341L",
        "age": 34,
        "remark": None,
    }
    assert record["name"] == "段正淳"  # the input is not modified


def test_mask_record_masks_non_text_values_as_text():
    assert mask_record({"account": 6222020200112233445}, {"account": FieldKind.BANK_ACCOUNT}) == {
        "account": "***************3445"
    }
