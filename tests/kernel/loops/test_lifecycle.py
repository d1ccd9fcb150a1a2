"""A case from report to close, through the public API, with exact states, due dates and history."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhengtong.kernel.calendar.public import WorkingDeadline
from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.loops import public
from zhengtong.kernel.loops.models import Case, CaseTransition


def history(case_ref) -> list[tuple]:
    return [
        (t.action, t.from_state, t.to_state, t.actor_department.code if t.actor_department else None,
         t.step_due_before, t.step_due_after, t.on_time)
        for t in CaseTransition.objects.filter(case__public_id=case_ref.public_id)
        .select_related("actor_department").order_by("id")
    ]


def loop_events(case_ref) -> list[str]:
    return list(
        OutboxEvent.objects.filter(payload__case=str(case_ref.public_id)).order_by("occurred_at").values_list("name", flat=True)
    )


@pytest.mark.django_db
def test_assistance_case_from_report_to_close(clock, people, departments):
    requester, handler = people.actor("mz_officer"), people.actor("ga_officer")

    # Reported on 30 September 2025, the day before the National Day holiday (1-8 October):
    # 5 working days are 9, 10, 11 (a swapped Saturday workday), 13 and 14 October.
    case = public.case_report(
        actor=requester, kind="assistance", title="协查户籍信息", description="请协助核实申请人户籍。",
        assignee_department_id=departments["330106-GA"].id, subject_ref="test.Thing:1",
    )
    assert (case.state, case.step, case.step_due, case.step_deadline.provisional) == (
        "assigned", "handle", date(2025, 10, 14), False
    )

    clock.today = date(2025, 10, 10)
    case = public.case_accept(actor=handler, case=case)
    # Without an accept step the handling time has run since assignment: the due date stays.
    assert (case.state, case.step, case.step_due) == ("handling", "handle", date(2025, 10, 14))

    clock.today = date(2025, 10, 13)
    case = public.case_respond(actor=handler, case=case, response="已核实，户籍在本辖区。")
    # Verification: 2 working days after 13 October.
    assert (case.state, case.step, case.step_due) == ("responded", "verify", date(2025, 10, 15))

    clock.today = date(2025, 10, 15)
    case = public.case_verify(actor=requester, case=case, accepted=True, note="确认无误")
    assert (case.state, case.step, case.step_due) == ("verified", "", None)

    case = public.case_close(actor=requester, case=case)
    assert (case.state, case.outcome, case.step_due) == ("closed", "resolved", None)
    assert case.closed_at is not None

    assert history(case) == [
        ("report", "", "assigned", "330106-MZ", None, date(2025, 10, 14), None),
        ("accept", "assigned", "handling", "330106-GA", date(2025, 10, 14), date(2025, 10, 14), None),
        ("respond", "handling", "responded", "330106-GA", date(2025, 10, 14), date(2025, 10, 15), True),
        ("verify", "responded", "verified", "330106-MZ", date(2025, 10, 15), None, True),
        ("close", "verified", "closed", "330106-MZ", None, None, None),
    ]
    row = Case.objects.get(public_id=case.public_id)
    assert (row.reporter_id, row.reporting_department.code, row.assigning_department.code, row.response) == (
        people.users["mz_officer"].id, "330106-MZ", "330106-MZ", "已核实，户籍在本辖区。"
    )
    assert loop_events(case) == [
        "loops.case_reported", "loops.case_accepted", "loops.case_responded", "loops.case_verified",
        "loops.case_closed",
    ]
    closed_event = OutboxEvent.objects.get(name="loops.case_closed")
    assert closed_event.payload == {
        "case": str(case.public_id), "kind": "assistance", "subject_ref": "test.Thing:1", "action": "close",
        "from_state": "verified", "to_state": "closed", "step": "", "step_due": None,
        "assignee_department_id": departments["330106-GA"].id, "escalated_to_department_id": None,
        "escalation_level": 0, "outcome": "resolved", "actor_user_id": people.users["mz_officer"].id,
        "actor_department_id": departments["330106-MZ"].id,
    }


@pytest.mark.django_db
def test_unassigned_report_is_routed_and_a_late_assignment_is_recorded_late(clock, people, departments):
    requester = people.actor("mz_officer")
    case = public.case_report(actor=requester, kind="assistance", title="请求协办")
    # One working day to assign, counted past the holiday: 9 October.
    assert (case.state, case.step, case.step_due, case.assignee_department_id) == (
        "reported", "assign", date(2025, 10, 9), None
    )

    clock.today = date(2025, 10, 10)
    case = public.case_assign(actor=requester, case=case, department_id=departments["330106-GA"].id)
    # Handling time from 10 October: 11 (swapped workday), 13, 14, 15, 16.
    assert (case.state, case.step, case.step_due) == ("assigned", "handle", date(2025, 10, 16))
    assert history(case)[-1] == (
        "assign", "reported", "assigned", "330106-MZ", date(2025, 10, 9), date(2025, 10, 16), False
    )
    assert Case.objects.get(public_id=case.public_id).assigning_department.code == "330106-MZ"

    # The assignee passes it on (转办); the department that checks the answer stays the requester.
    case = public.case_assign(actor=people.actor("ga_officer"), case=case, department_id=departments["330108-GA"].id)
    assert (case.state, case.assignee_department_id, case.step_due) == (
        "assigned", departments["330108-GA"].id, date(2025, 10, 16)
    )
    assert history(case)[-1][-1] is None  # passing on completes no step
    assert Case.objects.get(public_id=case.public_id).assigning_department.code == "330106-MZ"


@pytest.mark.django_db
def test_deadline_into_a_year_without_a_schedule_is_provisional(clock, people, departments):
    # chinesecalendar knows 2026, not 2027: 5 working days after 29 December 2026 are 30 and
    # 31 December, then 1 January 2027 (counted as a Friday, its holiday unknown), 4 and 5 January.
    clock.today = date(2026, 12, 29)
    case = public.case_report(
        actor=people.actor("mz_officer"), kind="assistance", title="跨年协办",
        assignee_department_id=departments["330106-GA"].id,
    )
    assert case.step_deadline == WorkingDeadline(date(2027, 1, 5), True, (2027,))
    row = Case.objects.get(public_id=case.public_id)
    assert (row.step_due_provisional, row.step_due_unknown_years) == (True, [2027])


@pytest.mark.django_db
def test_failed_verification_sends_the_case_back_with_a_new_handling_period(clock, people, departments):
    requester, handler = people.actor("mz_officer"), people.actor("ga_officer")
    case = public.case_report(
        actor=requester, kind="assistance", title="协办", assignee_department_id=departments["330106-GA"].id
    )
    public.case_accept(actor=handler, case=case)
    public.case_respond(actor=handler, case=case, response="已办")
    before = Case.objects.get(public_id=case.public_id).updated_at

    with pytest.raises(ValidationError) as raised:
        public.case_verify(actor=requester, case=case, accepted=False, note="  ")
    assert raised.value.message_dict == {"note": ["Say what is still wrong, so the department can put it right."]}
    assert Case.objects.get(public_id=case.public_id).updated_at == before

    clock.today = date(2025, 10, 20)
    case = public.case_verify(actor=requester, case=case, accepted=False, note="缺少核查记录")
    # 21, 22, 23, 24, 27 October.
    assert (case.state, case.step, case.step_due) == ("handling", "handle", date(2025, 10, 27))
    # The verification itself was due 2 working days after 30 September (10 October): late.
    assert history(case)[-1] == (
        "reject", "responded", "handling", "330106-MZ", date(2025, 10, 10), date(2025, 10, 27), False
    )
    assert loop_events(case)[-1] == "loops.case_verification_failed"


@pytest.mark.django_db
def test_bad_review_kind_accept_step_reporter_verifies_and_reopens(clock, people, departments):
    citizen, handler = people.actor("citizen"), people.actor("ga_officer")
    case = public.case_report(
        actor=citizen, kind="test_bad_review", title="窗口服务态度差",
        assignee_department_id=departments["330106-GA"].id, subject_ref="reviews.Review:abc",
    )
    # The callback (accept) step: 1 working day.
    assert (case.state, case.step, case.step_due) == ("assigned", "accept", date(2025, 10, 9))
    row = Case.objects.get(public_id=case.public_id)
    assert (row.reporter_id, row.reporting_department_id, row.assigning_department_id) == (
        people.users["citizen"].id, None, None
    )

    clock.today = date(2025, 10, 9)
    case = public.case_accept(actor=handler, case=case)
    # Accepting completes the callback step on time and starts 15 working days of rectification.
    # 10, 11 (swapped workday), 13-17, 20-24, 27-29 October.
    assert (case.state, case.step, case.step_due) == ("handling", "handle", date(2025, 10, 29))
    assert history(case)[-1][-1] is True

    case = public.case_respond(actor=handler, case=case, response="已约谈窗口人员并整改")
    case = public.case_verify(actor=citizen, case=case, accepted=True)
    case = public.case_close(actor=handler, case=case, note="整改完成")
    assert (case.state, case.outcome) == ("closed", "resolved")

    # Within 5 working days of closing on 9 October (to 15 October) the reviewer may reopen it.
    clock.today = date(2025, 10, 15)
    case = public.case_reopen(actor=citizen, case=case, reason="问题又出现了")
    assert (case.state, case.step, case.step_due, case.outcome, case.closed_at) == (
        "handling", "handle", date(2025, 11, 5), "", None
    )


@pytest.mark.django_db
def test_reopen_after_the_window_is_refused_with_the_last_day(clock, people, departments, snapshot):
    citizen, handler = people.actor("citizen"), people.actor("ga_officer")
    case = public.case_report(
        actor=citizen, kind="test_bad_review", title="差评", assignee_department_id=departments["330106-GA"].id
    )
    public.case_accept(actor=handler, case=case)
    public.case_respond(actor=handler, case=case, response="已整改")
    public.case_verify(actor=citizen, case=case, accepted=True)
    clock.today = date(2025, 10, 13)
    public.case_close(actor=citizen, case=case)

    # 5 working days after 13 October: the last day to reopen is 20 October.
    clock.today = date(2025, 10, 21)
    before = snapshot(case.public_id)
    with pytest.raises(ValidationError) as raised:
        public.case_reopen(actor=citizen, case=case, reason="again")
    assert raised.value.messages == ["The case can no longer be reopened: the last day to do so was 2025-10-20."]
    assert snapshot(case.public_id) == before


@pytest.mark.django_db
def test_appeal_upheld_closes_the_case_for_good(clock, people, departments, snapshot):
    citizen, handler = people.actor("citizen"), people.actor("ga_officer")
    case = public.case_report(
        actor=citizen, kind="test_bad_review", title="恶意差评", assignee_department_id=departments["330106-GA"].id
    )
    public.case_accept(actor=handler, case=case)

    clock.today = date(2025, 10, 13)
    case = public.case_appeal(actor=handler, case=case, reason="评价人未办理任何业务")
    # 5 working days for the decision.
    assert (case.state, case.step, case.step_due) == ("appealed", "appeal", date(2025, 10, 20))
    assert history(case)[-1][-1] is None  # the appeal interrupts handling, it does not complete it

    # The assignee's own leader may not judge the appeal; the district big-data bureau may.
    before = snapshot(case.public_id)
    with pytest.raises(PermissionDenied):
        public.case_appeal_decide(actor=people.actor("ga_leader"), case=case, upheld=True, note="同意")
    assert snapshot(case.public_id) == before

    case = public.case_appeal_decide(actor=people.actor("xihu_dsj_admin"), case=case, upheld=True, note="经核实属恶意评价")
    assert (case.state, case.outcome, case.step_due) == ("closed", "appeal_upheld", None)
    assert history(case)[-1] == (
        "uphold_appeal", "appealed", "closed", "330106-DSJ", date(2025, 10, 20), None, True
    )
    assert loop_events(case)[-1] == "loops.case_appeal_upheld"

    before = snapshot(case.public_id)
    with pytest.raises(ValidationError) as raised:
        public.case_reopen(actor=citizen, case=case, reason="我不同意")
    assert raised.value.messages == ["A case closed by an upheld appeal cannot be reopened."]
    assert snapshot(case.public_id) == before


@pytest.mark.django_db
def test_dismissed_appeal_sends_the_case_back_to_handling(clock, people, departments):
    citizen, handler = people.actor("citizen"), people.actor("ga_officer")
    case = public.case_report(
        actor=citizen, kind="test_bad_review", title="差评", assignee_department_id=departments["330106-GA"].id
    )
    public.case_accept(actor=handler, case=case)
    public.case_respond(actor=handler, case=case, response="已答复")
    case = public.case_appeal(actor=handler, case=case, reason="评价与事实不符")
    assert history(case)[-1][:3] == ("appeal", "responded", "appealed")

    clock.today = date(2025, 10, 21)  # a day after the decision was due
    case = public.case_appeal_decide(
        actor=people.actor("hangzhou_leader"), case=case, upheld=False, note="评价属实，继续整改"
    )
    # 15 working days from 21 October.
    assert (case.state, case.step, case.step_due) == ("handling", "handle", date(2025, 11, 11))
    assert history(case)[-1][:3] + history(case)[-1][-1:] == ("dismiss_appeal", "appealed", "handling", False)


@pytest.mark.django_db
def test_a_kind_without_an_appeal_step_cannot_be_appealed(clock, people, departments, snapshot):
    handler = people.actor("ga_officer")
    case = public.case_report(
        actor=people.actor("mz_officer"), kind="assistance", title="协办",
        assignee_department_id=departments["330106-GA"].id,
    )
    public.case_accept(actor=handler, case=case)
    before = snapshot(case.public_id)
    with pytest.raises(ValidationError) as raised:
        public.case_appeal(actor=handler, case=case, reason="不属于我局职责")
    assert raised.value.messages == ["Cases of the kind “Assistance request” cannot be appealed."]
    assert snapshot(case.public_id) == before


@pytest.mark.django_db
def test_report_checks_its_input_and_changes_nothing_when_refused(clock, people, departments):
    citizen = people.actor("citizen")
    with pytest.raises(ValidationError) as raised:
        public.case_report(actor=citizen, kind="test_bad_review", title="差评")
    assert raised.value.message_dict == {"assignee_department_id": ["Choose the department that is to handle the case."]}
    with pytest.raises(ValidationError) as raised:
        public.case_report(actor=people.actor("mz_officer"), kind="assistance", title="  ")
    assert raised.value.message_dict == {"title": ["Give the case a title."]}
    with pytest.raises(ValidationError) as raised:
        public.case_report(actor=citizen, kind="test_bad_review", title="差评", assignee_department_id=999999)
    assert raised.value.message_dict == {"assignee_department_id": ["Choose a department that exists."]}
    with pytest.raises(LookupError):
        public.case_report(actor=citizen, kind="no_such_kind", title="x", assignee_department_id=departments["330106-GA"].id)
    assert Case.objects.count() == 0
    assert OutboxEvent.objects.count() == 0
