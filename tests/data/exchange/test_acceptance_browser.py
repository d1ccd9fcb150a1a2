"""The issue's acceptance journey, in Chromium, over a live server and real HTTP calls:

Xihu's human-resources bureau (department A) asks for two services in one basket; the public
security bureau (B) approves its household register (and, the service being 有条件共享, the
big-data bureau too); A's system calls the gateway and gets masked data; the citizen concerned
opens mydata and sees that call with its purpose; the citizen revokes a bank's authorization and the
bank's next call fails.
"""

import csv
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from tests.conftest import people_create
from zhengtong.data.exchange.models import RequestItem, SharingGrant, SharingRequest
from zhengtong.data.exchange.public import consent_give, service_publish
from zhengtong.data.ingest.public import load_run
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.public import actor_from_user
from zhengtong.kernel.ids.public import resident_id_check_char
from zhengtong.kernel.ledger.models import LedgerLeaf

from .conftest import HOUSEHOLD, MARKET, STAFF, SYSTEM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PURPOSE = "灵活就业人员社保补贴审核：核验申请人户籍"


def _resident_id(birth: str, sequence: str) -> str:
    body = f"330106{birth}{sequence}"
    return body + resident_id_check_char(body)


CITIZEN_ID = _resident_id("19850302", "024")
NEIGHBOUR_ID = _resident_id("19771211", "679")


@pytest.fixture
def people(departments):
    return people_create(STAFF, citizens={"wangfang": CITIZEN_ID})


@pytest.fixture
def household_published(directory, tmp_path):
    """The household register loaded (two people) and published to its sharing service."""
    path = tmp_path / "household.csv"
    rows = [
        {"resident_id": CITIZEN_ID, "name": "王芳", "gender": "女", "birth_date": "1985-03-02",
         "division_code": "330106", "address": "浙江省杭州市西湖区天目山路8号2幢302室", "mobile": "13805710024",
         "household_size": "3"},
        {"resident_id": NEIGHBOUR_ID, "name": "陈梅", "gender": "女", "birth_date": "1977-12-11",
         "division_code": "330106", "address": "浙江省杭州市西湖区文三路90号1幢101室", "mobile": "13905710679",
         "household_size": "2"},
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    load_run(actor=SYSTEM, resource_code=HOUSEHOLD, source=str(path))
    directory.household.refresh_from_db()
    service_publish(service_id=directory.household.pk)
    return directory




def _call(live_server, key: str, service: str, record_key: str) -> requests.Response:
    return requests.get(f"{live_server.url}/api/v1/share/{service}/records/{record_key}",
                        headers={"Authorization": f"ApiKey {key}", "X-Officer": "rs-clerk-07"}, timeout=30)


def test_basket_approval_masked_call_seen_in_mydata_and_a_revoked_authorization(
        live_server, signed_in, axe, people, departments, household_published):  # noqa: F811
    directory = household_published
    rs_system, rs_key = identity_services.api_client_create(
        name="西湖区就业补贴审核系统", department=departments["330106-RS"], scopes=[])
    bank, bank_key = identity_services.api_client_create(name="浙里贷（测试银行）", department=None, scopes=["consent"])

    # 1. A's data officer asks for the household register and the market register in one basket.
    page = signed_in("rs_data")
    check = make_check_page(page, axe)
    household, market = directory.household.code, directory.market.code
    page.goto(f"{live_server.url}/workspace/exchange/requests/new/?service={household}&service={market}")
    expect(page.locator("h1")).to_contain_text("申请")
    page.locator(f'input[name="{household}-include"]').check()
    for field in ("resident_id", "name", "address", "household_size"):
        page.locator(f'input[name="{household}-fields"][value="{field}"]').check()
    page.locator(f'input[name="{market}-include"]').check()
    for field in ("uscc", "name"):
        page.locator(f'input[name="{market}-fields"][value="{field}"]').check()
    page.locator('select[name="api_client"]').select_option(str(rs_system.id))
    page.locator('textarea[name="purpose"]').fill(PURPOSE)
    page.locator('input[name="legal_basis"]').fill("《社会保险法》第七十五条")
    page.locator('input[name="expires_on"]').fill((timezone.localdate() + timedelta(days=180)).isoformat())
    check("exchange-basket-new")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".zt-notification, [role=status]").first).to_contain_text("已提交")
    basket = SharingRequest.objects.get(api_client=rs_system)
    assert sorted(basket.items.values_list("service__code", flat=True)) == sorted([household, market])
    check("exchange-basket-submitted")

    # 2. B (public security, the household register's owner) approves its item; the big-data
    # bureau over Xihu then approves too (有条件共享). The market register's item stays pending.
    item = basket.items.get(service__code=household)
    for decider in ("ga_data", "xihu_dsj_admin"):
        page = signed_in(decider)
        check = make_check_page(page, axe)
        page.goto(f"{live_server.url}/workspace/exchange/requests/{basket.public_id}/")
        form = page.locator("form").filter(has=page.locator(f'input[name="item"][value="{item.public_id}"]'))
        form.locator('input[type="radio"][value="approve"]').check()
        form.locator("textarea").fill("同意，限用于社保补贴审核")
        check(f"exchange-decide-{decider}")
        form.locator("button[type=submit]").click()
        expect(page.locator("main")).to_contain_text("同意，限用于社保补贴审核")
    grant = SharingGrant.objects.get(item=item)
    assert grant.revoked_at is None and grant.purpose == PURPOSE
    assert RequestItem.objects.get(request=basket, service__code=market).status == "pending_owner"

    # 3. A's system calls the gateway: the record comes back masked.
    answer = _call(live_server, rs_key, household, CITIZEN_ID)
    assert answer.status_code == 200, answer.text
    values = answer.json()["values"]
    assert values["name"] == "王*"
    assert values["resident_id"] != CITIZEN_ID and values["resident_id"].startswith("3")
    assert values["address"].endswith("********")
    assert values["household_size"] in (3, "3")
    assert answer.headers["X-Correlation-Id"]
    logged = LedgerLeaf.objects.filter(kind="share.call").count()
    assert logged == 1

    # 4. The citizen opens mydata: the call is in the access log with its purpose and department.
    page = signed_in("wangfang")
    check = make_check_page(page, axe)
    page.goto(f"{live_server.url}/mydata/access/")
    log = page.locator("main")
    expect(log).to_contain_text(PURPOSE)
    expect(log).to_contain_text(departments["330106-RS"].name)
    expect(log).to_contain_text("户籍人口基本信息")
    check("exchange-acceptance-mydata-access")

    # 5. The citizen had authorized the bank; the bank reads; she revokes; the bank's next call fails.
    citizen_actor = actor_from_user(people.users["wangfang"])
    consent_give(actor=citizen_actor, api_client_id=bank.id, service_codes=[household], fields=["name", "household_size"],
                 purpose="个人住房贷款审批：核验家庭人口", expires_at=timezone.now() + timedelta(days=90))
    assert _call(live_server, bank_key, household, CITIZEN_ID).status_code == 200
    # …but only about her: her neighbour authorized nothing.
    refused = _call(live_server, bank_key, household, NEIGHBOUR_ID)
    assert refused.status_code == 403 and refused.json()["code"] == "consent_required"

    page.goto(f"{live_server.url}/mydata/authorizations/")
    expect(page.locator("main")).to_contain_text("浙里贷（测试银行）")
    check("exchange-acceptance-authorizations")
    page.get_by_role("link", name="撤销").first.click()
    check("exchange-acceptance-revoke-confirm")
    page.locator("main button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("已撤销")

    after = _call(live_server, bank_key, household, CITIZEN_ID)
    assert after.status_code == 403
    assert after.json()["code"] == "consent_revoked"
    assert LedgerLeaf.objects.filter(kind="share.refused").count() == 2
