"""`zhengtong crypto_keys`: the operator's rotation path."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhengtong.kernel.crypto.public import decrypt, encrypt, public_keys, signing_key, verify_signature


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("crypto_keys", *args, stdout=out)
    return out.getvalue()


def test_rotate_and_list_signing_keys():
    old = signing_key("ledger").sign(b"head")
    output = run("rotate-signing", "ledger")
    new_id = public_keys("ledger")[-1].key_id
    assert output == f"New active signing key {new_id} (guomi profile).\n"
    assert verify_signature(b"head", old) is True
    listing = run("list", "ledger", "--pem").splitlines()
    assert listing[0].startswith(f"  {old.key_id}  sm2-sm3  ")
    assert f"* {new_id}  sm2-sm3  " in "\n".join(listing)
    assert listing.count("-----BEGIN PUBLIC KEY-----") == 2
    assert run("list", "nobody") == "Unit nobody has no signing key yet.\n"


def test_rotate_field_key():
    token = encrypt(b"x", context="c")
    assert run("rotate-field").startswith("New active data key ")
    assert decrypt(token, context="c") == b"x"


def test_bad_unit_is_a_command_error():
    with pytest.raises(CommandError, match="signing unit must match"):
        run("rotate-signing", "../etc")
