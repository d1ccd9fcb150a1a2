"""Developer keys: creation (hash stored, key shown once), authentication in each header form,
revocation, expiry, the per-minute rate limit and the daily quota."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from django.utils import timezone, translation

from zhengtong.data.opendata import keys
from zhengtong.data.opendata.errors import OpenDataError
from zhengtong.data.opendata.models import DailyUsage, DeveloperKey
from zhengtong.kernel.ledger.models import LedgerLeaf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate and quota counters, and the per-process key cache, are per test."""
    from django.core.cache import cache

    cache.clear()
    keys.auth_cache_clear()
    yield
    cache.clear()
    keys.auth_cache_clear()


@pytest.fixture
def developer(people):
    return people.users["developer"]


def refused(code: str, func, *args, **kwargs) -> OpenDataError:
    with pytest.raises(OpenDataError) as caught:
        func(*args, **kwargs)
    assert caught.value.code == code
    return caught.value


def ledger_kinds() -> list[str]:
    return list(LedgerLeaf.objects.order_by("id").values_list("kind", flat=True))


# --- create --------------------------------------------------------------------------------------


def test_a_created_key_is_stored_as_its_hash_and_shown_once(developer):
    key, full_key = keys.developer_key_create(owner=developer, name="  我的应用  ")
    assert re.fullmatch(r"zto_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", full_key)
    assert full_key.startswith(key.prefix + "_")
    assert re.fullmatch(r"zto_[0-9a-f]{8}", key.prefix)
    stored = DeveloperKey.objects.get()
    assert stored.secret_hash == hashlib.sha256(full_key.encode()).hexdigest()
    assert full_key.split("_", 2)[2] not in repr(DeveloperKey.objects.values().get())  # the secret is nowhere
    assert (stored.owner_id, stored.name, stored.rate_per_minute, stored.daily_quota) == (developer.pk, "我的应用", 60, 10000)
    assert (stored.expires_at, stored.revoked_at, stored.last_used_at) == (None, None, None)
    assert ledger_kinds() == ["opendata.key.created"]


@override_settings(OPENDATA_KEY_RATE_PER_MINUTE=7, OPENDATA_KEY_DAILY_QUOTA=70)
def test_limits_come_from_the_settings(developer):
    key, _full = keys.developer_key_create(owner=developer, name="a")
    assert (key.rate_per_minute, key.daily_quota) == (7, 70)


def test_two_keys_differ(developer):
    first = keys.developer_key_create(owner=developer, name="a")
    second = keys.developer_key_create(owner=developer, name="b")
    assert first[0].prefix != second[0].prefix and first[1] != second[1]


def test_staff_and_companies_may_create_keys(people, company):
    assert keys.developer_key_create(owner=people.users["sj_data"], name="staff")[0].owner == people.users["sj_data"]
    assert keys.developer_key_create(owner=company.user, name="company")[0].owner == company.user


def test_anonymous_and_inactive_accounts_may_not(developer):
    refused("not_allowed", keys.developer_key_create, owner=AnonymousUser(), name="x")
    refused("not_allowed", keys.developer_key_create, owner=None, name="x")
    developer.is_active = False
    developer.save()
    refused("not_allowed", keys.developer_key_create, owner=developer, name="x")
    assert DeveloperKey.objects.count() == 0
    assert ledger_kinds() == []


def test_a_name_is_required_and_short(developer):
    error = refused("bad_request", keys.developer_key_create, owner=developer, name="   ")
    with translation.override("en"):
        assert error.message == "Give the key a name, so you can tell your keys apart."
    refused("bad_request", keys.developer_key_create, owner=developer, name="长" * 65)
    assert keys.developer_key_create(owner=developer, name="长" * 64)[0].name == "长" * 64
    assert DeveloperKey.objects.count() == 1


def test_at_most_ten_active_keys(developer, people):
    made = [keys.developer_key_create(owner=developer, name=f"k{i}")[0] for i in range(10)]
    with translation.override("en"):
        error = refused("not_allowed", keys.developer_key_create, owner=developer, name="eleventh")
        assert error.message == "You already have 10 active keys; revoke one before creating another."
    assert DeveloperKey.objects.count() == 10
    # another person's keys do not count, and a revoked or expired key frees a place
    assert keys.developer_key_create(owner=people.users["other"], name="theirs")[0]
    keys.developer_key_revoke(owner=developer, key_id=made[0].public_id)
    DeveloperKey.objects.filter(pk=made[1].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    keys.developer_key_create(owner=developer, name="eleventh")
    keys.developer_key_create(owner=developer, name="twelfth")
    refused("not_allowed", keys.developer_key_create, owner=developer, name="thirteenth")
    assert DeveloperKey.objects.filter(owner=developer).count() == 12


# --- authenticate --------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["Key {}", "key {}", "Bearer {}", "{}", "  Key   {}  "])
def test_each_header_form_authenticates(developer, form):
    key, full_key = keys.developer_key_create(owner=developer, name="a")
    assert keys.key_authenticate(form.format(full_key)).pk == key.pk


def test_authentication_records_last_use_at_most_once_a_minute(developer):
    key, full_key = keys.developer_key_create(owner=developer, name="a")
    keys.key_authenticate(f"Key {full_key}")
    first = DeveloperKey.objects.get().last_used_at
    assert first is not None
    keys.key_authenticate(f"Key {full_key}")
    assert DeveloperKey.objects.get().last_used_at == first  # within the minute: no write
    keys.auth_cache_clear()
    DeveloperKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    keys.key_authenticate(f"Key {full_key}")
    assert DeveloperKey.objects.get().last_used_at > first


@pytest.mark.parametrize("header", [
    "Key zto_0123abcd_" + "x" * 43,  # well formed, unknown
    "ApiKey zt_0123abcd_" + "x" * 43,  # the API clients' scheme, not ours
    "Key zto_0123abc_" + "x" * 43,  # prefix too short
    "Key zto_0123ABCD_" + "x" * 43,  # prefix not lower-case hex
    "Key zto_0123abcd_short",
    "Basic dXNlcjpwYXNz",
    "zto",
])
def test_malformed_and_unknown_keys_are_invalid(developer, header):
    keys.developer_key_create(owner=developer, name="a")
    error = refused("key_invalid", keys.key_authenticate, header)
    assert error.status == 401


def test_a_wrong_secret_with_a_real_prefix_is_invalid(developer):
    key, full_key = keys.developer_key_create(owner=developer, name="a")
    keys.key_authenticate(full_key)  # now cached
    wrong = full_key[:-1] + ("A" if full_key[-1] != "A" else "B")
    refused("key_invalid", keys.key_authenticate, f"Key {wrong}")
    assert DeveloperKey.objects.get().last_used_at is not None


def test_no_header_needs_a_key(developer):
    assert refused("key_required", keys.key_authenticate, None).status == 401
    refused("key_required", keys.key_authenticate, "   ")


def test_a_revoked_key_is_refused_at_once_even_when_cached(developer):
    key, full_key = keys.developer_key_create(owner=developer, name="a")
    assert keys.key_authenticate(full_key).pk == key.pk  # cached in this process
    revoked = keys.developer_key_revoke(owner=developer, key_id=key.public_id)
    assert revoked.revoked_at is not None
    error = refused("key_revoked", keys.key_authenticate, f"Key {full_key}")
    local = timezone.localtime(revoked.revoked_at).strftime("%Y-%m-%d %H:%M")
    assert local in error.message
    assert ledger_kinds() == ["opendata.key.created", "opendata.key.revoked"]


def test_revoking_twice_changes_nothing(developer):
    key, _full = keys.developer_key_create(owner=developer, name="a")
    first = keys.developer_key_revoke(owner=developer, key_id=key.public_id).revoked_at
    assert keys.developer_key_revoke(owner=developer, key_id=str(key.public_id)).revoked_at == first
    assert ledger_kinds() == ["opendata.key.created", "opendata.key.revoked"]


def test_nobody_revokes_anothers_key(developer, people):
    key, full_key = keys.developer_key_create(owner=developer, name="a")
    with pytest.raises(DeveloperKey.DoesNotExist):
        keys.developer_key_revoke(owner=people.users["other"], key_id=key.public_id)
    with pytest.raises(DeveloperKey.DoesNotExist):
        keys.developer_key_revoke(owner=developer, key_id="not-a-uuid")
    assert DeveloperKey.objects.get().revoked_at is None
    assert keys.key_authenticate(full_key).pk == key.pk


def test_an_expired_key_is_refused(developer):
    soon = timezone.now() + timedelta(hours=1)
    key, full_key = keys.developer_key_create(owner=developer, name="a", expires_at=soon)
    assert keys.key_authenticate(full_key).pk == key.pk
    keys.auth_cache_clear()
    past = timezone.now() - timedelta(minutes=5)
    DeveloperKey.objects.filter(pk=key.pk).update(expires_at=past)
    error = refused("key_expired", keys.key_authenticate, full_key)
    assert timezone.localtime(past).strftime("%Y-%m-%d %H:%M") in error.message
    refused("bad_request", keys.developer_key_create, owner=developer, name="b", expires_at=past)


def test_a_key_of_a_deactivated_owner_is_invalid(developer):
    _key, full_key = keys.developer_key_create(owner=developer, name="a")
    developer.is_active = False
    developer.save()
    refused("key_invalid", keys.key_authenticate, full_key)


# --- rate limit and quota --------------------------------------------------------------------------


def test_the_rate_limit_counts_per_key_and_minute(developer, monkeypatch):
    now = [1_800_000_000.0]  # a minute's start; held still, then moved on
    monkeypatch.setattr(keys, "clock", lambda: now[0])
    key, _full = keys.developer_key_create(owner=developer, name="a")
    other, _full = keys.developer_key_create(owner=developer, name="b")
    DeveloperKey.objects.filter(pk=key.pk).update(rate_per_minute=2)
    key.refresh_from_db()
    keys.key_meter(key)
    keys.key_meter(key)
    now[0] += 15
    error = refused("rate_limited", keys.key_meter, key)
    assert error.params == {"limit": 2, "retry_after": 45}
    assert error.status == 429
    keys.key_meter(other)  # its own counter
    now[0] += 45  # the next minute
    keys.key_meter(key)
    assert DailyUsage.objects.count() == 0  # metering counts; only served calls are usage


def test_the_daily_quota_reads_todays_usage_of_the_key(developer):
    key, _full = keys.developer_key_create(owner=developer, name="a")
    DeveloperKey.objects.filter(pk=key.pk).update(daily_quota=5)
    key.refresh_from_db()
    today = keys.key_day()
    DailyUsage.objects.create(day=today, resource_code="A", key_prefix=key.prefix, channel="api", calls=3, rows=30)
    DailyUsage.objects.create(day=today, resource_code="B", key_prefix=key.prefix, channel="ckan", calls=1, rows=1)
    # yesterday's calls, anonymous calls and another key's calls do not count
    DailyUsage.objects.create(day=today - timedelta(days=1), resource_code="A", key_prefix=key.prefix, channel="api", calls=99)
    DailyUsage.objects.create(day=today, resource_code="A", key_prefix="", channel="api", calls=99)
    DailyUsage.objects.create(day=today, resource_code="A", key_prefix="zto_00000000", channel="api", calls=99)
    assert keys.key_calls_today(key) == 4
    keys.key_meter(key)
    keys.key_meter_count(key)  # the fifth call served
    assert keys.key_calls_today(key) == 5
    error = refused("quota_exhausted", keys.key_meter, key)
    assert error.params["quota"] == 5
    assert 1 <= error.params["retry_after"] <= 86400
    assert error.status == 429


def test_the_quota_count_heals_from_the_database(developer):
    from django.core.cache import cache

    key, _full = keys.developer_key_create(owner=developer, name="a")
    assert keys.key_calls_today(key) == 0
    DailyUsage.objects.create(day=keys.key_day(), resource_code="A", key_prefix=key.prefix, channel="ckan", calls=7)
    assert keys.key_calls_today(key) == 0  # cached for a minute
    cache.delete(keys._quota_cache_key(key, keys.key_day()))
    assert keys.key_calls_today(key) == 7


def test_the_china_day_starts_at_midnight_in_shanghai():
    from datetime import datetime, timezone as dt_timezone

    assert keys.key_day(datetime(2026, 3, 1, 15, 59, tzinfo=dt_timezone.utc)).isoformat() == "2026-03-01"
    assert keys.key_day(datetime(2026, 3, 1, 16, 0, tzinfo=dt_timezone.utc)).isoformat() == "2026-03-02"
    assert keys.seconds_to_midnight(datetime(2026, 3, 1, 15, 59, tzinfo=dt_timezone.utc)) == 60


@override_settings(OPENDATA_ANONYMOUS_RATE_PER_MINUTE=1)
def test_anonymous_calls_are_limited_per_address(monkeypatch):
    monkeypatch.setattr(keys, "clock", lambda: 1_800_000_030.0)
    keys.anonymous_rate_check("10.0.0.1")
    error = refused("rate_limited", keys.anonymous_rate_check, "10.0.0.1")
    assert error.params == {"limit": 1, "retry_after": 30}
    keys.anonymous_rate_check("10.0.0.2")
