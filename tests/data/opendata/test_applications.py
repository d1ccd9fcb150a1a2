"""Applications for on-application data (有条件开放申请): submit, decide, withdraw — each refusal
changes nothing, each decision leaves its ledger entry in the same transaction."""

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.data.opendata.conftest import Codes
from zhengtong.data.opendata import services
from zhengtong.data.opendata.community_selectors import (
    access_application_for_decider,
    applications_for_decider,
    applications_of_user,
)
from zhengtong.data.opendata.models import OpenDataApplication, OpenDataset
from zhengtong.kernel.ledger.models import LedgerLeaf

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PURPOSE = "研究西湖区个体工商户的行业分布，用于硕士论文。"


def today() -> date:
    return services.china_today()


def dataset(code: str) -> OpenDataset:
    return OpenDataset.objects.get(resource_code=code)


def submit(people, name="developer", code=Codes.APPLY, **overrides) -> OpenDataApplication:
    arguments = dict(applicant_user=people.users[name], open_dataset=dataset(code), organisation="浙江大学",
                     purpose=PURPOSE, requested_until=today() + timedelta(days=90), agreement_accepted=True)
    arguments.update(overrides)
    return services.application_submit(**arguments)


def decisions() -> list[dict]:
    return [{"subject": leaf.subject, "actor": leaf.actor, **json.loads(leaf.body)["payload"]}
            for leaf in LedgerLeaf.objects.filter(kind="opendata.application_decided").order_by("id")]


def snapshot() -> list[tuple]:
    return list(OpenDataApplication.objects.order_by("id").values_list(
        "status", "decided_by_id", "decision_reason", "expires_at"))


# --- submit -------------------------------------------------------------------------------------


def test_a_citizen_applies_and_the_agreement_is_kept(open_world_unserved, people):
    until = today() + timedelta(days=90)
    application = submit(people, requested_until=until)
    application.refresh_from_db()
    assert application.status == "pending"
    assert application.applicant_id == people.users["developer"].id
    assert application.dataset_id == dataset(Codes.APPLY).dataset_id
    assert application.organisation == "浙江大学"
    assert application.purpose == PURPOSE
    assert application.requested_until == until
    assert application.agreement_version == services.AGREEMENT_VERSION == "2026-1"
    assert application.agreement_accepted_at is not None
    assert (application.decided_by_id, application.decided_at, application.expires_at) == (None, None, None)
    assert [v.application.pk for v in applications_of_user(user_id=people.users["developer"].id)] == [application.pk]


def test_the_last_allowed_day_is_one_year_ahead(open_world_unserved, people):
    last = services.one_year_after(today())
    assert submit(people, requested_until=last).requested_until == last


@pytest.mark.parametrize(("overrides", "field"), [
    ({"purpose": "写论文用的数据"}, "purpose"),  # 7 characters
    ({"purpose": "   短   "}, "purpose"),
    ({"agreement_accepted": False}, "agreement_accepted"),
    ({"requested_until": None}, "requested_until"),
    ({"requested_until": "today"}, "requested_until"),
    ({"requested_until": "yesterday"}, "requested_until"),
    ({"requested_until": "a year and a day"}, "requested_until"),
    ({"organisation": "机" * 201}, "organisation"),
])
def test_bad_applications_are_refused_and_nothing_is_stored(open_world_unserved, people, overrides, field):
    days = {"today": today(), "yesterday": today() - timedelta(days=1),
            "a year and a day": services.one_year_after(today()) + timedelta(days=1)}
    if isinstance(overrides.get("requested_until"), str):
        overrides = {"requested_until": days[overrides["requested_until"]]}
    with pytest.raises(ValidationError) as refused:
        submit(people, **overrides)
    assert list(refused.value.message_dict) == [field]
    assert OpenDataApplication.objects.count() == 0


def test_a_dataset_open_to_everyone_needs_no_application(open_world_unserved, people):
    with pytest.raises(ValidationError) as refused:
        submit(people, code=Codes.OPEN)
    assert list(refused.value.message_dict) == ["__all__"]
    assert OpenDataApplication.objects.count() == 0


def test_staff_accounts_do_not_apply(open_world_unserved, people):
    with pytest.raises(PermissionDenied):
        submit(people, name="sj_data")
    assert OpenDataApplication.objects.count() == 0


def test_one_pending_application_per_person_and_dataset(open_world_unserved, people):
    first = submit(people)
    with pytest.raises(ValidationError) as refused:
        submit(people, purpose="另一个用途：统计街道的零售业户数。")
    assert refused.value.code == "pending"
    assert list(OpenDataApplication.objects.values_list("pk", flat=True)) == [first.pk]
    # Another person may apply for the same dataset; after a decision the person may apply again.
    submit(people, name="other")
    services.application_decide(actor=people.actor("sj_data"), application=first, approve=False, reason="用途不明确")
    again = submit(people)
    assert OpenDataApplication.objects.filter(applicant=people.users["developer"]).count() == 2
    assert again.status == "pending"


# --- decide -------------------------------------------------------------------------------------


def test_the_owners_data_officer_approves_until_the_end_of_the_day_in_shanghai(open_world_unserved, people):
    until = today() + timedelta(days=30)
    application = submit(people, requested_until=until)
    decided = services.application_decide(actor=people.actor("sj_data"), application=application, approve=True)
    decided.refresh_from_db()
    assert decided.status == "approved"
    assert decided.decided_by_id == people.users["sj_data"].id
    assert decided.decided_at is not None
    assert decided.decision_reason == ""
    assert decided.expires_at == datetime.combine(until, time(23, 59, 59), tzinfo=SHANGHAI)
    assert decisions() == [{
        "subject": "dataset:330106-SJ-00102", "actor": f"staff:{people.users['sj_data'].id}",
        "application": str(application.public_id), "approved": True,
        "applicant": f"user:{people.users['developer'].id}", "organisation": "浙江大学", "purpose": PURPOSE,
        "agreement_version": "2026-1", "requested_until": until.isoformat(),
        "expires_at": f"{until.isoformat()}T23:59:59+08:00", "reason": "",
        "department": people.users["sj_data"].staff_member.department_id,
    }]


def test_a_rejection_needs_a_reason(open_world_unserved, people):
    application = submit(people)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        services.application_decide(actor=people.actor("sj_data"), application=application, approve=False, reason=" ")
    assert list(refused.value.message_dict) == ["reason"]
    assert snapshot() == before
    assert decisions() == []
    services.application_decide(actor=people.actor("sj_data"), application=application, approve=False,
                                reason="用途与数据无关")
    application.refresh_from_db()
    assert (application.status, application.decision_reason, application.expires_at) == ("rejected", "用途与数据无关", None)
    assert [(d["approved"], d["reason"], d["expires_at"]) for d in decisions()] == [(False, "用途与数据无关", None)]


@pytest.mark.parametrize("name", ["xihu_dsj_admin", "zj_dsj_admin"])
def test_a_big_data_administrator_over_the_owner_decides(open_world_unserved, people, name):
    application = submit(people)
    services.application_decide(actor=people.actor(name), application=application, approve=True)
    application.refresh_from_db()
    assert application.status == "approved"
    assert application.decided_by_id == people.users[name].id
    assert [d["actor"] for d in decisions()] == [f"staff:{people.users[name].id}"]


@pytest.mark.parametrize("name", ["ga_data", "nb_ga_data", "sj_clerk", "other"])
def test_nobody_else_decides_and_nothing_changes(open_world_unserved, people, name):
    application = submit(people)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.application_decide(actor=people.actor(name), application=application, approve=True)
    assert snapshot() == before
    assert decisions() == []
    # Nor do they see it among the applications to decide.
    assert applications_for_decider(actor=people.actor(name)) == []
    with pytest.raises(PermissionDenied):
        access_application_for_decider(actor=people.actor(name), public_id=application.public_id)


def test_the_deciders_see_only_pending_applications_for_their_datasets(open_world_unserved, people):
    first = submit(people)
    second = submit(people, name="other")
    assert [v.application.pk for v in applications_for_decider(actor=people.actor("sj_data"))] == [first.pk, second.pk]
    services.application_decide(actor=people.actor("xihu_dsj_admin"), application=first, approve=True)
    assert [v.application.pk for v in applications_for_decider(actor=people.actor("sj_data"))] == [second.pk]
    assert [v.application.pk for v in applications_for_decider(actor=people.actor("sj_data"), status=None)] == [
        second.pk, first.pk]


def test_a_decided_application_is_not_decided_again(open_world_unserved, people):
    application = submit(people)
    services.application_decide(actor=people.actor("sj_data"), application=application, approve=True)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        services.application_decide(actor=people.actor("xihu_dsj_admin"), application=application, approve=False,
                                    reason="重复")
    assert refused.value.code == "decided"
    assert snapshot() == before
    assert len(decisions()) == 1


def test_a_period_that_has_ended_is_not_approved(open_world_unserved, people, monkeypatch):
    application = submit(people, requested_until=today() + timedelta(days=1))
    monkeypatch.setattr(services, "china_today", lambda: date.today() + timedelta(days=400))
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        services.application_decide(actor=people.actor("sj_data"), application=application, approve=True)
    assert refused.value.code == "expired"
    assert snapshot() == before
    assert decisions() == []


# --- withdraw -----------------------------------------------------------------------------------


def test_the_applicant_withdraws_a_pending_application(open_world_unserved, people):
    application = submit(people)
    with pytest.raises(PermissionDenied):
        services.application_withdraw(applicant_user=people.users["other"], application=application)
    assert snapshot() == [("pending", None, "", None)]
    services.application_withdraw(applicant_user=people.users["developer"], application=application)
    application.refresh_from_db()
    assert application.status == "withdrawn"
    # Withdrawn: nothing to decide, nothing to withdraw again.
    with pytest.raises(ValidationError):
        services.application_decide(actor=people.actor("sj_data"), application=application, approve=True)
    with pytest.raises(ValidationError):
        services.application_withdraw(applicant_user=people.users["developer"], application=application)
    assert snapshot() == [("withdrawn", None, "", None)]
    assert decisions() == []


def test_a_decided_application_cannot_be_withdrawn(open_world_unserved, people):
    application = submit(people)
    services.application_decide(actor=people.actor("sj_data"), application=application, approve=True)
    before = snapshot()
    with pytest.raises(ValidationError):
        services.application_withdraw(applicant_user=people.users["developer"], application=application)
    assert snapshot() == before


def test_the_agreement_reads_in_chinese_by_default_and_in_english_on_request():
    assert services.agreement_clauses("zh-hans")[0].startswith("数据以脱敏形式提供")
    assert services.agreement_clauses("en")[0].startswith("The data is delivered masked")
    assert len(services.agreement_clauses("zh-hans")) == len(services.agreement_clauses("en")) == 7
