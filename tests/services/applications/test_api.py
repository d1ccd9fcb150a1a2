"""The applications API: the applicant's journey and the officer's queue over HTTP, errors as
{"code", "detail", "fields"}, and nothing reachable that is someone else's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from zhengtong.services.applications.models import Application, ApplicationTask

from ..conftest import A_ID, B_ID
from .conftest import PDF, STANDARD_ANSWERS

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def url(name: str, **kwargs) -> str:
    return reverse(f"applications-api-{name}", kwargs=kwargs)


def test_an_applicant_applies_through_the_api(people, catalogue):
    a = api(people.users["citizen_a"])
    response = a.post(url("draft-start"), {"implementation": str(catalogue.standard.public_id)}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    app = body["public_id"]
    assert (body["state"], body["reference"], body["answers"]["resident_id"]) == ("draft", None, A_ID)
    assert body["provenance"]["resident_id"]["source"] == "registry-person"

    response = a.post(url("answers", public_id=app), {"answers": STANDARD_ANSWERS, "step": "details"}, format="json")
    assert response.status_code == 200 and response.json()["answers"]["reason"] == "contract_end"
    response = a.post(url("material-upload", public_id=app, code="leaving_proof"),
                      {"file": SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf")}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["file_name"] == "证明.pdf" and response.json()["waived"] is False
    response = a.post(url("material-preview", public_id=app, code="shebao"))
    assert response.status_code == 200 and response.json()["evidence"]["fields"]["employer"] == "杭州西湖数据有限公司"
    assert a.post(url("material-accept", public_id=app, code="shebao")).json()["waived"] is True

    response = a.post(url("submit", public_id=app))
    assert (response.status_code, response.json()["code"]) == (400, "idempotency_key_required")
    assert Application.objects.get().state == "draft"
    response = a.post(url("submit", public_id=app), HTTP_IDEMPOTENCY_KEY="9b2f-retry-safe")
    assert response.status_code == 201, response.content
    first = response.json()
    assert first["state"] == "submitted" and first["reference"]
    assert [e["kind"] for e in first["timeline"]] == ["submitted"]
    again = a.post(url("submit", public_id=app), HTTP_IDEMPOTENCY_KEY="9b2f-retry-safe")
    assert again.status_code == 200 and again.json()["reference"] == first["reference"]
    assert Application.objects.count() == 1

    mine = a.get(url("mine")).json()
    assert [(m["public_id"], m["state"], m["item"]["code"]) for m in mine] == [(app, "submitted", "330106-RS-001")]
    detail = a.get(url("detail", public_id=app)).json()
    assert [m["code"] for m in detail["materials"]] == ["leaving_proof", "shebao"]


def test_officers_take_their_queue_and_act(people, submitted):
    window = api(people.users["window"])
    queue = window.get(url("tasks")).json()
    assert [(t["spec_id"], t["reference"], t["department"]["code"]) for t in queue] == [
        ("intake", submitted.reference, "330106-BGT")]
    response = window.post(url("task-act", public_id=queue[0]["public_id"]), {"outcome": "correct"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "note": ["Say why: a rejection or a request for correction needs a note for the applicant."]}
    response = window.post(url("task-act", public_id=queue[0]["public_id"]), {"outcome": "approve"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "done"
    assert window.get(url("tasks")).json() == []
    assert [t["spec_id"] for t in api(people.users["rs_case"]).get(url("tasks")).json()] == ["review"]
    # Another department's officer cannot act on it.
    review = ApplicationTask.objects.get(state="open")
    response = api(people.users["sj_case"]).post(url("task-act", public_id=review.public_id), {"outcome": "done"},
                                                  format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    review.refresh_from_db()
    assert review.state == "open"
    assert api(people.users["window"]).get(url("tasks"), {"state": "bogus"}).status_code == 400


def test_bad_input_comes_back_by_field(people, catalogue):
    a = api(people.users["citizen_a"])
    app = a.post(url("draft-start"), {"implementation": str(catalogue.standard.public_id)}, format="json").json()
    response = a.post(url("answers", public_id=app["public_id"]),
                      {"answers": {"resident_id": B_ID, "is_approved": "yes"}}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid", "detail": "“公民身份号码” comes from your real-name account and cannot be changed.",
        "fields": {"resident_id": ["“公民身份号码” comes from your real-name account and cannot be changed."],
                   "is_approved": ["“is_approved” is not a question of this form."]}}
    response = a.post(url("material-upload", public_id=app["public_id"], code="leaving_proof"),
                      {"file": SimpleUploadedFile("setup.pdf", b"MZ" + b"\x00" * 300)}, format="multipart")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["leaving_proof"]
    response = a.post(url("submit", public_id=app["public_id"]), HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 400 and set(response.json()["fields"]) == {
        "left_on", "reason", "materials.leaving_proof", "materials.shebao"}
    assert a.post(url("draft-start"), {"implementation": "not-a-uuid"}, format="json").json()["fields"] == {
        "implementation": ["Must be a valid UUID."]}


def test_someone_else_s_application_is_out_of_reach(people, submitted):
    b = api(people.users["citizen_b"])
    for response in (b.get(url("detail", public_id=submitted.public_id)),
                     b.post(url("answers", public_id=submitted.public_id), {"answers": {}}, format="json"),
                     b.post(url("withdraw", public_id=submitted.public_id), {"reason": "x"}, format="json"),
                     api(people.users["sj_case"]).get(url("detail", public_id=submitted.public_id))):
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    response = b.get(url("detail", public_id="00000000-0000-0000-0000-000000000000"))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert api().get(url("mine")).status_code in (401, 403)
    submitted.refresh_from_db()
    assert submitted.state == "submitted"
    # The department handling it reads it, with the whole timeline.
    assert api(people.users["window"]).get(url("detail", public_id=submitted.public_id)).status_code == 200


def test_a_system_cannot_apply(people, catalogue, platform):
    from zhengtong.kernel.identity import services as identity_services

    _client, key = identity_services.api_client_create(name="某系统", department=None, scopes=[])
    system = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"ApiKey {key}")
    response = system.post(url("draft-start"), {"implementation": str(catalogue.standard.public_id)}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert Application.objects.count() == 0


def test_the_applicant_withdraws_and_corrects_through_the_api(people, submitted):
    from .conftest import act

    act(people, "window", submitted, "intake", "correct", note="请补充材料")
    a = api(people.users["citizen_a"])
    response = a.post(url("correct", public_id=submitted.public_id), {"answers": {"remarks": "已补充"}}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    response = a.post(url("withdraw", public_id=submitted.public_id), {"reason": ""}, format="json")
    assert response.json()["fields"] == {"reason": ["Say why you withdraw the application."]}
    response = a.post(url("withdraw", public_id=submitted.public_id), {"reason": "不需要了"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"


def test_an_instant_item_is_applied_for_in_one_call(people, catalogue):
    a = api(people.users["citizen_a"])
    body = {"implementation": str(catalogue.instant.public_id)}
    assert a.post(url("submission"), body, format="json").json()["code"] == "idempotency_key_required"
    response = a.post(url("submission"), body, format="json", HTTP_IDEMPOTENCY_KEY="one-call-1")
    assert response.status_code == 201, response.content
    first = response.json()
    assert (first["state"], first["instant"]) == ("approved", True)
    (decision,) = first["decisions"]
    assert (decision["source"], decision["outcome"], decision["inputs"]["insurance_status"]) == (
        "dmn:flexible_employment_insurance", "approve", "暂停缴费")
    assert [(m["code"], m["waived"]) for m in first["materials"]] == [("insurance_status", True)]
    again = a.post(url("submission"), body, format="json", HTTP_IDEMPOTENCY_KEY="one-call-1")
    assert (again.status_code, again.json()["public_id"]) == (200, first["public_id"])
    assert Application.objects.count() == 1
    response = api(people.users["citizen_b"]).post(url("submission"), body, format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["materials.insurance_status"]
    assert Application.objects.count() == 1


def test_lists_cost_the_same_queries_whatever_their_length(people, catalogue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import fill_standard, submit

    def cost(user, name) -> int:
        client = api(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(name)).status_code == 200
        return len(queries)

    submit(people, fill_standard(people, catalogue), key="q-1")
    cost(people.users["citizen_a"], "mine"), cost(people.users["window"], "tasks")  # the account, loaded once
    one_mine, one_queue = cost(people.users["citizen_a"], "mine"), cost(people.users["window"], "tasks")
    for number in (2, 3, 4):
        submit(people, fill_standard(people, catalogue), key=f"q-{number}")
    assert len(api(people.users["citizen_a"]).get(url("mine")).json()) == 4
    assert len(api(people.users["window"]).get(url("tasks")).json()) == 4
    assert (cost(people.users["citizen_a"], "mine"), cost(people.users["window"], "tasks")) == (one_mine, one_queue)
