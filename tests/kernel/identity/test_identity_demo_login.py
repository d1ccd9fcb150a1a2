"""The development-only demo sign-in: it must not exist when DEBUG is off, even if mounted."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import include, path
from django.utils import translation

from zhengtong.kernel.org.public import Role

# This module is also the URLconf of its tests: the site's URLs plus the dev URLs, mounted
# regardless of DEBUG, so the view's own DEBUG check is what is tested.
urlpatterns = [
    path("", include("zhengtong.urls")),
    path("dev/", include("zhengtong.kernel.identity.dev_urls")),
]

DEMO = "/dev/demo-login/"
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


def test_with_debug_off_the_page_is_not_found(client, settings, officer):
    settings.DEBUG = False

    assert client.get(DEMO).status_code == 404
    response = client.post(DEMO, {"account": str(officer.user.public_id)})

    assert response.status_code == 404
    assert SESSION_KEY not in client.session


def test_with_debug_on_it_lists_accounts_of_each_kind(client, settings, officer, citizen, company):
    settings.DEBUG = True

    response = client.get(DEMO)

    assert response.status_code == 200
    page = response.content.decode()
    assert "王芳" in page
    with translation.override("zh-hans"):
        roles = f"{Role.CASE_OFFICER.label}、{Role.WINDOW_OFFICER.label}"
    assert f"西湖区市场监督管理局 · {roles}" in page
    assert "张三丰" in page
    assert "杭州示例科技有限公司" in page
    # Even here resident ID numbers are not printed.
    assert citizen.resident_id not in page
    # The legal representative has no login, so is not offered.
    assert "李四" not in page
    assert page.count('name="account"') == 3


def test_with_debug_on_an_officer_is_signed_in_and_otp_verified(client, settings, officer):
    settings.DEBUG = True

    response = client.post(DEMO, {"account": str(officer.user.public_id)})

    assert response.status_code == 302
    assert response["Location"] == "/workspace/"
    assert client.session[SESSION_KEY] == str(officer.user.pk)
    assert client.get("/workspace/").status_code == 200


def test_with_debug_on_a_citizen_lands_on_the_portal(client, settings, citizen):
    settings.DEBUG = True

    response = client.post(DEMO, {"account": str(citizen.user.public_id)})

    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(citizen.user.pk)


@pytest.mark.parametrize("account", ["00000000-0000-0000-0000-000000000000", "not-a-uuid", ""])
def test_an_unknown_account_is_not_found(client, settings, citizen, account):
    settings.DEBUG = True

    response = client.post(DEMO, {"account": account})

    assert response.status_code == 404
    assert SESSION_KEY not in client.session
