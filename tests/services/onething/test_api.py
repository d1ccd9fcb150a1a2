"""/api/v1/onething/…: the bundles (public), submit in one call (Idempotency-Key), my bundle
applications with their parts; errors in the {"code", "detail", "fields"} shape."""

import pytest
from rest_framework.test import APIClient

from tests.services.conftest import SYSTEM, implementation_make, item_make, material
from zhengtong.services.applications.models import Application
from zhengtong.services.onething import services
from zhengtong.services.onething.models import BundleApplication

from .conftest import BUNDLE, draft_complete

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"


def api_for(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user, backend=BACKEND)
    return client


@pytest.fixture
def no_upload_bundle(platform):
    """A citizens' bundle whose parts need nothing uploaded: 灵活就业一件事 (RS + ZJ), pre-filled
    from the population registry, the social-insurance record fetched."""
    rs = item_make("330106-RS-301", "灵活就业人员参保登记")
    zj = item_make("330106-ZJ-302", "灵活就业人员公积金缴存登记", competent_department_kind="housing")
    fields = [{"name": "applicant_name", "label": "申请人姓名", "kind": "text", "required": True, "choices": [],
               "prefill": "person.name", "help": "", "max_length": None},
              {"name": "resident_id", "label": "公民身份号码", "kind": "resident_id", "required": True, "choices": [],
               "prefill": "person.resident_id", "help": "", "max_length": None},
              {"name": "monthly_base", "label": "月缴存基数", "kind": "number", "required": True, "choices": [],
               "prefill": "", "help": "", "max_length": None}]
    implementation_make(rs, department="330106-RS", process="simple", form_fields=fields,
                        materials=[material("shebao", "社会保险参保证明", source="shared", source_ref="ds-330106-rs-00001")])
    implementation_make(zj, department="330106-ZJ", process="simple", form_fields=fields)
    return services.bundle_create(actor=SYSTEM, code="flexible-work", name="灵活就业一件事", serving="citizen",
                                  division_code="330106", result_name="参保和缴存登记完成",
                                  parts=["330106-RS-301", "330106-ZJ-302"], publish=True)


def test_the_bundles_are_listed_and_described_without_signing_in(opening):
    client = api_for()
    listed = client.get("/api/v1/onething/bundles/")
    assert listed.status_code == 200
    assert [(b["code"], b["serving"], b["parts"]) for b in listed.json()] == [
        (BUNDLE, "company", ["330106-SJ-101", "330106-GA-102", "330106-SW-103", "330106-RS-104", "330106-ZJ-105"])]
    detail = client.get(f"/api/v1/onething/bundles/{BUNDLE}/").json()
    assert detail["promised_days"] == 3
    assert [p["department"] for p in detail["parts"]][:2] == ["西湖区市场监督管理局", "西湖区公安局"]
    fields = {f["name"]: f for f in detail["fields"]}
    assert fields["company_name"]["parts"] == [1, 2, 3, 4, 5]
    assert fields["uscc"]["read_only"] is True
    materials = {m["key"]: m for m in detail["materials"]}
    assert (materials["licence"]["asked"], materials["licence"]["produced_by"]) == (False, 1)
    assert client.get("/api/v1/onething/bundles/nope/").json() == {
        "code": "not_found", "detail": "There is no such one-thing service or application."}


def test_submit_in_one_call_is_idempotent(no_upload_bundle, people):
    client = api_for(people.users["citizen_a"])
    body = {"answers": {"monthly_base": "4462"}}
    missing = client.post("/api/v1/onething/bundles/flexible-work/submit/", body, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"
    first = client.post("/api/v1/onething/bundles/flexible-work/submit/", body, format="json",
                        HTTP_IDEMPOTENCY_KEY="api-key-1")
    assert first.status_code == 201, first.json()
    data = first.json()
    assert data["application"]["reference"].startswith("YJS-330106-")
    assert [(p["item_code"], p["state"]) for p in data["parts"]] == [
        ("330106-RS-301", "submitted"), ("330106-ZJ-302", "submitted")]
    again = client.post("/api/v1/onething/bundles/flexible-work/submit/", body, format="json",
                        HTTP_IDEMPOTENCY_KEY="api-key-1")
    assert again.status_code == 200
    assert again.json()["application"]["public_id"] == data["application"]["public_id"]
    assert BundleApplication.objects.count() == 1
    assert Application.objects.count() == 2
    mine = client.get("/api/v1/onething/applications/").json()
    assert [a["public_id"] for a in mine] == [data["application"]["public_id"]]
    one = client.get(f"/api/v1/onething/applications/{data['application']['public_id']}/").json()
    assert one["state"] == "in_progress" and len(one["parts"]) == 2


def test_bad_input_answers_with_fields_and_makes_nothing(no_upload_bundle, people):
    client = api_for(people.users["citizen_a"])
    response = client.post("/api/v1/onething/bundles/flexible-work/submit/",
                           {"answers": {"monthly_base": "lots", "forged": "1"}}, format="json",
                           HTTP_IDEMPOTENCY_KEY="api-key-2")
    assert response.status_code == 400
    assert response.json()["fields"] == {"monthly_base": ["“月缴存基数”: enter a number, for example 12 or 3.5"],
                                         "forged": ["“forged” is not a question of this form."]}
    assert BundleApplication.objects.count() == 0 and Application.objects.count() == 0
    assert client.post(f"/api/v1/onething/bundles/{BUNDLE}/submit/", {}, format="json",
                       HTTP_IDEMPOTENCY_KEY="k").status_code == 404  # an unknown bundle
    anonymous = api_for().post("/api/v1/onething/bundles/flexible-work/submit/", {}, format="json",
                               HTTP_IDEMPOTENCY_KEY="k")
    assert anonymous.status_code in (401, 403)


def test_a_company_bundle_refuses_a_citizen(opening, people):
    response = api_for(people.users["citizen_a"]).post(f"/api/v1/onething/bundles/{BUNDLE}/submit/", {},
                                                       format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert BundleApplication.objects.count() == 0


def test_another_applicant_gets_404(opening, people):
    draft = draft_complete(people.actor("company"))
    other = api_for(people.users["citizen_b"])
    assert other.get(f"/api/v1/onething/applications/{draft.public_id}/").status_code == 404
    assert other.get("/api/v1/onething/applications/").json() == []
    mine = api_for(people.company_user).get(f"/api/v1/onething/applications/{draft.public_id}/")
    assert mine.status_code == 200 and mine.json()["state"] == "draft"
