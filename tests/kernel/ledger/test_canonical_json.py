import collections
import enum
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengtong.kernel.ledger import canonical_json as cj
from zhengtong.kernel.ledger.canonical_json import CanonicalJsonError, canonical_json, canonical_json_bytes


def test_sorted_keys_no_whitespace_utf8():
    value = {"b": [1, True, None], "a": {"z": "值", "y": -3}, "c": "line\nbreak \"q\" \\ \u001f \u2028"}
    assert canonical_json(value) == '{"a":{"y":-3,"z":"值"},"b":[1,true,null],"c":"line\\nbreak \\"q\\" \\\\ \\u001f \u2028"}'
    assert canonical_json_bytes({"名": "张三"}) == '{"名":"张三"}'.encode()


def test_keys_sort_by_utf16_code_units_as_rfc_8785_says():
    # U+1F600 is D83D DE00 in UTF-16, which sorts before U+FB01 ("ﬁ"); by code point it is after.
    assert canonical_json({"\ufb01": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ufb01":1}'


@pytest.mark.parametrize(
    "value,fragment",
    [
        ({"amount": 1.5}, "no floats"),
        ({"big": 2**53}, "beyond"),
        ({1: "x"}, "keys must be strings"),
        ({"when": object()}, "not JSON"),
        ({"t": (1, 2)}, "not JSON"),
    ],
)
def test_what_canonical_json_refuses(value, fragment):
    with pytest.raises(CanonicalJsonError, match=fragment):
        canonical_json(value)


def test_a_lone_surrogate_is_refused():
    with pytest.raises(CanonicalJsonError, match="UTF-8"):
        canonical_json_bytes({"s": "\ud800"})


@pytest.mark.parametrize(
    "subject,actor,payload",
    [
        ("dataset-1", "330100-SJ", {"b": 1, "a": [True, None, "x"]}),
        ('quote " and \\ backslash', "tab\tnew\nline \u0001 \u2028", {"名称": "值", "z": {"y": {}}}),
        ("emoji \U0001f600", "中文", {"\ufb01": 1, "\U0001f600": 2, "": ""}),
    ],
)
def test_the_hand_written_leaf_envelope_is_exactly_canonical_json(subject, actor, payload):
    """services writes the leaf body envelope by hand for speed; it must equal canonical_json()."""
    from zhengtong.kernel.ledger.services import _leaf_body_text

    leaf_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    created = "2025-01-02T03:04:05.678901Z"
    assert _leaf_body_text(leaf_id, "grant.created", subject, actor, created, payload) == canonical_json(
        {
            "actor": actor,
            "created_at": created,
            "id": leaf_id,
            "kind": "grant.created",
            "payload": payload,
            "subject": subject,
            "version": 1,
        }
    )


@pytest.mark.parametrize(
    "subject,actor,payload",
    [
        ("dataset-1", "330100-SJ", {"b": 1, "a": [True, None, "x"]}),
        ('quote " and \\ backslash', "tab\tnew\nline \u0001 \u2028", {"名称": "值", "z": {"y": {}}}),
        ("emoji \U0001f600", "中文", {"\ufb01": 1, "\U0001f600": 2, "": ""}),
        ("\x7f\u0085\ufeff", "\\", {"n": -(2**53 - 1), "l": [[], {}, [1, [2]]]}),
    ],
)
def test_the_appended_body_bytes_are_exactly_canonical_json(subject, actor, payload):
    """The append writes each body as UTF-8 from cached pieces (by actor, by kind) and the ids'
    text made a column at a time, and the odd entry off the fast path another way: both must be
    canonical_json_bytes of the whole body, and the text the str helpers write."""
    from datetime import UTC, datetime

    from zhengtong.kernel.ledger.records import LedgerEntry
    from zhengtong.kernel.ledger.services import _encode_entries, _leaf_body_bytes, _leaf_body_text, _timestamp_text

    class Text(str):
        pass

    created_at = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    created = _timestamp_text(created_at)
    entries = [
        LedgerEntry(kind="grant.created", subject=subject, actor=actor, payload=payload),
        LedgerEntry(kind="grant.created", subject=subject, actor=actor, payload=payload),  # cached pieces
        LedgerEntry(kind="grant.created", subject=Text(subject), actor=Text(actor), payload=payload),  # slow path
    ]
    encoded = _encode_entries(entries, created_at)
    assert len(set(encoded.leaf_ids)) == 3
    for leaf_id, body in zip(encoded.leaf_ids, encoded.bodies, strict=True):
        expected = canonical_json_bytes(
            {"actor": actor, "created_at": created, "id": str(leaf_id), "kind": "grant.created", "payload": payload,
             "subject": subject, "version": 1}
        )  # fmt: skip
        assert body == expected
        assert body.decode() == _leaf_body_text(str(leaf_id), "grant.created", subject, actor, created, payload)
        assert _leaf_body_bytes(str(leaf_id).encode(), "grant.created", subject, actor, created.encode(), payload) == expected
    assert encoded.raw_ids == b"".join(leaf_id.bytes for leaf_id in encoded.leaf_ids)


def test_new_leaf_ids_are_uuid7_with_their_text():
    from datetime import UTC, datetime

    from zhengtong.kernel.ledger.services import new_leaf_ids

    created_at = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    raw, text = new_leaf_ids(300, created_at)
    ids = [uuid.UUID(bytes=raw[offset : offset + 16]) for offset in range(0, len(raw), 16)]
    assert [str(leaf_id).encode() for leaf_id in ids] == [text[offset : offset + 36] for offset in range(0, len(text), 36)]
    assert {(leaf_id.version, leaf_id.variant, leaf_id.int >> 80) for leaf_id in ids} == {
        (7, uuid.RFC_4122, int(created_at.timestamp() * 1000))
    }
    assert len(set(ids)) == 300
    assert new_leaf_ids(0, created_at) == (b"", b"")


# --- The fast encoder (orjson) against the json module -------------------------------------------

# Characters where JSON writers differ, if anywhere: quotes, backslash, every C0 control, DEL,
# the line/paragraph separators ECMAScript once choked on, both sides of the surrogate block and
# of the private-use area, the last BMP character and an astral one.
_TRICKY = ['"', "\\", "/", "\x7f", "\u0085", "\u2028", "\u2029", "\ud7ff", "\ue000", "\ufeff", "\uffff", "\U0001f600", "值", "a"]
_TRICKY += [chr(code) for code in range(0x20)]
_text = st.text() | st.text(alphabet=st.sampled_from(_TRICKY))
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-cj.MAX_SAFE_INTEGER, cj.MAX_SAFE_INTEGER) | _text,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_text, children, max_size=5),
    max_leaves=40,
)


def _reference(value) -> bytes:
    """The slow path only: every dict rebuilt in UTF-16 key order, then the json module."""
    return cj._ENCODER.encode(cj._canonical(value, "value")).encode("utf-8")


@settings(max_examples=600, deadline=None)
@given(_json)
def test_the_fast_encoder_writes_exactly_the_canonical_bytes(value):
    assert cj.orjson is not None  # else this would only compare the json module with itself
    assert canonical_json_bytes(value) == _reference(value) == canonical_json(value).encode("utf-8")
    if cj.is_plain(value):
        assert cj.plain_json_bytes(value) == _reference(value)


def test_every_character_is_written_the_same_as_a_value_and_as_a_key():
    # Every BMP character but the surrogates, and every 61st astral one (UTF-8 and the escaping
    # rules treat the astral planes alike).
    codes = [*range(0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 61)]
    characters = [chr(code) for code in codes]
    for start in range(0, len(characters), 4096):
        chunk = characters[start : start + 4096]
        values = {f"k{n}": character for n, character in enumerate(chunk)}
        keys = {character: n for n, character in enumerate(chunk)}
        for value in (values, keys, chunk):
            assert canonical_json_bytes(value) == _reference(value)


class _Text(str):
    pass


class _Number(enum.IntEnum):
    ONE = 1


@pytest.mark.parametrize(
    "value",
    [
        {"s": _Text("x"), "n": _Number.ONE, "o": collections.OrderedDict([("b", 1), ("a", 2)])},
        {_Text("k"): [_Number.ONE, _Text("y")]},
        {"\ufb01": 1, "\U0001f600": 2},  # UTF-16 order differs from code-point order: the slow path
    ],
)
def test_subclasses_and_astral_keys_take_the_slow_path_and_come_out_the_same(value):
    assert not cj.is_plain(value)
    assert canonical_json_bytes(value) == _reference(value)


def test_nesting_deeper_than_orjson_goes_falls_back_to_the_json_module():
    value: list = []
    for _ in range(400):
        value = [value]
    assert cj.is_plain(value) and cj.plain_json_bytes(value) is None
    assert canonical_json_bytes(value) == b"[" * 401 + b"]" * 401


@pytest.mark.parametrize(
    "value",
    [{"amount": 1.5}, {"big": 2**53}, {1: "x"}, {"t": (1, 2)}, {"id": uuid.uuid4()}, {"e": _Number}],
)
def test_what_orjson_would_write_is_still_refused(value):
    assert not cj.is_plain(value)
    with pytest.raises(CanonicalJsonError):
        canonical_json_bytes(value)


def test_a_lone_surrogate_anywhere_is_refused_on_the_fast_path_too():
    for value in ({"s": "a\udc00"}, {"\ud800": 1}, ["\udfff"]):
        with pytest.raises(CanonicalJsonError, match="UTF-8"):
            canonical_json_bytes(value)
