import pytest

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
