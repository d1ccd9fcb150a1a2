"""国密 and international primitives, in C, with no Django import.

The ledger's standalone auditor verifier imports this module, so it must stay importable with no
settings. Everything here delegates to compiled code:

- SM3 and SHA-256 (and their HMACs): `hashlib`/`hmac`, i.e. the OpenSSL that Python links.
- SM4-GCM and AES-256-GCM: `cryptography` (its bundled OpenSSL has SM4 with GCM).
- Ed25519: `cryptography`.
- SM2: `tongsuopy`, the Python SDK of Tongsuo (Ant Group's OpenSSL fork with optimised SM2), a
  cryptography-style cffi binding shipped as an abi3 manylinux wheel. It signs at the speed of the
  `openssl` CLI on the same machine (about 1,870 vs 1,900 sign+verify pairs/s here), where the
  GmSSL wrapper `gmssl-pyx` managed about 340 and the pure-Python `gmssl` about 40.

SM2 signatures follow GB/T 32918.2 / GM/T 0009: e = SM3(Z_A || M) with
Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), signature DER SEQUENCE {r, s}.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.exceptions import InvalidTag
from cryptography.exceptions import UnsupportedAlgorithm as _CryptographyUnsupported
from cryptography.hazmat.primitives import serialization as _cs
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tongsuopy.backends.tongsuo.backend import backend as _tongsuo
from tongsuopy.crypto import exceptions as _ts_exceptions
from tongsuopy.crypto import hashes as _ts_hashes
from tongsuopy.crypto import serialization as _ts
from tongsuopy.crypto.asymciphers import ec as _ts_ec

__all__ = [
    "ALGORITHM_ED25519",
    "ALGORITHM_SM2",
    "DEFAULT_SM2_UID",
    "GCM_NONCE_SIZE",
    "GCM_TAG_SIZE",
    "InvalidTag",
    "PROFILES",
    "PrivateKey",
    "PublicKey",
    "aes_gcm_decrypt",
    "aes_gcm_encrypt",
    "digest",
    "digest_algorithm_for",
    "ed25519_sign",
    "ed25519_verify",
    "generate_private_key",
    "keyed_digest",
    "key_algorithm",
    "load_private_key",
    "load_public_key",
    "private_key_to_pem",
    "public_key_fingerprint",
    "public_key_of",
    "public_key_to_der",
    "public_key_to_pem",
    "sha256",
    "sign",
    "signature_algorithm_for",
    "sm2_sign",
    "sm2_verify",
    "sm2_z",
    "sm3",
    "sm4_gcm_decrypt",
    "sm4_gcm_encrypt",
    "verify",
]

PROFILES = ("guomi", "international")
ALGORITHM_SM2 = "sm2-sm3"
ALGORITHM_ED25519 = "ed25519"
# GM/T 0009-2012 §10: the user id to use when the parties agreed on none.
DEFAULT_SM2_UID = b"1234567812345678"
GCM_NONCE_SIZE = 12
GCM_TAG_SIZE = 16

PrivateKey = _ts_ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = _ts_ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

# Curve parameters of the SM2 recommended curve (GB/T 32918.5-2017), for Z_A.
_SM2_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_SM2_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
_SM2_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
_SM2_CURVE_PREFIX = b"".join(v.to_bytes(32, "big") for v in (_SM2_A, _SM2_B, _SM2_GX, _SM2_GY))
_SM2_WITH_SM3 = _ts_ec.ECDSA(_ts_hashes.SM3())  # with an SM2 key, Tongsuo computes SM2 over Z_A || M


# --- Hashes -------------------------------------------------------------------------------------


def sm3(data: bytes) -> bytes:
    """SM3 (GB/T 32905-2016), 32 bytes."""
    return hashlib.new("sm3", data).digest()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def digest_algorithm_for(profile: str) -> str:
    """ "sm3" for the 国密 profile, "sha256" for the international one."""
    if profile == "guomi":
        return "sm3"
    if profile == "international":
        return "sha256"
    raise ValueError(f"unknown crypto profile {profile!r}; expected one of {PROFILES}")


def digest(data: bytes, profile: str) -> bytes:
    return hashlib.new(digest_algorithm_for(profile), data).digest()


def keyed_digest(key: bytes, data: bytes, profile: str) -> bytes:
    """HMAC-SM3 (GM/T 0042 style) or HMAC-SHA256, by profile."""
    return hmac.digest(key, data, digest_algorithm_for(profile))


def signature_algorithm_for(profile: str) -> str:
    digest_algorithm_for(profile)  # validates the profile
    return ALGORITHM_SM2 if profile == "guomi" else ALGORITHM_ED25519


# --- Keys ---------------------------------------------------------------------------------------


def generate_private_key(algorithm: str) -> PrivateKey:
    if algorithm == ALGORITHM_SM2:
        return _ts_ec.generate_private_key(_ts_ec.SM2())
    if algorithm == ALGORITHM_ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown signature algorithm {algorithm!r}")


def key_algorithm(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return ALGORITHM_ED25519
    if isinstance(key, (_ts_ec.EllipticCurvePrivateKey, _ts_ec.EllipticCurvePublicKey)):
        return ALGORITHM_SM2
    raise TypeError(f"not a key of ours: {type(key).__name__}")


def public_key_of(private_key: PrivateKey) -> PublicKey:
    return private_key.public_key()


def private_key_to_pem(private_key: PrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM (the file's mode, not a passphrase, protects it at rest)."""
    if key_algorithm(private_key) == ALGORITHM_SM2:
        return private_key.private_bytes(_ts.Encoding.PEM, _ts.PrivateFormat.PKCS8, _ts.NoEncryption())
    return private_key.private_bytes(_cs.Encoding.PEM, _cs.PrivateFormat.PKCS8, _cs.NoEncryption())


def public_key_to_der(public_key: PublicKey) -> bytes:
    """SubjectPublicKeyInfo DER; SM2 keys as id-ecPublicKey on curve 1.2.156.10197.1.301 (OpenSSL's form)."""
    if key_algorithm(public_key) == ALGORITHM_SM2:
        return public_key.public_bytes(_ts.Encoding.DER, _ts.PublicFormat.SubjectPublicKeyInfo)
    return public_key.public_bytes(_cs.Encoding.DER, _cs.PublicFormat.SubjectPublicKeyInfo)


def public_key_to_pem(public_key: PublicKey) -> str:
    if key_algorithm(public_key) == ALGORITHM_SM2:
        pem = public_key.public_bytes(_ts.Encoding.PEM, _ts.PublicFormat.SubjectPublicKeyInfo)
    else:
        pem = public_key.public_bytes(_cs.Encoding.PEM, _cs.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii")


def public_key_fingerprint(public_key: PublicKey) -> str:
    """Hex digest of the SubjectPublicKeyInfo DER: SM3 for SM2 keys, SHA-256 for Ed25519 keys."""
    der = public_key_to_der(public_key)
    return (sm3(der) if key_algorithm(public_key) == ALGORITHM_SM2 else sha256(der)).hex()


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("ascii") if isinstance(data, str) else bytes(data)


def load_private_key(data: bytes | str) -> PrivateKey:
    """A PKCS#8 (or traditional EC) private key, PEM or DER: SM2 or Ed25519, nothing else."""
    raw = _as_bytes(data)
    is_pem = raw.lstrip().startswith(b"-----BEGIN")
    try:
        key = (_cs.load_pem_private_key if is_pem else _cs.load_der_private_key)(raw, password=None)
    except _CryptographyUnsupported:
        key = None  # `cryptography` has no SM2 curve: try Tongsuo
    if key is not None:
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise ValueError(f"only SM2 and Ed25519 keys are accepted, not {type(key).__name__}")
        return key
    try:
        key = (_ts.load_pem_private_key if is_pem else _ts.load_der_private_key)(raw, password=None)
    except (_ts_exceptions.UnsupportedAlgorithm, _ts_exceptions.InternalError) as error:
        raise ValueError("not an SM2 or Ed25519 private key") from error
    _require_sm2(key)
    return key


def load_public_key(data: bytes | str) -> PublicKey:
    """A SubjectPublicKeyInfo, PEM or DER: SM2 or Ed25519, nothing else."""
    raw = _as_bytes(data)
    is_pem = raw.lstrip().startswith(b"-----BEGIN")
    try:
        key = (_cs.load_pem_public_key if is_pem else _cs.load_der_public_key)(raw)
    except _CryptographyUnsupported:
        key = None
    if key is not None:
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise ValueError(f"only SM2 and Ed25519 keys are accepted, not {type(key).__name__}")
        return key
    try:
        key = (_ts.load_pem_public_key if is_pem else _ts.load_der_public_key)(raw)
    except (_ts_exceptions.UnsupportedAlgorithm, _ts_exceptions.InternalError) as error:
        raise ValueError("not an SM2 or Ed25519 public key") from error
    _require_sm2(key)
    return key


def _require_sm2(key) -> None:
    """Tongsuo also loads other EC curves; only SM2 keys flagged as SM2 sign with the SM2 scheme."""
    if not isinstance(key.curve, _ts_ec.SM2):
        raise ValueError(f"only SM2 and Ed25519 keys are accepted, not EC curve {key.curve.name}")
    # Without the SM2 alias an SM2-curve key would sign with ECDSA-over-SM3 instead of SM2.
    if _tongsuo._lib.EVP_PKEY_id(key._evp_pkey) != _tongsuo._lib.EVP_PKEY_SM2:
        raise ValueError("EC key on the SM2 curve not marked as an SM2 key")


# --- SM2 ----------------------------------------------------------------------------------------


def sm2_z(public_key: PublicKey, uid: bytes = DEFAULT_SM2_UID) -> bytes:
    """Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A) (GB/T 32918.2 §5.5)."""
    if len(uid) * 8 > 0xFFFF:
        raise ValueError("SM2 user id longer than 8191 bytes")
    numbers = public_key.public_numbers()
    return sm3(
        (len(uid) * 8).to_bytes(2, "big")
        + uid
        + _SM2_CURVE_PREFIX
        + numbers.x.to_bytes(32, "big")
        + numbers.y.to_bytes(32, "big")
    )


def sm2_sign(private_key: PrivateKey, data: bytes, uid: bytes = DEFAULT_SM2_UID) -> bytes:
    """SM2 signature with SM3 over Z_A || data; DER SEQUENCE {r, s}. Randomised (fresh k each time)."""
    if key_algorithm(private_key) != ALGORITHM_SM2:
        raise TypeError("sm2_sign needs an SM2 private key")
    if uid == DEFAULT_SM2_UID:
        # Tongsuo computes Z_A with the default id inside EVP_DigestSign: the fast, public path.
        return private_key.sign(data, _SM2_WITH_SM3)
    return _sm2_sign_digest(private_key, _sm2_e(private_key.public_key(), data, uid))


def sm2_verify(public_key: PublicKey, data: bytes, signature: bytes, uid: bytes = DEFAULT_SM2_UID) -> bool:
    if key_algorithm(public_key) != ALGORITHM_SM2:
        raise TypeError("sm2_verify needs an SM2 public key")
    try:
        if uid == DEFAULT_SM2_UID:
            public_key.verify(bytes(signature), data, _SM2_WITH_SM3)
            return True
        return _sm2_verify_digest(public_key, _sm2_e(public_key, data, uid), bytes(signature))
    except _ts_exceptions.InvalidSignature:
        return False
    except _ts_exceptions.InternalError:
        # Tongsuo reports a malformed DER signature as an internal error; to a caller it is invalid.
        return False


def _sm2_e(public_key: PublicKey, data: bytes, uid: bytes) -> bytes:
    return sm3(sm2_z(public_key, uid) + data)


# tongsuopy 1.0.1 exposes no way to set another SM2 user id (EVP_PKEY_CTX_set1_id is not bound), so
# for a non-default id we compute e = SM3(Z_A || M) ourselves and have Tongsuo sign e with the raw
# SM2 EVP_PKEY_sign. Both paths are checked against the OpenSSL CLI in tests.
def _sm2_pkey_ctx(key, init) -> object:
    lib, ffi = _tongsuo._lib, _tongsuo._ffi
    ctx = lib.EVP_PKEY_CTX_new(key._evp_pkey, ffi.NULL)
    _tongsuo.openssl_assert(ctx != ffi.NULL)
    ctx = ffi.gc(ctx, lib.EVP_PKEY_CTX_free)
    _tongsuo.openssl_assert(init(ctx) == 1)
    return ctx


def _sm2_sign_digest(private_key, e: bytes) -> bytes:
    lib, ffi = _tongsuo._lib, _tongsuo._ffi
    ctx = _sm2_pkey_ctx(private_key, lib.EVP_PKEY_sign_init)
    length = ffi.new("size_t *", 80)  # a DER SM2 signature is at most 72 bytes
    buffer = ffi.new("unsigned char[]", 80)
    _tongsuo.openssl_assert(lib.EVP_PKEY_sign(ctx, buffer, length, e, len(e)) == 1)
    return ffi.buffer(buffer)[: length[0]]


def _sm2_verify_digest(public_key, e: bytes, signature: bytes) -> bool:
    lib = _tongsuo._lib
    ctx = _sm2_pkey_ctx(public_key, lib.EVP_PKEY_verify_init)
    result = lib.EVP_PKEY_verify(ctx, signature, len(signature), e, len(e))
    if result != 1:
        _tongsuo._consume_errors()  # leave no error on the queue for the next call
    return result == 1


# --- Ed25519 ------------------------------------------------------------------------------------


def ed25519_sign(private_key: PrivateKey, data: bytes) -> bytes:
    if key_algorithm(private_key) != ALGORITHM_ED25519:
        raise TypeError("ed25519_sign needs an Ed25519 private key")
    return private_key.sign(data)


def ed25519_verify(public_key: PublicKey, data: bytes, signature: bytes) -> bool:
    if key_algorithm(public_key) != ALGORITHM_ED25519:
        raise TypeError("ed25519_verify needs an Ed25519 public key")
    try:
        public_key.verify(bytes(signature), data)
    except _CryptographyInvalidSignature:
        return False
    return True


# --- By algorithm name (what a stored signature carries) ----------------------------------------


def sign(private_key: PrivateKey, data: bytes) -> bytes:
    if key_algorithm(private_key) == ALGORITHM_SM2:
        return sm2_sign(private_key, data)
    return ed25519_sign(private_key, data)


def verify(public_key: PublicKey | bytes | str, data: bytes, signature: bytes, algorithm: str) -> bool:
    """Check `signature` over `data`; the key may be an object or SubjectPublicKeyInfo PEM/DER.

    False when the signature is wrong or malformed, or when the key is not of `algorithm`;
    ValueError when the key itself cannot be read as an SM2 or Ed25519 public key.
    """
    if isinstance(public_key, (bytes, str)):
        public_key = load_public_key(public_key)
    if key_algorithm(public_key) != algorithm:
        return False
    if algorithm == ALGORITHM_SM2:
        return sm2_verify(public_key, data, signature)
    return ed25519_verify(public_key, data, signature)


# --- Authenticated encryption -------------------------------------------------------------------


def sm4_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
    """SM4-GCM (GB/T 32907 block cipher, GCM per RFC 8998): ciphertext || 16-byte tag."""
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    if associated_data:
        encryptor.authenticate_additional_data(associated_data)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return ciphertext + encryptor.tag


def sm4_gcm_decrypt(key: bytes, nonce: bytes, data: bytes, associated_data: bytes = b"") -> bytes:
    """Raises InvalidTag when the data, the nonce, the key or the associated data do not match."""
    if len(data) < GCM_TAG_SIZE:
        raise InvalidTag()
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, data[-GCM_TAG_SIZE:])).decryptor()
    if associated_data:
        decryptor.authenticate_additional_data(associated_data)
    return decryptor.update(data[:-GCM_TAG_SIZE]) + decryptor.finalize()


def aes_gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
    return AESGCM(key).encrypt(nonce, plaintext, associated_data or None)


def aes_gcm_decrypt(key: bytes, nonce: bytes, data: bytes, associated_data: bytes = b"") -> bytes:
    return AESGCM(key).decrypt(nonce, data, associated_data or None)
