"""What other modules may use of kernel.crypto (国密 by default, one switch to international).

    from zhengtong.kernel.crypto.public import digest, signing_key, verify_signature, encrypt, decrypt

    leaf_hash = digest(canonical_json)                        # SM3, or SHA-256 when international
    signature = signing_key("ledger").sign(tree_head_bytes)   # SM2 with SM3 over Z_A || M, or Ed25519
    assert verify_signature(tree_head_bytes, signature)       # finds the public key by key id
    token = encrypt(b"13800138000", context="identity.resident.phone")
    decrypt(token, context="identity.resident.phone")

Profiles: settings.CRYPTO_PROFILE "guomi" (SM2/SM3/SM4-GCM/HMAC-SM3) or "international"
(Ed25519/SHA-256/AES-256-GCM/HMAC-SHA256). Switching it changes what new data is signed and
encrypted with; what was signed or encrypted before stays verifiable and readable, because each
signature and token names its algorithm and key. Blind indexes and digests do change with it.

Keys come from the environment or from files under settings.KEYS_DIR (see keys.py for the layout);
missing keys are generated on first use unless settings.CRYPTO_GENERATE_KEYS is False.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from . import keys, primitives

__all__ = [
    "DecryptionError",
    "PublicKeyInfo",
    "Signature",
    "SigningKey",
    "active_profile",
    "blind_index",
    "decrypt",
    "digest",
    "digest_algorithm",
    "encrypt",
    "field_keys_rotate",
    "public_keys",
    "signing_key",
    "signing_key_rotate",
    "verify_signature",
]


def active_profile() -> str:
    """ "guomi" or "international" (settings.CRYPTO_PROFILE)."""
    return keys.active_profile()


# --- Digests ------------------------------------------------------------------------------------


def digest_algorithm() -> str:
    """ "sm3" or "sha256", by profile."""
    return primitives.digest_algorithm_for(active_profile())


def digest(data: bytes) -> bytes:
    """SM3 or SHA-256 of `data` (32 bytes either way), by profile."""
    return primitives.digest(data, active_profile())


# --- Signatures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    algorithm: str  # "sm2-sm3" | "ed25519"
    key_id: str  # "<unit>/<local id>", e.g. "330100-SJ/20260514T093000123456Z-1a2b3c4d5e6f"
    value: bytes  # SM2: DER SEQUENCE {r, s}; Ed25519: 64 bytes


@dataclass(frozen=True)
class PublicKeyInfo:
    key_id: str
    algorithm: str
    public_key_pem: str  # SubjectPublicKeyInfo, readable by `openssl pkey -pubin`
    created_at: datetime | None  # None for a key given in the environment
    active: bool


class SigningKey:
    """The active private key of one signing unit (a department's e-seal, the ledger…)."""

    __slots__ = ("_stored",)

    def __init__(self, stored: keys.StoredSigningKey):
        self._stored = stored

    @property
    def unit(self) -> str:
        return self._stored.unit

    @property
    def key_id(self) -> str:
        return self._stored.key_id

    @property
    def algorithm(self) -> str:
        return self._stored.algorithm

    @property
    def public_key_pem(self) -> str:
        return self._stored.public_key_pem

    def sign(self, data: bytes) -> Signature:
        return Signature(
            algorithm=self._stored.algorithm,
            key_id=self._stored.key_id,
            value=primitives.sign(self._stored.private_key, data),
        )

    def __repr__(self) -> str:
        return f"<SigningKey {self.key_id} {self.algorithm}>"


def signing_key(unit: str) -> SigningKey:
    """The unit's active key: its newest in the profile's algorithm, generated on first use.

    `unit` is a department code such as "330100-SJ" or a service name such as "ledger"
    (letters, digits, "-" and "_").
    """
    return SigningKey(keys.active_signing_key(unit))


def verify_signature(data: bytes, signature: Signature, public_key_pem: str | None = None) -> bool:
    """True when `signature` is valid over `data`.

    Without `public_key_pem` the key is found by signature.key_id among the unit's keys, old ones
    included; an unknown key id gives False. With it, the given key alone decides (an outside
    party checking against a published key).
    """
    if public_key_pem is not None:
        try:
            public_key = primitives.load_public_key(public_key_pem)
        except ValueError:
            return False
    else:
        stored = keys.find_signing_key(signature.key_id)
        if stored is None:
            return False
        public_key = stored.public_key
    return primitives.verify(public_key, data, signature.value, signature.algorithm)


def public_keys(unit: str) -> list[PublicKeyInfo]:
    """Every key the unit has signed with, oldest first; `active` marks the one signing now.

    Does not create a key: a unit that never signed has none.
    """
    found = keys.unit_keys(unit, refresh=True)
    active_id = None
    algorithm = primitives.signature_algorithm_for(active_profile())
    if os.environ.get(keys.signing_key_env_name(unit), "").strip():
        active_id = found[-1].key_id
    else:
        active_id = next((k.key_id for k in reversed(found) if k.algorithm == algorithm), None)
    return [
        PublicKeyInfo(
            key_id=k.key_id,
            algorithm=k.algorithm,
            public_key_pem=k.public_key_pem,
            created_at=k.created_at,
            active=k.key_id == active_id,
        )
        for k in found
    ]


def signing_key_rotate(unit: str) -> str:
    """Make a new active key for the unit and return its id; the old keys stay for verification."""
    return keys.rotate_signing_key(unit).key_id


# --- Field encryption ---------------------------------------------------------------------------


class DecryptionError(ValueError):
    """The token is malformed, names an unknown key, or was altered or moved to another context."""


_TOKEN_VERSION = 1
_CIPHER_CODES = {"sm4-gcm": 1, "aes-256-gcm": 2}
_CIPHERS_BY_CODE = {code: name for name, code in _CIPHER_CODES.items()}
_SEAL = {"sm4-gcm": primitives.sm4_gcm_encrypt, "aes-256-gcm": primitives.aes_gcm_encrypt}
_OPEN = {"sm4-gcm": primitives.sm4_gcm_decrypt, "aes-256-gcm": primitives.aes_gcm_decrypt}


def encrypt(plaintext: bytes, *, context: str) -> bytes:
    """Seal `plaintext` under the active data key, bound to `context` (e.g. "identity.resident.phone").

    Token: version (1) | cipher (1: SM4-GCM, 2: AES-256-GCM) | key-id length | key id | 12-byte
    random nonce | ciphertext | 16-byte tag. The header and the context are the associated data,
    so a token copied to another column or record type does not decrypt.
    """
    key = keys.active_data_key()
    key_id = key.key_id.encode("ascii")
    header = bytes((_TOKEN_VERSION, _CIPHER_CODES[key.cipher], len(key_id))) + key_id
    nonce = os.urandom(primitives.GCM_NONCE_SIZE)
    sealed = _SEAL[key.cipher](key.key, nonce, plaintext, header + context.encode("utf-8"))
    return header + nonce + sealed


def decrypt(token: bytes, *, context: str) -> bytes:
    """The plaintext of a token from encrypt() with the same context, under whichever key it names."""
    token = bytes(token)
    if len(token) < 3 or token[0] != _TOKEN_VERSION or token[1] not in _CIPHERS_BY_CODE:
        raise DecryptionError("not an encryption token of a known version")
    cipher = _CIPHERS_BY_CODE[token[1]]
    header_end = 3 + token[2]
    if len(token) < header_end + primitives.GCM_NONCE_SIZE + primitives.GCM_TAG_SIZE:
        raise DecryptionError("truncated token")
    key_id = token[3:header_end].decode("ascii", errors="replace")
    key = keys.find_data_key(key_id)
    if key is None:
        raise DecryptionError(f"unknown data key {key_id!r}")
    if key.cipher != cipher:
        raise DecryptionError(f"data key {key_id!r} is not a {cipher} key")
    nonce = token[header_end : header_end + primitives.GCM_NONCE_SIZE]
    try:
        return _OPEN[cipher](
            key.key,
            nonce,
            token[header_end + primitives.GCM_NONCE_SIZE :],
            token[:header_end] + context.encode("utf-8"),
        )
    except primitives.InvalidTag as error:
        raise DecryptionError("token does not authenticate (altered, or another context)") from error


def field_keys_rotate() -> str:
    """Add a new data key, active from now on; tokens under older keys still decrypt. Returns its id."""
    return keys.rotate_data_key().key_id


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed HMAC-SM3 (HMAC-SHA256 international) of `value`, hex: equal values, equal indexes.

    Each purpose (e.g. "identity.resident.id_number") gets its own subkey derived from the index
    key, so the same value indexed for two purposes does not link across tables. Normalise the
    value first (see fields.py); the index sees exact bytes. The index key is not rotated like the
    data keys: changing it, or the profile, means recomputing every stored index.
    """
    profile = active_profile()
    subkey = primitives.keyed_digest(keys.index_key(), b"zhengtong blind index\x00" + purpose.encode("utf-8"), profile)
    return primitives.keyed_digest(subkey, value.encode("utf-8"), profile).hex()
