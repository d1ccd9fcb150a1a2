"""Developer keys of the open API (开发者密钥): self-service creation and revocation, the check of a
key on each call, and its per-minute rate limit and daily quota.

A key reads `zto_<8 hex>_<secret>`; the first two parts are its prefix, stored and shown in lists
and usage, and the whole key is stored only as its SHA-256 (the secret carries 256 random bits, so
a fast hash without salt is enough, as for GitHub tokens and kernel.identity's API keys). The full
key is shown once, when it is made.

    key, full_key = developer_key_create(owner=user, name="我的应用")
    key = key_authenticate(request.headers.get("Authorization"))   # Key zto_…, Bearer zto_… or zto_…
    key_meter(key)                                                  # rate limit and daily quota
    ... serve the call, access.data_read_record(...) ...
    key_meter_count(key)                                            # the served call counts to the quota

Every failure is an OpenDataError (key_required, key_invalid, key_expired, key_revoked,
rate_limited, quota_exhausted, not_allowed, bad_request).
"""

import hashlib
import hmac
import secrets
import time
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.data.exchange.public import rate_limit_hit as exchange_rate_limit_hit
from zhengtong.kernel.identity.public import AccountKind
from zhengtong.kernel.ledger.public import ledger_append

from .errors import OpenDataError
from .models import DailyUsage, DeveloperKey

KEY_SCHEME = "zto"
PREFIX_HEX = 8
SECRET_BYTES = 32  # token_urlsafe(32): 43 characters
MIN_SECRET_LENGTH = 32
MAX_ACTIVE_KEYS = 10
NAME_MAX_LENGTH = 64
HEADER_KEYWORDS = ("key", "bearer")
CHINA = ZoneInfo("Asia/Shanghai")
KEY_OWNER_KINDS = (AccountKind.CITIZEN, AccountKind.COMPANY, AccountKind.STAFF)
LAST_USED_RESOLUTION = timedelta(minutes=1)

# A busy client calls many times a second and its key row rarely changes, so a looked-up key is
# kept in the process for AUTH_CACHE_SECONDS, keyed by the hash of the whole key (a wrong secret
# never matches). Revoking a key takes effect at once in the process that revoked it and within
# that time on every other worker; the expiry and revocation times are checked on every call.
AUTH_CACHE_SECONDS = 5.0
AUTH_CACHE_MAX = 10_000
_auth_cache: dict[str, tuple[float, DeveloperKey]] = {}

# The per-minute rate limit: a fixed window per key and calendar minute in Django's cache (Redis in
# production, so all workers count together), the same approach as the sharing gateway's limiter
# (exchange/ratelimit.py, not public to this module) under a prefix of our own.
RATE_PREFIX = "zt:opendata:rate"
# The daily quota: calls served today with the key, from DailyUsage (what access.data_read_record
# meters), cached for QUOTA_CACHE_SECONDS and counted up by each served call in between, so the
# check costs one cache read and the count heals itself from the database once a minute.
QUOTA_PREFIX = "zt:opendata:quota"
QUOTA_CACHE_SECONDS = 60


def default_rate_per_minute() -> int:
    return int(getattr(settings, "OPENDATA_KEY_RATE_PER_MINUTE", 60))


def default_daily_quota() -> int:
    return int(getattr(settings, "OPENDATA_KEY_DAILY_QUOTA", 10000))


def clock() -> float:
    """The time the rate windows are cut from (a function, so a test can hold it still)."""
    return time.time()


def key_day(now: datetime | None = None) -> date:
    """The day (China Standard Time) a call counts to: DailyUsage's day and the quota's."""
    return timezone.localtime(now or timezone.now(), CHINA).date()


def key_hash(full_key: str) -> str:
    return hashlib.sha256(full_key.encode()).hexdigest()


def auth_cache_clear() -> None:
    _auth_cache.clear()


# --- services -------------------------------------------------------------------------------------


def _actor_label(user) -> str:
    return f"{user.kind}:{user.pk}"


def _may_own_keys(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)
                and getattr(user, "kind", None) in KEY_OWNER_KINDS)


def developer_keys_active(owner) -> QuerySet:
    now = timezone.now()
    return DeveloperKey.objects.filter(owner=owner, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def developer_key_list(*, owner) -> list[DeveloperKey]:
    """The owner's keys, newest first (revoked and expired ones too: their usage stays readable)."""
    if not _may_own_keys(owner):
        return []
    return list(DeveloperKey.objects.filter(owner=owner).order_by("-created_at", "-id"))


def developer_key_get(*, owner, key_id: UUID | str) -> DeveloperKey:
    """One of the owner's keys by its public id; DeveloperKey.DoesNotExist for a key of someone
    else, exactly as for one that does not exist."""
    try:
        public_id = UUID(str(key_id))
    except ValueError:
        raise DeveloperKey.DoesNotExist from None
    if not _may_own_keys(owner):
        raise DeveloperKey.DoesNotExist
    return DeveloperKey.objects.get(owner=owner, public_id=public_id)


def developer_key_create(*, owner, name: str, expires_at: datetime | None = None) -> tuple[DeveloperKey, str]:
    """Make a key for a citizen, company or staff account; returns the key row and the full key,
    which is shown once and never stored. At most MAX_ACTIVE_KEYS active keys per owner."""
    if not _may_own_keys(owner):
        raise OpenDataError("not_allowed", detail=_("Only signed-in citizens, companies and staff may create developer keys."))
    name = (name or "").strip()
    if not name:
        raise OpenDataError("bad_request", detail=_("Give the key a name, so you can tell your keys apart."))
    if len(name) > NAME_MAX_LENGTH:
        raise OpenDataError("bad_request", detail=_("A key's name is at most %(max)s characters.") % {"max": NAME_MAX_LENGTH})
    if expires_at is not None and expires_at <= timezone.now():
        raise OpenDataError("bad_request", detail=_("A new key cannot expire in the past."))
    with transaction.atomic():
        # Lock the owner's row, so two requests at once cannot both make the eleventh key.
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        if developer_keys_active(owner).count() >= MAX_ACTIVE_KEYS:
            raise OpenDataError("not_allowed", detail=_(
                "You already have %(max)s active keys; revoke one before creating another.") % {"max": MAX_ACTIVE_KEYS})
        for _attempt in range(5):
            prefix = f"{KEY_SCHEME}_{secrets.token_hex(PREFIX_HEX // 2)}"
            if not DeveloperKey.objects.filter(prefix=prefix).exists():
                break
        else:  # 2**32 prefixes: five collisions in a row mean something else is wrong
            raise RuntimeError("could not find a free developer-key prefix")
        full_key = f"{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        key = DeveloperKey.objects.create(
            owner=owner, name=name, prefix=prefix, secret_hash=key_hash(full_key),
            rate_per_minute=default_rate_per_minute(), daily_quota=default_daily_quota(), expires_at=expires_at,
        )
        ledger_append(kind="opendata.key.created", subject=f"developer_key:{key.public_id}", actor=_actor_label(owner),
                      payload={"prefix": prefix, "name": name, "rate_per_minute": key.rate_per_minute,
                               "daily_quota": key.daily_quota,
                               "expires_at": expires_at.isoformat() if expires_at else None})
    return key, full_key


def developer_key_revoke(*, owner, key_id: UUID | str) -> DeveloperKey:
    """Revoke one of the owner's keys (DeveloperKey.DoesNotExist for anyone else's). Revoking a
    revoked key changes nothing. Takes effect at once in this process, and within
    AUTH_CACHE_SECONDS everywhere."""
    with transaction.atomic():
        key = developer_key_get(owner=owner, key_id=key_id)
        key = DeveloperKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            return key
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        ledger_append(kind="opendata.key.revoked", subject=f"developer_key:{key.public_id}", actor=_actor_label(owner),
                      payload={"prefix": key.prefix})
    for cached_hash in [h for h, (_t, k) in _auth_cache.items() if k.pk == key.pk]:
        _auth_cache.pop(cached_hash, None)
    return key


# --- authentication -------------------------------------------------------------------------------


def key_from_header(header_value: str | None) -> str | None:
    """The key in an Authorization header: "Key zto_…", "Bearer zto_…" or the bare key (ckanapi
    sends it so). None when there is no header at all."""
    value = (header_value or "").strip()
    if not value:
        return None
    keyword, _sep, rest = value.partition(" ")
    if rest and keyword.lower() in HEADER_KEYWORDS:
        value = rest.strip()
    return value


def _parse(full_key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    parts = full_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME:
        return None
    prefix_hex, secret = parts[1], parts[2]
    if len(prefix_hex) != PREFIX_HEX or any(c not in "0123456789abcdef" for c in prefix_hex):
        return None
    if len(secret) < MIN_SECRET_LENGTH or len(secret) > 128:
        return None
    return f"{KEY_SCHEME}_{prefix_hex}"


def _key_for(full_hash: str, prefix: str) -> DeveloperKey | None:
    now = time.monotonic()
    cached = _auth_cache.get(full_hash)
    if cached is not None and now - cached[0] < AUTH_CACHE_SECONDS:
        return cached[1]
    key = DeveloperKey.objects.select_related("owner").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, full_hash):
        return None
    if len(_auth_cache) >= AUTH_CACHE_MAX:
        _auth_cache.clear()
    _auth_cache[full_hash] = (now, key)
    return key


def _local(moment: datetime) -> str:
    return timezone.localtime(moment, CHINA).strftime("%Y-%m-%d %H:%M")


def key_authenticate(header_value: str | None) -> DeveloperKey:
    """The developer key an Authorization header carries. Raises OpenDataError: key_required
    (no header), key_invalid (malformed, unknown, or a wrong secret — the same answer for each),
    key_revoked, key_expired. Records `last_used_at` at most once a minute."""
    full_key = key_from_header(header_value)
    if full_key is None:
        raise OpenDataError("key_required")
    prefix = _parse(full_key)
    if prefix is None:
        raise OpenDataError("key_invalid")
    key = _key_for(key_hash(full_key), prefix)
    if key is None:
        raise OpenDataError("key_invalid")
    now = timezone.now()
    if key.revoked_at is not None:
        raise OpenDataError("key_revoked", revoked_at=_local(key.revoked_at))
    if key.expires_at is not None and key.expires_at <= now:
        raise OpenDataError("key_expired", expired_at=_local(key.expires_at))
    if not key.owner.is_active:
        raise OpenDataError("key_invalid")
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        # At most once a minute per key: a write on every call would double the cost of a read.
        DeveloperKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- rate limit and quota ---------------------------------------------------------------------------


def rate_limit_hit(bucket: str, limit: int) -> int | None:
    """Count one call in `bucket` (the exchange's fixed-window counter, under our own prefix);
    None when it is within `limit` calls this minute, else the seconds until the next minute."""
    return exchange_rate_limit_hit(bucket, limit, prefix=RATE_PREFIX, now=clock())


def key_rate_check(key: DeveloperKey) -> None:
    """Count the call against the key's per-minute limit; rate_limited (with retry_after) over it.
    Refused calls count too: a client hammering with bad requests is limited like any other."""
    retry_after = rate_limit_hit(f"key:{key.prefix}", key.rate_per_minute)
    if retry_after is not None:
        raise OpenDataError("rate_limited", limit=key.rate_per_minute, retry_after=retry_after)


def anonymous_rate_check(client_address: str) -> None:
    """The per-minute limit of calls without a key, per client address (OPENDATA_ANONYMOUS_RATE_PER_MINUTE)."""
    limit = int(getattr(settings, "OPENDATA_ANONYMOUS_RATE_PER_MINUTE", 120))
    retry_after = rate_limit_hit(f"anonymous:{client_address or '-'}", limit)
    if retry_after is not None:
        raise OpenDataError("rate_limited", limit=limit, retry_after=retry_after)


def _quota_cache_key(key: DeveloperKey, day: date) -> str:
    return f"{QUOTA_PREFIX}:{key.prefix}:{day.isoformat()}"


def key_calls_today(key: DeveloperKey) -> int:
    """Calls served today with the key (all channels), from the cache or DailyUsage."""
    day = key_day()
    cache_key = _quota_cache_key(key, day)
    used = cache.get(cache_key)
    if used is None:
        used = DailyUsage.objects.filter(day=day, key_prefix=key.prefix).aggregate(calls=Sum("calls"))["calls"] or 0
        cache.set(cache_key, used, timeout=QUOTA_CACHE_SECONDS)
    return int(used)


def seconds_to_midnight(now: datetime | None = None) -> int:
    local = timezone.localtime(now or timezone.now(), CHINA)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=CHINA)
    return max(1, int((midnight - local).total_seconds()))


def key_quota_check(key: DeveloperKey) -> None:
    """quota_exhausted (with retry_after: the seconds to midnight, China Standard Time) once the
    key's calls today reach its daily quota. Counts nothing: see key_meter_count."""
    if key_calls_today(key) >= key.daily_quota:
        raise OpenDataError("quota_exhausted", quota=key.daily_quota, retry_after=seconds_to_midnight())


def key_meter(key: DeveloperKey) -> None:
    """Before a data call: the rate limit (counted), then the daily quota (checked). Raises
    rate_limited or quota_exhausted."""
    key_rate_check(key)
    key_quota_check(key)


def key_meter_count(key: DeveloperKey, calls: int = 1) -> None:
    """After a served call (once access.data_read_record has metered it): count it to today's
    quota in the cache. A call whose count is not cached any more is in DailyUsage already, which
    the next check reads; a caller that never calls this is still limited, up to a minute late."""
    try:
        cache.incr(_quota_cache_key(key, key_day()), calls)
    except ValueError:
        pass
