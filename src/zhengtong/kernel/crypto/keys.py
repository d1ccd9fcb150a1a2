"""Where keys come from: the environment first, else files under settings.KEYS_DIR (outside git).

Layout of KEYS_DIR (directory 0700, files 0600, created on first use like SECRET_KEY):

    <unit>/<stamp>-<fingerprint>.pem   signing keys of a unit (PKCS#8), key id "<unit>/<stamp>-<fp>"
    field.keys                         data keys for field encryption, one "id:base64" a line, oldest first
    index.key                          the blind-index key, base64

Environment (wins over files; for deployments with a secrets manager):

    ZHENGTONG_SIGNING_KEY_<UNIT>  one or more PEM private keys, oldest first; the last is active.
                                  <UNIT> is the unit upper-cased with every other character "_".
                                  Files of the unit stay readable for verification.
    ZHENGTONG_FIELD_KEYS          "id:base64,id:base64", oldest first
    ZHENGTONG_INDEX_KEY           base64

Keys are cached per process. A key id this process has not seen (rotated by another process) makes
it read the files again once before it gives up.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import logging
import os
import re
import secrets
import stat
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import primitives

logger = logging.getLogger(__name__)

UNIT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
DATA_KEY_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
FIELD_KEYS_ENV = "ZHENGTONG_FIELD_KEYS"
INDEX_KEY_ENV = "ZHENGTONG_INDEX_KEY"
SIGNING_KEY_ENV_PREFIX = "ZHENGTONG_SIGNING_KEY_"
# Data-key sizes name their cipher: 16 bytes SM4-GCM, 32 bytes AES-256-GCM.
CIPHER_KEY_SIZES = {"sm4-gcm": 16, "aes-256-gcm": 32}

_lock = threading.RLock()


def active_profile() -> str:
    profile = getattr(settings, "CRYPTO_PROFILE", "guomi")
    if profile not in primitives.PROFILES:
        raise ImproperlyConfigured(f"CRYPTO_PROFILE must be one of {primitives.PROFILES}, not {profile!r}")
    return profile


def keys_dir() -> Path:
    return Path(settings.KEYS_DIR)


def check_unit(unit: str) -> str:
    if not isinstance(unit, str) or not UNIT_RE.match(unit):
        raise ValueError(f"signing unit must match {UNIT_RE.pattern}, not {unit!r}")
    return unit


def signing_key_env_name(unit: str) -> str:
    return SIGNING_KEY_ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", unit.upper())


# --- Files --------------------------------------------------------------------------------------


def _ensure_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@contextmanager
def _directory_lock(directory: Path):
    """Serialise key generation between processes sharing KEYS_DIR (and threads of this one)."""
    _ensure_dir(directory)
    with _lock, open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_secret(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _read_secret(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ImproperlyConfigured(f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); chmod 600 it")
    return path.read_bytes()


def _may_generate() -> bool:
    # Development and tests generate keys on first use, as the settings do for SECRET_KEY. A
    # production deployment that must never mint keys by itself sets CRYPTO_GENERATE_KEYS=False.
    return getattr(settings, "CRYPTO_GENERATE_KEYS", True)


# --- Signing keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredSigningKey:
    unit: str
    key_id: str
    algorithm: str
    private_key: primitives.PrivateKey
    public_key: primitives.PublicKey
    public_key_pem: str
    created_at: datetime | None  # None for keys given in the environment
    from_environment: bool

    def __repr__(self) -> str:  # never print the private key
        return f"<StoredSigningKey {self.key_id} {self.algorithm}>"


def _stored(unit: str, local_id: str, private_key, created_at, from_environment) -> StoredSigningKey:
    public_key = private_key.public_key()
    return StoredSigningKey(
        unit=unit,
        key_id=f"{unit}/{local_id}",
        algorithm=primitives.key_algorithm(private_key),
        private_key=private_key,
        public_key=public_key,
        public_key_pem=primitives.public_key_to_pem(public_key),
        created_at=created_at,
        from_environment=from_environment,
    )


_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
_PEM_BLOCK_RE = re.compile(rb"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----", re.S)
_file_keys: dict[tuple[str, str], list[StoredSigningKey]] = {}
_env_keys: dict[tuple[str, str], list[StoredSigningKey]] = {}


def _load_unit_files(directory: Path, unit: str) -> list[StoredSigningKey]:
    unit_dir = directory / unit
    found = []
    if unit_dir.is_dir():
        for path in sorted(unit_dir.glob("*.pem")):
            local_id = path.stem
            try:
                created_at = datetime.strptime(local_id.split("-", 1)[0], _STAMP_FORMAT).replace(tzinfo=UTC)
            except ValueError:
                created_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            found.append(_stored(unit, local_id, primitives.load_private_key(_read_secret(path)), created_at, False))
    found.sort(key=lambda k: (k.created_at, k.key_id))
    return found


def _unit_file_keys(unit: str, *, refresh: bool = False) -> list[StoredSigningKey]:
    cache_key = (str(keys_dir()), unit)
    with _lock:
        if refresh or cache_key not in _file_keys:
            _file_keys[cache_key] = _load_unit_files(keys_dir(), unit)
        return _file_keys[cache_key]


def _unit_env_keys(unit: str) -> list[StoredSigningKey]:
    value = os.environ.get(signing_key_env_name(unit), "")
    if not value.strip():
        return []
    cache_key = (unit, value)
    with _lock:
        if cache_key not in _env_keys:
            blocks = _PEM_BLOCK_RE.findall(value.encode("ascii"))
            if not blocks:
                raise ImproperlyConfigured(f"{signing_key_env_name(unit)} holds no PEM private key")
            keys = []
            for block in blocks:
                private_key = primitives.load_private_key(block)
                fingerprint = primitives.public_key_fingerprint(private_key.public_key())[:12]
                keys.append(_stored(unit, f"env-{fingerprint}", private_key, None, True))
            _env_keys[cache_key] = keys
        return _env_keys[cache_key]


def unit_keys(unit: str, *, refresh: bool = False) -> list[StoredSigningKey]:
    """All keys of a unit, oldest first: its files, then those in the environment."""
    check_unit(unit)
    return [*_unit_file_keys(unit, refresh=refresh), *_unit_env_keys(unit)]


def active_signing_key(unit: str) -> StoredSigningKey:
    """The newest key of the unit in the profile's algorithm, generated on first use."""
    algorithm = primitives.signature_algorithm_for(active_profile())
    env_keys = _unit_env_keys(check_unit(unit))
    if env_keys:
        if env_keys[-1].algorithm != algorithm:
            raise ImproperlyConfigured(
                f"the last key in {signing_key_env_name(unit)} is {env_keys[-1].algorithm}, "
                f"but the {active_profile()} profile signs with {algorithm}"
            )
        return env_keys[-1]
    for key in reversed(_unit_file_keys(unit)):
        if key.algorithm == algorithm:
            return key
    with _directory_lock(keys_dir()):
        # Another process may have made one while we waited for the lock.
        for key in reversed(_unit_file_keys(unit, refresh=True)):
            if key.algorithm == algorithm:
                return key
        return _generate_signing_key(unit, algorithm)


def _generate_signing_key(unit: str, algorithm: str) -> StoredSigningKey:
    if not _may_generate():
        raise ImproperlyConfigured(f"no {algorithm} signing key for unit {unit!r} and CRYPTO_GENERATE_KEYS is off")
    private_key = primitives.generate_private_key(algorithm)
    now = datetime.now(UTC)
    fingerprint = primitives.public_key_fingerprint(private_key.public_key())[:12]
    local_id = f"{now.strftime(_STAMP_FORMAT)}-{fingerprint}"
    unit_dir = _ensure_dir(keys_dir() / unit)
    _write_secret(unit_dir / f"{local_id}.pem", primitives.private_key_to_pem(private_key))
    logger.info("generated %s signing key %s/%s in %s", algorithm, unit, local_id, unit_dir)
    _unit_file_keys(unit, refresh=True)
    return next(k for k in _unit_file_keys(unit) if k.key_id == f"{unit}/{local_id}")


def rotate_signing_key(unit: str) -> StoredSigningKey:
    check_unit(unit)
    if _unit_env_keys(unit):
        raise ImproperlyConfigured(
            f"the keys of {unit!r} come from {signing_key_env_name(unit)}: append a new PEM key there to rotate"
        )
    algorithm = primitives.signature_algorithm_for(active_profile())
    with _directory_lock(keys_dir()):
        return _generate_signing_key(unit, algorithm)


def find_signing_key(key_id: str) -> StoredSigningKey | None:
    unit, _, local_id = key_id.partition("/")
    if not local_id or not UNIT_RE.match(unit):
        return None
    for refresh in (False, True):
        for key in unit_keys(unit, refresh=refresh):
            if key.key_id == key_id:
                return key
    return None


# --- Data keys for field encryption --------------------------------------------------------------


@dataclass(frozen=True)
class DataKey:
    key_id: str
    key: bytes

    @property
    def cipher(self) -> str:
        return "sm4-gcm" if len(self.key) == 16 else "aes-256-gcm"

    def __repr__(self) -> str:
        return f"<DataKey {self.key_id} {self.cipher}>"


@dataclass(frozen=True)
class _DataKeyring:
    keys: tuple[DataKey, ...]  # oldest first
    by_id: dict[str, DataKey]
    active: dict[str, DataKey]  # cipher -> its newest key


_data_keys: dict[tuple[str, str], _DataKeyring] = {}


def _ring(keys_list: list[DataKey]) -> _DataKeyring:
    return _DataKeyring(
        keys=tuple(keys_list),
        by_id={k.key_id: k for k in keys_list},
        active={k.cipher: k for k in keys_list},  # later keys overwrite earlier ones
    )


def _parse_data_keys(text: str, source: str) -> list[DataKey]:
    keys = []
    for item in re.split(r"[,\n]", text):
        item = item.strip()
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raw = b""
        if not sep or not DATA_KEY_ID_RE.match(key_id) or len(raw) not in CIPHER_KEY_SIZES.values():
            raise ImproperlyConfigured(
                f"{source}: each data key is 'id:base64' of 16 (SM4) or 32 (AES-256) bytes; bad entry for {key_id!r}"
            )
        keys.append(DataKey(key_id, raw))
    if len({k.key_id for k in keys}) != len(keys):
        raise ImproperlyConfigured(f"{source}: data key ids repeat")
    return keys


def _data_keyring(*, refresh: bool = False) -> _DataKeyring:
    # Called twice per encrypted field value: a dict hit, no Path arithmetic, no lock.
    env = os.environ.get(FIELD_KEYS_ENV)
    if env and env.strip():
        cache_key = ("env", env)
    else:
        cache_key = ("file", str(settings.KEYS_DIR))
    ring = _data_keys.get(cache_key)
    if ring is not None and not refresh:
        return ring
    with _lock:
        if cache_key[0] == "env":
            ring = _ring(_parse_data_keys(env, FIELD_KEYS_ENV))
        else:
            path = keys_dir() / "field.keys"
            ring = _ring(_parse_data_keys(_read_secret(path).decode("ascii") if path.exists() else "", str(path)))
        _data_keys[cache_key] = ring
        return ring


def data_keys(*, refresh: bool = False) -> list[DataKey]:
    """All data keys, oldest first."""
    return list(_data_keyring(refresh=refresh).keys)


def active_data_key() -> DataKey:
    cipher = "sm4-gcm" if active_profile() == "guomi" else "aes-256-gcm"
    key = _data_keyring().active.get(cipher)
    if key is not None:
        return key
    if os.environ.get(FIELD_KEYS_ENV, "").strip():
        raise ImproperlyConfigured(f"{FIELD_KEYS_ENV} has no {cipher} key ({CIPHER_KEY_SIZES[cipher]} bytes)")
    with _directory_lock(keys_dir()):
        key = _data_keyring(refresh=True).active.get(cipher)  # made by another process meanwhile?
        return key if key is not None else _append_data_key(cipher)


def _append_data_key(cipher: str) -> DataKey:
    if not _may_generate():
        raise ImproperlyConfigured(f"no {cipher} data key and CRYPTO_GENERATE_KEYS is off")
    existing = {k.key_id for k in data_keys(refresh=True)}
    key_id = secrets.token_hex(4)
    while key_id in existing:
        key_id = secrets.token_hex(4)
    key = DataKey(key_id, secrets.token_bytes(CIPHER_KEY_SIZES[cipher]))
    path = _ensure_dir(keys_dir()) / "field.keys"
    line = f"{key.key_id}:{base64.b64encode(key.key).decode('ascii')}\n".encode("ascii")
    if path.exists():
        _read_secret(path)  # refuses a file others can read before we add to it
        with open(path, "ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
    else:
        _write_secret(path, line)
    logger.info("added %s data key %s to %s", cipher, key_id, path)
    data_keys(refresh=True)
    return key


def rotate_data_key() -> DataKey:
    if os.environ.get(FIELD_KEYS_ENV, "").strip():
        raise ImproperlyConfigured(f"data keys come from {FIELD_KEYS_ENV}: append a new 'id:base64' entry to rotate")
    with _directory_lock(keys_dir()):
        return _append_data_key("sm4-gcm" if active_profile() == "guomi" else "aes-256-gcm")


def find_data_key(key_id: str) -> DataKey | None:
    key = _data_keyring().by_id.get(key_id)
    if key is None:  # perhaps added by another process since we read the keys
        key = _data_keyring(refresh=True).by_id.get(key_id)
    return key


# --- The blind-index key ------------------------------------------------------------------------

_index_keys: dict[tuple[str, str], bytes] = {}


def index_key() -> bytes:
    env = os.environ.get(INDEX_KEY_ENV, "").strip()
    cache_key = ("env", env) if env else ("file", str(settings.KEYS_DIR))
    key = _index_keys.get(cache_key)
    if key is not None:
        return key
    with _lock:
        if env:
            key = _decode_index_key(env, INDEX_KEY_ENV)
        else:
            path = keys_dir() / "index.key"
            with _directory_lock(keys_dir()):
                if not path.exists():
                    if not _may_generate():
                        raise ImproperlyConfigured("no blind-index key and CRYPTO_GENERATE_KEYS is off")
                    _write_secret(path, base64.b64encode(secrets.token_bytes(32)) + b"\n")
                    logger.info("generated the blind-index key in %s", path)
                key = _decode_index_key(_read_secret(path).decode("ascii").strip(), str(path))
        _index_keys[cache_key] = key
        return key


def _decode_index_key(encoded: str, source: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise ImproperlyConfigured(f"{source} is not base64") from error
    if len(key) < 32:
        raise ImproperlyConfigured(f"{source} must hold at least 32 bytes")
    return key


def clear_caches() -> None:
    """Forget every key read so far (tests; after editing key files by hand)."""
    with _lock:
        _file_keys.clear()
        _env_keys.clear()
        _data_keys.clear()
        _index_keys.clear()
