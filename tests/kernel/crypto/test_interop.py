"""Our SM2 (Tongsuo) against two other implementations: the OpenSSL 3 CLI and the pure-Python gmssl.

Signatures go both ways with each, with the default user id and with another one, so the Z_A
computation, the DER encoding and the key formats are all checked against code we did not write.
"""

import shutil
import subprocess

import pytest
from gmssl import sm2 as gmssl_sm2

from zhengtong.kernel.crypto import primitives as p

OPENSSL = shutil.which("openssl")
MESSAGE = "电子证照 330100-2026-000123 签章".encode()


def openssl(*args, input=None):
    assert OPENSSL, "the openssl command is needed for the interoperability tests"
    result = subprocess.run([OPENSSL, *args], input=input, capture_output=True)
    return result


@pytest.fixture
def files(tmp_path):
    (tmp_path / "msg").write_bytes(MESSAGE)
    return tmp_path


def _our_key_files(files):
    key = p.generate_private_key(p.ALGORITHM_SM2)
    (files / "priv.pem").write_bytes(p.private_key_to_pem(key))
    (files / "pub.pem").write_text(p.public_key_to_pem(key.public_key()))
    return key


@pytest.mark.parametrize("uid", [b"1234567812345678", b"zhengtong@330100-SJ"])
def test_openssl_verifies_our_sm2_signature(files, uid):
    key = _our_key_files(files)
    (files / "sig").write_bytes(p.sm2_sign(key, MESSAGE, uid=uid))
    verify = ("pkeyutl", "-verify", "-pubin", "-inkey", str(files / "pub.pem"), "-rawin", "-in", str(files / "msg"))
    ok = openssl(*verify, "-sigfile", str(files / "sig"), "-digest", "sm3", "-pkeyopt", f"distid:{uid.decode()}")
    assert ok.returncode == 0 and b"Signature Verified Successfully" in ok.stdout, ok.stderr
    # and OpenSSL rejects it under another user id: Z_A really is part of it.
    wrong = openssl(*verify, "-sigfile", str(files / "sig"), "-digest", "sm3", "-pkeyopt", "distid:someone-else")
    assert wrong.returncode != 0


@pytest.mark.parametrize("uid", [b"1234567812345678", b"zhengtong@330100-SJ"])
def test_we_verify_an_openssl_sm2_signature(files, uid):
    generated = openssl("genpkey", "-algorithm", "SM2", "-out", str(files / "openssl.pem"))
    assert generated.returncode == 0, generated.stderr
    exported = openssl("pkey", "-in", str(files / "openssl.pem"), "-pubout", "-out", str(files / "openssl.pub"))
    assert exported.returncode == 0, exported.stderr
    signed = openssl(
        "pkeyutl", "-sign", "-inkey", str(files / "openssl.pem"), "-rawin", "-in", str(files / "msg"),
        "-digest", "sm3", "-pkeyopt", f"distid:{uid.decode()}", "-out", str(files / "openssl.sig"),
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    public_key = p.load_public_key((files / "openssl.pub").read_bytes())
    signature = (files / "openssl.sig").read_bytes()
    assert p.sm2_verify(public_key, MESSAGE, signature, uid=uid) is True
    assert p.sm2_verify(public_key, MESSAGE + b".", signature, uid=uid) is False
    # An OpenSSL private key file loads and signs with us too.
    private_key = p.load_private_key((files / "openssl.pem").read_bytes())
    assert p.sm2_verify(public_key, MESSAGE, p.sm2_sign(private_key, MESSAGE, uid=uid), uid=uid) is True


def test_openssl_reads_our_public_key_as_sm2(files):
    _our_key_files(files)
    shown = openssl("pkey", "-pubin", "-in", str(files / "pub.pem"), "-text", "-noout")
    assert shown.returncode == 0, shown.stderr
    assert b"ASN1 OID: SM2" in shown.stdout


def test_hmac_sm3_matches_openssl(files):
    key = bytes(range(32))
    (files / "data").write_bytes(b"11010519491231002X")
    mac = openssl("mac", "-digest", "SM3", "-macopt", f"hexkey:{key.hex()}", "-in", str(files / "data"), "HMAC")
    assert mac.returncode == 0, mac.stderr
    assert p.keyed_digest(key, b"11010519491231002X", "guomi").hex() == mac.stdout.decode().strip().lower()


def test_openssl_verifies_our_ed25519_signature(files):
    key = p.generate_private_key(p.ALGORITHM_ED25519)
    (files / "pub.pem").write_text(p.public_key_to_pem(key.public_key()))
    (files / "sig").write_bytes(p.ed25519_sign(key, MESSAGE))
    ok = openssl(
        "pkeyutl", "-verify", "-pubin", "-inkey", str(files / "pub.pem"), "-rawin",
        "-in", str(files / "msg"), "-sigfile", str(files / "sig"),
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr


# --- gmssl (pure Python, default user id only) ---------------------------------------------------


def _gmssl_peer(key):
    numbers = key.public_key().public_numbers()
    public_hex = f"{numbers.x:064x}{numbers.y:064x}"
    private_hex = f"{key.private_numbers().private_value:064x}"
    return gmssl_sm2.CryptSM2(private_key=private_hex, public_key=public_hex, asn1=True)


def _key_gmssl_can_hold():
    # gmssl 3.2.2 strips a leading "04" from the public key hex with str.lstrip, which mangles any
    # x coordinate starting with the digits 0 or 4; pick a key it stores correctly.
    while True:
        key = p.generate_private_key(p.ALGORITHM_SM2)
        if f"{key.public_key().public_numbers().x:064x}"[0] not in "04":
            return key


def test_gmssl_verifies_our_sm2_signature():
    key = _key_gmssl_can_hold()
    signature = p.sm2_sign(key, MESSAGE)
    peer = _gmssl_peer(key)
    assert peer.verify_with_sm3(signature.hex(), MESSAGE) is True
    assert peer.verify_with_sm3(signature.hex(), MESSAGE + b".") is False


def test_we_verify_a_gmssl_sm2_signature():
    key = _key_gmssl_can_hold()
    peer = _gmssl_peer(key)
    signature = None
    while signature is None:  # gmssl returns None for the rare k it must reject
        signature = peer.sign_with_sm3(MESSAGE)
    assert p.sm2_verify(key.public_key(), MESSAGE, bytes.fromhex(signature)) is True
    assert p.sm2_verify(key.public_key(), MESSAGE + b".", bytes.fromhex(signature)) is False
