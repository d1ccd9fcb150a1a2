"""The CKAN-compatible Action API: each action's shape and values for the fixture world, search
with fq/sort/facets, each error in CKAN's envelope, nothing hidden in any answer, and the
datastore's access rule for on-application data."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from zhengtong.data.catalog.public import dataset_get
from zhengtong.data.opendata import ckan, keys, services
from zhengtong.data.opendata.errors import OpenDataError
from zhengtong.data.opendata.models import DailyUsage, OpenDataset

from .conftest import HIDDEN_WORDS, Codes

pytestmark = pytest.mark.django_db

OPEN, APPLY, NINGBO = Codes.OPEN.lower(), Codes.APPLY.lower(), Codes.NINGBO.lower()
ALL = [OPEN, APPLY, NINGBO]
FORMATS = ["CSV", "JSON", "Parquet", "XLSX"]
CKAN_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$")


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    keys.auth_cache_clear()
    yield
    cache.clear()
    keys.auth_cache_clear()


def call(client, action, headers=None, **params):
    response = client.get(f"/api/3/action/{action}", params, headers=headers or {})
    return response, response.json()


def post(client, action, body, headers=None):
    response = client.post(f"/api/3/action/{action}", json.dumps(body), content_type="application/json",
                           headers=headers or {})
    return response, response.json()


def ok(client, action, **params):
    response, body = call(client, action, **params)
    assert response.status_code == 200, body
    assert set(body) == {"help", "success", "result"}
    assert body["success"] is True
    assert body["help"] == f"http://testserver/api/3/action/help_show?name={action}"
    return body["result"]


def refused(client, action, status, headers=None, **params):
    response, body = call(client, action, headers=headers, **params)
    assert response.status_code == status, body
    assert set(body) == {"help", "success", "error"}
    assert body["success"] is False
    return body["error"]


def zh(text, **params):
    """A message as the API renders it by default (Chinese), before and after the translations
    are added."""
    with translation.override("zh-hans"):
        return translation.gettext(text) % params if params else translation.gettext(text)


def not_found_message(detail: str) -> str:
    return f"{zh('Not found')}: {detail}"


def dataset_unknown(value: str) -> str:
    with translation.override("zh-hans"):
        return not_found_message(OpenDataError("dataset_unknown", dataset=value).message)


def resource_unknown(value: str) -> str:
    with translation.override("zh-hans"):
        return not_found_message(OpenDataError("resource_unknown", resource=value).message)


def public_id(code: str) -> str:
    return str(dataset_get(resource_code=code).public_id)


def names(results):
    return [r["name"] for r in results]


# --- lists -------------------------------------------------------------------------------------

def test_package_list_names_the_public_datasets_only(open_world, client):
    assert ok(client, "package_list") == ALL
    assert ok(client, "package_list", limit=1, offset=1) == [APPLY]
    assert ok(client, "package_list", offset=3) == []


def test_package_list_refuses_a_negative_offset(open_world, client):
    error = refused(client, "package_list", 409, offset=-1)
    assert error == {"__type": "Validation Error", "offset": [zh("Must be a natural number")],
                     "message": f"offset: {zh('Must be a natural number')}"}


def test_organization_list_names_and_all_fields(open_world, client):
    assert ok(client, "organization_list") == ["330106-sj", "330200-ga"]
    full = ok(client, "organization_list", all_fields="true", sort="package_count desc")
    assert [(o["name"], o["title"], o["package_count"], o["id"]) for o in full] == [
        ("330106-sj", "西湖区市场监督管理局", 2, ckan.organization_id("330106-SJ")),
        ("330200-ga", "宁波市公安局", 1, ckan.organization_id("330200-GA")),
    ]
    assert full[0]["type"] == "organization" and full[0]["is_organization"] is True
    assert full[0]["state"] == "active"


def test_organization_show_by_name_or_id_with_its_datasets(open_world, client):
    by_name = ok(client, "organization_show", id="330106-sj", include_datasets="true")
    by_id = ok(client, "organization_show", id=ckan.organization_id("330106-SJ"), include_datasets="true")
    assert by_name == by_id
    assert by_name["name"] == "330106-sj" and by_name["package_count"] == 2
    assert sorted(names(by_name["packages"])) == [OPEN, APPLY]
    assert "packages" not in ok(client, "organization_show", id="330200-ga")


def test_a_department_whose_datasets_are_all_hidden_is_not_an_organization(open_world, client):
    # 330106-GA owns only the negative-list and L4 datasets.
    hidden = refused(client, "organization_show", 404, id="330106-ga")
    unknown = refused(client, "organization_show", 404, id="330106-xx")
    assert hidden["__type"] == unknown["__type"] == "Not Found Error"
    assert hidden["message"] == unknown["message"].replace("330106-xx", "330106-ga")
    assert "330106-ga" not in ok(client, "organization_list")


def test_group_list_is_the_data_themes(open_world, client):
    groups = ok(client, "group_list")
    assert groups == ["agri", "econ", "educ", "ener", "envi", "gove", "heal", "intr", "just", "regi", "soci",
                      "tech", "tran"]
    counts = {g["name"]: g["package_count"] for g in ok(client, "group_list", all_fields="true")}
    assert counts == {name: {"econ": 2, "tran": 1}.get(name, 0) for name in groups}


def test_tag_list_holds_only_public_keywords(open_world, client):
    assert ok(client, "tag_list") == sorted(["个体工商户", "交通", "公示", "窗口", "许可", "食品"])
    assert ok(client, "tag_list", query="食") == ["食品"]
    assert ok(client, "tag_list", all_fields="true", query="窗")[0]["name"] == "窗口"


# --- package_show ------------------------------------------------------------------------------

def test_package_show_in_ckan_shape(open_world, client):
    package = ok(client, "package_show", id=OPEN)
    assert ok(client, "package_show", id=public_id(Codes.OPEN)) == package
    dataset = OpenDataset.objects.get(resource_code=Codes.OPEN)
    assert {k: package[k] for k in ("id", "name", "title", "notes", "type", "state", "private", "isopen",
                                    "license_id", "license_title", "num_resources", "num_tags", "owner_org",
                                    "url", "version")} == {
        "id": public_id(Codes.OPEN), "name": OPEN, "title": "西湖区食品经营许可公示",
        "notes": "西湖区食品经营许可证的发证公示信息，每日更新。", "type": "dataset", "state": "active",
        "private": False, "isopen": True, "license_id": "CC-BY-4.0",
        "license_title": "Creative Commons Attribution 4.0", "num_resources": 4, "num_tags": 3,
        "owner_org": ckan.organization_id("330106-SJ"), "url": f"http://testserver/opendata/datasets/{Codes.OPEN}/",
        "version": "1",
    }
    assert package["organization"]["name"] == "330106-sj"
    assert package["organization"]["title"] == "西湖区市场监督管理局"
    assert package["tags"] == [{"name": t, "display_name": t, "state": "active", "vocabulary_id": None}
                               for t in sorted(["食品", "许可", "公示"])]
    assert [(g["name"], g["title"]) for g in package["groups"]] == [("econ", zh("Economy and finance"))]
    assert package["extras"] == [
        {"key": "department", "value": "西湖区市场监督管理局"}, {"key": "department_code", "value": "330106-SJ"},
        {"key": "open_tier", "value": "open"}, {"key": "region", "value": dataset.region_name},
        {"key": "region_code", "value": "330100"}, {"key": "resource_code", "value": Codes.OPEN},
        {"key": "update_cycle", "value": "daily"},
    ]
    assert CKAN_TIME.match(package["metadata_modified"]) and CKAN_TIME.match(package["metadata_created"])
    resources = package["resources"]
    assert [(r["format"], r["id"], r["url"], r["datastore_active"], r["package_id"], r["position"])
            for r in resources] == [
        (fmt, ckan.resource_id(dataset.public_id, fmt),
         f"http://testserver/opendata/datasets/{Codes.OPEN}/download.{fmt.lower()}", True, public_id(Codes.OPEN), i)
        for i, fmt in enumerate(FORMATS)
    ]


def test_a_dataset_without_data_has_no_resources(open_world, client):
    package = ok(client, "package_show", id=NINGBO)
    assert (package["resources"], package["num_resources"], package["version"]) == ([], 0, None)


def test_an_on_application_dataset_is_a_package_but_not_open(open_world, client):
    package = ok(client, "package_show", id=APPLY)
    assert package["isopen"] is False
    assert {"key": "open_tier", "value": "on_application"} in package["extras"]


@pytest.mark.parametrize("code", [Codes.NEGATIVE, Codes.SECRET, Codes.DRAFT])
def test_a_hidden_dataset_is_not_found_exactly_like_an_unknown_one(open_world, client, code):
    for value in (code.lower(), public_id(code)):
        error = refused(client, "package_show", 404, id=value)
        assert error == {"__type": "Not Found Error", "message": dataset_unknown(value)}
    assert refused(client, "package_show", 404, id="no-such-dataset") == {
        "__type": "Not Found Error", "message": dataset_unknown("no-such-dataset")}


def test_package_show_without_id_is_a_validation_error(open_world, client):
    error = refused(client, "package_show", 409)
    assert error == {"__type": "Validation Error", "id": [zh("Missing value")], "message": f"id: {zh('Missing value')}"}


# --- package_search ----------------------------------------------------------------------------

def test_package_search_shape_and_default_order(open_world, client):
    result = ok(client, "package_search")
    assert set(result) == {"count", "sort", "facets", "search_facets", "results"}
    assert result["count"] == 3
    assert result["sort"] == "score desc, metadata_modified desc"
    assert (result["facets"], result["search_facets"]) == ({}, {})
    expected = list(OpenDataset.objects.order_by("-metadata_modified", "name").values_list("name", flat=True))
    assert names(result["results"]) == expected
    assert result["results"][0] == ok(client, "package_show", id=expected[0])


def test_package_search_pages_with_rows_and_start(open_world, client):
    everything = names(ok(client, "package_search", sort="name asc")["results"])
    page = ok(client, "package_search", sort="name asc", rows=1, start=1)
    assert (page["count"], names(page["results"])) == (3, everything[1:2])
    assert names(ok(client, "package_search", rows=5000, sort="name asc")["results"]) == everything  # capped
    assert ok(client, "package_search", rows=0)["results"] == []


def test_package_search_text_query(open_world, client):
    result = ok(client, "package_search", q="食品")
    assert (result["count"], names(result["results"])) == (1, [OPEN])
    assert ok(client, "package_search", q="*:*")["count"] == 3
    assert ok(client, "package_search", q="tags:交通")["count"] == 1  # a fielded q filters


@pytest.mark.parametrize(("fq", "expected"), [
    ("organization:330106-sj", [OPEN, APPLY]),
    ("organization:330106-sj OR organization:330200-ga", ALL),
    ("(organization:330106-sj OR organization:330200-ga) AND groups:tran", [NINGBO]),
    ('tags:"个体工商户"', [APPLY]),
    ("tags:食品 tags:许可", [OPEN]),
    ("res_format:CSV", [OPEN, APPLY]),
    ("res_format:xlsx", [OPEN, APPLY]),
    ("license_id:CC-BY-4.0", ALL),
    (f"name:{NINGBO}", [NINGBO]),
    ("open_tier:on_application", [APPLY]),
    ("update_cycle:yearly", [NINGBO]),
    ("region:330200", [NINGBO]),
    ("+dataset_type:dataset +state:active", ALL),
    ("dataset_type:harvest", []),
    ("metadata_modified:[2000-01-01T00:00:00Z TO *]", ALL),
    ("metadata_modified:[2000-01-01T00:00:00.000000Z TO NOW]", ALL),
    ("metadata_modified:[* TO 2000-01-01T00:00:00Z]", []),
    ("metadata_modified:[NOW+1DAY TO *]", []),
    ("organization:330106-ga", []),  # the hidden datasets' department
])
def test_package_search_fq(open_world, client, fq, expected):
    result = ok(client, "package_search", fq=fq, sort="name asc")
    assert (result["count"], names(result["results"])) == (len(expected), sorted(expected))


def test_the_harvester_incremental_query(open_world, client):
    """ckanext-harvest's CKAN harvester asks for changes since its last run, sorted by id."""
    dataset = OpenDataset.objects.get(resource_code=Codes.NINGBO)
    OpenDataset.objects.filter(pk=dataset.pk).update(metadata_modified=dataset.metadata_modified + timedelta(days=2))
    since = ckan.ckan_time(dataset.metadata_modified + timedelta(days=1))
    result = ok(client, "package_search", fq=f"metadata_modified:[{since}Z TO *]", sort="id asc", rows=100, start=0)
    assert names(result["results"]) == [NINGBO]
    ids = [r["id"] for r in ok(client, "package_search", sort="id asc")["results"]]
    assert ids == sorted(ids)


@pytest.mark.parametrize(("fq", "detail"), [
    ("owner:alice", "is not a field this portal filters on"),
    ("organization:330106-sj OR tags:食品", "OR between different fields"),
    ("-tags:食品", "excluding terms"),
    ("食品", "cannot read"),
    ("metadata_modified:[yesterday TO *]", "is not a date"),
    ("metadata_modified:2026-01-01", "takes a range"),
    ("(organization:330106-sj", "unbalanced parentheses"),
    ("organization:330106-sj OR", "OR needs a term"),
])
def test_a_malformed_fq_is_a_validation_error(open_world, client, fq, detail):
    with translation.override("en"):
        error = refused(client, "package_search", 409, headers={"Accept-Language": "en"}, fq=fq)
    assert error["__type"] == "Validation Error"
    assert error["message"].startswith("Search Query is invalid: ")
    assert detail in error["message"]
    assert error["fq"] == [error["message"].removeprefix("Search Query is invalid: ")]


def test_package_search_sorts(open_world, client):
    assert names(ok(client, "package_search", sort="name asc")["results"]) == sorted(ALL)
    assert names(ok(client, "package_search", sort="name desc")["results"]) == sorted(ALL, reverse=True)
    titles = [r["title"] for r in ok(client, "package_search", sort="title_string asc")["results"]]
    assert titles == sorted(titles)
    by_modified = ok(client, "package_search", sort="metadata_modified asc")["results"]
    assert [r["metadata_modified"] for r in by_modified] == sorted(r["metadata_modified"] for r in by_modified)
    scored = ok(client, "package_search", q="西湖区 食品", sort="score desc, metadata_modified desc")
    assert names(scored["results"])[0] == OPEN


def test_an_unknown_sort_is_a_validation_error(open_world, client):
    with translation.override("en"):
        error = refused(client, "package_search", 409, headers={"Accept-Language": "en"}, sort="popularity desc")
    assert error == {"__type": "Validation Error",
                     "sort": ["“popularity” is not a field to sort by; fields: score, metadata_modified, "
                              "metadata_created, name, title_string, title, id."],
                     "message": "sort: “popularity” is not a field to sort by; fields: score, metadata_modified, "
                                "metadata_created, name, title_string, title, id."}
    assert refused(client, "package_search", 409, rows="ten")["rows"] == [zh("Invalid integer")]


def test_package_search_facets(open_world, client):
    result = ok(client, "package_search", **{
        "facet.field": json.dumps(["organization", "groups", "tags", "res_format", "license_id", "open_tier"])})
    assert result["facets"] == {
        "organization": {"330106-sj": 2, "330200-ga": 1},
        "groups": {"econ": 2, "tran": 1},
        "tags": {"个体工商户": 1, "交通": 1, "公示": 1, "窗口": 1, "许可": 1, "食品": 1},
        "res_format": {"CSV": 2, "JSON": 2, "Parquet": 2, "XLSX": 2},
        "license_id": {"CC-BY-4.0": 3},
        "open_tier": {"open": 2, "on_application": 1},
    }
    assert result["search_facets"]["organization"] == {"title": "organization", "items": [
        {"name": "330106-sj", "display_name": "西湖区市场监督管理局", "count": 2},
        {"name": "330200-ga", "display_name": "宁波市公安局", "count": 1},
    ]}
    # Counts are of the filtered result, as Solr's are.
    filtered = ok(client, "package_search", fq="groups:econ", **{"facet.field": '["organization","groups"]'})
    assert filtered["facets"] == {"organization": {"330106-sj": 2}, "groups": {"econ": 2}}
    limited = ok(client, "package_search", **{"facet.field": '["organization"]', "facet.limit": "1"})
    assert limited["facets"] == {"organization": {"330106-sj": 2}}
    off = ok(client, "package_search", facet="false", **{"facet.field": '["organization"]'})
    assert off["facets"] == {}
    error = refused(client, "package_search", 409, **{"facet.field": '["maintainer"]'})
    assert list(error) == ["__type", "facet.field", "message"]


def test_package_search_by_post_as_ckanapi_sends_it(open_world, client):
    response, body = post(client, "package_search", {"fq": "organization:330106-sj", "rows": 1, "sort": "name asc",
                                                     "facet.field": ["groups"]})
    assert response.status_code == 200 and body["success"] is True
    assert (body["result"]["count"], names(body["result"]["results"]), body["result"]["facets"]) == (
        2, [OPEN], {"groups": {"econ": 2}})


def test_package_search_queries_do_not_grow_with_rows(open_world, client):
    with CaptureQueriesContext(connection) as one:
        ok(client, "package_search", rows=1, **{"facet.field": '["organization","tags"]'})
    with CaptureQueriesContext(connection) as three:
        ok(client, "package_search", rows=3, **{"facet.field": '["organization","tags"]'})
    assert len(one) == len(three)


# --- resources and the datastore ---------------------------------------------------------------

def test_resource_show(open_world, client):
    dataset = OpenDataset.objects.get(resource_code=Codes.OPEN)
    rid = ckan.resource_id(dataset.public_id, "Parquet")
    resource = ok(client, "resource_show", id=rid)
    assert {k: resource[k] for k in ("id", "package_id", "format", "url", "datastore_active", "mimetype")} == {
        "id": rid, "package_id": str(dataset.public_id), "format": "Parquet",
        "url": f"http://testserver/opendata/datasets/{Codes.OPEN}/download.parquet", "datastore_active": True,
        "mimetype": "application/vnd.apache.parquet"}


@pytest.mark.parametrize("value", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "hidden"])
def test_an_unknown_or_hidden_resource_is_not_found(open_world, client, value):
    if value == "hidden":
        value = ckan.resource_id(dataset_get(resource_code=Codes.NEGATIVE).public_id, "CSV")
    assert refused(client, "resource_show", 404, id=value) == {"__type": "Not Found Error",
                                                               "message": resource_unknown(value)}
    assert refused(client, "datastore_search", 404, resource_id=value) == {
        "__type": "Not Found Error", "message": resource_unknown(value)}


def _rid(code, fmt="CSV"):
    return ckan.resource_id(OpenDataset.objects.get(resource_code=code).public_id, fmt)


def test_datastore_search_pages_an_open_dataset(open_world, client):
    rid = _rid(Codes.OPEN)
    result = ok(client, "datastore_search", resource_id=rid, limit=5)
    assert set(result) == {"resource_id", "fields", "records", "limit", "offset", "_links", "total",
                           "total_was_estimated", "include_total", "records_format"}
    assert (result["resource_id"], result["limit"], result["offset"], result["total"],
            result["total_was_estimated"]) == (rid, 5, 0, 30, False)
    assert [f["id"] for f in result["fields"]] == ["_id", "licence_no", "company_name", "uscc", "category",
                                                   "division_code", "issued_on", "seats", "contact_mobile"]
    assert [r["_id"] for r in result["records"]] == [1, 2, 3, 4, 5]
    assert result["records"][0]["licence_no"] == "JY333010600001"
    assert result["records"][0]["contact_mobile"] != "13805710001"  # served masked
    assert result["_links"] == {
        "start": f"/api/3/action/datastore_search?resource_id={rid}&limit=5",
        "next": f"/api/3/action/datastore_search?resource_id={rid}&limit=5&offset=5",
    }
    deep = ok(client, "datastore_search", resource_id=rid, limit=5, offset=28)
    assert [r["_id"] for r in deep["records"]] == [29, 30]
    usage = DailyUsage.objects.get(resource_code=Codes.OPEN, channel="ckan", key_prefix="")
    assert (usage.calls, usage.rows) == (2, 7)


def test_datastore_search_filters_fields_and_sort(open_world, client):
    rid = _rid(Codes.OPEN, "JSON")
    result = ok(client, "datastore_search", resource_id=rid, filters=json.dumps({"category": "热食类食品制售"}),
                fields="licence_no,seats", sort="seats desc", limit=3)
    assert [f["id"] for f in result["fields"]] == ["_id", "licence_no", "seats"]
    assert result["total"] == 10
    assert [r["licence_no"] for r in result["records"]] == ["JY333010600028", "JY333010600025", "JY333010600022"]
    response, body = post(client, "datastore_search", {"resource_id": rid, "filters": {"category": ["糕点类食品制售",
                                                                                                   "预包装食品销售"]},
                                                        "fields": ["licence_no"], "limit": 100})
    assert body["result"]["total"] == 20


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 5000}, "limit"),
    ({"limit": 0}, "limit"),
    ({"filters": '{"no_such_column": "x"}'}, "filters"),
    ({"fields": "licence_no,no_such_column"}, "fields"),
    ({"filters": '{"seats": "many"}'}, "filters"),
    ({"filters": "[1]"}, "filters"),
    ({"q": "餐饮"}, "q"),
    ({"sort": "no_such_column"}, "sort"),
])
def test_datastore_search_bad_input_is_a_validation_error_and_not_metered(open_world, client, params, field):
    error = refused(client, "datastore_search", 409, resource_id=_rid(Codes.OPEN), **params)
    assert error["__type"] == "Validation Error"
    assert list(error) == ["__type", field, "message"]
    assert error["message"] == f"{field}: {error[field][0]}"
    assert DailyUsage.objects.count() == 0


def test_datastore_search_limit_over_the_maximum_says_the_maximum(open_world, client):
    with translation.override("en"):
        error = refused(client, "datastore_search", 409, headers={"Accept-Language": "en"},
                        resource_id=_rid(Codes.OPEN), limit=1001)
    assert error["limit"] == ["“limit” must be a whole number from 1 to 1000."]


@pytest.fixture
def approved(open_world, people):
    """The developer's approved application for APPLY, and a key of theirs and one of another person."""
    dataset = OpenDataset.objects.get(resource_code=Codes.APPLY)
    application = services.application_submit(
        applicant_user=people.users["developer"], open_dataset=dataset, purpose="研究个体工商户的行业分布情况",
        requested_until=services.china_today() + timedelta(days=30), agreement_accepted=True)
    services.application_decide(actor=people.actor("sj_data"), application=application, approve=True)
    _key, developer_key = keys.developer_key_create(owner=people.users["developer"], name="ckan")
    _key, other_key = keys.developer_key_create(owner=people.users["other"], name="ckan")
    return developer_key, other_key


def test_datastore_search_of_on_application_data_needs_the_approved_applicants_key(approved, client):
    developer_key, other_key = approved
    rid = _rid(Codes.APPLY)
    for headers in ({}, {"Authorization": other_key}):
        error = refused(client, "datastore_search", 403, headers=headers, resource_id=rid)
        assert error["__type"] == "Authorization Error"
        assert error["message"].startswith(zh("Access denied") + ": ")
    assert DailyUsage.objects.count() == 0
    result = ok_with(client, "datastore_search", {"Authorization": developer_key}, resource_id=rid, limit=2)
    assert (result["total"], [r["_id"] for r in result["records"]]) == (12, [1, 2])
    assert result["records"][0]["operator_name"] != "张四1"  # masked
    usage = DailyUsage.objects.get(resource_code=Codes.APPLY, channel="ckan")
    assert (usage.key_prefix, usage.calls, usage.rows) == (developer_key[:12], 1, 2)


def ok_with(client, action, headers, **params):
    response, body = call(client, action, headers=headers, **params)
    assert response.status_code == 200, body
    return body["result"]


def test_a_bad_key_is_an_authorization_error(open_world, client):
    error = refused(client, "datastore_search", 403, headers={"Authorization": "zto_00000000_nope"},
                    resource_id=_rid(Codes.OPEN))
    with translation.override("zh-hans"):
        assert error == {"__type": "Authorization Error",
                         "message": f"{zh('Access denied')}: {OpenDataError('key_invalid').message}"}
    assert DailyUsage.objects.count() == 0


def test_datastore_search_without_resource_id(open_world, client):
    assert refused(client, "datastore_search", 409)["resource_id"] == [zh("Missing value")]


# --- what CKAN answers besides ------------------------------------------------------------------

@pytest.mark.parametrize("method", ["get", "post"])
def test_datastore_search_sql_does_not_exist(open_world, client, method):
    response = getattr(client, method)("/api/3/action/datastore_search_sql", {"sql": "SELECT * FROM x"})
    assert response.status_code == 400
    assert response.json() == f"{zh('Bad request')} - {zh('Action name not known: %(name)s', name='datastore_search_sql')}"


def test_status_show_site_read_and_help_show(open_world, client):
    status = ok(client, "status_show")
    assert (status["ckan_version"], status["site_url"], status["extensions"]) == (
        ckan.CKAN_VERSION, "http://testserver", ["datastore"])
    assert ok(client, "site_read") is True
    assert ok(client, "help_show", name="package_show") == "One dataset by `id` (its public id) or name."
    assert refused(client, "help_show", 404, name="datastore_search_sql")["__type"] == "Not Found Error"


def test_a_body_that_is_not_a_json_object_is_a_bad_request(open_world, client):
    response = client.post("/api/3/action/package_search", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json().startswith(zh("Bad request") + " - ")
    response = client.post("/api/3/action/package_search", "{nope", content_type="application/json")
    assert response.status_code == 400


def test_messages_read_in_english_on_request(open_world, client):
    response = client.get("/api/3/action/package_show", {"id": "nothing"}, headers={"Accept-Language": "en"})
    assert response.json()["error"] == {"__type": "Not Found Error",
                                         "message": "Not found: There is no open dataset “nothing”."}


def test_no_hidden_dataset_leaks_through_any_action(open_world, client):
    everything = "&".join(["facet.field=" + json.dumps(list(ckan.FACET_FIELDS))])
    bodies = [
        client.get(f"/api/3/action/package_search?{everything}&rows=1000").content,
        client.get("/api/3/action/package_search", {"q": "卡口点位 重点人员管控 未发布草稿"}).content,
        client.get("/api/3/action/package_list").content,
        client.get("/api/3/action/organization_list", {"all_fields": "true"}).content,
        client.get("/api/3/action/organization_show", {"id": "330106-sj", "include_datasets": "true"}).content,
        client.get("/api/3/action/group_list", {"all_fields": "true"}).content,
        client.get("/api/3/action/tag_list").content,
    ]
    text = b"".join(bodies).decode()
    for word in HIDDEN_WORDS:
        assert word not in text
    for code in (Codes.NEGATIVE, Codes.SECRET, Codes.DRAFT):
        assert code.lower() not in text and public_id(code) not in text
    assert json.loads(bodies[1])["result"]["count"] == 0
