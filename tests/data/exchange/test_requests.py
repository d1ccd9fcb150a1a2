"""Baskets (一揽子申请), decisions by the owner and the big-data bureau, grants and their changes."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhengtong.data.exchange import selectors
from zhengtong.data.exchange.models import (
    ItemStatus,
    RequestItem,
    RequestStatus,
    ShareCall,
    SharingGrant,
    SharingRequest,
    SharingService,
)
from zhengtong.data.exchange.services import (
    ItemSpec,
    grant_change,
    grant_revoke,
    grant_subscribe,
    grant_subscriptions_expire,
    item_decide,
    request_submit,
)
from zhengtong.kernel.events.models import WebhookDelivery, WebhookSubscription
from zhengtong.kernel.events.public import publish
from zhengtong.kernel.ledger.models import LedgerLeaf

from .conftest import ledger

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MARKET = "ds-330106-sj-00001"
HOUSEHOLD = "ds-330106-ga-00001"


def today() -> date:
    return timezone.localdate(timezone=SHANGHAI)


def basket(**changes) -> list[ItemSpec]:
    return changes.pop("items", None) or [
        ItemSpec(MARKET, ("name", "uscc", "legal_representative"), ("legal_representative",)),
        ItemSpec(HOUSEHOLD, ("resident_id", "name", "gender"), (), "330100"),
    ]


def submit(people, systems, user="rs_data", **changes) -> SharingRequest:
    arguments = dict(api_client_id=systems.rs.id, purpose="社保待遇资格认证", legal_basis="《社会保险法》第七十五条",
                     expires_on=today() + timedelta(days=365), items=basket(**changes))
    arguments.update(changes)
    return request_submit(actor=people.actor(user), **arguments)


def item(request: SharingRequest, code: str) -> RequestItem:
    return request.items.get(service__code=code)


def nothing_saved():
    assert SharingRequest.objects.count() == 0
    assert RequestItem.objects.count() == 0
    assert SharingGrant.objects.count() == 0
    assert not LedgerLeaf.objects.filter(kind__startswith="share.").exists()


# --- submitting a basket ---------------------------------------------------------------------------


def test_a_basket_of_two_services_is_submitted_and_logged(directory, systems, people):
    request = submit(people, systems)
    assert request.status == RequestStatus.SUBMITTED and request.submitted_at is not None
    assert request.consumer_department.code == "330106-RS" and request.api_client == systems.rs
    assert request.requested_by == people.users["rs_data"]
    market, household = item(request, MARKET), item(request, HOUSEHOLD)
    # Fields in the service's order whatever the order asked; the default scope is the requester's county.
    assert (market.fields, market.clear_fields, market.row_scope) == (
        ["uscc", "name", "legal_representative"], ["legal_representative"], "330106")
    assert (market.status, market.needs_bureau) == (ItemStatus.PENDING_OWNER, False)
    assert (household.fields, household.row_scope, household.needs_bureau) == (
        ["resident_id", "name", "gender"], "3301", True)
    [(subject, actor, payload)] = ledger("share.request.submitted")
    assert subject == str(request.public_id) and actor == f"staff:{people.users['rs_data'].id}"
    assert payload["purpose"] == "社保待遇资格认证" and payload["api_client"] == str(systems.rs.public_id)
    assert [(i["service"], i["row_scope"]) for i in payload["items"]] == [(MARKET, "330106"), (HOUSEHOLD, "3301")]


def test_every_row_may_be_asked_for(directory, systems, people):
    request = submit(people, systems, items=[ItemSpec(MARKET, ("name",), (), "*"),
                                             ItemSpec("registry-company", ("uscc", "name"), (), "33")])
    assert item(request, MARKET).row_scope == ""
    assert item(request, "registry-company").row_scope == "33"


def test_only_a_department_s_data_officers_submit_baskets(directory, systems, people):
    with pytest.raises(PermissionDenied):
        submit(people, systems, user="rs_clerk")
    with pytest.raises(PermissionDenied):
        request_submit(actor=people.actor("citizen"), api_client_id=systems.rs.id, purpose="x", legal_basis="y",
                       expires_on=today() + timedelta(days=3), items=basket())
    nothing_saved()


def _errors(error: ValidationError) -> dict[str, list[str]]:
    return {key: [str(m) for m in messages] for key, messages in error.message_dict.items()}


@pytest.mark.parametrize("changes, key, message", [
    (lambda s: {"api_client_id": s.ga.id}, "api_client_id", "Choose one of your department's systems."),
    (lambda s: {"api_client_id": s.bank.id}, "api_client_id", "Choose one of your department's systems."),
    (lambda s: {"api_client_id": 999999}, "api_client_id", "Choose one of your department's systems."),
    (lambda s: {"api_client_id": s.rs_old.id}, "api_client_id",
     "The system “旧社保系统” is switched off: its key no longer works."),
    (lambda s: {"purpose": "  "}, "purpose", "State the purpose."),
    (lambda s: {"legal_basis": ""}, "legal_basis", "State the legal basis."),
    (lambda s: {"purpose": "用" * 501}, "purpose", "The purpose is too long: at most 500 characters."),
    (lambda s: {"expires_on": today()}, "expires_on", "The expiry date must be after today."),
    (lambda s: {"expires_on": today() - timedelta(days=1)}, "expires_on", "The expiry date must be after today."),
    (lambda s: {"expires_on": today() + timedelta(days=3 * 366 + 1)}, "expires_on", "Grants last at most 3 years"),
    (lambda s: {"items": []}, "items", "Choose at least one service."),
    (lambda s: {"items": [ItemSpec(MARKET, ("name",))] * 21}, "items", "A basket holds at most 20 services; you chose 21."),
    (lambda s: {"items": [ItemSpec(MARKET, ("name",)), ItemSpec(MARKET, ("uscc",))]}, "items",
     f"Each service goes in a basket once: {MARKET} is there more than once."),
    (lambda s: {"items": [ItemSpec("ds-nothing", ("name",))]}, "items.ds-nothing",
     "There is no sharing service “ds-nothing” in the directory."),
    (lambda s: {"items": [ItemSpec(MARKET, ())]}, f"items.{MARKET}.fields",
     "Choose at least one field of “市场主体登记信息”."),
    (lambda s: {"items": [ItemSpec(MARKET, ("name", "salary", "religion"))]}, f"items.{MARKET}.fields",
     "“市场主体登记信息” has no field(s) salary、religion."),
    (lambda s: {"items": [ItemSpec(MARKET, ("name",), ("legal_representative",))]}, f"items.{MARKET}.clear_fields",
     "Unmasked values can only be asked for fields you ask for: legal_representative is not among them."),
    (lambda s: {"items": [ItemSpec(MARKET, ("name",), (), "9999")]}, f"items.{MARKET}.row_scope",
     "“9999” is not a division code: give one such as 330100 (Hangzhou) or 330106."),
    (lambda s: {"items": [ItemSpec(MARKET, ("name",), (), "西湖区")]}, f"items.{MARKET}.row_scope",
     "“西湖区” is not a division code: give one such as 330100 (Hangzhou) or 330106."),
])
def test_each_bad_input_is_refused_with_its_message_and_nothing_is_saved(directory, systems, people, english,
                                                                          changes, key, message):
    with pytest.raises(ValidationError) as refused:
        submit(people, systems, **changes(systems))
    errors = _errors(refused.value)
    assert key in errors, errors
    assert any(m.startswith(message) for m in errors[key]), errors[key]
    nothing_saved()


def test_an_inactive_service_cannot_be_asked_for(directory, systems, people, english):
    SharingService.objects.filter(code=HOUSEHOLD).update(is_active=False)  # as directory_sync leaves it
    with pytest.raises(ValidationError) as refused:
        submit(people, systems)
    assert list(_errors(refused.value)) == [f"items.{HOUSEHOLD}"]
    nothing_saved()


def test_several_problems_are_reported_together(directory, systems, people, english):
    with pytest.raises(ValidationError) as refused:
        submit(people, systems, purpose="", expires_on=today(),
               items=[ItemSpec(MARKET, ("nope",)), ItemSpec(HOUSEHOLD, ("name",), (), "abc")])
    assert set(_errors(refused.value)) == {"purpose", "expires_on", f"items.{MARKET}.fields",
                                           f"items.{HOUSEHOLD}.row_scope"}
    nothing_saved()


def test_messages_are_in_chinese_by_default(directory, systems, people):
    with pytest.raises(ValidationError) as refused:
        submit(people, systems, purpose="", items=[ItemSpec(MARKET, ("nope",))])
    errors = _errors(refused.value)
    assert errors["purpose"] == ["请说明用途。"]
    assert errors[f"items.{MARKET}.fields"] == ["“市场主体登记信息”没有字段 nope。"]


# --- decisions -------------------------------------------------------------------------------------


def test_the_owner_approves_an_unconditional_service_and_the_grant_is_made(directory, systems, people):
    request = submit(people, systems)
    market = item(request, MARKET)
    decided = item_decide(actor=people.actor("sj_data"), item_id=market.public_id, approve=True)
    assert decided.status == ItemStatus.APPROVED and decided.owner_decided_by == people.users["sj_data"]
    grant = SharingGrant.objects.get(item=market)
    assert (grant.service.code, grant.api_client, grant.consumer_department.code) == (MARKET, systems.rs, "330106-RS")
    assert (grant.fields, grant.clear_fields, grant.row_scope) == (
        ["uscc", "name", "legal_representative"], ["legal_representative"], "330106")
    assert (grant.purpose, grant.legal_basis, grant.rate_limit_per_minute) == (
        "社保待遇资格认证", "《社会保险法》第七十五条", 600)
    assert grant.expires_at == datetime.combine(request.expires_on, datetime.min.time(), SHANGHAI) + timedelta(
        hours=23, minutes=59, seconds=59)
    [(subject, actor, payload)] = ledger("share.item.decided")
    assert subject == str(market.public_id) and (payload["step"], payload["approved"]) == ("owner", True)
    [(subject, _actor, payload)] = ledger("share.grant.created")
    assert subject == str(grant.public_id) and payload["fields"] == grant.fields
    assert grant.ledger_leaf == LedgerLeaf.objects.get(kind="share.grant.created").public_id
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED  # the household item is still pending


def test_a_conditional_service_needs_the_owner_then_the_bureau(directory, systems, people):
    request = submit(people, systems)
    household = item(request, HOUSEHOLD)
    item_decide(actor=people.actor("ga_data"), item_id=household.public_id, approve=True, note="同意，限西湖区")
    household.refresh_from_db()
    assert household.status == ItemStatus.PENDING_BUREAU and household.owner_note == "同意，限西湖区"
    assert not SharingGrant.objects.exists()
    # Ningbo's bureau does not govern Xihu's public security bureau.
    with pytest.raises(PermissionDenied):
        item_decide(actor=people.actor("nb_dsj_admin"), item_id=household.public_id, approve=True)
    item_decide(actor=people.actor("xihu_dsj_admin"), item_id=household.public_id, approve=True)
    household.refresh_from_db()
    assert household.status == ItemStatus.APPROVED and household.bureau_decided_by == people.users["xihu_dsj_admin"]
    assert SharingGrant.objects.get().item == household
    assert [p["step"] for _s, _a, p in ledger("share.item.decided")] == ["owner", "bureau"]


def test_the_province_s_bureau_covers_every_department(directory, systems, people):
    household = item(submit(people, systems), HOUSEHOLD)
    item_decide(actor=people.actor("ga_data"), item_id=household.public_id, approve=True)
    item_decide(actor=people.actor("zj_dsj_admin"), item_id=str(household.public_id), approve=True)
    assert SharingGrant.objects.filter(item=household).exists()


def test_the_bureau_step_is_never_the_owner_decider_s(directory, systems, people):
    # A big-data administrator of the owning department decides the owner's step; the bureau's step
    # must be someone else's even though their division covers it.
    household = item(submit(people, systems), HOUSEHOLD)
    item_decide(actor=people.actor("ga_admin"), item_id=household.public_id, approve=True)
    with pytest.raises(PermissionDenied):
        item_decide(actor=people.actor("ga_admin"), item_id=household.public_id, approve=True)
    household.refresh_from_db()
    assert household.status == ItemStatus.PENDING_BUREAU
    assert selectors.items_awaiting(actor=people.actor("ga_admin")).count() == 0


@pytest.mark.parametrize("user", ["rs_data", "nb_ga_data", "xihu_dsj_admin", "sj_data", "rs_clerk"])
def test_only_the_owning_department_decides_first(directory, systems, people, user):
    request = submit(people, systems)
    household = item(request, HOUSEHOLD)
    with pytest.raises(PermissionDenied):
        item_decide(actor=people.actor(user), item_id=household.public_id, approve=True)
    household.refresh_from_db()
    assert household.status == ItemStatus.PENDING_OWNER and household.owner_decided_by is None
    assert not SharingGrant.objects.exists() and not ledger("share.item.decided")


def test_a_rejection_needs_a_note_and_makes_no_grant(directory, systems, people, english):
    request = submit(people, systems)
    market = item(request, MARKET)
    with pytest.raises(ValidationError) as refused:
        item_decide(actor=people.actor("sj_data"), item_id=market.public_id, approve=False, note="  ")
    assert _errors(refused.value) == {"note": ["Say why the request is rejected: the requesting department sees it."]}
    market.refresh_from_db()
    assert market.status == ItemStatus.PENDING_OWNER and not ledger("share.item.decided")
    item_decide(actor=people.actor("sj_data"), item_id=market.public_id, approve=False, note="用途与字段不符")
    market.refresh_from_db()
    assert (market.status, market.owner_note) == (ItemStatus.REJECTED, "用途与字段不符")
    assert not SharingGrant.objects.exists()
    # The bureau rejects the other; then the whole basket is decided.
    household = item(request, HOUSEHOLD)
    item_decide(actor=people.actor("ga_data"), item_id=household.public_id, approve=True)
    item_decide(actor=people.actor("xihu_dsj_admin"), item_id=household.public_id, approve=False, note="超出必要范围")
    request.refresh_from_db()
    assert request.status == RequestStatus.DECIDED and request.decided_at is not None
    assert not SharingGrant.objects.exists()


def test_a_decided_item_is_not_decided_again(directory, systems, people, english):
    market = item(submit(people, systems), MARKET)
    item_decide(actor=people.actor("sj_data"), item_id=market.public_id, approve=True)
    with pytest.raises(ValidationError) as refused:
        item_decide(actor=people.actor("sj_data"), item_id=market.public_id, approve=False, note="改主意")
    assert refused.value.messages == ["This request is already decided: Approved."]
    assert SharingGrant.objects.count() == 1 and len(ledger("share.item.decided")) == 1


def test_an_unknown_item_is_not_found(directory, people):
    with pytest.raises(RequestItem.DoesNotExist):
        item_decide(actor=people.actor("sj_data"), item_id="00000000-0000-0000-0000-000000000000", approve=True)
    with pytest.raises(RequestItem.DoesNotExist):
        item_decide(actor=people.actor("sj_data"), item_id="not-a-uuid", approve=True)


def test_a_request_whose_expiry_passed_while_waiting_is_not_approved(directory, systems, people, english):
    request = submit(people, systems)
    # The decision came too late: the date the grants would end is already behind us.
    SharingRequest.objects.filter(pk=request.pk).update(expires_on=today() - timedelta(days=1))
    market = item(request, MARKET)
    with pytest.raises(ValidationError) as refused:
        item_decide(actor=people.actor("sj_data"), item_id=market.public_id, approve=True)
    assert "has passed" in refused.value.messages[0]
    market.refresh_from_db()
    assert market.status == ItemStatus.PENDING_OWNER and not SharingGrant.objects.exists()


# --- what each desk sees ---------------------------------------------------------------------------


def test_each_desk_sees_its_own_queue_and_requests(directory, systems, people):
    request = submit(people, systems)
    assert [i.service.code for i in selectors.items_awaiting(actor=people.actor("sj_data"))] == [MARKET]
    assert [i.service.code for i in selectors.items_awaiting(actor=people.actor("ga_data"))] == [HOUSEHOLD]
    assert list(selectors.items_awaiting(actor=people.actor("xihu_dsj_admin"))) == []
    assert list(selectors.items_awaiting(actor=people.actor("rs_data"))) == []
    item_decide(actor=people.actor("ga_data"), item_id=item(request, HOUSEHOLD).public_id, approve=True)
    assert [i.service.code for i in selectors.items_awaiting(actor=people.actor("xihu_dsj_admin"))] == [HOUSEHOLD]
    assert [i.service.code for i in selectors.items_awaiting(actor=people.actor("zj_dsj_admin"))] == [HOUSEHOLD]
    assert list(selectors.items_awaiting(actor=people.actor("nb_dsj_admin"))) == []
    mine = selectors.requests_mine(actor=people.actor("rs_clerk"))
    assert [(r.item_count, r.pending_count) for r in mine] == [(2, 2)]
    for user in ("rs_clerk", "sj_data", "ga_data", "xihu_dsj_admin", "zj_dsj_admin"):
        assert selectors.access_request(actor=people.actor(user), public_id=request.public_id) == request
    for user in ("nb_ga_data", "nb_dsj_admin"):
        with pytest.raises(SharingRequest.DoesNotExist):
            selectors.access_request(actor=people.actor(user), public_id=request.public_id)
    assert list(selectors.requests_mine(actor=people.actor("sj_data"))) == []


# --- grants ----------------------------------------------------------------------------------------


@pytest.fixture
def grant(directory, systems, people) -> SharingGrant:
    market = item(submit(people, systems), MARKET)
    item_decide(actor=people.actor("sj_data"), item_id=market.public_id, approve=True)
    return SharingGrant.objects.get(item=market)


def test_grant_lists(grant, people):
    assert list(selectors.grants_held(actor=people.actor("rs_clerk"))) == [grant]
    assert list(selectors.grants_given(actor=people.actor("sj_data"))) == [grant]
    assert list(selectors.grants_given(actor=people.actor("xihu_dsj_admin"))) == [grant]
    assert list(selectors.grants_given(actor=people.actor("rs_data"))) == []
    assert list(selectors.grants_held(actor=people.actor("sj_data"))) == []
    with pytest.raises(SharingGrant.DoesNotExist):
        selectors.access_grant(actor=people.actor("nb_ga_data"), public_id=grant.public_id)


def test_the_owner_narrows_a_grant(grant, people):
    changed = grant_change(actor=people.actor("sj_data"), grant_id=grant.public_id, fields=["uscc", "legal_representative"],
                           rate_limit_per_minute=60)
    assert (changed.fields, changed.clear_fields, changed.rate_limit_per_minute) == (
        ["uscc", "legal_representative"], ["legal_representative"], 60)
    changed = grant_change(actor=people.actor("sj_data"), grant_id=grant.public_id, clear_fields=[])
    assert changed.clear_fields == []
    [(subject, _a, first), (_s, _a2, second)] = ledger("share.grant.changed")
    assert subject == str(grant.public_id)
    assert first["changes"] == {"fields": [["uscc", "name", "legal_representative"], ["uscc", "legal_representative"]],
                                "rate_limit_per_minute": [600, 60]}
    assert second["changes"] == {"clear_fields": [["legal_representative"], []]}
    later = timezone.now() + timedelta(days=30)
    assert grant_change(actor=people.actor("sj_data"), grant_id=grant.public_id, expires_at=later).expires_at == later


@pytest.mark.parametrize("changes, key", [
    ({"fields": ["uscc", "kind"]}, "fields"),
    ({"fields": []}, "fields"),
    ({"clear_fields": ["name"]}, "clear_fields"),
    ({"rate_limit_per_minute": 0}, "rate_limit_per_minute"),
    ({"rate_limit_per_minute": 10**6}, "rate_limit_per_minute"),
    ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expires_at"),
    ({"expires_at": timezone.now() + timedelta(days=4 * 365)}, "expires_at"),
])
def test_a_grant_is_never_widened_and_bad_changes_change_nothing(grant, people, changes, key):
    before = SharingGrant.objects.filter(pk=grant.pk).values().get()
    with pytest.raises(ValidationError) as refused:
        grant_change(actor=people.actor("sj_data"), grant_id=grant.public_id, **changes)
    assert list(refused.value.message_dict) == [key]
    assert SharingGrant.objects.filter(pk=grant.pk).values().get() == before
    assert not ledger("share.grant.changed")


def test_a_change_that_changes_nothing_is_refused(grant, people):
    with pytest.raises(ValidationError):
        grant_change(actor=people.actor("sj_data"), grant_id=grant.public_id, fields=list(grant.fields))
    assert not ledger("share.grant.changed")


@pytest.mark.parametrize("user", ["rs_data", "xihu_dsj_admin", "nb_ga_data"])
def test_only_the_owner_changes_a_grant(grant, people, user):
    with pytest.raises(PermissionDenied):
        grant_change(actor=people.actor(user), grant_id=grant.public_id, rate_limit_per_minute=1)
    grant.refresh_from_db()
    assert grant.rate_limit_per_minute == 600


def test_revoking_takes_effect_at_once_and_switches_the_subscription_off(grant, people):
    created = grant_subscribe(actor=people.actor("rs_data"), grant_id=grant.public_id, url="https://rs.example.gov.cn/hook")
    assert created.secret.startswith("whsec_")
    assert created.subscription.events == ("share.ds_330106_sj_00001.changed",)
    grant.refresh_from_db()
    assert grant.webhook_subscription_id == created.subscription.id
    subscription = WebhookSubscription.objects.get(public_id=created.subscription.id)
    assert subscription.active and subscription.department_id == grant.consumer_department_id
    # A change of the service reaches the subscriber (一处变更、全网同步).
    publish("share.ds_330106_sj_00001.changed", {"service": MARKET, "version": 2, "records": 3})
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 1

    revoked = grant_revoke(actor=people.actor("sj_data"), grant_id=grant.public_id, reason="系统未通过安全评估")
    assert revoked.revoked_at is not None and revoked.revoked_by == people.users["sj_data"]
    assert revoked.revoked_reason == "系统未通过安全评估"
    subscription.refresh_from_db()
    assert not subscription.active
    [(subject, _a, payload)] = ledger("share.grant.revoked")
    assert subject == str(grant.public_id) and (payload["by"], payload["reason"]) == ("owner", "系统未通过安全评估")
    assert ledger("share.grant.subscribed")[0][2]["subscription"] == str(created.subscription.id)


def test_revocation_needs_a_reason_and_happens_once(grant, people):
    with pytest.raises(ValidationError):
        grant_revoke(actor=people.actor("sj_data"), grant_id=grant.public_id, reason=" ")
    grant.refresh_from_db()
    assert grant.revoked_at is None and not ledger("share.grant.revoked")
    grant_revoke(actor=people.actor("rs_data"), grant_id=grant.public_id, reason="业务系统下线，不再需要")
    assert ledger("share.grant.revoked")[0][2]["by"] == "consumer"
    with pytest.raises(ValidationError):
        grant_revoke(actor=people.actor("sj_data"), grant_id=grant.public_id, reason="再次撤销")
    assert len(ledger("share.grant.revoked")) == 1
    with pytest.raises(ValidationError):
        grant_change(actor=people.actor("sj_data"), grant_id=grant.public_id, rate_limit_per_minute=5)


def test_the_bureau_may_revoke_and_strangers_may_not(grant, people):
    for user in ("nb_ga_data", "nb_dsj_admin", "rs_clerk"):
        with pytest.raises(PermissionDenied):
            grant_revoke(actor=people.actor(user), grant_id=grant.public_id, reason="无权")
    grant.refresh_from_db()
    assert grant.revoked_at is None
    grant_revoke(actor=people.actor("xihu_dsj_admin"), grant_id=grant.public_id, reason="数据安全检查发现问题")
    assert ledger("share.grant.revoked")[0][2]["by"] == "bureau"


def test_only_the_grant_holder_subscribes_and_only_to_https(grant, people):
    with pytest.raises(PermissionDenied):
        grant_subscribe(actor=people.actor("sj_data"), grant_id=grant.public_id, url="https://sj.example.gov.cn/hook")
    with pytest.raises(ValidationError):
        grant_subscribe(actor=people.actor("rs_data"), grant_id=grant.public_id, url="http://rs.example.gov.cn/hook")
    grant.refresh_from_db()
    assert grant.webhook_subscription_id is None and not WebhookSubscription.objects.exists()
    assert not ledger("share.grant.subscribed")


def test_a_new_subscription_replaces_the_grant_s_old_one(grant, people):
    first = grant_subscribe(actor=people.actor("rs_data"), grant_id=grant.public_id, url="https://rs.example.gov.cn/a")
    second = grant_subscribe(actor=people.actor("rs_data"), grant_id=grant.public_id, url="https://rs.example.gov.cn/b")
    assert not WebhookSubscription.objects.get(public_id=first.subscription.id).active
    assert WebhookSubscription.objects.get(public_id=second.subscription.id).active


def test_the_subscriptions_of_expired_grants_are_switched_off_by_the_scheduled_job(grant, people):
    created = grant_subscribe(actor=people.actor("rs_data"), grant_id=grant.public_id, url="https://rs.example.gov.cn/h")
    assert grant_subscriptions_expire() == 0
    # The grant's end date has come (moved, rather than waiting for it).
    SharingGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert grant_subscriptions_expire() == 1
    assert not WebhookSubscription.objects.get(public_id=created.subscription.id).active
    assert grant_subscriptions_expire() == 0
    with pytest.raises(ValidationError):
        grant_subscribe(actor=people.actor("rs_data"), grant_id=grant.public_id, url="https://rs.example.gov.cn/h")


# --- the meter -------------------------------------------------------------------------------------


def _call(grant, outcome="ok", at=None, client=None, department=None):
    return ShareCall.objects.create(
        at=at or timezone.now(), correlation_id="c1", service=grant.service, api_client_id=(client or grant.api_client).id,
        department_id=department or grant.consumer_department_id, grant=grant, operation="record", fields=[],
        outcome=outcome, status_code=200 if outcome == "ok" else 403,
    )


def test_the_meter_counts_calls_per_day_consumer_and_service_within_scope(grant, people, systems):
    # The gateway writes these rows; here they are made directly.
    _call(grant)
    _call(grant)
    _call(grant, "field_not_granted")
    _call(grant, at=timezone.now() - timedelta(days=2))
    _call(grant, at=timezone.now() - timedelta(days=40))  # outside the 30 days shown
    _call(grant, client=systems.ga, department=systems.ga.department_id)
    rows = selectors.meter(actor=people.actor("sj_data"))
    assert [(r.service_code, r.api_client_name, r.ok, r.refused) for r in rows] == [
        (MARKET, "社保待遇资格认证系统", 2, 1),
        (MARKET, "公安人口系统", 1, 0),
        (MARKET, "社保待遇资格认证系统", 1, 0),
    ]
    assert rows[0].day == today() and rows[0].department_name == "西湖区人力资源和社会保障局" and rows[0].total == 3
    consumer = selectors.meter(actor=people.actor("rs_clerk"))
    assert [(r.api_client_name, r.ok, r.refused) for r in consumer] == [("社保待遇资格认证系统", 2, 1),
                                                                         ("社保待遇资格认证系统", 1, 0)]
    assert len(selectors.meter(actor=people.actor("xihu_dsj_admin"))) == 3
    assert selectors.meter(actor=people.actor("nb_ga_data")) == []
    assert selectors.meter(actor=people.actor("nb_dsj_admin")) == []
    assert len(selectors.meter(actor=people.actor("sj_data"), days=90)) == 4
