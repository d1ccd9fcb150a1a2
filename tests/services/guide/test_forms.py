"""FormField and form_field_validate: each kind's normal form and each refusal, naming the field."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from zhengtong.services.guide.forms import form_fields_parse
from zhengtong.services.guide.public import FormField, form_field_validate


def field(kind, *, label="字段", required=True, choices=(), max_length=None):
    return FormField("f", {"zh": label, "en": "Field"}, kind, required, choices, "", "", max_length)


def refused(f, raw) -> str:
    with pytest.raises(ValidationError) as caught:
        form_field_validate(f, raw)
    (message,) = caught.value.messages
    return message


def test_the_label_and_help_follow_the_active_language():
    f = FormField("name", {"zh": "姓名", "en": "Name"}, "text", help={"zh": "与身份证一致", "en": "As on the ID card"})
    assert (f.label, f.help) == ("姓名", "与身份证一致")
    with translation.override("en"):
        assert (f.label, f.help) == ("Name", "As on the ID card")
    plain = FormField("name", "姓名", "text")
    with translation.override("en"):
        assert plain.label == "姓名"  # a plain string is the same in every language


def test_a_field_round_trips_through_its_json_and_is_hashable():
    data = {"name": "reason", "label": {"zh": "原因", "en": "Reason"}, "kind": "choice", "required": True,
            "choices": [["a", "甲"], ["b", "乙"]], "prefill": "", "help": "", "max_length": None}
    f = FormField.from_json(data)
    assert f.to_json() == data
    assert f.choices == (("a", "甲"), ("b", "乙"))
    assert hash(f) == hash(FormField.from_json(data))


@pytest.mark.parametrize(("kind", "raw", "normal"), [
    ("text", "  王芳 ", "王芳"),
    ("textarea", "第一行\n第二行", "第一行\n第二行"),
    ("address", "杭州市西湖区文三路90号", "杭州市西湖区文三路90号"),
    ("date", "2024-02-29", "2024-02-29"),
    ("number", "1,200.50", "1200.5"),
    ("number", "12", "12"),
    ("number", "-3", "-3"),
    ("yesno", "是", "yes"),
    ("yesno", "No", "no"),
    ("resident_id", "44011320141005001x", "44011320141005001X"),
    ("uscc", "91310115ma1k3btp2b", "91310115MA1K3BTP2B"),
    ("mobile", "+86 139-8765-4321", "13987654321"),
    ("email", "Wang.Fang@Example.CN", "Wang.Fang@example.cn"),
])
def test_each_kind_is_normalised(kind, raw, normal):
    assert form_field_validate(field(kind), raw) == normal


def test_a_choice_must_be_one_of_the_codes():
    f = field("choice", label="离职原因", choices=(("contract_end", "劳动合同到期"), ("dismissed", "被解除")))
    assert form_field_validate(f, "dismissed") == "dismissed"
    with translation.override("en"):
        assert refused(f, "劳动合同到期") == "“Field”: choose one of 劳动合同到期, 被解除"


@pytest.mark.parametrize(("kind", "raw", "message"), [
    ("date", "2024/03/01", "“Field”: enter a date as YYYY-MM-DD, for example 2024-03-01"),
    ("date", "2023-02-29", "“Field”: 2023-02-29 is not a date in the calendar"),
    ("number", "十二", "“Field”: enter a number, for example 12 or 3.5"),
    ("number", "NaN", "“Field”: enter a number, for example 12 or 3.5"),
    ("yesno", "maybe", "“Field”: answer yes or no"),
    ("resident_id", "36042619910102009X",
     "“Field”: Character 18 (check character) should be 3, not X (GB 11643, ISO 7064 MOD 11-2)"),
    ("uscc", "91110000600037341N",
     "“Field”: Character 18 (check character) should be L, not N (GB 32100, MOD 31)"),
    ("mobile", "1234", "“Field”: A mainland China mobile number has 11 digits, not 4"),
    ("email", "wang@", "“Field”: enter an email address such as name@example.cn"),
])
def test_each_kind_refuses_bad_input_naming_the_field(kind, raw, message):
    with translation.override("en"):
        assert refused(field(kind), raw) == message


def test_required_and_optional_empty_answers():
    with translation.override("en"):
        assert refused(field("text"), "   ") == "“Field”: this answer is required"
        assert refused(field("choice", choices=(("a", "甲"),)), "") == "“Field”: choose an answer"
    assert form_field_validate(field("date", required=False), "") == ""
    assert form_field_validate(field("date", required=False), None) == ""


def test_max_length_and_the_kinds_default_length():
    with translation.override("en"):
        assert refused(field("text", max_length=5), "一二三四五六") == "“Field”: at most 5 characters, not 6"
        assert refused(field("text"), "字" * 201) == "“Field”: at most 200 characters, not 201"
    assert form_field_validate(field("textarea"), "字" * 2000) == "字" * 2000


def test_the_message_is_chinese_by_default_and_names_the_chinese_label():
    message = refused(field("date", label="离职日期"), "昨天")
    assert message.startswith("“离职日期”")


def test_a_division_must_be_one_of_the_platform(small_province):
    f = field("division")
    assert form_field_validate(f, "330106") == "330106"
    with translation.override("en"):
        assert refused(f, "330109") == "“Field”: 330109 is not a division of this platform"
        assert refused(f, "3301") == (
            "“Field”: An administrative division code has 6 digits (9 for a township), not 4")


def test_form_fields_parse_names_every_problem_by_position():
    good = {"name": "a", "label": "甲", "kind": "text", "required": True, "choices": [], "prefill": "",
            "help": "", "max_length": None}
    assert form_fields_parse([good]) == (FormField.from_json(good),)
    bad = [
        good,
        {**good},  # the same name again
        {**good, "name": "B-1", "kind": "colour"},
        {**good, "name": "c", "prefill": "person.salary"},
        {**good, "name": "d", "kind": "choice"},
        {"name": "e", "label": "戊"},
        {**good, "name": "f", "max_length": 0, "required": "yes"},
    ]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        form_fields_parse(bad)
    messages = caught.value.messages
    assert messages[0] == "Form field 2: the name “a” is used twice"
    assert messages[1] == "Form field 3: the name “B-1” must start with a lower-case letter and hold only a-z, 0-9 and _"
    assert messages[2].startswith("Form field 3: the kind “colour” is not one of text, textarea, date")
    assert messages[3].startswith("Form field 4: the prefill “person.salary” is not a registry attribute")
    assert messages[4] == "Form field 5: a choice field needs at least one choice"
    assert messages[5] == "Form field 6: missing keys choices, help, kind, max_length, prefill, required"
    assert messages[6:] == ["Form field 7: required must be true or false",
                            "Form field 7: max_length must be a positive whole number or null"]
    assert len(messages) == 8
