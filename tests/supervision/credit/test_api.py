"""/api/v1/credit/…: measures, my credit, filing, the eligibility check with its scope."""

import json
from datetime import date

import pytest
from rest_framework.test import APIClient

from tests.supervision.credit.conftest import COMPANY_USCC, uscc
from zhengtong.data.exchange.public import subject_ref
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.kernel.org.models import Department
from zhengtong.supervision.credit import services
from zhengtong.supervision.credit.models import AppliedMeasure, CreditRecord

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "measures")]


@pytest.fixture
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def key_client(scopes) -> APIClient:
    _client, key = identity_services.api_client_create(
        name="公共资源交易平台", department=Department.objects.get(code="330106-DSJ"), scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
    return client


def black_list(identifier=COMPANY_USCC):
    return services.credit_record_file(actor=None, subject_kind="company", identifier=identifier, name="测试公司",
                                       category="black_list", title="严重失信主体名单", legal_basis="国办发〔2020〕49号",
                                       decided_on=date(2026, 1, 5))


def test_the_measure_list_is_public(client, db):
    response = client.get("/api/v1/credit/measures/")
    assert response.status_code == 200
    codes = {m["code"]: m for m in response.json()}
    assert "国发〔2016〕33号" in codes["priority"]["legal_basis"]


def test_eligibility_needs_the_scope_and_is_logged(people):
    black_list()
    other = key_client(["registry:read"]).get("/api/v1/credit/eligibility/", {"uscc": COMPANY_USCC})
    assert other.status_code == 403, other.json()
    client = key_client(["credit:eligibility"])
    response = client.get("/api/v1/credit/eligibility/", {"uscc": COMPANY_USCC, "reference": "ZB-2026-001"})
    assert response.status_code == 200
    body = response.json()
    assert (body["eligible"], body["grade"], [m["code"] for m in body["measures"]]) == (False, "D", ["no_bidding"])
    assert "国发〔2016〕33号" in body["measures"][0]["legal_basis"]
    clean = client.get("/api/v1/credit/eligibility/", {"uscc": uscc(9)}).json()
    assert (clean["eligible"], clean["grade"], clean["measures"]) == (True, "B", [])
    leaves = LedgerLeaf.objects.filter(kind="credit.eligibility_checked").order_by("id")
    assert [leaf.subject for leaf in leaves] == [subject_ref("company", COMPANY_USCC), subject_ref("company", uscc(9))]
    assert json.loads(leaves[0].body)["actor"].startswith("api_client:")
    assert AppliedMeasure.objects.get().reference == "ZB-2026-001"
    bad = client.get("/api/v1/credit/eligibility/", {"uscc": "123"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid")


def test_my_credit(people):
    black_list()
    response = as_user(people.users["company"]).get("/api/v1/credit/mine/")
    assert response.status_code == 200
    body = response.json()
    assert (body["grade"], body["score"], body["lists"]) == ("D", 100, ["black_list"])
    assert [r["text"] for r in body["reasons"]] == ["严重失信主体名单1条：等级不高于D级"]
    assert [r["category"] for r in body["records"]] == ["black_list"]
    assert as_user(people.users["sj_officer"]).get("/api/v1/credit/mine/").status_code == 403


def test_staff_file_records_and_a_missing_basis_is_refused(people):
    payload = {"subject_kind": "company", "identifier": COMPANY_USCC, "name": "测试公司", "category": "penalty",
               "title": "未按规定公示年度报告", "legal_basis": "", "decided_on": "2026-01-10"}
    staff = as_user(people.users["sj_officer"])
    refused = staff.post("/api/v1/credit/records/", payload, format="json")
    assert (refused.status_code, list(refused.json()["fields"])) == (400, ["legal_basis"])
    assert not CreditRecord.objects.exists()
    created = staff.post("/api/v1/credit/records/", {**payload, "legal_basis": "《企业信息公示暂行条例》第八条"},
                         format="json")
    assert created.status_code == 201
    assert created.json()["publish_min_until"] == "2026-04-10"
    assert as_user(people.users["company"]).post("/api/v1/credit/records/", payload, format="json").status_code == 403
