"""The requester's word on a department's answer closes the data request's loop (the verification
step of kernel.loops): accepted, the case is closed; sent back, it returns to the department."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from zhengtong.data.opendata import services
from zhengtong.data.opendata.models import DataRequest
from zhengtong.kernel.loops.public import case_get
from zhengtong.kernel.org.models import Department

pytestmark = pytest.mark.django_db

ANSWER = "停车场泊位数据已在市交通局开放，见“杭州市停车场泊位信息”。"


def answered(people) -> DataRequest:
    request = services.data_request_submit(
        requester_user=people.users["developer"], title="西湖区停车场泊位数据",
        description="希望开放各停车场的泊位总数与实时空余泊位数，用于停车导航应用。",
        department=Department.objects.get(code="330106-SJ"))
    services.data_request_answer(actor=people.actor("sj_data"), request=request, answer=ANSWER, outcome="answered")
    request.refresh_from_db()
    return request


def state(people, request) -> tuple[str, str | None]:
    case = case_get(actor=people.actor("sj_data"), public_id=request.case_id)
    return case.state, case.outcome


def test_accepting_the_answer_closes_the_loop(open_world_unserved, people):
    request = answered(people)
    assert state(people, request) == ("responded", "")
    services.data_request_verify(requester_user=people.users["developer"], request=request, accepted=True)
    request.refresh_from_db()
    assert (request.status, request.answer) == ("answered", ANSWER)
    assert state(people, request) == ("closed", "resolved")


def test_sending_it_back_reopens_the_request_for_a_new_answer(open_world_unserved, people):
    request = answered(people)
    services.data_request_verify(requester_user=people.users["developer"], request=request, accepted=False,
                                 note="那份数据没有实时空余泊位数。")
    request.refresh_from_db()
    assert (request.status, request.answer, request.answered_at) == ("open", "", None)
    assert state(people, request)[0] == "handling"
    services.data_request_answer(actor=people.actor("sj_data"), request=request, answer="已补充实时数据。",
                                 outcome="answered")
    request.refresh_from_db()
    assert (request.status, request.answer) == ("answered", "已补充实时数据。")
    assert state(people, request)[0] == "responded"


def test_only_the_requester_verifies_and_only_once_with_a_reason_to_send_back(open_world_unserved, people):
    request = answered(people)
    before = list(DataRequest.objects.values_list("status", "answer"))
    with pytest.raises(PermissionDenied):
        services.data_request_verify(requester_user=people.users["other"], request=request, accepted=True)
    with pytest.raises(ValidationError) as caught:
        services.data_request_verify(requester_user=people.users["developer"], request=request, accepted=False)
    assert "note" in caught.value.message_dict
    assert list(DataRequest.objects.values_list("status", "answer")) == before
    assert state(people, request) == ("responded", "")
    services.data_request_verify(requester_user=people.users["developer"], request=request, accepted=True)
    with pytest.raises(ValidationError):
        services.data_request_verify(requester_user=people.users["developer"], request=request, accepted=True)


def test_the_requester_answers_on_their_page(open_world_unserved, people):
    request = answered(people)
    client = Client()
    client.force_login(people.users["developer"])
    page = client.get("/opendata/requests/mine/")
    assert page.status_code == 200
    body = page.content.decode()
    assert ANSWER in body and f"/opendata/requests/{request.public_id}/verify/" in body
    prefix = "v" + str(request.public_id).replace("-", "")[:12]
    refused = client.post(f"/opendata/requests/{request.public_id}/verify/", {f"{prefix}-accepted": "no"})
    assert refused.status_code == 400 and state(people, request) == ("responded", "")
    done = client.post(f"/opendata/requests/{request.public_id}/verify/", {f"{prefix}-accepted": "yes"})
    assert done.status_code == 302 and state(people, request) == ("closed", "resolved")
    assert f"/opendata/requests/{request.public_id}/verify/" not in client.get("/opendata/requests/mine/").content.decode()
    other = Client()
    other.force_login(people.users["other"])
    assert other.post(f"/opendata/requests/{request.public_id}/verify/", {f"{prefix}-accepted": "yes"}).status_code == 404
    assert Client().get("/opendata/requests/mine/").status_code == 302
