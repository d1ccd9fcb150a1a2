"""DRF authentication for API clients: `Authorization: ApiKey zt_<prefix>_<secret>`."""

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from django.conf import settings

from .models import AccountKind, ApiClient

KEYWORD = "ApiKey"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_hash(key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough (as for GitHub tokens); no salt needed.
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiClientPrincipal:
    """Stands in for request.user when a system, not a person, calls."""

    client_id: int
    name: str
    department_id: int | None
    scopes: frozenset[str]
    kind: str = "api_client"
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False


# A busy system calls many times a second and its client row rarely changes, so a looked-up client
# is kept in the process for AUTH_CACHE_SECONDS, keyed by the hash of the whole key (a wrong secret
# never matches). Deactivating or expiring a key therefore takes effect within that time on every
# worker, and at once in the process that saved the change; what a key may read (grants, consents)
# is checked against the database on every call.
AUTH_CACHE_SECONDS = 5.0
AUTH_CACHE_MAX = 10_000
_auth_cache: dict[str, tuple[float, ApiClient]] = {}


def api_client_cache_clear(**_kwargs) -> None:
    """Forget every cached client (connected to ApiClient saves and deletes in apps.py)."""
    _auth_cache.clear()


def _client_for(key_hash: str, prefix: str) -> ApiClient | None:
    now = time.monotonic()
    cached = _auth_cache.get(key_hash)
    if cached is not None and now - cached[0] < AUTH_CACHE_SECONDS:
        return cached[1]
    client = ApiClient.objects.filter(key_prefix=prefix).first()
    if client is None or not hmac.compare_digest(client.key_hash, key_hash):
        return None
    if len(_auth_cache) >= AUTH_CACHE_MAX:
        _auth_cache.clear()
    _auth_cache[key_hash] = (now, client)
    return client


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(KEYWORD + " "):
            return None
        key = header[len(KEYWORD) + 1 :].strip()
        parts = key.split("_")
        if len(parts) != 3 or parts[0] != "zt":
            raise exceptions.AuthenticationFailed(_("The API key is malformed."))
        client = _client_for(api_key_hash(key), parts[1])
        if client is None:
            raise exceptions.AuthenticationFailed(_("The API key is not valid."))
        now = timezone.now()
        if not client.is_active or (client.expires_at and client.expires_at <= now):
            raise exceptions.AuthenticationFailed(_("The API key has been revoked or has expired."))
        if client.last_used_at is None or now - client.last_used_at >= LAST_USED_RESOLUTION:
            # At most once a minute per client: a write on every call would double the work of a
            # busy system's reads (the sharing gateway) for a time nobody needs to the second.
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now
        principal = ApiClientPrincipal(client.id, client.name, client.department_id, frozenset(client.scopes))
        return principal, client

    def authenticate_header(self, request):
        return KEYWORD


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """Session login for the API, but a staff session counts only once its second factor is verified.

    A staff member signed in with a password alone (e.g. half-way through a login) must not reach
    graded data through the API when the pages would refuse them.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if user.kind == AccountKind.STAFF and settings.STAFF_REQUIRE_TOTP and not user.is_verified():
            return None
        return result


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes the API-key header in the OpenAPI schema (drf-spectacular finds it by subclassing)."""

    target_class = "zhengtong.kernel.identity.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`ApiKey zt_<prefix>_<secret>`, issued to a registered API client.",
        }


class VerifiedSessionScheme(SessionScheme):
    """The session cookie scheme, for the second-factor-aware session authentication."""

    target_class = "zhengtong.kernel.identity.authentication.VerifiedSessionAuthentication"
