"""How Zhengtong signs a webhook request, and how a receiver checks it (Python standard library only,
so a department may copy this file as it is).

The scheme is Standard Webhooks (https://www.standardwebhooks.com/), with an HMAC-SM3 variant for
the 国密 profile. Every POST carries:

    Content-Type:       application/json; charset=utf-8
    Webhook-Id:         the event id (a UUID). The idempotency key: the same on every retry of that
                        event to that subscriber. Process an id once; answer 2xx to repeats.
    Idempotency-Key:    the same value, under the IETF httpapi draft's name.
    Webhook-Timestamp:  when this attempt was signed, in whole seconds since the Unix epoch.
    Webhook-Signature:  "<scheme>,<base64 MAC>", several separated by spaces (any one may match):
                          v1      HMAC-SHA256 (Standard Webhooks; the international profile)
                          v1-sm3  HMAC-SM3    (RFC 2104 HMAC over GB/T 32905 SM3; the 国密 profile)

The MAC is taken over  f"{webhook_id}.{timestamp}.".encode() + body  (body: the raw request bytes,
before any JSON parsing), with the key  base64decode(secret without its "whsec_" prefix).

The body is {"id": "<event id>", "name": "<event name>", "occurred_at": "<ISO 8601>", "payload": {…}}.
A receiver should: verify the signature on the raw body; refuse a timestamp more than five minutes
from its clock (a replayed request); then process the event unless Webhook-Id was seen before, and
answer 2xx (any other answer, a redirect or no answer within the timeout is retried). Delivery is
at least once and not in order: use occurred_at to order events about the same record.

    from zhengtong.kernel.events.signatures import webhook_signature_verify
    if not webhook_signature_verify(secret, request.headers, request.body):
        return HttpResponse(status=401)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
# Signature scheme -> hash name (as hashlib knows it).
SCHEMES = {"v1": "sha256", "v1-sm3": "sm3"}
SCHEME_FOR_DIGEST = {digest: scheme for scheme, digest in SCHEMES.items()}
DEFAULT_TOLERANCE_SECONDS = 300


def webhook_secret_generate() -> str:
    """A new signing secret: "whsec_" and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key a secret stands for. Raises ValueError for a string that is not a secret."""
    encoded = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("A webhook secret is 'whsec_' followed by base64.") from error
    if len(key) < 16:
        raise ValueError("A webhook secret must hold at least 16 bytes.")
    return key


def webhook_signature(secret: str, webhook_id: str, timestamp: int, body: bytes, digest: str = "sm3") -> str:
    """The Webhook-Signature header value for one request: "v1-sm3,<base64>" or "v1,<base64>"."""
    scheme = SCHEME_FOR_DIGEST[digest]
    return f"{scheme},{_mac(secret_key(secret), digest, webhook_id, timestamp, body)}"


def webhook_headers(secret: str, webhook_id: str, body: bytes, *, digest: str = "sm3",
                    timestamp: int | None = None) -> dict[str, str]:
    """Every header of the scheme above, signed now (or at `timestamp`)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json; charset=utf-8",
        "Webhook-Id": webhook_id,
        "Idempotency-Key": webhook_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": webhook_signature(secret, webhook_id, timestamp, body, digest),
    }


def webhook_signature_verify(secret: str, headers: Mapping[str, str], body: bytes, *,
                             tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS, now: float | None = None) -> bool:
    """True when `body` and the Webhook-Id and -Timestamp headers are what the secret's holder signed,
    within `tolerance_seconds` of now. Header names are matched without regard to case.

    False for a missing or malformed header, a stale or future timestamp, a bad secret, or a
    signature that matches no scheme this Python can compute (HMAC-SM3 needs OpenSSL's SM3).
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    webhook_id = lowered.get("webhook-id")
    timestamp_text = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not webhook_id or not timestamp_text or not signatures:
        return False
    try:
        timestamp = int(timestamp_text)
        key = secret_key(secret)
    except ValueError:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        return False
    for candidate in signatures.split():
        scheme, _, given = candidate.partition(",")
        digest = SCHEMES.get(scheme)
        if digest is None or digest not in hashlib.algorithms_available:
            continue
        expected = _mac(key, digest, webhook_id, timestamp, body).encode("ascii")
        if hmac.compare_digest(expected, given.encode("ascii", "replace")):
            return True
    return False


def _mac(key: bytes, digest: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, digest).digest()).decode("ascii")
