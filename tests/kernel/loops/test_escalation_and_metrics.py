"""Overdue steps escalate once, one level up; metrics count exactly what the actor may see."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.loops import public
from zhengtong.kernel.loops.models import Case, CaseTransition


def report(people, departments, *, kind="assistance", title="协办", assignee="330106-GA", by="mz_officer"):
    return public.case_report(
        actor=people.actor(by), kind=kind, title=title, assignee_department_id=departments[assignee].id
    )


def escalations(case_ref) -> list[tuple]:
    return [
        (t.from_state, t.to_state, t.escalated_to.code, t.step_due_before, t.actor_user_id, t.actor_department_id)
        for t in CaseTransition.objects.filter(case__public_id=case_ref.public_id, action="escalate")
        .select_related("escalated_to").order_by("id")
    ]


@pytest.mark.django_db
def test_an_overdue_step_is_escalated_exactly_once_then_again_for_the_next_step(clock, people, departments):
    case = report(people, departments)  # handling due 14 October 2025

    # Not overdue on the due date itself.
    assert public.escalate_overdue(today=date(2025, 10, 14)) == 0
    assert public.escalate_overdue(today=date(2025, 10, 15)) == 1
    row = Case.objects.get(public_id=case.public_id)
    assert (row.escalated_to.code, row.escalation_level, row.state, row.step_due) == (
        "330100-GA", 1, "assigned", date(2025, 10, 14)
    )
    # The same overdue step is not escalated twice, however often the sweep runs.
    assert public.escalate_overdue(today=date(2025, 10, 16)) == 0
    assert public.escalate_overdue(today=date(2025, 12, 1)) == 0
    assert escalations(case) == [("assigned", "assigned", "330100-GA", date(2025, 10, 14), None, None)]
    event = OutboxEvent.objects.get(name="loops.case_escalated")
    assert (event.payload["escalated_to_department_id"], event.payload["escalation_level"]) == (
        departments["330100-GA"].id, 1
    )

    # The next step (verification, due 2 working days after 16 October = 20 October) is its own
    # step: when it runs late it escalates again, one more level up.
    clock.today = date(2025, 10, 16)
    handler = people.actor("ga_officer")
    public.case_accept(actor=handler, case=case)
    public.case_respond(actor=handler, case=case, response="已办")
    out = StringIO()
    call_command("loops_escalate", "--date", "2025-10-21", stdout=out)
    assert out.getvalue() == "1 cases escalated\n"
    row.refresh_from_db()
    assert (row.escalated_to.code, row.escalation_level, row.step, row.step_due) == (
        "330000-GA", 2, "verify", date(2025, 10, 20)
    )
    assert public.escalate_overdue(today=date(2025, 10, 22)) == 0

    # A third overdue step finds nobody above the province: the province is told again, one level more.
    clock.today = date(2025, 10, 22)
    public.case_verify(actor=people.actor("mz_officer"), case=case, accepted=False, note="不完整")
    assert public.escalate_overdue(today=date(2026, 1, 5)) == 1
    row.refresh_from_db()
    assert (row.escalated_to.code, row.escalation_level, row.step) == ("330000-GA", 3, "handle")
    assert [e[2] for e in escalations(case)] == ["330100-GA", "330000-GA", "330000-GA"]


@pytest.mark.django_db
def test_kinds_that_do_not_escalate_and_closed_cases_are_left_alone(clock, people, departments):
    quiet = report(people, departments, kind="test_quiet")
    closed = report(people, departments)
    handler, requester = people.actor("ga_officer"), people.actor("mz_officer")
    public.case_accept(actor=handler, case=closed)
    public.case_respond(actor=handler, case=closed, response="已办")
    public.case_verify(actor=requester, case=closed, accepted=True)
    public.case_close(actor=requester, case=closed)

    assert public.escalate_overdue(today=date(2026, 1, 5)) == 0
    assert CaseTransition.objects.filter(action="escalate").count() == 0
    assert Case.objects.get(public_id=quiet.public_id).escalation_level == 0


@pytest.mark.django_db
def test_metrics_count_exactly(clock, people, departments):
    handler, requester = people.actor("ga_officer"), people.actor("mz_officer")

    def close(case):
        public.case_accept(actor=handler, case=case)
        public.case_respond(actor=handler, case=case, response="已办")
        public.case_verify(actor=requester, case=case, accepted=True)
        public.case_close(actor=requester, case=case)

    # Two closed on time (everything done on 30 September).
    close(report(people, departments, title="A"))
    close(report(people, departments, title="B"))
    # One closed late: the response came after the 14 October due date.
    late = report(people, departments, title="C")
    clock.today = date(2025, 10, 20)
    close(late)
    # One open and overdue (due 27 October), one open and due later, one for another department.
    report(people, departments, title="D")
    clock.today = date(2025, 10, 28)
    report(people, departments, title="E")
    report(people, departments, title="F", assignee="330108-GA")

    assert public.loop_metrics(actor=requester) == public.LoopMetrics(
        total=6, open=3, closed=3, overdue=1, on_time_rate=2 / 3
    )
    # The assignee's view: the five cases assigned to it.
    assert public.loop_metrics(actor=handler) == public.LoopMetrics(
        total=5, open=2, closed=3, overdue=1, on_time_rate=2 / 3
    )
    assert public.loop_metrics(actor=requester, department_id=departments["330108-GA"].id) == public.LoopMetrics(
        total=1, open=1, closed=0, overdue=0, on_time_rate=None
    )
    assert public.loop_metrics(actor=requester, kind="test_quiet") == public.LoopMetrics(0, 0, 0, 0, None)
    # The city leader supervises all of Hangzhou; another district's staff and a citizen see nothing.
    assert public.loop_metrics(actor=people.actor("hangzhou_leader")).total == 6
    assert public.loop_metrics(actor=people.actor("binjiang_ga_officer")) == public.LoopMetrics(
        total=1, open=1, closed=0, overdue=0, on_time_rate=None
    )
    for nobody in (people.actor("citizen"), people.actor("ningbo_dsj_admin"), Actor(kind="anonymous")):
        assert public.loop_metrics(actor=nobody) == public.LoopMetrics(0, 0, 0, 0, None)

    assert public.case_summary_for_department(departments["330106-GA"].id) == public.CaseSummary(open=2, overdue=1)
    assert public.case_summary_for_department(departments["330108-GA"].id) == public.CaseSummary(open=1, overdue=0)
    # Escalated cases count on the upper department's desk too.
    assert public.escalate_overdue() == 1
    assert public.case_summary_for_department(departments["330100-GA"].id) == public.CaseSummary(open=1, overdue=1)


@pytest.mark.django_db
def test_assistance_kind_is_registered_by_the_app():
    spec = public.loop_kind_get("assistance")
    assert (spec.code, spec.step_days, spec.verifier, spec.escalate) == (
        "assistance", {"assign": 1, "handle": 5, "verify": 2}, "assigning_department", True
    )
    with pytest.raises(LookupError):
        public.loop_kind_get("nope")


def test_kind_specs_are_checked():
    with pytest.raises(ValueError) as raised:
        public.LoopKindSpec(code="x_kind", name="x", step_days={"assign": 1, "handle": 2}, verifier="reporter")
    assert str(raised.value) == (
        "Loop kind x_kind: step_days needs assign, handle, verify (and may have accept, appeal); "
        "missing ['verify'], unknown []."
    )
    with pytest.raises(ValueError):
        public.LoopKindSpec(code="x_kind", name="x", step_days={"assign": 1, "handle": 2, "verify": 1}, verifier="anyone")
    with pytest.raises(ValueError):
        public.register_loop_kind(
            public.LoopKindSpec(code="assistance", name="x", step_days={"assign": 9, "handle": 9, "verify": 9},
                                verifier="reporter")
        )
