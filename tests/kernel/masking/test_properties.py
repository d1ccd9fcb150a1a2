"""Length and kept characters of masked values, for arbitrary (including Chinese) text."""

from django.test import override_settings
from hypothesis import given, strategies as st

from zhengtong.kernel.masking.public import FieldKind, mask_value

# Letters and digits from anywhere, including CJK and characters outside the BMP.
texts = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=40)
cjk_names = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=2, max_size=6)


@given(st.one_of(texts, cjk_names))
def test_names_keep_only_the_first_character(value):
    masked = mask_value(FieldKind.NAME, value)
    assert len(masked) == len(value)
    if len(value) == 1:
        assert masked == "*"
    else:
        assert masked == value[0] + "*" * (len(value) - 1)


@given(texts)
def test_mobiles_keep_the_first_3_and_last_4(value):
    masked = mask_value(FieldKind.MOBILE, value)
    assert len(masked) == len(value)
    if len(value) <= 7:
        assert masked == "*" * len(value)
    else:
        assert masked == value[:3] + "*" * (len(value) - 7) + value[-4:]


@given(texts)
def test_resident_ids_keep_the_first_1_and_last_2_by_default(value):
    masked = mask_value(FieldKind.RESIDENT_ID, value)
    assert len(masked) == len(value)
    if len(value) <= 3:
        assert masked == "*" * len(value)
    else:
        assert masked == value[:1] + "*" * (len(value) - 3) + value[-2:]


@given(texts)
def test_resident_ids_keep_the_first_6_and_last_4_in_the_6_plus_4_style(value):
    with override_settings(MASKING_RESIDENT_ID_STYLE="6+4"):
        masked = mask_value(FieldKind.RESIDENT_ID, value)
    assert len(masked) == len(value)
    if len(value) <= 10:
        assert masked == "*" * len(value)
    else:
        assert masked == value[:6] + "*" * (len(value) - 10) + value[-4:]


@given(texts)
def test_addresses_hide_their_last_8_characters(value):
    masked = mask_value(FieldKind.ADDRESS, value)
    assert len(masked) == len(value)
    if len(value) <= 8:
        assert masked == "*" * len(value)
    else:
        assert masked == value[:-8] + "*" * 8


@given(st.text(st.characters(categories=["L", "N"]), min_size=0, max_size=20), texts)
def test_emails_keep_the_first_character_of_the_local_part_and_the_domain(local, domain):
    assert mask_value(FieldKind.EMAIL, f"{local}@{domain}") == f"{local[:1]}***@{domain}"
