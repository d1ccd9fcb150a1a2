"""The exchange's workspace pages: directory, service, basket, request and decisions, grants, usage.
Plain forms posted with the Django test client, as a browser without JavaScript would."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from zhengtong.data.exchange.models import ItemStatus, RequestItem, ShareCall, SharingGrant, SharingRequest
from zhengtong.data.exchange.services import ItemSpec, item_decide, request_submit
from zhengtong.kernel.events.models import WebhookSubscription

from .conftest import ledger

pytestmark = pytest.mark.django_db
MARKET = "ds-330106-sj-00001"
HOUSEHOLD = "ds-330106-ga-00001"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def login(client, people, name):
    client.force_login(people.users[name])
    return client


def submitted(people, systems) -> SharingRequest:
    return request_submit(
        actor=people.actor("rs_data"), api_client_id=systems.rs.id, purpose="社保待遇资格认证", legal_basis="《社会保险法》",
        expires_on=timezone.localdate() + timedelta(days=100),
        items=[ItemSpec(MARKET, ("uscc", "name", "legal_representative"), ("legal_representative",)),
               ItemSpec(HOUSEHOLD, ("resident_id", "name"))])


# --- directory and service ---------------------------------------------------------------------------


def test_the_directory_lists_services_and_filters_them(client, directory, people):
    login(client, people, "rs_clerk")
    body = text(client.get(reverse("exchange:directory"), **EN))
    assert "4 services" in body
    assert "市场主体登记信息 ds-330106-sj-00001 西湖区市场监督管理局 Shared unconditionally" in body
    assert "Request the chosen services" not in body  # a case officer does not request data
    body = text(client.get(reverse("exchange:directory"), {"share_type": "conditional"}, **EN))
    assert "2 services" in body and "户籍人口基本信息" in body and "市场主体登记信息" not in body
    body = text(client.get(reverse("exchange:directory"), {"q": "户籍"}, **EN))
    assert "1 service" in body


def test_the_directory_is_in_chinese_by_default_and_officers_choose_services(client, directory, people):
    login(client, people, "rs_data")
    response = client.get(reverse("exchange:directory"))
    body = text(response)
    assert "共享服务目录" in body and "无条件共享" in body
    assert 'name="service" value="ds-330106-sj-00001"' in response.content.decode()


def test_the_directory_is_for_staff_only(client, directory, people):
    response = client.get(reverse("exchange:directory"))
    assert response.status_code == 302 and "/account/staff/login/" in response["Location"]
    login(client, people, "citizen")
    assert client.get(reverse("exchange:directory")).status_code == 302


def test_a_service_page_shows_each_field_s_masking_and_the_openapi_link(client, directory, people):
    login(client, people, "rs_clerk")
    response = client.get(reverse("exchange:service", kwargs={"code": HOUSEHOLD}), **EN)
    body = text(response)
    assert "resident_id 公民身份号码 string Masked: the first 1 and last 2 characters are kept key" in body
    assert "gender 性别 string Shown as it is filter group by" in body
    assert "household_size 户内人数 integer Shown as it is sum and average" in body
    assert "the big-data bureau approves after the owner" in body
    assert "at least 10 records" in body
    assert f'href="/api/v1/share/{HOUSEHOLD}/openapi.json"' in response.content.decode()
    assert client.get(reverse("exchange:service", kwargs={"code": "ds-none"})).status_code == 404


# --- the basket --------------------------------------------------------------------------------------


def test_an_officer_asks_for_two_services_in_one_form(client, directory, systems, people):
    login(client, people, "rs_data")
    url = reverse("exchange:request-new") + f"?service={MARKET}&service={HOUSEHOLD}"
    page = client.get(url, **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="{MARKET}-include"' in html and f'name="{HOUSEHOLD}-scope"' in html
    assert "registry-person-include" not in html  # only the chosen services
    assert "社保待遇资格认证系统" in html and "旧社保系统" not in html  # switched-off systems are not offered
    response = client.post(url, {
        "shown": [MARKET, HOUSEHOLD],
        f"{MARKET}-include": "on", f"{MARKET}-fields": ["uscc", "name", "legal_representative"],
        f"{MARKET}-plain": ["legal_representative"], f"{MARKET}-scope": "",
        f"{HOUSEHOLD}-include": "on", f"{HOUSEHOLD}-fields": ["resident_id", "name"], f"{HOUSEHOLD}-scope": "33",
        "api_client": systems.rs.id, "purpose": "社保待遇资格认证", "legal_basis": "《社会保险法》第七十五条",
        "expires_on": (timezone.localdate() + timedelta(days=200)).isoformat(),
    })
    basket = SharingRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("exchange:request",
                                                                           kwargs={"public_id": basket.public_id})
    assert {(i.service.code, tuple(i.fields), tuple(i.clear_fields), i.row_scope) for i in basket.items.all()} == {
        (MARKET, ("uscc", "name", "legal_representative"), ("legal_representative",), "330106"),
        (HOUSEHOLD, ("resident_id", "name"), (), "33"),
    }


def test_a_bad_basket_shows_the_errors_next_to_the_fields_in_chinese_and_saves_nothing(client, directory, systems,
                                                                                       people):
    login(client, people, "rs_data")
    url = reverse("exchange:request-new") + f"?service={MARKET}"
    response = client.post(url, {
        "shown": [MARKET], f"{MARKET}-include": "on", f"{MARKET}-fields": [], f"{MARKET}-scope": "",
        "api_client": systems.rs.id, "purpose": "用途", "legal_basis": "依据",
        "expires_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_ds-330106-sj-00001-fields_error"' in html
    assert "请至少选择“市场主体登记信息”的一个字段。" in text(response)
    assert 'id="id_expires_on_error"' in html and "失效日期须晚于今天。" in text(response)
    assert not SharingRequest.objects.exists()


def test_every_problem_of_a_basket_is_shown_at_once(client, directory, systems, people):
    login(client, people, "rs_data")
    url = reverse("exchange:request-new") + f"?service={MARKET}"
    response = client.post(url, {"shown": [MARKET], f"{MARKET}-include": "on", "api_client": "", "purpose": " ",
                                 "legal_basis": "", "expires_on": ""}, **EN)
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("api_client", "purpose", "legal_basis", "expires_on", f"{MARKET}-fields"):
        assert f'id="id_{field}_error"' in html, field
    body = text(response)
    assert "State the purpose." in body and "Give the date the grants expire, such as 2027-06-30." in body
    assert not SharingRequest.objects.exists()


def test_a_basket_with_no_service_chosen_is_refused(client, directory, systems, people):
    login(client, people, "rs_data")
    response = client.post(reverse("exchange:request-new"), {
        "api_client": systems.rs.id, "purpose": "用途", "legal_basis": "依据",
        "expires_on": (timezone.localdate() + timedelta(days=10)).isoformat(),
    }, **EN)
    assert response.status_code == 400 and "Choose at least one service." in text(response)
    assert not SharingRequest.objects.exists()


def test_only_data_officers_open_the_basket(client, directory, people):
    login(client, people, "rs_clerk")
    assert client.get(reverse("exchange:request-new")).status_code == 403


# --- decisions ---------------------------------------------------------------------------------------


def test_the_owner_approves_on_the_request_page(client, directory, systems, people):
    basket = submitted(people, systems)
    market = basket.items.get(service__code=MARKET)
    login(client, people, "sj_data")
    url = reverse("exchange:request", kwargs={"public_id": basket.public_id})
    body = text(client.get(url, **EN))
    assert "Record the owner's decision" in body
    assert text(client.get(reverse("exchange:requests"), **EN)).count("市场主体登记信息") == 1
    response = client.post(url, {"item": str(market.public_id), f"item-{market.public_id}-decision": "approve",
                                 f"item-{market.public_id}-note": ""})
    assert response.status_code == 302
    market.refresh_from_db()
    assert market.status == ItemStatus.APPROVED and SharingGrant.objects.filter(item=market).exists()
    body = text(client.get(url, **EN))
    assert "See the grant" in body and "Record the owner's decision" not in body
    # A second click on the same decision changes nothing and says so.
    again = client.post(url, {"item": str(market.public_id), f"item-{market.public_id}-decision": "reject",
                              f"item-{market.public_id}-note": "改主意"}, follow=True, **EN)
    assert "“市场主体登记信息” is already decided." in text(again)
    market.refresh_from_db()
    assert market.status == ItemStatus.APPROVED and SharingGrant.objects.filter(item=market).count() == 1


def test_a_rejection_without_a_note_is_shown_next_to_the_note(client, directory, systems, people):
    basket = submitted(people, systems)
    household = basket.items.get(service__code=HOUSEHOLD)
    login(client, people, "ga_data")
    url = reverse("exchange:request", kwargs={"public_id": basket.public_id})
    response = client.post(url, {"item": str(household.public_id), f"item-{household.public_id}-decision": "reject"},
                           **EN)
    assert response.status_code == 400
    assert f'id="id_item-{household.public_id}-note_error"' in response.content.decode()
    household.refresh_from_db()
    assert household.status == ItemStatus.PENDING_OWNER and not ledger("share.item.decided")


def test_the_consumer_cannot_decide_and_strangers_cannot_see(client, directory, systems, people):
    basket = submitted(people, systems)
    market = basket.items.get(service__code=MARKET)
    url = reverse("exchange:request", kwargs={"public_id": basket.public_id})
    login(client, people, "rs_data")
    assert "Record the owner's decision" not in text(client.get(url, **EN))
    response = client.post(url, {"item": str(market.public_id), f"item-{market.public_id}-decision": "approve"})
    assert response.status_code == 403
    market.refresh_from_db()
    assert market.status == ItemStatus.PENDING_OWNER
    login(client, people, "nb_ga_data")
    assert client.get(url).status_code == 404


def test_the_bureau_decides_after_the_owner(client, directory, systems, people):
    basket = submitted(people, systems)
    household = basket.items.get(service__code=HOUSEHOLD)
    item_decide(actor=people.actor("ga_data"), item_id=household.public_id, approve=True)
    login(client, people, "xihu_dsj_admin")
    url = reverse("exchange:request", kwargs={"public_id": basket.public_id})
    assert "Record the bureau's decision" in text(client.get(url, **EN))
    client.post(url, {"item": str(household.public_id), f"item-{household.public_id}-decision": "approve"})
    household.refresh_from_db()
    assert household.status == ItemStatus.APPROVED


# --- grants ------------------------------------------------------------------------------------------


@pytest.fixture
def grant(directory, systems, people) -> SharingGrant:
    market = submitted(people, systems).items.get(service__code=MARKET)
    item_decide(actor=people.actor("sj_data"), item_id=market.public_id, approve=True)
    return SharingGrant.objects.get(item=market)


def test_the_grants_page_lists_held_and_given(client, grant, people):
    login(client, people, "rs_data")
    body = text(client.get(reverse("exchange:grants"), **EN))
    assert "Held by your department 1 grant" in body and "Given for your department's services 0 grants" in body
    assert "市场主体登记信息 西湖区市场监督管理局 社保待遇资格认证系统 uscc、name、legal_representative" in body
    assert "In force" in body
    login(client, people, "sj_data")
    body = text(client.get(reverse("exchange:grants"), **EN))
    assert "Held by your department 0 grants" in body and "Given for your department's services 1 grant" in body
    assert "市场主体登记信息 西湖区人力资源和社会保障局 社保待遇资格认证系统" in body


def test_the_holder_subscribes_and_sees_the_secret_once(client, grant, people):
    login(client, people, "rs_data")
    url = reverse("exchange:grant", kwargs={"public_id": grant.public_id})
    page = text(client.get(url, **EN))
    assert "Be told when the data changes" in page and "Change the grant" not in page
    response = client.post(url, {"action": "subscribe", "url": "https://rs.example.gov.cn/hooks"}, **EN)
    assert response.status_code == 200
    secret = re.search(r'id="webhook-secret">(whsec_[^<]+)<', response.content.decode()).group(1)
    assert secret
    grant.refresh_from_db()
    assert WebhookSubscription.objects.get(public_id=grant.webhook_subscription_id).active
    assert secret not in client.get(url).content.decode()
    bad = client.post(url, {"action": "subscribe", "url": "ftp://rs.example.gov.cn/"}, **EN)
    assert bad.status_code == 400 and WebhookSubscription.objects.count() == 1


def test_the_owner_narrows_and_revokes_on_the_grant_page(client, grant, people):
    login(client, people, "sj_data")
    url = reverse("exchange:grant", kwargs={"public_id": grant.public_id})
    expires = timezone.localtime(grant.expires_at).date().isoformat()
    response = client.post(url, {"action": "change", "fields_kept": ["uscc", "name"], "clear_kept": [],
                                 "expires_on": expires, "rate_limit_per_minute": "120"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.fields, grant.clear_fields, grant.rate_limit_per_minute) == (["uscc", "name"], [], 120)
    # Taking every field away is a revocation, not a change: the error is next to the fields.
    response = client.post(url, {"action": "change", "fields_kept": [], "expires_on": expires,
                                 "rate_limit_per_minute": "120"}, **EN)
    assert response.status_code == 400 and 'id="id_fields_kept_error"' in response.content.decode()
    assert "Keep at least one field; to take every field away, revoke the grant." in text(response)
    response = client.post(url, {"action": "revoke", "reason": ""}, **EN)
    assert response.status_code == 400
    grant.refresh_from_db()
    assert grant.revoked_at is None
    response = client.post(url, {"action": "revoke", "reason": "对方系统停用"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_reason == "对方系统停用"
    assert "Revoked" in text(client.get(url, **EN))


def test_the_consumer_may_not_change_the_grant(client, grant, people):
    login(client, people, "rs_data")
    url = reverse("exchange:grant", kwargs={"public_id": grant.public_id})
    response = client.post(url, {"action": "change", "fields_kept": ["uscc"], "expires_on": "2030-01-01",
                                 "rate_limit_per_minute": "1"})
    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.fields == ["uscc", "name", "legal_representative"]
    login(client, people, "nb_ga_data")
    assert client.get(url).status_code == 404


def test_the_usage_page_counts_calls(client, grant, people):
    for outcome in ("ok", "ok", "grant_expired"):
        ShareCall.objects.create(at=timezone.now(), correlation_id="x", service=grant.service,
                                 api_client_id=grant.api_client_id, department_id=grant.consumer_department_id,
                                 grant=grant, operation="record", fields=[], outcome=outcome,
                                 status_code=200 if outcome == "ok" else 403)
    login(client, people, "sj_data")
    body = text(client.get(reverse("exchange:meter"), **EN))
    assert "Answered 2 Refused 1" in body
    assert "市场主体登记信息 社保待遇资格认证系统 西湖区人力资源和社会保障局 2 1" in body
    login(client, people, "nb_ga_data")
    assert "No calls in this period." in text(client.get(reverse("exchange:meter"), **EN))
