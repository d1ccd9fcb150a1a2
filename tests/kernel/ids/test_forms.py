from django import forms
from django.utils.translation import override

from zhengtong.kernel.ids.forms import CreditCodeField, MobileField, ResidentIdField


class RegistrationForm(forms.Form):
    resident_id = ResidentIdField()
    credit_code = CreditCodeField(required=False)
    mobile = MobileField()


def test_fields_clean_to_the_normal_form():
    form = RegistrationForm(
        data={
            "resident_id": "440113 20141005 001x",
            "credit_code": "91310115ma1k3btp2b",
            "mobile": "+86 180-1234-5678",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "resident_id": "44011320141005001X",
        "credit_code": "91310115MA1K3BTP2B",
        "mobile": "18012345678",
    }


def test_a_15_digit_resident_id_cleans_to_18():
    form = RegistrationForm(data={"resident_id": "360426910101007", "mobile": "18012345678"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["resident_id"] == "360426199101010071"


def test_errors_carry_the_specific_message_and_code():
    form = RegistrationForm(
        data={"resident_id": "36042619910102009X", "credit_code": "91110000600037341N", "mobile": "12012345678"}
    )
    with override("zh-hans"):
        assert not form.is_valid()
        assert form.errors == {
            "resident_id": ["第18位校验码应为3，实际为X（GB 11643 ISO 7064 MOD 11-2）"],
            "credit_code": ["第18位校验码应为L，实际为N（GB 32100 MOD 31）"],
            "mobile": ["中国大陆手机号码以1开头、第2位为3-9，实际开头为“12”"],
        }
    assert form.errors.as_data()["resident_id"][0].code == "resident_id.check_char"
    assert form.errors.as_data()["mobile"][0].code == "mobile.prefix"


def test_errors_in_english():
    form = RegistrationForm(data={"resident_id": "360426199113010079", "mobile": "18012345678"})
    with override("en"):
        assert form.errors == {
            "resident_id": ["Characters 7-14 (birth date) “19911301” are not a valid date: there is no month 13"]
        }


def test_required_and_optional_empty_values():
    form = RegistrationForm(data={"resident_id": "", "credit_code": "", "mobile": "18012345678"})
    with override("en"):
        assert form.errors == {"resident_id": ["This field is required."]}
    form = RegistrationForm(data={"resident_id": "110102199101010078", "credit_code": "  ", "mobile": "18012345678"})
    assert form.is_valid()
    assert form.cleaned_data["credit_code"] == ""


def test_inputs_are_not_spell_checked_and_mobile_uses_the_phone_keypad():
    form = RegistrationForm()
    assert form.fields["resident_id"].widget.attrs == {
        "spellcheck": "false",
        "autocapitalize": "characters",
        "autocomplete": "off",
    }
    assert form.fields["mobile"].widget.attrs == {
        "spellcheck": "false",
        "autocapitalize": "off",
        "autocomplete": "tel",
        "inputmode": "tel",
    }
