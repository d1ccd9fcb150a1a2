"""Data requests (数据开放需求): a loop of kernel.loops from submission to the department's answer."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from tests.data.opendata.conftest import Codes
from zhengtong.data.opendata import services
from zhengtong.data.opendata.community_selectors import (
    answer_days,
    data_request_public_list,
    data_requests_for_department,
    request_departments,
)
from zhengtong.data.opendata.models import DataRequest, OpenDataset
from zhengtong.kernel.calendar.public import add_working_days
from zhengtong.kernel.loops.models import Case
from zhengtong.kernel.loops.public import case_get
from zhengtong.kernel.org.models import Department

pytestmark = pytest.mark.django_db

TITLE = "西湖区停车场泊位实时数据"
DESCRIPTION = "希望开放各停车场的泊位总数与实时空余泊位数，用于停车导航应用。"


def department(code: str) -> Department:
    return Department.objects.get(code=code)


def ask(people, name="developer", code="330106-SJ", **overrides) -> DataRequest:
    arguments = dict(requester_user=people.users[name], title=TITLE, description=DESCRIPTION,
                     department=department(code))
    arguments.update(overrides)
    return services.data_request_submit(**arguments)


def rows() -> list[tuple]:
    return list(DataRequest.objects.order_by("id").values_list("status", "answer", "answered_at", "dataset_id"))


def test_a_request_opens_a_loop_assigned_to_the_department(open_world_unserved, people):
    request = ask(people)
    request.refresh_from_db()
    assert (request.title, request.description, request.status) == (TITLE, DESCRIPTION, "open")
    assert request.requester_id == people.users["developer"].id
    assert request.department_id == department("330106-SJ").id
    case = case_get(actor=people.actor("sj_data"), public_id=request.case_id)
    assert (case.kind, case.state, case.step) == ("opendata_request", "assigned", "accept")
    assert case.subject_ref == f"opendata_request:{request.public_id}"
    assert case.assignee_department_id == department("330106-SJ").id
    assert case.title == TITLE
    assert Case.objects.get(public_id=request.case_id).reporter_id == people.users["developer"].id


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": "  "}, "title"),
    ({"title": "数" * 201}, "title"),
    ({"description": "要停车数据"}, "description"),
    ({"department": None}, "department"),
    ({"department": 999999}, "department"),
])
def test_bad_requests_are_refused_and_no_loop_opens(open_world_unserved, people, overrides, field):
    with pytest.raises(ValidationError) as refused:
        ask(people, **overrides)
    assert list(refused.value.message_dict) == [field]
    assert DataRequest.objects.count() == 0
    assert Case.objects.count() == 0


def test_staff_do_not_file_requests_here(open_world_unserved, people):
    with pytest.raises(PermissionDenied):
        ask(people, name="ga_data")
    assert (DataRequest.objects.count(), Case.objects.count()) == (0, 0)


def test_the_department_answers_and_the_loop_is_responded(open_world_unserved, people):
    request = ask(people)
    answered = services.data_request_answer(actor=people.actor("sj_data"), request=request,
                                            answer="该数据由区交通局掌握，已转请其评估开放。", outcome="answered")
    answered.refresh_from_db()
    assert (answered.status, answered.answer, answered.dataset_id) == ("answered", "该数据由区交通局掌握，已转请其评估开放。", None)
    assert answered.answered_at is not None
    case = case_get(actor=people.actor("developer"), public_id=request.case_id)
    assert (case.state, case.step, case.response) == ("responded", "verify", "该数据由区交通局掌握，已转请其评估开放。")


def test_taking_the_request_on_first_then_opening_a_dataset(open_world_unserved, people):
    request = ask(people)
    services.data_request_accept(actor=people.actor("sj_clerk"), request=request)
    assert case_get(actor=people.actor("sj_data"), public_id=request.case_id).state == "handling"
    with pytest.raises(ValidationError):
        services.data_request_accept(actor=people.actor("sj_data"), request=request)
    open_dataset = OpenDataset.objects.get(resource_code=Codes.OPEN)
    services.data_request_answer(actor=people.actor("sj_data"), request=request, answer="已开放食品经营许可数据。",
                                 outcome="opened", dataset=open_dataset)
    request.refresh_from_db()
    assert (request.status, request.dataset_id) == ("opened", open_dataset.dataset_id)
    assert case_get(actor=people.actor("sj_data"), public_id=request.case_id).state == "responded"
    with translation.override("en"):
        [view] = data_request_public_list()
    assert view.open_dataset.resource_code == Codes.OPEN
    assert view.status_label == "Data opened"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"answer": " "}, "answer"),
    ({"outcome": "maybe"}, "outcome"),
    ({"outcome": "opened"}, "dataset"),  # no dataset
    ({"outcome": "opened", "dataset": "NINGBO"}, "dataset"),  # another department's
])
def test_bad_answers_are_refused_and_the_loop_stays(open_world_unserved, people, overrides, field):
    request = ask(people)
    if overrides.get("dataset") == "NINGBO":
        overrides = {**overrides, "dataset": OpenDataset.objects.get(resource_code=Codes.NINGBO)}
    arguments = {"answer": "已答复。", "outcome": "answered", **overrides}
    before = rows()
    with pytest.raises(ValidationError) as refused:
        services.data_request_answer(actor=people.actor("sj_data"), request=request, **arguments)
    assert list(refused.value.message_dict) == [field]
    assert rows() == before
    assert case_get(actor=people.actor("sj_data"), public_id=request.case_id).state == "assigned"


@pytest.mark.parametrize("name", ["ga_data", "xihu_dsj_admin", "developer", "other"])
def test_only_the_departments_staff_answer(open_world_unserved, people, name):
    request = ask(people)
    before = rows()
    with pytest.raises(PermissionDenied):
        services.data_request_answer(actor=people.actor(name), request=request, answer="不是我们的。", outcome="declined")
    with pytest.raises(PermissionDenied):
        services.data_request_accept(actor=people.actor(name), request=request)
    assert rows() == before
    assert case_get(actor=people.actor("sj_data"), public_id=request.case_id).state == "assigned"
    assert list(data_requests_for_department(actor=people.actor(name))) == []


def test_an_answered_request_is_not_answered_again(open_world_unserved, people):
    request = ask(people)
    services.data_request_answer(actor=people.actor("sj_data"), request=request, answer="暂不具备开放条件。",
                                 outcome="declined")
    before = rows()
    with pytest.raises(ValidationError):
        services.data_request_answer(actor=people.actor("sj_data"), request=request, answer="改为开放。",
                                     outcome="answered")
    assert rows() == before
    assert case_get(actor=people.actor("sj_data"), public_id=request.case_id).response == "暂不具备开放条件。"


def test_the_public_list_names_no_requester_and_shows_the_due_date(open_world_unserved, people):
    request = ask(people)
    [view] = data_request_public_list()
    assert (view.title, view.department_name, view.status, view.answer) == (TITLE, "西湖区市场监督管理局", "open", "")
    assert answer_days() == 12
    assert view.due == add_working_days(view.created_on, 12)
    assert view.is_overdue is False
    assert not hasattr(view, "requester") and not hasattr(view, "description")
    assert view.public_id == str(request.public_id)


def test_the_departments_offered_include_every_owner_of_public_data(open_world_unserved, people):
    codes = [d.code for d in request_departments()]
    assert {"330106-SJ", "330106-GA", "330200-GA", "330000-DSJ"} <= set(codes)
    assert len(codes) == len(set(codes))
