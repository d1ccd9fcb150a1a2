"""The public API: profiles, signing keys per unit with rotation, field encryption, blind indexes."""

import base64
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from zhengtong.kernel.crypto import keys, primitives
from zhengtong.kernel.crypto.public import (
    DecryptionError,
    PublicKeyInfo,
    Signature,
    active_profile,
    blind_index,
    decrypt,
    digest,
    digest_algorithm,
    encrypt,
    field_keys_rotate,
    public_keys,
    signing_key,
    signing_key_rotate,
    verify_signature,
)

# --- Profiles and digests -----------------------------------------------------------------------


def test_guomi_is_the_default_profile():
    assert active_profile() == "guomi"
    assert digest_algorithm() == "sm3"
    assert digest(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_international_profile(settings):
    settings.CRYPTO_PROFILE = "international"
    assert active_profile() == "international"
    assert digest_algorithm() == "sha256"
    assert digest(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert signing_key("ledger").algorithm == "ed25519"


def test_unknown_profile_is_a_configuration_error(settings):
    settings.CRYPTO_PROFILE = "fips"
    with pytest.raises(ImproperlyConfigured):
        digest(b"abc")


# --- Signing keys -------------------------------------------------------------------------------


def test_a_unit_key_is_made_on_first_use_in_a_private_file(isolated_keys):
    key = signing_key("330100-SJ")
    assert key.algorithm == "sm2-sm3"
    assert key.unit == "330100-SJ"
    assert key.key_id.startswith("330100-SJ/")
    assert key.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    path = isolated_keys / f"{key.key_id}.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((isolated_keys / "330100-SJ").stat().st_mode) == 0o700
    assert signing_key("330100-SJ").key_id == key.key_id  # the same key next time
    assert "PRIVATE" not in repr(key)


def test_sign_and_verify_by_key_id():
    signature = signing_key("ledger").sign(b"tree head 42")
    assert isinstance(signature, Signature)
    assert signature.algorithm == "sm2-sm3"
    assert signature.key_id == signing_key("ledger").key_id
    assert verify_signature(b"tree head 42", signature) is True
    assert verify_signature(b"tree head 43", signature) is False
    # Key ids are looked up in their unit: another unit's id does not verify.
    other = Signature(signature.algorithm, signing_key("330100-SJ").key_id, signature.value)
    assert verify_signature(b"tree head 42", other) is False
    assert verify_signature(b"tree head 42", Signature("sm2-sm3", "ledger/unknown", signature.value)) is False
    assert verify_signature(b"tree head 42", Signature("sm2-sm3", "no/such/unit", signature.value)) is False
    assert verify_signature(b"tree head 42", Signature("ed25519", signature.key_id, signature.value)) is False


def test_verify_against_a_given_public_key():
    signature = signing_key("ledger").sign(b"head")
    assert verify_signature(b"head", signature, public_key_pem=signing_key("ledger").public_key_pem) is True
    assert verify_signature(b"head", signature, public_key_pem=signing_key("330100-SJ").public_key_pem) is False
    assert verify_signature(b"head", signature, public_key_pem="not a key") is False


def test_rotation_keeps_old_signatures_verifiable(isolated_keys):
    old_id = signing_key("330100-SJ").key_id
    old_signature = signing_key("330100-SJ").sign(b"licence 1")
    new_id = signing_key_rotate("330100-SJ")
    assert new_id != old_id
    assert signing_key("330100-SJ").key_id == new_id
    new_signature = signing_key("330100-SJ").sign(b"licence 2")
    assert new_signature.key_id == new_id
    assert verify_signature(b"licence 1", old_signature) is True
    assert verify_signature(b"licence 2", new_signature) is True
    listed = public_keys("330100-SJ")
    assert [k.key_id for k in listed] == [old_id, new_id]
    assert [k.active for k in listed] == [False, True]
    assert all(isinstance(k, PublicKeyInfo) and k.algorithm == "sm2-sm3" for k in listed)
    assert listed[0].created_at <= listed[1].created_at
    assert public_keys("never-signed") == []


def test_a_key_made_by_another_process_is_found_when_verifying(isolated_keys):
    signing_key("ledger")  # this process has read the unit's keys
    other = primitives.generate_private_key("sm2-sm3")
    local_id = "20990101T000000000000Z-abcdef012345"
    path = isolated_keys / "ledger" / f"{local_id}.pem"
    path.write_bytes(primitives.private_key_to_pem(other))
    path.chmod(0o600)
    signature = Signature("sm2-sm3", f"ledger/{local_id}", primitives.sm2_sign(other, b"x"))
    assert verify_signature(b"x", signature) is True  # a miss reads the files again


def test_switching_profile_makes_a_key_of_the_new_algorithm_and_keeps_the_old_one(settings):
    sm2_signature = signing_key("ledger").sign(b"before")
    settings.CRYPTO_PROFILE = "international"
    ed_signature = signing_key("ledger").sign(b"after")
    assert ed_signature.algorithm == "ed25519"
    assert len(ed_signature.value) == 64
    assert verify_signature(b"before", sm2_signature) is True
    assert verify_signature(b"after", ed_signature) is True
    assert [(k.algorithm, k.active) for k in public_keys("ledger")] == [("sm2-sm3", False), ("ed25519", True)]


def test_unit_names_are_checked():
    for bad in ["", "../etc", "a/b", "-x", "x" * 65, "政务"]:
        with pytest.raises(ValueError):
            signing_key(bad)


def test_signing_key_from_the_environment(monkeypatch, isolated_keys):
    file_signature = signing_key("330100-SJ").sign(b"old")  # a file key from before
    first = primitives.generate_private_key("sm2-sm3")
    second = primitives.generate_private_key("sm2-sm3")
    pem = (primitives.private_key_to_pem(first) + primitives.private_key_to_pem(second)).decode()
    monkeypatch.setenv("ZHENGTONG_SIGNING_KEY_330100_SJ", pem)
    key = signing_key("330100-SJ")
    assert key.public_key_pem == primitives.public_key_to_pem(second.public_key())  # the last is active
    assert key.key_id.startswith("330100-SJ/env-")
    signature = key.sign(b"new")
    assert verify_signature(b"new", signature) is True
    assert verify_signature(b"old", file_signature) is True
    listed = public_keys("330100-SJ")
    assert len(listed) == 3 and [k.active for k in listed] == [False, False, True]
    assert listed[-1].created_at is None
    with pytest.raises(ImproperlyConfigured):
        signing_key_rotate("330100-SJ")


def test_environment_key_of_the_wrong_algorithm_is_refused(monkeypatch):
    ed = primitives.generate_private_key("ed25519")
    monkeypatch.setenv("ZHENGTONG_SIGNING_KEY_LEDGER", primitives.private_key_to_pem(ed).decode())
    with pytest.raises(ImproperlyConfigured, match="ed25519"):
        signing_key("ledger")


def test_a_key_file_others_can_read_is_refused(isolated_keys):
    key_id = signing_key("ledger").key_id
    (isolated_keys / f"{key_id}.pem").chmod(0o644)
    keys.clear_caches()
    with pytest.raises(ImproperlyConfigured, match="chmod 600"):
        signing_key("ledger")


def test_no_key_is_generated_when_generation_is_off(settings, isolated_keys):
    settings.CRYPTO_GENERATE_KEYS = False
    with pytest.raises(ImproperlyConfigured):
        signing_key("ledger")
    with pytest.raises(ImproperlyConfigured):
        encrypt(b"x", context="t")
    with pytest.raises(ImproperlyConfigured):
        blind_index("x", purpose="t")
    assert not (isolated_keys / "ledger").exists()


# --- Field encryption ---------------------------------------------------------------------------


def test_encrypt_round_trip_and_token_layout(isolated_keys):
    token = encrypt(b"13800138000", context="identity.resident.phone")
    key_id = token[3 : 3 + token[2]].decode()
    assert token[0] == 1 and token[1] == 1  # version 1, SM4-GCM
    assert len(token) == 3 + len(key_id) + 12 + 11 + 16
    assert decrypt(token, context="identity.resident.phone") == b"13800138000"
    assert b"13800138000" not in token
    assert encrypt(b"13800138000", context="identity.resident.phone") != token  # fresh nonce
    assert stat.S_IMODE((isolated_keys / "field.keys").stat().st_mode) == 0o600


def test_the_context_is_bound():
    token = encrypt(b"secret", context="identity.resident.phone")
    with pytest.raises(DecryptionError):
        decrypt(token, context="identity.resident.address")


@pytest.mark.parametrize("position", [0, 1, 2, 5, -1, -17, -30])
def test_any_altered_byte_is_detected(position):
    token = bytearray(encrypt(b"secret value", context="c"))
    token[position] ^= 0x01
    with pytest.raises(DecryptionError):
        decrypt(bytes(token), context="c")


def test_malformed_tokens():
    for token in [
        b"",
        b"\x01",
        b"\x02\x01\x00" + bytes(40),
        b"\x01\x09\x00" + bytes(40),
        b"\x01\x01\x08abcdefgh" + bytes(10),
    ]:
        with pytest.raises(DecryptionError):
            decrypt(token, context="c")


def test_rotation_keeps_old_tokens_readable(isolated_keys):
    old = encrypt(b"before", context="c")
    old_key_id = old[3 : 3 + old[2]].decode()
    new_key_id = field_keys_rotate()
    assert new_key_id != old_key_id
    new = encrypt(b"after", context="c")
    assert new[3 : 3 + new[2]].decode() == new_key_id
    assert decrypt(old, context="c") == b"before"
    assert decrypt(new, context="c") == b"after"
    lines = (isolated_keys / "field.keys").read_text().splitlines()
    assert [line.split(":")[0] for line in lines] == [old_key_id, new_key_id]


def test_international_profile_encrypts_with_aes_and_still_reads_sm4(settings):
    sm4_token = encrypt(b"old", context="c")
    settings.CRYPTO_PROFILE = "international"
    aes_token = encrypt(b"new", context="c")
    assert aes_token[1] == 2
    assert decrypt(aes_token, context="c") == b"new"
    assert decrypt(sm4_token, context="c") == b"old"


def test_data_keys_from_the_environment(monkeypatch, isolated_keys):
    k1, k2 = bytes(range(16)), bytes(range(16, 32))
    monkeypatch.setenv("ZHENGTONG_FIELD_KEYS", f"k1:{base64.b64encode(k1).decode()},k2:{base64.b64encode(k2).decode()}")
    token = encrypt(b"x", context="c")
    assert token[3 : 3 + token[2]] == b"k2"
    nonce = token[5:17]
    assert primitives.sm4_gcm_decrypt(k2, nonce, token[17:], token[:5] + b"c") == b"x"
    assert not (isolated_keys / "field.keys").exists()
    with pytest.raises(ImproperlyConfigured):
        field_keys_rotate()


@pytest.mark.parametrize(
    "value",
    ["k1", "k1:notbase64!", "k1:" + base64.b64encode(bytes(8)).decode(), "a b:" + base64.b64encode(bytes(16)).decode()],
)
def test_bad_data_keys_in_the_environment_are_refused(monkeypatch, value):
    monkeypatch.setenv("ZHENGTONG_FIELD_KEYS", value)
    with pytest.raises(ImproperlyConfigured):
        encrypt(b"x", context="c")


def test_a_token_naming_an_unknown_key_fails(monkeypatch):
    token = encrypt(b"x", context="c")
    monkeypatch.setenv("ZHENGTONG_FIELD_KEYS", f"other:{base64.b64encode(bytes(16)).decode()}")
    with pytest.raises(DecryptionError, match="unknown data key"):
        decrypt(token, context="c")


# --- Blind indexes ------------------------------------------------------------------------------


def test_blind_index_is_keyed_deterministic_and_per_purpose(isolated_keys):
    a = blind_index("11010519491231002X", purpose="identity.resident.id_number")
    assert a == blind_index("11010519491231002X", purpose="identity.resident.id_number")
    assert len(a) == 64 and int(a, 16) >= 0
    assert a != blind_index("11010519491231002x", purpose="identity.resident.id_number")
    assert a != blind_index("11010519491231002X", purpose="licences.holder.id_number")
    # Keyed: not the bare hash, and another index key gives another index.
    assert a != primitives.sm3(b"11010519491231002X").hex()
    key = base64.b64decode((isolated_keys / "index.key").read_text())
    subkey = primitives.keyed_digest(key, b"zhengtong blind index\x00identity.resident.id_number", "guomi")
    assert a == primitives.keyed_digest(subkey, b"11010519491231002X", "guomi").hex()


def test_blind_index_from_the_environment_and_by_profile(monkeypatch, settings):
    monkeypatch.setenv("ZHENGTONG_INDEX_KEY", base64.b64encode(bytes(32)).decode())
    subkey = primitives.keyed_digest(bytes(32), b"zhengtong blind index\x00p", "guomi")
    assert blind_index("v", purpose="p") == primitives.keyed_digest(subkey, b"v", "guomi").hex()
    settings.CRYPTO_PROFILE = "international"
    subkey = primitives.keyed_digest(bytes(32), b"zhengtong blind index\x00p", "international")
    assert blind_index("v", purpose="p") == primitives.keyed_digest(subkey, b"v", "international").hex()
    monkeypatch.setenv("ZHENGTONG_INDEX_KEY", base64.b64encode(bytes(16)).decode())
    with pytest.raises(ImproperlyConfigured):
        blind_index("v", purpose="p")
