"""review_create and the bad-review loop: callback, rectification, the reviewer's rating, appeal."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhengtong.kernel.calendar.public import working_deadline
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.kernel.loops.models import Case
from zhengtong.kernel.loops.public import InvalidTransition, loop_kind_get
from zhengtong.kernel.loops.services import china_today
from zhengtong.services.applications.models import ApplicationState
from zhengtong.services.reviews import services
from zhengtong.services.reviews.models import Review

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def create(people, application, who="citizen_a", level=5, channel="online", **kwargs):
    return services.review_create(actor=people.actor(who), application_id=application.public_id, level=level,
                                  channel=channel, **kwargs)


def test_a_good_review_records_item_department_division_and_officers(people, application_make):
    application = application_make()
    review = create(people, application, level=4, indicators={"overall": 4, "efficiency": "5"}, comment=" 很快 ")
    assert (review.level, review.channel, review.comment) == (4, "online", "很快")
    assert review.indicators == {"overall": 4, "efficiency": 5}
    assert review.item_id == application.item_id
    assert review.department.code == "330106-RS"
    assert review.division.code == "330106"
    assert list(review.officers.all()) == [people.user("rs_case")]
    assert review.reviewer == people.user("citizen_a")
    assert review.case_id is None and review.loop_open is False
    assert Case.objects.count() == 0


def test_a_submitted_application_may_be_reviewed(people, application_make):
    review = create(people, application_make(state=ApplicationState.SUBMITTED, officer=None), level=3)
    assert review.level == 3 and review.officers.count() == 0


def test_a_bad_review_opens_a_loop_on_the_departments_desk(people, application_make):
    review = create(people, application_make(), level=1, comment="材料要求反复变")
    case = Case.objects.get(public_id=review.case_id)
    assert case.kind == "bad_review"
    assert case.assignee_department.code == "330106-RS"
    assert case.subject_ref == f"reviews:{review.public_id}"
    assert case.reporter_id == people.user("citizen_a").pk
    assert case.description == "材料要求反复变"
    assert (case.state, case.step) == ("assigned", "accept")
    assert case.step_due == working_deadline(china_today(), 1).due
    assert (review.loop_state, review.loop_step, review.loop_step_due, review.loop_open) == (
        "assigned", "accept", case.step_due, True)


def test_the_kind_has_the_settings_deadlines():
    kind = loop_kind_get("bad_review")
    assert kind.step_days["accept"] == 1 and kind.step_days["handle"] == 15
    assert kind.verifier == "reporter" and kind.appealable


def _nothing_changed():
    assert Review.objects.count() == 0
    assert Case.objects.count() == 0


def _refusals() -> list[tuple[str, dict]]:
    return [(leaf.subject, json.loads(leaf.body)["payload"]) for leaf in LedgerLeaf.objects.filter(kind="review.refused")]


@pytest.mark.parametrize("level", [0, 6, "x", None, True, 2.5, "3.0"])
def test_a_level_outside_1_to_5_is_refused(people, application_make, level):
    application = application_make()
    with pytest.raises(ValidationError) as error:
        create(people, application, level=level)
    assert error.value.message_dict == {"level": ["Choose a level from 1 (very dissatisfied) to 5 (very satisfied)."]}
    _nothing_changed()


def test_someone_elses_application_is_refused(people, application_make):
    application = application_make(who="citizen_a")
    with pytest.raises(PermissionDenied, match="You can only review your own applications."):
        create(people, application, who="citizen_b", level=1)
    _nothing_changed()
    # The attempt is in the ledger with its reason.
    assert _refusals() == [(f"application:{application.public_id}", {"reason": "forbidden"})]


def test_staff_cannot_review(people, application_make):
    with pytest.raises(PermissionDenied, match="Only the applicant can review an application."):
        create(people, application_make(), who="rs_case")
    _nothing_changed()


def test_a_draft_is_refused(people, application_make):
    application = application_make(state=ApplicationState.DRAFT, officer=None)
    with pytest.raises(ValidationError) as error:
        create(people, application, level=1)
    assert error.value.messages == ["A draft cannot be reviewed: submit the application first."]
    _nothing_changed()
    assert _refusals() == []  # a mistake, not an attempt at what one may not do


def test_a_second_review_is_refused(people, application_make):
    application = application_make()
    first = create(people, application, level=2)
    with pytest.raises(ValidationError) as error:
        create(people, application, level=5)
    assert error.value.messages == ["You have already reviewed this application."]
    assert list(Review.objects.values_list("pk", "level")) == [(first.pk, 2)]
    assert Case.objects.count() == 1
    assert _refusals() == [(f"application:{application.public_id}", {"reason": "duplicate"})]


def test_unknown_channel_and_indicators_are_refused(people, application_make):
    application = application_make()
    with pytest.raises(ValidationError) as error:
        create(people, application, channel="phone")
    assert error.value.message_dict == {"channel": ["Choose a channel."]}
    with pytest.raises(ValidationError) as error:
        create(people, application, channel="on_site", indicators={"usability": 5})
    assert error.value.message_dict == {"indicators": ["Unknown indicator for this channel: usability."]}
    with pytest.raises(ValidationError) as error:
        create(people, application, indicators={"overall": 9})
    assert "indicators.overall" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        create(people, application, comment="长" * 1001)
    assert error.value.message_dict == {"comment": ["The comment must be at most 1000 characters."]}
    _nothing_changed()


def test_the_loop_callback_rectify_and_accepted_fix(people, application_make):
    review = create(people, application_make(), level=1)
    officer = people.actor("rs_case")
    with pytest.raises(ValidationError):
        services.review_callback(actor=officer, review_id=review.public_id, note=" ")
    review = services.review_callback(actor=officer, review_id=review.public_id, note="已电话回访，说明原因")
    assert (review.loop_state, review.loop_step, review.callback_on_time) == ("handling", "handle", True)
    assert review.callback_note == "已电话回访，说明原因"
    review = services.review_rectify(actor=officer, review_id=review.public_id, rectification="已统一材料清单")
    assert (review.loop_state, review.rectified_on_time, review.rectification) == ("responded", True, "已统一材料清单")
    # Only the reviewer rates the fix.
    with pytest.raises(PermissionDenied):
        services.review_fix_rate(actor=officer, review_id=review.public_id, accepted=True)
    review = services.review_fix_rate(actor=people.a, review_id=review.public_id, accepted=True)
    assert (review.loop_state, review.loop_open, review.fix_accepted, review.loop_outcome) == (
        "closed", False, True, "resolved")
    review = services.review_reopen(actor=people.a, review_id=review.public_id, reason="问题又出现了")
    assert (review.loop_state, review.loop_open, review.fix_accepted) == ("handling", True, None)


def test_a_late_rectification_is_counted_late(people, application_make):
    review = create(people, application_make(), level=2)
    officer = people.actor("rs_case")
    review = services.review_callback(actor=officer, review_id=review.public_id, note="已回访")
    later = review.loop_step_due + timedelta(days=1)
    with mock.patch("zhengtong.services.reviews.services.timezone.localdate", return_value=later):
        review = services.review_rectify(actor=officer, review_id=review.public_id, rectification="已整改")
    assert review.rectified_on_time is False


def test_a_rejected_fix_goes_back_to_the_department(people, application_make):
    review = create(people, application_make(), level=1)
    officer = people.actor("rs_case")
    services.review_callback(actor=officer, review_id=review.public_id, note="已回访")
    services.review_rectify(actor=officer, review_id=review.public_id, rectification="已整改")
    with pytest.raises(ValidationError):
        services.review_fix_rate(actor=people.a, review_id=review.public_id, accepted=False)
    review = services.review_fix_rate(actor=people.a, review_id=review.public_id, accepted=False, note="没有改")
    assert (review.loop_state, review.fix_accepted, review.loop_open) == ("handling", False, True)


def test_outsiders_cannot_act_and_nothing_changes(people, application_make):
    review = create(people, application_make(), level=1)
    for name in ("binjiang_rs_case", "sj_case"):
        with pytest.raises(PermissionDenied):
            services.review_callback(actor=people.actor(name), review_id=review.public_id, note="x")
    with pytest.raises(InvalidTransition):
        services.review_rectify(actor=people.actor("rs_case"), review_id=review.public_id, rectification="x")
    review.refresh_from_db()
    assert (review.loop_state, review.callback_note, review.rectification) == ("assigned", "", "")


def test_a_good_review_has_no_loop(people, application_make):
    review = create(people, application_make(), level=4)
    with pytest.raises(ValidationError) as error:
        services.review_callback(actor=people.actor("rs_case"), review_id=review.public_id, note="x")
    assert error.value.messages == ["Only a bad review is called back and rectified."]


def test_appeal_decided_by_a_leader_outside_the_department(people, application_make):
    review = create(people, application_make(), level=1, comment="恶意差评")
    officer = people.actor("rs_case")
    services.review_callback(actor=officer, review_id=review.public_id, note="已回访")
    review = services.review_appeal(actor=officer, review_id=review.public_id, reason="申请人未到现场办理")
    assert review.loop_state == "appealed"
    with pytest.raises(PermissionDenied):  # nobody judges their own appeal
        services.review_appeal_decide(actor=people.actor("rs_leader"), review_id=review.public_id, upheld=True,
                                      note="x")
    review = services.review_appeal_decide(actor=people.actor("xihu_leader"), review_id=review.public_id,
                                           upheld=True, note="经核实为误评")
    assert (review.loop_state, review.loop_outcome, review.loop_open) == ("closed", "appeal_upheld", False)


def test_a_case_moved_on_the_loops_own_pages_updates_the_review(people, application_make):
    from tests.services.conftest import events_deliver_all
    from zhengtong.kernel.loops import public as loops

    review = create(people, application_make(), level=1)
    loops.case_accept(actor=people.actor("rs_case"), case=review.case_id)
    events_deliver_all()
    review.refresh_from_db()
    assert (review.loop_state, review.loop_step, review.loop_open) == ("handling", "handle", True)
    assert review.loop_step_due == Case.objects.get(public_id=review.case_id).step_due
