"""The licence pages (Django test client): the holder's wallet and 亮证 (a show code as a QR),
the public verification page, and the issuing department's workspace."""

import base64
import json

import pytest
from django.urls import reverse

from zhengtong.services.licences import services
from zhengtong.services.licences.models import Licence

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_totp")]

BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"


@pytest.fixture
def as_user(client, people):
    def sign_in(name: str):
        client.logout()
        client.force_login(people.user(name), backend=BACKEND)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return sign_in


def _verify(client, code: str) -> str:
    client.logout()
    return client.post(reverse("licences:verify"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_wallet_shows_only_mine_and_needs_sign_in(as_user, business_licence, client):
    client.logout()
    assert client.get(reverse("licences:wallet")).status_code == 302
    wallet = as_user("company").get(reverse("licences:wallet")).content.decode()
    assert business_licence.number in wallet and reverse("licences:detail", args=[business_licence.public_id]) in wallet
    other = as_user("citizen_a").get(reverse("licences:wallet")).content.decode()
    assert business_licence.number not in other


def test_another_holders_licence_is_not_found(as_user, business_licence):
    page = as_user("citizen_a")
    assert page.get(reverse("licences:detail", args=[business_licence.public_id])).status_code == 404
    assert page.post(reverse("licences:show", args=[business_licence.public_id])).status_code == 404


def test_show_renders_a_qr_that_verifies(as_user, business_licence, client):
    page = as_user("company")
    detail = page.get(reverse("licences:detail", args=[business_licence.public_id])).content.decode()
    assert "数据处理服务" in detail and "<svg" not in detail
    shown = page.post(reverse("licences:show", args=[business_licence.public_id])).content.decode()
    assert "<svg" in shown and "It expires at" in shown
    token = shown.split('id="show-token" rows="3" readonly>')[1].split("<")[0]
    result = _verify(client, token)
    assert "Valid" in result and "Not valid" not in result and "Show code signed by the platform" in result


def test_verify_by_number_is_public_and_masks_the_holder(client, business_licence):
    result = _verify(client, business_licence.number)
    assert "Not valid" not in result and "Valid" in result
    for check in ("Seal signature", "Ledger", "State", "Validity"):
        assert check in result
    assert "西湖区市场监督管理局" in result or business_licence.department.name in result
    assert _verify(client, "NO-SUCH-NUMBER").count("No licence has this number or id.") >= 1
    assert "Enter a licence number or scan a show code." in _verify(client, "")


def test_revoked_says_so_with_the_reason_and_tampered_token_is_refused(as_user, business_licence, client):
    page = as_user("company")
    shown = page.post(reverse("licences:show", args=[business_licence.public_id])).content.decode()
    token = shown.split('id="show-token" rows="3" readonly>')[1].split("<")[0]
    body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["exp"] += 3600  # a longer life, with the platform's signature over the old body
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    refused = _verify(client, f"{forged}.{signature}")
    assert "Not valid" in refused and "The show code was altered or not issued by this platform." in refused
    assert "This is not a licence show code." in _verify(client, "not.a-token")

    officer = as_user("sj_case")
    url = reverse("licences:workspace-act", args=[business_licence.public_id, "revoke"])
    officer.post(url, {"reason": ""})
    assert Licence.objects.get(pk=business_licence.pk).state == "active"
    officer.post(url, {"reason": "虚假登记"})
    assert Licence.objects.get(pk=business_licence.pk).state == "revoked"
    result = _verify(client, business_licence.number)
    assert "Not valid" in result and "The licence was revoked: 虚假登记" in result


def test_expired_token_says_so(as_user, business_licence, client, settings):
    settings.LICENCE_SHOW_TOKEN_SECONDS = 0
    shown = as_user("company").post(reverse("licences:show", args=[business_licence.public_id])).content.decode()
    token = shown.split('id="show-token" rows="3" readonly>')[1].split("<")[0]
    assert "The show code expired at" in _verify(client, token)


def test_verify_page_is_chinese_by_default(client, business_licence):
    client.logout()
    page = client.post(reverse("licences:verify"), {"code": business_licence.number}).content.decode()
    assert "有效" in page and "核验电子证照" in page
    # The licences' own words, not another module's translation of the same English label.
    assert "有效期" in page and "规范性" not in page


def test_workspace_lists_the_departments_licences_and_refuses_others(as_user, business_licence):
    page = as_user("sj_case").get(reverse("licences:workspace")).content.decode()
    assert business_licence.number in page and "Suspend" in page
    other = as_user("rs_case")
    assert business_licence.number not in other.get(reverse("licences:workspace")).content.decode()
    response = other.post(reverse("licences:workspace-act", args=[business_licence.public_id, "suspend"]),
                          {"reason": "x"}, follow=True)
    assert "Only the issuing department&#x27;s case officers" in response.content.decode()
    assert Licence.objects.get(pk=business_licence.pk).state == "active"
    officer = as_user("sj_case")
    officer.post(reverse("licences:workspace-act", args=[business_licence.public_id, "suspend"]), {"reason": "核查"})
    assert Licence.objects.get(pk=business_licence.pk).state == "suspended"
    officer.post(reverse("licences:workspace-act", args=[business_licence.public_id, "reinstate"]), {"reason": "已核实"})
    assert Licence.objects.get(pk=business_licence.pk).state == "active"


def test_staff_are_not_holders(as_user):
    assert as_user("sj_case").get(reverse("licences:wallet")).status_code == 403
    assert as_user("company").get(reverse("licences:workspace")).status_code == 302


def test_a_scanned_licence_qr_payload_verifies_and_an_altered_one_does_not(client, business_licence):
    payload = services.licence_payload(business_licence)
    assert "Not valid" not in _verify(client, json.dumps(payload, ensure_ascii=False))
    payload["fields"]["business_scope"] = "金融服务"
    altered = _verify(client, json.dumps(payload, ensure_ascii=False))
    assert "Not valid" in altered and "it was altered" in altered
    assert "No licence has this number or id." in _verify(client, "{not json")
