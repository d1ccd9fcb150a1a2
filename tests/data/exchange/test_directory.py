"""The service directory: synchronised from the catalog and the registries, described in OpenAPI."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from tests.kernel.identity.factories import PASSWORD
from zhengtong.data.catalog import services as catalog_services
from zhengtong.data.catalog.models import Dataset
from zhengtong.data.exchange.models import ServiceKind, SharingService
from zhengtong.data.exchange.openapi import service_openapi
from zhengtong.data.exchange.publishing import service_event_name
from zhengtong.data.exchange.services import directory_sync, directory_sync_report

from .conftest import COMPOSITE, DATASETS, HOUSEHOLD, MARKET, SECRET, SYSTEM, register_datasets

pytestmark = pytest.mark.django_db


def test_each_shareable_dataset_becomes_a_service_with_its_fields_and_masking(directory, departments):
    market = directory.market
    assert market.kind == ServiceKind.DATASET
    assert market.name == "市场主体登记信息" and market.description == "市场主体登记信息（测试）"
    assert market.owner_department == departments["330106-SJ"]
    assert market.dataset == Dataset.objects.get(resource_code=MARKET)
    assert (market.share_type, market.grade, market.sensitivity) == ("unconditional", "general", "L2")
    assert market.fields == [
        {"name": "uscc", "title": "统一社会信用代码", "type": "string", "masking_kind": "credit_code"},
        {"name": "name", "title": "主体名称", "type": "string", "masking_kind": "plain"},
        {"name": "kind", "title": "主体类型", "type": "string", "masking_kind": "plain"},
        {"name": "legal_representative", "title": "法定代表人", "type": "string", "masking_kind": "name"},
        # No declared masking: derived from the domain type.
        {"name": "legal_representative_id", "title": "法定代表人身份证号码", "type": "string",
         "masking_kind": "resident_id"},
        {"name": "registered_on", "title": "成立日期", "type": "date", "masking_kind": "plain"},
        {"name": "division_code", "title": "住所行政区划", "type": "string", "masking_kind": "plain"},
        {"name": "capital", "title": "注册资本（万元）", "type": "number", "masking_kind": "plain"},
        {"name": "employees", "title": "从业人数", "type": "integer", "masking_kind": "plain"},
        {"name": "listed", "title": "是否上市", "type": "boolean", "masking_kind": "plain"},
        {"name": "address", "title": "住所", "type": "string", "masking_kind": "plain"},
    ]
    # The key is a credit code: the records concern companies.
    assert (market.key_field, market.subject_field, market.subject_kind) == ("uscc", "uscc", "company")
    assert market.division_field == "division_code"
    # Division, enum, date and boolean fields filter; never a free text or a masked personal field.
    assert market.filter_fields == ["kind", "registered_on", "division_code", "listed"]
    assert market.group_fields == ["kind", "division_code"]
    assert market.measure_fields == ["capital", "employees"]
    assert market.is_active and market.published_version is None and market.record_count == 0


def test_a_personal_dataset_s_subject_is_its_resident_id_and_masked_fields_never_filter(directory):
    household = directory.household
    kinds = {f["name"]: f["masking_kind"] for f in household.fields}
    assert kinds == {"resident_id": "resident_id", "name": "name", "gender": "plain", "birth_date": "plain",
                     "division_code": "plain", "address": "address", "mobile": "mobile", "household_size": "plain"}
    assert (household.code, household.share_type, household.sensitivity) == ("ds-330106-ga-00001", "conditional", "L3")
    assert (household.key_field, household.subject_field, household.subject_kind) == (
        "resident_id", "resident_id", "person")
    assert household.filter_fields == ["gender", "birth_date", "division_code"]
    assert household.group_fields == ["gender", "division_code"]
    assert household.measure_fields == ["household_size"]


def test_the_registries_are_services_of_the_provincial_big_data_bureau(directory, departments):
    person, company = directory.person, directory.company
    bureau = departments["330000-DSJ"]
    assert (person.kind, person.registry_kind, person.owner_department) == (ServiceKind.REGISTRY, "person", bureau)
    assert (company.kind, company.registry_kind, company.owner_department) == (ServiceKind.REGISTRY, "company", bureau)
    assert (person.share_type, company.share_type) == ("conditional", "unconditional")
    assert (person.key_field, person.subject_field, person.subject_kind) == ("registry_id", "resident_id", "person")
    assert (company.key_field, company.subject_field, company.subject_kind) == ("registry_id", "uscc", "company")
    assert person.dataset is None and person.division_field == "division_code"
    assert [(f["name"], f["masking_kind"]) for f in person.fields] == [
        ("resident_id", "resident_id"), ("name", "name"), ("birth_date", "plain"), ("gender", "plain"),
        ("mobile", "mobile"), ("address", "address"), ("division_code", "plain")]
    assert {f["name"]: f["title"] for f in person.fields}["birth_date"] == "出生日期"
    assert {f["name"]: f["type"] for f in person.fields}["birth_date"] == "date"
    company_kinds = {f["name"]: f["masking_kind"] for f in company.fields}
    assert company_kinds["uscc"] == "credit_code" and company_kinds["legal_representative"] == "name"
    assert company_kinds["address"] == "plain"
    assert person.filter_fields == [] and person.measure_fields == []


def test_not_shared_and_composite_key_datasets_are_left_out_and_reported(departments):
    register_datasets(departments)
    report = directory_sync_report()
    codes = set(SharingService.objects.values_list("code", flat=True))
    assert codes == {"ds-330106-sj-00001", "ds-330106-ga-00001", "registry-person", "registry-company"}
    assert report.active == 4
    assert sorted(report.created) == sorted(codes)
    assert [code for code, _why in report.skipped] == [COMPOSITE]
    assert "primary key" in report.skipped[0][1] or "主键" in report.skipped[0][1]


def test_the_sync_is_idempotent(directory):
    before = list(SharingService.objects.order_by("code").values())
    report = directory_sync_report()
    assert (report.created, report.updated, report.deactivated) == ([], [], [])
    assert list(SharingService.objects.order_by("code").values()) == before
    assert directory_sync() == 4


def test_a_dataset_that_becomes_not_shared_is_deactivated_and_back_again(directory):
    dataset = Dataset.objects.get(resource_code=HOUSEHOLD)
    catalog_services.dataset_update(actor=SYSTEM, dataset=dataset, share_type="not_shared")
    report = directory_sync_report()
    assert report.deactivated == ["ds-330106-ga-00001"]
    directory.household.refresh_from_db()
    assert not directory.household.is_active
    assert directory_sync() == 3
    catalog_services.dataset_update(actor=SYSTEM, dataset=Dataset.objects.get(resource_code=HOUSEHOLD),
                                    share_type="unconditional")
    assert directory_sync() == 4
    directory.household.refresh_from_db()
    assert directory.household.is_active and directory.household.share_type == "unconditional"


def test_a_new_schema_version_changes_the_service_s_fields(directory):
    descriptor = json.loads(json.dumps(DATASETS[MARKET]["descriptor"]))
    descriptor["fields"] = [f for f in descriptor["fields"] if f["name"] != "capital"]
    descriptor["fields"][1]["maskingKind"] = "free_text"
    catalog_services.schema_version_create(actor=SYSTEM, dataset=Dataset.objects.get(resource_code=MARKET),
                                           descriptor=descriptor)
    report = directory_sync_report()
    assert report.updated == ["ds-330106-sj-00001"]
    directory.market.refresh_from_db()
    assert "capital" not in [f["name"] for f in directory.market.fields]
    assert directory.market.fields[1] == {"name": "name", "title": "主体名称", "type": "string",
                                          "masking_kind": "free_text"}
    assert directory.market.measure_fields == ["employees"]


def test_the_command_prints_what_it_did_and_what_it_skipped(departments):
    register_datasets(departments, codes={MARKET, SECRET, COMPOSITE})
    out = StringIO()
    call_command("share_sync", stdout=out)
    text = out.getvalue()
    assert "ds-330106-sj-00001" in text and "registry-person" in text
    assert COMPOSITE in text
    assert SECRET not in text  # not shared: simply not in the directory
    assert "3" in text.splitlines()[-1]


def test_the_changed_event_name_is_a_valid_event_name():
    from zhengtong.kernel.events.registry import EVENT_NAME

    assert service_event_name("ds-330106-sj-00001") == "share.ds_330106_sj_00001.changed"
    assert EVENT_NAME.match(service_event_name("registry-person"))


# --- OpenAPI ---------------------------------------------------------------------------------------


def _validate(document: dict) -> None:
    try:
        from openapi_spec_validator import validate
    except ImportError:  # not installed: the structure checks below still run
        return
    validate(document)


def test_the_openapi_description_of_a_dataset_service(directory):
    document = service_openapi(directory.market, server_url="https://share.example.gov.cn")
    _validate(json.loads(json.dumps(document)))
    assert document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": "https://share.example.gov.cn"}]
    assert set(document["paths"]) == {
        "/api/v1/share/ds-330106-sj-00001/records/{key}",
        "/api/v1/share/ds-330106-sj-00001/records:batch",
        "/api/v1/share/ds-330106-sj-00001/records",
        "/api/v1/share/ds-330106-sj-00001/aggregate",
    }
    record = document["components"]["schemas"]["Record"]["properties"]
    assert list(record) == [f["name"] for f in directory.market.fields]
    assert record["capital"]["type"] == "number" and record["registered_on"]["format"] == "date"
    assert record["legal_representative_id"] == {
        "type": "string", "nullable": True, "title": "法定代表人身份证号码", "description": "脱敏：保留首 1 位和末 2 位",
        "x-masking-kind": "resident_id"}
    query = document["paths"]["/api/v1/share/ds-330106-sj-00001/records"]["get"]
    names = [p.get("name") for p in query["parameters"] if "name" in p]
    assert names[:4] == ["kind", "registered_on", "division_code", "listed"]
    aggregate = document["paths"]["/api/v1/share/ds-330106-sj-00001/aggregate"]["get"]
    measure = next(p for p in aggregate["parameters"] if p.get("name") == "measure")
    assert measure["schema"]["enum"] == ["capital", "employees"]
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "detail", "correlation_id"]
    assert {"grant_expired", "grant_revoked", "out_of_scope", "unknown_key", "rate_limited"} <= set(
        error["properties"]["code"]["enum"])
    responses = document["paths"]["/api/v1/share/ds-330106-sj-00001/records/{key}"]["get"]["responses"]
    assert {"200", "400", "403", "404", "409", "429"} == set(responses)
    assert "grant_missing" in responses["403"]["description"]
    # Every $ref points at something the document defines.
    text = json.dumps(document)
    for ref in set(__import__("re").findall(r'"\$ref": "#/components/(\w+)/(\w+)"', text)):
        assert ref[1] in document["components"][ref[0]], ref


def test_a_registry_service_is_read_by_key_only(directory):
    document = service_openapi(directory.person)
    _validate(json.loads(json.dumps(document)))
    assert set(document["paths"]) == {"/api/v1/share/registry-person/records/{key}",
                                      "/api/v1/share/registry-person/records:batch"}
    key = document["paths"]["/api/v1/share/registry-person/records/{key}"]["get"]["parameters"][0]
    assert key["name"] == "key" and "基础库编号" in key["description"]


def test_a_record_validates_against_the_record_schema(directory):
    import jsonschema

    schema = service_openapi(directory.market)["components"]["schemas"]["Record"]
    # OpenAPI 3.0's "nullable" is not JSON Schema: check a record with no nulls.
    jsonschema.validate({"uscc": "91330106MA2B0R9X4K", "capital": 100.5, "employees": 3, "listed": False,
                         "legal_representative_id": "3*************12"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"capital": "a lot"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"unknown": 1}, schema)


# --- the directory API -----------------------------------------------------------------------------


def test_the_directory_is_searched_by_name_description_code_and_field_title(directory, people):
    from zhengtong.data.exchange.selectors import service_list

    actor = people.actor("rs_clerk")

    def found(q):
        return [s.code for s in service_list(actor=actor, q=q)]

    assert found("公民身份号码") == ["ds-330106-ga-00001", "registry-person"]  # a field's title
    assert found("legal_representative_id") == ["ds-330106-sj-00001"]  # a field's name
    assert found("市场主体") == ["ds-330106-sj-00001"]
    assert found("（测试）") == ["ds-330106-ga-00001", "ds-330106-sj-00001"]  # descriptions
    assert found("registry") == ["registry-company", "registry-person"]
    assert found("户籍 出生日期") == ["ds-330106-ga-00001"]  # every word must match
    assert found("不存在的词") == []


def test_api_clients_and_staff_read_the_directory_and_the_openapi(directory, systems, people):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"ApiKey {systems.rs_key}")
    response = api.get("/api/v1/share/services")
    assert response.status_code == 200
    codes = [s["code"] for s in response.json()["results"]]
    assert codes == ["ds-330106-ga-00001", "ds-330106-sj-00001", "registry-company", "registry-person"]
    market = next(s for s in response.json()["results"] if s["code"] == "ds-330106-sj-00001")
    assert market["owner_department"] == "西湖区市场监督管理局"
    assert market["openapi"] == "http://testserver/api/v1/share/ds-330106-sj-00001/openapi.json"
    assert market["fields"][0] == {"name": "uscc", "title": "统一社会信用代码", "type": "string",
                                   "masking_kind": "credit_code"}
    assert api.get("/api/v1/share/services", {"share_type": "conditional"}).json()["results"][0]["code"] == (
        "ds-330106-ga-00001")
    document = api.get(market["openapi"])
    assert document.status_code == 200 and document.json()["info"]["title"] == "市场主体登记信息（ds-330106-sj-00001）"
    assert document.json()["servers"] == [{"url": "http://testserver"}]
    assert api.get("/api/v1/share/ds-nothing/openapi.json").status_code == 404

    staff = APIClient()
    staff.force_login(people.users["rs_clerk"])
    assert staff.get("/api/v1/share/services").status_code == 200


def test_the_directory_api_refuses_anonymous_callers_and_citizens(directory, people):
    anonymous = APIClient()
    assert anonymous.get("/api/v1/share/services").status_code in (401, 403)
    assert anonymous.get("/api/v1/share/ds-330106-sj-00001/openapi.json").status_code in (401, 403)
    citizen = APIClient()
    citizen.force_login(people.users["citizen"])
    assert citizen.get("/api/v1/share/services").status_code == 403


def test_a_deactivated_service_is_gone_from_the_directory(directory, systems):
    catalog_services.dataset_update(actor=SYSTEM, dataset=Dataset.objects.get(resource_code=HOUSEHOLD),
                                    share_type="not_shared")
    directory_sync()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"ApiKey {systems.rs_key}")
    assert "ds-330106-ga-00001" not in [s["code"] for s in api.get("/api/v1/share/services").json()["results"]]
    assert api.get("/api/v1/share/ds-330106-ga-00001/openapi.json").status_code == 404
    assert reverse("exchange-service-list") == "/api/v1/share/services"


def test_the_directory_s_queries_do_not_grow_with_its_services(directory, systems, people, departments):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhengtong.data.catalog.public import dataset_create, dataset_publish, schema_version_create

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"ApiKey {systems.rs_key}")
    staff = APIClient()
    staff.force_login(people.users["rs_clerk"])

    def counts():
        with CaptureQueriesContext(connection) as api_queries:
            assert api.get("/api/v1/share/services").status_code == 200
        with CaptureQueriesContext(connection) as page_queries:
            assert staff.get(reverse("exchange:directory")).status_code == 200
        return len(api_queries), len(page_queries)

    counts()  # the first call of a client notes when its key was last used
    before = counts()
    for n in range(3):
        code = f"330106-JY-0000{n + 1}"
        dataset_create(actor=SYSTEM, resource_code=code, title=f"学籍信息{n}", description="学籍",
                       owner_department_id=departments["330106-JY"].id, share_type="unconditional",
                       open_type="not_open", update_cycle="daily", sensitivity="L2")
        schema_version_create(actor=SYSTEM, resource_code=code, descriptor={
            "fields": [{"name": "student_id", "type": "string"}], "primaryKey": ["student_id"]})
        dataset_publish(actor=SYSTEM, resource_code=code)
    assert directory_sync() == 7
    assert counts() == before
