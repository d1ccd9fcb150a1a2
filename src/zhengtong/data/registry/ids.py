"""Registry ids: "ZJP" (persons) or "ZJC" (companies) and 12 random Crockford base-32 characters.

Why not a UUID or a sequence: the id is read out over the phone and typed at windows, so it is
short, case-insensitive and free of look-alikes (no I, L, O, U); the prefix says which registry it
belongs to; 60 random bits say nothing about how many masters there are or when one was made, and
collisions (checked by the unique constraint anyway) are negligible at a province's size.
"""

import re
import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIXES = {"person": "ZJP", "company": "ZJC"}
RANDOM_LENGTH = 12
REGISTRY_ID = re.compile(r"^ZJ[PC][0-9A-HJKMNP-TV-Z]{12}$")


def registry_id_new(kind: str) -> str:
    return PREFIXES[kind] + "".join(secrets.choice(CROCKFORD) for _ in range(RANDOM_LENGTH))


def registry_id_normalize(value: str) -> str | None:
    """The id as stored (upper case, look-alikes folded as Crockford reads them); None if malformed."""
    text = re.sub(r"[\s-]+", "", str(value or "")).upper()
    if len(text) != 3 + RANDOM_LENGTH:
        return None
    text = text[:3] + text[3:].translate(str.maketrans({"I": "1", "L": "1", "O": "0"}))
    return text if REGISTRY_ID.match(text) else None


def registry_id_kind(registry_id: str) -> str | None:
    for kind, prefix in PREFIXES.items():
        if registry_id.startswith(prefix):
            return kind
    return None
