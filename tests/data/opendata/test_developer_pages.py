"""开发者中心 pages: sign-in required, the key shown once, revocation with confirmation, usage per
key and dataset, nobody sees or revokes another's keys; one browser journey with axe checks."""

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from zhengtong.data.opendata import keys
from zhengtong.data.opendata.models import DailyUsage, DeveloperKey

from .conftest import Codes

SHOTS = Path("/tmp/shots/openapi")
HOME = "/opendata/developer/"
NEW = "/opendata/developer/keys/new/"


def revoke_url(key) -> str:
    return f"/opendata/developer/keys/{key.public_id}/revoke/"


def usage_url(key) -> str:
    return f"/opendata/developer/keys/{key.public_id}/usage/"


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    keys.auth_cache_clear()
    yield
    cache.clear()


@pytest.fixture
def developer(people):
    return people.users["developer"]


@pytest.fixture
def signed_client(client, developer):
    client.force_login(developer, backend="zhengtong.kernel.identity.backends.AccountBackend")
    return client


def english(client, method, url, **kwargs):
    return getattr(client, method)(url, HTTP_ACCEPT_LANGUAGE="en", **kwargs)


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, developer):
    key, _full = keys.developer_key_create(owner=developer, name="a")
    for url in (HOME, NEW, revoke_url(key), usage_url(key)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/account/login/?next={url}"
    response = client.post(revoke_url(key))
    assert response.status_code == 302
    assert DeveloperKey.objects.get().revoked_at is None
    client.post(NEW, {"name": "x"})
    assert DeveloperKey.objects.count() == 1


@pytest.mark.django_db
def test_unverified_staff_are_sent_to_the_staff_sign_in(client, people):
    client.force_login(people.users["sj_data"], backend="zhengtong.kernel.identity.backends.AccountBackend")
    assert client.get(HOME).status_code == 200  # STAFF_REQUIRE_TOTP is off in these tests
    with override_settings(STAFF_REQUIRE_TOTP=True):
        response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('identity:staff-login')}?next={HOME}"


@pytest.mark.django_db
def test_creating_a_key_shows_it_once(signed_client, developer):
    page = english(signed_client, "get", NEW)
    assert page.status_code == 200
    assert "Key name" in page.content.decode()
    response = english(signed_client, "post", NEW, data={"name": "我的小程序"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    full_keys = re.findall(r"zto_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", text)
    assert len(set(full_keys)) == 1
    full_key = full_keys[0]
    key = DeveloperKey.objects.get()
    assert (key.owner, key.name, key.secret_hash) == (developer, "我的小程序", hashlib.sha256(full_key.encode()).hexdigest())
    assert "This is the only time the whole key is shown" in text
    assert "/api/docs/" in text
    # the list shows the prefix, never the key
    listing = english(signed_client, "get", HOME).content.decode()
    assert key.prefix in listing and "我的小程序" in listing
    assert full_key not in listing
    assert keys.key_authenticate(f"Key {full_key}") == key


@pytest.mark.django_db
def test_a_key_needs_a_name_and_at_most_ten_are_active(signed_client, developer):
    response = english(signed_client, "post", NEW, data={"name": "  "})
    assert response.status_code == 400
    assert "Give the key a name, so you can tell your keys apart." in response.content.decode()
    assert DeveloperKey.objects.count() == 0
    for number in range(10):
        keys.developer_key_create(owner=developer, name=f"k{number}")
    response = english(signed_client, "post", NEW, data={"name": "eleventh"})
    assert response.status_code == 400
    assert "You already have 10 active keys; revoke one before creating another." in response.content.decode()
    assert DeveloperKey.objects.count() == 10


@pytest.mark.django_db
def test_the_list_shows_limits_status_and_last_use(signed_client, developer):
    active, _full = keys.developer_key_create(owner=developer, name="active one")
    revoked, _full = keys.developer_key_create(owner=developer, name="revoked one")
    keys.developer_key_revoke(owner=developer, key_id=revoked.public_id)
    text = english(signed_client, "get", HOME).content.decode()
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", text, re.S)
    assert [name for name, _cells in rows] == ["revoked one", "active one"]  # newest first
    assert "Revoked" in rows[0][1] and "Active" in rows[1][1]
    assert revoke_url(revoked) not in text and revoke_url(active) in text
    assert ">60<" in rows[1][1] and ">10000<" in rows[1][1]
    assert "Never" in rows[1][1]
    assert "You have 1 active key, of at most 10." in text


@pytest.mark.django_db
def test_revoking_asks_first_then_revokes(signed_client, developer):
    key, full_key = keys.developer_key_create(owner=developer, name="old app")
    confirm = english(signed_client, "get", revoke_url(key))
    assert confirm.status_code == 200
    assert "Revoke the key" in confirm.content.decode()
    assert DeveloperKey.objects.get().revoked_at is None  # asking changes nothing
    response = english(signed_client, "post", revoke_url(key), follow=True)
    assert response.redirect_chain == [(HOME, 302)]
    assert f"The key {key.prefix} (old app) is revoked" in response.content.decode()
    assert DeveloperKey.objects.get().revoked_at is not None
    with pytest.raises(Exception) as caught:
        keys.key_authenticate(full_key)
    assert caught.value.code == "key_revoked"


@pytest.mark.django_db
def test_nobody_sees_or_revokes_anothers_keys(signed_client, people):
    theirs, their_full = keys.developer_key_create(owner=people.users["other"], name="their secret app")
    listing = signed_client.get(HOME).content.decode()
    assert theirs.prefix not in listing and "their secret app" not in listing
    assert signed_client.get(revoke_url(theirs)).status_code == 404
    assert signed_client.post(revoke_url(theirs)).status_code == 404
    assert signed_client.get(usage_url(theirs)).status_code == 404
    assert signed_client.get("/opendata/developer/keys/00000000-0000-0000-0000-000000000000/usage/").status_code == 404
    assert DeveloperKey.objects.get().revoked_at is None
    assert keys.key_authenticate(their_full) == theirs


@pytest.mark.django_db
def test_usage_per_day_and_dataset(signed_client, developer, open_world_unserved):
    key, _full = keys.developer_key_create(owner=developer, name="a")
    today = keys.key_day()
    DailyUsage.objects.create(day=today, resource_code=Codes.OPEN, key_prefix=key.prefix, channel="api", calls=3, rows=300)
    DailyUsage.objects.create(day=today, resource_code=Codes.OPEN, key_prefix=key.prefix, channel="ckan", calls=1, rows=5)
    DailyUsage.objects.create(day=today - timedelta(days=2), resource_code=Codes.APPLY, key_prefix=key.prefix,
                              channel="api", calls=2, rows=24)
    DailyUsage.objects.create(day=today - timedelta(days=40), resource_code=Codes.APPLY, key_prefix=key.prefix,
                              channel="api", calls=9, rows=9)  # older than 30 days
    DailyUsage.objects.create(day=today, resource_code=Codes.OPEN, key_prefix="", channel="api", calls=50, rows=50)
    response = english(signed_client, "get", usage_url(key))
    assert response.status_code == 200
    text = response.content.decode()
    rows = re.findall(r"<tr>\s*<th scope=\"row\"><time datetime=\"([\d-]+)\">.*?</th>\s*<td>(.*?)</td>\s*"
                      r"<td class=\"zt-table__numeric\">(\d+)</td>\s*<td class=\"zt-table__numeric\">(\d+)</td>", text, re.S)
    assert [(day, Codes.OPEN in cell, Codes.APPLY in cell, calls, n) for day, cell, calls, n in rows] == [
        (today.isoformat(), True, False, "4", "305"),
        ((today - timedelta(days=2)).isoformat(), False, True, "2", "24"),
    ]
    assert "西湖区食品经营许可公示" in text
    assert "6 calls, 329 rows" in text
    assert "4 of 10000" in text


@pytest.mark.django_db
def test_the_home_page_explains_how_to_call(signed_client, open_world_unserved):
    text = signed_client.get(HOME).content.decode()
    assert "/api/v1/open/datasets/" in text and "/records?limit=10" in text
    assert 'Authorization: Key zto_xxxxxxxx_…' in text
    assert 'href="/api/docs/"' in text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_developer_creates_uses_and_revokes_a_key_in_the_browser(live_server, signed_in, axe, people):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = signed_in("developer")
    check_page = make_check_page(page, axe)

    def look(name: str) -> None:
        check_page(f"opendata-developer-{name}")
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    page.goto(live_server.url + HOME)
    assert page.locator("h1").inner_text() in ("开发者中心", "Developer centre")
    look("home-empty")
    page.locator("main a.zt-button").first.click()
    assert page.url == live_server.url + NEW
    look("new")
    page.locator("main button[type=submit]").click()  # no name: the error summary first
    assert page.locator(".zt-error-summary").count() == 1
    look("new-error")
    page.locator("#id_name").fill("数据可视化小程序")
    page.locator("main button[type=submit]").click()
    full_key = page.locator("[data-testid=full-key]").inner_text().strip()
    assert re.fullmatch(r"zto_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", full_key)
    key = DeveloperKey.objects.get()
    assert key.secret_hash == hashlib.sha256(full_key.encode()).hexdigest()
    look("created")

    page.goto(live_server.url + HOME)
    assert full_key not in page.content()
    assert key.prefix in page.locator("table").inner_text()
    look("home")
    page.goto(live_server.url + usage_url(key))
    look("usage")
    page.goto(live_server.url + revoke_url(key))
    look("revoke")
    page.locator("main form button[type=submit]").click()
    assert page.url == live_server.url + HOME
    assert DeveloperKey.objects.get(pk=key.pk).revoked_at is not None
    look("home-revoked")
