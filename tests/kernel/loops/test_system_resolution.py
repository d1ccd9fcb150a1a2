"""case_resolve_by_system: the data shows a case's condition gone, so the system closes it."""

from datetime import date, datetime, time

import pytest

from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.loops import public, services
from zhengtong.kernel.loops.models import Case, CaseTransition

pytestmark = pytest.mark.django_db

NOTE = "The load of 14 October 2025 no longer has the problem."


def history(case_ref) -> list[tuple]:
    return [
        (t.action, t.from_state, t.to_state, t.actor_user_id, t.actor_department_id, t.step_due_before,
         t.step_due_after, t.on_time, t.note)
        for t in CaseTransition.objects.filter(case__public_id=case_ref.public_id).order_by("id")
    ]


def system_report(departments, *, kind="assistance", assignee="330106-GA"):
    return public.case_report(
        actor=Actor(kind="system"), kind=kind, title="问题数据", description="12 行身份证号校验位错误。",
        assignee_department_id=departments[assignee].id, subject_ref="catalog.Dataset:x#resident_id:id",
    )


def test_an_assigned_case_is_closed_as_resolved_on_time_by_the_system(clock, people, departments):
    # Reported on 30 September 2025: 5 working days of handling run to 14 October.
    case = system_report(departments)
    events_before = OutboxEvent.objects.count()

    clock.today = date(2025, 10, 14)
    resolved = public.case_resolve_by_system(case=case, note=NOTE)

    assert (resolved.state, resolved.outcome, resolved.step, resolved.step_due) == ("closed", "resolved", "", None)
    assert resolved.closed_at == datetime.combine(date(2025, 10, 14), time(10, 0), tzinfo=services.CHINA)
    assert history(resolved)[-1] == (
        "close", "assigned", "closed", None, None, date(2025, 10, 14), None, True, NOTE
    )
    # One new event, the system resolution's own (as an upheld appeal has its own, not case_closed).
    new_events = list(OutboxEvent.objects.order_by("occurred_at", "id")[events_before:])
    assert [event.name for event in new_events] == ["loops.case_resolved"]
    assert new_events[0].payload == {
        "case": str(case.public_id), "kind": "assistance", "subject_ref": "catalog.Dataset:x#resident_id:id",
        "action": "close", "from_state": "assigned", "to_state": "closed", "step": "", "step_due": None,
        "assignee_department_id": departments["330106-GA"].id, "escalated_to_department_id": None,
        "escalation_level": 0, "outcome": "resolved", "actor_user_id": None, "actor_department_id": None,
    }
    metrics = public.loop_metrics(actor=people.actor("ga_officer"))
    assert (metrics.total, metrics.open, metrics.closed, metrics.on_time_rate) == (1, 0, 1, 1.0)


def test_a_resolution_after_the_due_date_counts_as_late(clock, people, departments):
    case = system_report(departments)
    clock.today = date(2025, 10, 15)  # one working day past 14 October

    resolved = public.case_resolve_by_system(case=case, note=NOTE)

    assert history(resolved)[-1][-2:] == (False, NOTE)
    metrics = public.loop_metrics(actor=people.actor("ga_officer"))
    assert (metrics.closed, metrics.on_time_rate) == (1, 0.0)


def test_cases_in_every_open_state_can_be_resolved(clock, people, departments):
    handler = people.actor("ga_officer")
    reported = public.case_report(actor=people.actor("mz_officer"), kind="assistance", title="未分派")
    handling = public.case_accept(actor=handler, case=system_report(departments))
    responded = public.case_respond(
        actor=handler, case=public.case_accept(actor=handler, case=system_report(departments)), response="已改正"
    )
    review = public.case_report(
        actor=people.actor("citizen"), kind="test_bad_review", title="差评",
        assignee_department_id=departments["330106-GA"].id,
    )
    appealed = public.case_appeal(actor=handler, case=public.case_accept(actor=handler, case=review), reason="恶意差评")
    verified = public.case_verify(actor=people.actor("xihu_dsj_admin"), case=public.case_respond(
        actor=handler, case=public.case_accept(actor=handler, case=system_report(departments)), response="已改正"
    ), accepted=True)

    for case in (reported, handling, responded, appealed, verified):
        resolved = public.case_resolve_by_system(case=case.public_id, note=NOTE)
        assert (resolved.state, resolved.outcome) == ("closed", "resolved")
        assert history(resolved)[-1][:3] == ("close", case.state, "closed")
    # A verified case has no running step, so the close completes none.
    assert history(verified)[-1][7] is None
    assert Case.objects.filter(state="closed").count() == 5


def test_a_closed_case_is_refused_and_nothing_changes(clock, departments, snapshot):
    case = public.case_resolve_by_system(case=system_report(departments), note=NOTE)
    before = snapshot(case.public_id)

    with pytest.raises(public.InvalidTransition) as refused:
        public.case_resolve_by_system(case=case, note="again")

    assert str(refused.value) == "Cannot close this case: its state is “Closed”."
    assert snapshot(case.public_id) == before


def test_a_note_is_required_and_nothing_changes_without_one(clock, departments, snapshot):
    case = system_report(departments)
    before = snapshot(case.public_id)

    with pytest.raises(ValueError):
        public.case_resolve_by_system(case=case, note="  ")

    assert snapshot(case.public_id) == before


def test_the_verifying_side_may_still_reopen_a_case_the_system_resolved(clock, people, departments):
    # Staff of 民政局 asked 公安分局 for assistance; the system found it resolved, but the
    # requester, who verifies assistance cases, disagrees within the reopening window.
    case = public.case_report(
        actor=people.actor("mz_officer"), kind="assistance", title="协办",
        assignee_department_id=departments["330106-GA"].id,
    )
    public.case_resolve_by_system(case=case, note=NOTE)

    reopened = public.case_reopen(actor=people.actor("mz_officer"), case=case, reason="问题依旧")

    assert (reopened.state, reopened.outcome, reopened.closed_at) == ("handling", "", None)
