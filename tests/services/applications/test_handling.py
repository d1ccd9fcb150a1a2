"""Handling: officers act on the tasks of the application's process — the window takes it in,
the department reviews and decides (收办分离); corrections go back to the applicant (补正) with a
20-working-day timer; overdue tasks are escalated (督办); the applicant may withdraw."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhengtong.kernel.calendar.public import add_working_days
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.applications import selectors, services
from zhengtong.services.applications.models import Application, ApplicationTask, Notice

from .conftest import act, events, fill_standard, open_task, pdf, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def ledger(kind: str) -> list[dict]:
    return [json.loads(leaf.body)["payload"] for leaf in LedgerLeaf.objects.filter(kind=kind).order_by("id")]


def tasks_of(application) -> list[tuple]:
    return list(ApplicationTask.objects.filter(application=application).order_by("created_at", "id").values_list(
        "spec_id", "role", "department__code", "state", "outcome"))


def frozen(application) -> tuple:
    application.refresh_from_db()
    return (application.state, application.workflow, application.corrections, tasks_of(application),
            Notice.objects.count(), len(events()))


def test_window_then_department_then_leader_approve(people, submitted):
    act(people, "window", submitted, "intake", "approve")
    submitted.refresh_from_db()
    assert submitted.state == "in_progress"
    review = open_task(submitted, "review")
    assert (review.role, review.department.code, review.due_on) == (
        "case_officer", "330106-RS", add_working_days(timezone.localdate(), 5))
    act(people, "rs_case", submitted, "review", "done")
    act(people, "rs_leader", submitted, "approve", "approve")
    submitted.refresh_from_db()
    assert submitted.state == "approved" and submitted.concluded_at is not None
    assert tasks_of(submitted) == [
        ("intake", "window_officer", "330106-BGT", "done", "approve"),
        ("review", "case_officer", "330106-RS", "done", "done"),
        ("approve", "leader", "330106-RS", "done", "approve"),
    ]
    assert ledger("application.decided") == [{
        "reference": submitted.reference, "state": "approved", "reason": "", "instant": False,
        "item": "330106-RS-001", "department": submitted.department_id}]
    assert [e["state"] for e in events("applications.concluded")] == ["approved"]
    assert Notice.objects.filter(user=people.users["citizen_a"]).first().title == (
        f"Application {submitted.reference}: Approved")
    timeline = selectors.application_timeline(actor=people.a, application_id=submitted.public_id)
    assert [(e.kind, e.title) for e in timeline] == [
        ("submitted", "Application submitted"), ("accepted", "窗口受理：passed"), ("task_done", "业务审核：done"),
        ("task_done", "审批决定：passed"), ("approved", "Approved")]
    assert timeline[1].actor_label == "Service centre window"


def test_a_rejection_needs_a_reason_and_ends_the_application(people, submitted):
    act(people, "window", submitted, "intake", "approve")
    before = frozen(submitted)
    with pytest.raises(ValidationError) as refused:
        act(people, "rs_case", submitted, "review", "reject")
    assert refused.value.message_dict == {
        "note": ["Say why: a rejection or a request for correction needs a note for the applicant."]}
    assert frozen(submitted) == before
    act(people, "rs_case", submitted, "review", "reject", note="离职原因与参保记录不符")
    submitted.refresh_from_db()
    assert (submitted.state, submitted.outcome_reason) == ("rejected", "离职原因与参保记录不符")
    assert ledger("application.decided")[0]["reason"] == "离职原因与参保记录不符"


def test_unknown_outcomes_are_refused(people, submitted):
    before = frozen(submitted)
    with pytest.raises(ValidationError) as refused:
        act(people, "window", submitted, "intake", "corrected")
    assert refused.value.message_dict == {"outcome": ["Choose approve, reject, correct or done, not “corrected”."]}
    assert frozen(submitted) == before


@pytest.mark.parametrize("who", ["rs_case", "sj_case", "binjiang_window", "ningbo_rs_case", "citizen_a", "rs_data"])
def test_only_the_window_of_the_service_centre_takes_it_in(people, submitted, who):
    before = frozen(submitted)
    with pytest.raises(PermissionDenied):
        act(people, who, submitted, "intake", "approve")
    assert frozen(submitted) == before


@pytest.mark.parametrize("who", ["sj_case", "binjiang_rs_case", "ningbo_rs_case", "window", "hz_rs_case", "rs_leader"])
def test_acting_on_an_application_of_another_department_is_refused(people, submitted, who):
    act(people, "window", submitted, "intake", "approve")
    before = frozen(submitted)
    with pytest.raises(PermissionDenied):
        act(people, who, submitted, "review", "done")
    assert frozen(submitted) == before


def test_a_task_done_once_cannot_be_done_again(people, submitted):
    task = open_task(submitted, "intake")
    services.task_act(actor=people.actor("window"), task_id=task.public_id, outcome="approve")
    before = frozen(submitted)
    with pytest.raises(ValidationError) as refused:
        services.task_act(actor=people.actor("window2"), task_id=task.public_id, outcome="reject", note="x")
    assert refused.value.message_dict == {"task": ["This task was done already."]}
    assert frozen(submitted) == before


def test_a_correction_goes_back_to_the_applicant_and_returns_to_the_window(people, submitted):
    act(people, "window", submitted, "intake", "correct", note="请补充解除劳动关系证明原件扫描件")
    submitted.refresh_from_db()
    assert (submitted.state, submitted.corrections) == ("correction", 1)
    task = open_task(submitted)
    assert (task.spec_id, task.role, task.department.code) == ("correction", "applicant", "330106-RS")
    assert [e["state"] for e in events("applications.correction_requested")] == ["correction"]
    notice = Notice.objects.filter(user=people.users["citizen_a"]).first()
    assert (notice.title, notice.body) == (f"Application {submitted.reference}: please correct it",
                                           "请补充解除劳动关系证明原件扫描件")
    # Nobody on the staff side has a task while the applicant corrects.
    assert list(selectors.task_queue(actor=people.actor("window"))) == []

    services.material_upload(actor=people.a, application_id=submitted.public_id, material_code="leaving_proof",
                             upload=pdf("原件扫描.pdf"))
    services.application_correct(actor=people.a, application_id=submitted.public_id,
                                 answers={"remarks": "已补充原件扫描件"})
    submitted.refresh_from_db()
    assert (submitted.state, submitted.answers["remarks"]) == ("submitted", "已补充原件扫描件")
    assert [t[0] for t in tasks_of(submitted)] == ["intake", "correction", "intake"]
    assert open_task(submitted).spec_id == "intake"
    assert ledger("application.corrected") == [{"reference": submitted.reference, "fields": ["remarks"],
                                                "corrections": 1}]
    assert [e["state"] for e in events("applications.resubmitted")] == ["submitted"]
    act(people, "window", submitted, "intake", "approve")
    act(people, "rs_case", submitted, "review", "approve")
    act(people, "rs_leader", submitted, "approve", "approve")
    submitted.refresh_from_db()
    assert submitted.state == "approved"


def test_a_correction_is_checked_like_a_submission(people, submitted):
    act(people, "window", submitted, "intake", "correct", note="离职日期有误")
    before = frozen(submitted)
    with pytest.raises(ValidationError) as refused:
        services.application_correct(actor=people.a, application_id=submitted.public_id,
                                     answers={"left_on": "28/02/2025", "resident_id": "110102199101010078"})
    assert refused.value.message_dict == {
        "left_on": ["“离职日期”: enter a date as YYYY-MM-DD, for example 2024-03-01"],
        "resident_id": ["“公民身份号码” comes from your real-name account and cannot be changed."]}
    with pytest.raises(PermissionDenied):
        services.application_correct(actor=people.b, application_id=submitted.public_id, answers={})
    assert frozen(submitted) == before


def test_a_correction_not_made_in_time_rejects_the_application(people, submitted):
    act(people, "window", submitted, "intake", "correct", note="请补充材料")
    assert services.applications_timers_fire(at=timezone.now() + timedelta(days=1)) == 0
    submitted.refresh_from_db()
    assert submitted.state == "correction"
    assert services.applications_timers_fire(at=timezone.now() + timedelta(days=60)) == 1
    submitted.refresh_from_db()
    assert (submitted.state, submitted.outcome_reason) == ("rejected", "逾期未补正，申请按不予受理处理")
    assert tasks_of(submitted)[-1] == ("correction", "applicant", "330106-RS", "cancelled", "")
    assert services.applications_timers_fire(at=timezone.now() + timedelta(days=90)) == 0


def test_overdue_tasks_are_escalated_once_and_the_department_above_may_act(people, submitted):
    act(people, "window", submitted, "intake", "approve")
    review = open_task(submitted, "review")
    assert services.tasks_escalate_overdue(today=review.due_on) == 0  # due today is not overdue
    later = review.due_on + timedelta(days=1)
    assert services.tasks_escalate_overdue(today=later) == 1
    review.refresh_from_db()
    assert review.escalated_to.code == "330100-RS" and review.escalated_at is not None
    assert services.tasks_escalate_overdue(today=later + timedelta(days=5)) == 0  # once
    leaders = {n.user_id for n in Notice.objects.filter(title__startswith="Overdue task escalated")}
    assert leaders == {people.users["rs_leader"].id, people.users["hz_rs_leader"].id}
    staff_timeline = selectors.application_timeline(actor=people.actor("rs_case"), application_id=submitted.public_id)
    assert staff_timeline[-1].kind == "escalated" and staff_timeline[-1].title == "Overdue: escalated to 杭州市人力资源和社会保障局"
    assert "escalated" not in [e.kind for e in selectors.application_timeline(actor=people.a,
                                                                              application_id=submitted.public_id)]
    assert [t.public_id for t in selectors.task_queue(actor=people.actor("hz_rs_case"))] == [review.public_id]
    assert [t.public_id for t in selectors.task_queue(actor=people.actor("hz_rs_leader"))] == [review.public_id]
    act(people, "hz_rs_case", submitted, "review", "done")
    assert open_task(submitted).spec_id == "approve"
    # Hangzhou's staff see the application they were escalated; Binjiang's do not.
    assert selectors.access_application(actor=people.actor("hz_rs_case"), application_id=submitted.public_id)
    with pytest.raises(PermissionDenied):
        selectors.access_application(actor=people.actor("binjiang_rs_case"), application_id=submitted.public_id)


def test_the_applicant_withdraws_with_a_reason(people, submitted):
    before = frozen(submitted)
    with pytest.raises(ValidationError) as refused:
        services.application_withdraw(actor=people.a, application_id=submitted.public_id, reason=" ")
    assert refused.value.message_dict == {"reason": ["Say why you withdraw the application."]}
    with pytest.raises(PermissionDenied):
        services.application_withdraw(actor=people.b, application_id=submitted.public_id, reason="不办了")
    assert frozen(submitted) == before
    services.application_withdraw(actor=people.a, application_id=submitted.public_id, reason="已找到新工作")
    submitted.refresh_from_db()
    assert (submitted.state, submitted.outcome_reason) == ("withdrawn", "已找到新工作")
    assert tasks_of(submitted) == [("intake", "window_officer", "330106-BGT", "cancelled", "")]
    assert [e["state"] for e in events("applications.concluded")] == ["withdrawn"]
    assert ledger("application.withdrawn")[0]["reason"] == "已找到新工作"
    with pytest.raises(ValidationError):
        services.application_withdraw(actor=people.a, application_id=submitted.public_id, reason="再撤一次")


def test_parallel_reviews_are_both_done_before_the_leader(people, platform, catalogue):
    actor = people.a
    draft = services.draft_start(actor=actor, implementation_id=catalogue.parallel.public_id)
    services.draft_answer(actor=actor, application_id=draft.public_id, answers={"hospital": "浙江大学医学院附属第一医院"})
    services.material_upload(actor=actor, application_id=draft.public_id, material_code="qualification", upload=pdf())
    application = submit(people, draft)
    act(people, "window", application, "intake", "approve")
    assert sorted(t[0] for t in tasks_of(application) if t[3] == "open") == ["review_materials", "review_site"]
    act(people, "wj_case", application, "review_site", "approve")
    act(people, "wj_case", application, "review_materials", "approve")
    act(people, "wj_leader", application, "approve", "approve")
    application.refresh_from_db()
    assert application.state == "approved"


def test_task_queues_hold_the_tasks_of_the_actor_s_roles_and_department(people, submitted, catalogue):
    other = submit(people, fill_standard(people, catalogue, "citizen_b", fetch=False), who="citizen_b")
    assert [t.application_id for t in selectors.task_queue(actor=people.actor("window"))] == [
        submitted.pk, other.pk]
    assert list(selectors.task_queue(actor=people.actor("rs_case"))) == []
    act(people, "window", submitted, "intake", "approve")
    assert [t.spec_id for t in selectors.task_queue(actor=people.actor("rs_case"))] == ["review"]
    assert list(selectors.task_queue(actor=people.actor("sj_case"))) == []
    assert list(selectors.task_queue(actor=people.actor("binjiang_window"))) == []
    assert [t.spec_id for t in selectors.task_queue(actor=people.actor("window"), state="done")] == ["intake"]
    with pytest.raises(PermissionDenied):
        selectors.task_queue(actor=people.a)


def test_applicants_see_their_own_applications_only(people, submitted, catalogue):
    draft = services.draft_start(actor=people.b, implementation_id=catalogue.standard.public_id)
    assert list(selectors.application_list_mine(actor=people.a)) == [submitted]
    assert list(selectors.application_list_mine(actor=people.b)) == [draft]
    assert list(selectors.application_list_mine(actor=people.b, states=["submitted"])) == []
    with pytest.raises(PermissionDenied):
        selectors.application_timeline(actor=people.b, application_id=submitted.public_id)
    with pytest.raises(Application.DoesNotExist):
        selectors.access_application(actor=people.a, application_id="00000000-0000-0000-0000-000000000000")
    assert list(selectors.applications_handled(actor=people.actor("window"))) == [submitted]
    assert list(selectors.applications_handled(actor=people.actor("rs_case"))) == [submitted]
    assert list(selectors.applications_handled(actor=people.actor("sj_case"))) == []
