"""Known-answer vectors from the standards, and the SM2/Ed25519 contract of primitives.py."""

import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from zhengtong.kernel.crypto import primitives as p

# --- SM3: GB/T 32905-2016, Appendix A -----------------------------------------------------------


def test_sm3_abc():
    # GB/T 32905-2016 A.1: the 24-bit message "abc".
    assert p.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm3_512_bit_message():
    # GB/T 32905-2016 A.2: "abcd" repeated 16 times (512 bits, two blocks after padding).
    assert p.sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_digest_by_profile():
    # FIPS 180-2 Appendix B.1 for SHA-256 of "abc".
    assert p.digest(b"abc", "international").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert p.digest(b"abc", "guomi") == p.sm3(b"abc")
    assert p.digest_algorithm_for("guomi") == "sm3"
    assert p.digest_algorithm_for("international") == "sha256"
    with pytest.raises(ValueError):
        p.digest(b"abc", "fips")


# --- SM4: GB/T 32907-2016, Appendix A -----------------------------------------------------------

SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def test_sm4_block_vector():
    # GB/T 32907-2016 A.1: key = plaintext = 0123456789abcdeffedcba9876543210.
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    assert encryptor.update(SM4_KEY).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_block_vector_one_million_times():
    # GB/T 32907-2016 A.2: the same block encrypted 1,000,000 times with the same key.
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    block = SM4_KEY
    for _ in range(1_000_000):
        block = encryptor.update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


# RFC 8998 Appendix A.1 (SM4-GCM test vector), the vector TLS 1.3 ShangMi suites are checked with.
RFC8998_NONCE = bytes.fromhex("00001234567800000000ABCD")
RFC8998_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PLAINTEXT = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
RFC8998_CIPHERTEXT = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
RFC8998_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")


def test_sm4_gcm_rfc8998_vector():
    sealed = p.sm4_gcm_encrypt(SM4_KEY, RFC8998_NONCE, RFC8998_PLAINTEXT, RFC8998_AAD)
    assert sealed == RFC8998_CIPHERTEXT + RFC8998_TAG
    assert p.sm4_gcm_decrypt(SM4_KEY, RFC8998_NONCE, sealed, RFC8998_AAD) == RFC8998_PLAINTEXT


@pytest.mark.parametrize("index", [0, 63, 64, 79])
def test_sm4_gcm_rejects_a_flipped_bit(index):
    damaged = bytearray(RFC8998_CIPHERTEXT + RFC8998_TAG)
    damaged[index] ^= 1
    with pytest.raises(p.InvalidTag):
        p.sm4_gcm_decrypt(SM4_KEY, RFC8998_NONCE, bytes(damaged), RFC8998_AAD)


def test_sm4_gcm_rejects_other_associated_data_or_nonce():
    sealed = RFC8998_CIPHERTEXT + RFC8998_TAG
    with pytest.raises(p.InvalidTag):
        p.sm4_gcm_decrypt(SM4_KEY, RFC8998_NONCE, sealed, RFC8998_AAD + b"x")
    with pytest.raises(p.InvalidTag):
        p.sm4_gcm_decrypt(SM4_KEY, bytes(12), sealed, RFC8998_AAD)
    with pytest.raises(p.InvalidTag):
        p.sm4_gcm_decrypt(SM4_KEY, RFC8998_NONCE, RFC8998_TAG[:15], RFC8998_AAD)


def test_aes_256_gcm_vectors():
    # McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13 and 14 (256-bit key).
    key, nonce = bytes(32), bytes(12)
    assert p.aes_gcm_encrypt(key, nonce, b"").hex() == "530f8afbc74536b9a963b4f1c4cb738b"
    assert p.aes_gcm_encrypt(key, nonce, bytes(16)).hex() == (
        "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"
    )
    assert p.aes_gcm_decrypt(key, nonce, p.aes_gcm_encrypt(key, nonce, b"x", b"ad"), b"ad") == b"x"


# --- Ed25519: RFC 8032 §7.1 test 1 ---------------------------------------------------------------


def test_ed25519_rfc8032_test_1():
    from cryptography.hazmat.primitives.asymmetric import ed25519

    secret = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    private_key = ed25519.Ed25519PrivateKey.from_private_bytes(secret)
    expected = (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    assert p.ed25519_sign(private_key, b"").hex() == expected
    public_key = private_key.public_key()
    assert public_key.public_bytes_raw().hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    assert p.ed25519_verify(public_key, b"", bytes.fromhex(expected)) is True
    assert p.ed25519_verify(public_key, b"x", bytes.fromhex(expected)) is False
    assert p.ed25519_verify(public_key, b"", b"short") is False


# --- SM2 ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sm2_key():
    return p.generate_private_key(p.ALGORITHM_SM2)


def test_sm2_signs_and_verifies(sm2_key):
    public_key = sm2_key.public_key()
    signature = p.sm2_sign(sm2_key, b"e-licence 330100-0001")
    assert signature[0] == 0x30  # DER SEQUENCE {r, s}
    assert p.sm2_verify(public_key, b"e-licence 330100-0001", signature) is True
    assert p.sm2_verify(public_key, b"e-licence 330100-0002", signature) is False
    # Randomised: a fresh k each time, both valid.
    assert p.sm2_sign(sm2_key, b"same") != p.sm2_sign(sm2_key, b"same")


def test_sm2_user_id_is_part_of_the_signature(sm2_key):
    public_key = sm2_key.public_key()
    signature = p.sm2_sign(sm2_key, b"data", uid=b"zhengtong@330100")
    assert p.sm2_verify(public_key, b"data", signature, uid=b"zhengtong@330100") is True
    assert p.sm2_verify(public_key, b"data", signature) is False
    default = p.sm2_sign(sm2_key, b"data")
    assert p.sm2_verify(public_key, b"data", default, uid=b"zhengtong@330100") is False
    # The explicit-id path with the default id agrees with Tongsuo's own default-id path.
    assert p._sm2_verify_digest(public_key, p._sm2_e(public_key, b"data", p.DEFAULT_SM2_UID), default) is True


@pytest.mark.parametrize(
    "signature", [b"", b"\x30\x00", b"garbage" * 10, bytes(71), b"\x30\x06\x02\x01\x01\x02\x01\x01"]
)
def test_sm2_malformed_signatures_are_invalid_not_errors(sm2_key, signature):
    assert p.sm2_verify(sm2_key.public_key(), b"data", signature) is False
    assert p.sm2_verify(sm2_key.public_key(), b"data", signature, uid=b"other") is False
    # The error queue is left clean: a good signature still verifies right after.
    assert p.sm2_verify(sm2_key.public_key(), b"data", p.sm2_sign(sm2_key, b"data")) is True


def test_sm2_z_value_layout(sm2_key):
    public_key = sm2_key.public_key()
    numbers = public_key.public_numbers()
    entl_and_id = bytes.fromhex("0080") + b"1234567812345678"
    curve = bytes.fromhex(
        "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
        "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
        "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
        "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"
    )
    point = numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")
    assert p.sm2_z(public_key) == p.sm3(entl_and_id + curve + point)


def test_keys_round_trip_through_pem_and_der(sm2_key):
    pem = p.private_key_to_pem(sm2_key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = p.load_private_key(pem)
    public_pem = p.public_key_to_pem(sm2_key.public_key())
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert p.public_key_to_pem(loaded.public_key()) == public_pem
    assert p.public_key_to_pem(p.load_public_key(p.public_key_to_der(sm2_key.public_key()))) == public_pem
    assert p.verify(public_pem, b"x", p.sign(loaded, b"x"), p.ALGORITHM_SM2) is True
    assert p.verify(public_pem, b"x", p.sign(loaded, b"x"), p.ALGORITHM_ED25519) is False

    ed_key = p.generate_private_key(p.ALGORITHM_ED25519)
    ed_loaded = p.load_private_key(p.private_key_to_pem(ed_key))
    ed_public_pem = p.public_key_to_pem(ed_key.public_key())
    assert p.verify(ed_public_pem, b"x", p.sign(ed_loaded, b"x"), p.ALGORITHM_ED25519) is True
    assert p.key_algorithm(p.load_public_key(ed_public_pem)) == p.ALGORITHM_ED25519


def test_other_key_types_are_refused():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    p256 = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ValueError, match="only SM2 and Ed25519"):
        p.load_public_key(
            p256.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    with pytest.raises(ValueError, match="only SM2 and Ed25519"):
        p.load_private_key(
            p256.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    with pytest.raises(ValueError):
        p.load_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_primitives_import_without_django():
    # The ledger's standalone auditor verifier imports primitives with no Django settings at all.
    code = (
        "import sys, os; os.environ.pop('DJANGO_SETTINGS_MODULE', None);"
        "from zhengtong.kernel.crypto import primitives as p;"
        "assert p.sm3(b'abc').hex().startswith('66c7f0f4');"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
