"""Who may act on a case: everyone who is not a party is refused and nothing changes."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.loops import public
from zhengtong.kernel.loops.models import Case


@pytest.fixture
def assigned_case(clock, people, departments):
    """An assistance request from Xihu civil affairs to Xihu public security, not yet accepted."""
    return public.case_report(
        actor=people.actor("mz_officer"), kind="assistance", title="协办",
        assignee_department_id=departments["330106-GA"].id,
    )


def outsiders(people, departments) -> dict[str, Actor]:
    """Every kind of actor that is no party to the assistance case."""
    return {
        "anonymous": Actor(kind="anonymous"),
        "citizen": people.actor("citizen"),
        "company": Actor(kind="company", user_id=None, company_id=1),
        # A system calling with the assignee department's key still may not act for its staff.
        "api_client": Actor(kind="api_client", api_client_id=1, department_id=departments["330106-GA"].id),
        "other district, same kind": people.actor("binjiang_ga_officer"),
        "the city counterpart, not escalated": people.actor("city_ga_officer"),
        "big-data admin of another district": people.actor("binjiang_dsj_admin"),
        "big-data admin of another city": people.actor("ningbo_dsj_admin"),
        "staff account without a department": people.actor("orphan_staff"),
    }


ACCEPT = lambda actor, case: public.case_accept(actor=actor, case=case)  # noqa: E731


@pytest.mark.django_db
def test_outsiders_cannot_accept_and_nothing_changes(assigned_case, people, departments, snapshot):
    before = snapshot(assigned_case.public_id)
    for label, actor in outsiders(people, departments).items():
        with pytest.raises(PermissionDenied):
            ACCEPT(actor, assigned_case)
        assert snapshot(assigned_case.public_id) == before, label


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["ga_officer", "ga_leader", "xihu_dsj_admin", "hangzhou_leader"],
)
def test_the_assignee_and_its_supervisors_may_accept(assigned_case, people, name):
    assert public.case_accept(actor=people.actor(name), case=assigned_case).state == "handling"


@pytest.mark.django_db
def test_every_action_refuses_outsiders(assigned_case, people, departments, snapshot):
    calls = {
        "assign": lambda a: public.case_assign(actor=a, case=assigned_case, department_id=departments["330108-GA"].id),
        "respond": lambda a: public.case_respond(actor=a, case=assigned_case, response="x"),
        "verify": lambda a: public.case_verify(actor=a, case=assigned_case, accepted=True),
        "close": lambda a: public.case_close(actor=a, case=assigned_case),
        "reopen": lambda a: public.case_reopen(actor=a, case=assigned_case, reason="x"),
        "appeal": lambda a: public.case_appeal(actor=a, case=assigned_case, reason="x"),
        "appeal_decide": lambda a: public.case_appeal_decide(actor=a, case=assigned_case, upheld=True, note="x"),
    }
    before = snapshot(assigned_case.public_id)
    for label, actor in outsiders(people, departments).items():
        for action, call in calls.items():
            # Authorization comes before the state check: an outsider learns nothing of the state.
            with pytest.raises(PermissionDenied):
                call(actor)
            assert snapshot(assigned_case.public_id) == before, (label, action)


@pytest.mark.django_db
def test_the_handling_side_cannot_verify_its_own_response(assigned_case, people, snapshot):
    handler = people.actor("ga_officer")
    public.case_accept(actor=handler, case=assigned_case)
    public.case_respond(actor=handler, case=assigned_case, response="已办")
    before = snapshot(assigned_case.public_id)
    for name in ("ga_officer", "ga_leader", "city_ga_officer"):
        with pytest.raises(PermissionDenied):
            public.case_verify(actor=people.actor(name), case=assigned_case, accepted=True)
    assert snapshot(assigned_case.public_id) == before


@pytest.mark.django_db
def test_a_citizen_verifies_only_their_own_case_of_a_reporter_verified_kind(clock, people, departments, snapshot):
    handler = people.actor("ga_officer")
    review = public.case_report(
        actor=people.actor("citizen"), kind="test_bad_review", title="差评",
        assignee_department_id=departments["330106-GA"].id,
    )
    public.case_accept(actor=handler, case=review)
    public.case_respond(actor=handler, case=review, response="已整改")
    before = snapshot(review.public_id)
    for actor in (people.actor("other_citizen"), people.actor("mz_officer")):
        with pytest.raises(PermissionDenied):
            public.case_verify(actor=actor, case=review, accepted=True)
    assert snapshot(review.public_id) == before
    assert public.case_verify(actor=people.actor("citizen"), case=review, accepted=True).state == "verified"


@pytest.mark.django_db
def test_a_citizen_cannot_verify_a_kind_verified_by_the_assigning_department(clock, people, departments, snapshot):
    handler = people.actor("ga_officer")
    # The citizen reported it, but the kind says the assigning department verifies; a citizen
    # routed it straight to the department, so there is none and supervisors verify.
    case = public.case_report(
        actor=people.actor("citizen"), kind="assistance", title="求助", assignee_department_id=departments["330106-GA"].id
    )
    public.case_accept(actor=handler, case=case)
    public.case_respond(actor=handler, case=case, response="已办")
    before = snapshot(case.public_id)
    with pytest.raises(PermissionDenied):
        public.case_verify(actor=people.actor("citizen"), case=case, accepted=True)
    assert snapshot(case.public_id) == before
    assert public.case_verify(actor=people.actor("xihu_dsj_admin"), case=case, accepted=True).state == "verified"


@pytest.mark.django_db
def test_anonymous_and_departmentless_staff_cannot_report(people):
    for actor in (Actor(kind="anonymous"), people.actor("orphan_staff")):
        with pytest.raises(PermissionDenied):
            public.case_report(actor=actor, kind="assistance", title="x")
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_escalation_lets_the_upper_department_act(clock, assigned_case, people):
    with pytest.raises(PermissionDenied):
        public.case_accept(actor=people.actor("city_ga_officer"), case=assigned_case)
    assert public.escalate_overdue(today=date(2025, 10, 15)) == 1
    assert public.case_accept(actor=people.actor("city_ga_officer"), case=assigned_case).state == "handling"


@pytest.mark.django_db
def test_invalid_transition_names_the_state_and_the_action_in_chinese_and_english(assigned_case, people, snapshot):
    before = snapshot(assigned_case.public_id)
    with pytest.raises(public.InvalidTransition) as raised:
        public.case_respond(actor=people.actor("ga_officer"), case=assigned_case, response="已办")
    assert snapshot(assigned_case.public_id) == before
    error = raised.value
    assert (error.action, error.state, error.code) == ("respond", "assigned", "invalid_transition")
    # The message is put in the language active when it is read, as a page or API response would.
    with translation.override("en"):
        assert error.messages == ["Cannot respond to this case: its state is “Assigned”."]
        assert str(error) == "Cannot respond to this case: its state is “Assigned”."
    with translation.override("zh-hans"):
        assert error.messages == ["无法答复该案件：当前状态为“已分派”。"]


@pytest.mark.django_db
def test_closing_an_open_case_is_an_invalid_transition(assigned_case, people, snapshot):
    before = snapshot(assigned_case.public_id)
    with pytest.raises(public.InvalidTransition) as raised:
        public.case_close(actor=people.actor("mz_officer"), case=assigned_case)
    with translation.override("zh-hans"):
        assert raised.value.messages == ["无法办结该案件：当前状态为“已分派”。"]
    assert snapshot(assigned_case.public_id) == before
