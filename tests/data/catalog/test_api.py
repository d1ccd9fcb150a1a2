"""The catalog's REST API: scoped like the pages, validated like the services, exports negotiated."""

import pytest
from rdflib import Graph
from rest_framework.test import APIClient

from zhengtong.data.catalog.models import Dataset, QualityRule, TableSchema

from .conftest import PERSON_SCHEMA

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings(r"ignore:(ConjunctiveGraph|Dataset\.).*:DeprecationWarning"),
]

LIST = "/api/v1/catalog/datasets/"


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def as_user(api, people, name):
    api.force_authenticate(people.users[name])
    return api


def create_body(**overrides) -> dict:
    body = {
        "owner_department": "330106-GA", "title": "流动人口登记信息", "description": "流动人口的居住登记。",
        "keywords": ["流动人口"], "theme": "SOCI", "share_type": "conditional", "open_type": "not_open",
        "grade": "important", "sensitivity": "L3", "update_cycle": "daily",
    }
    body.update(overrides)
    return body


def test_anonymous_callers_and_citizens_are_refused(api, people, make_dataset):
    dataset = make_dataset(schema=PERSON_SCHEMA, publish=True)
    for url in (LIST, f"{LIST}{dataset.public_id}/", f"{LIST}{dataset.public_id}/dcat", "/api/v1/catalog/dcat"):
        assert api.get(url).status_code == 401
        assert as_user(APIClient(), people, "citizen").get(url).status_code == 403


def test_the_list_is_scoped_searched_and_faceted(api, people, make_dataset, departments):
    make_dataset(title="户籍人口基本信息", schema=PERSON_SCHEMA, publish=True)
    make_dataset(title="社会保险参保人员", owner_department_id=departments["330106-RS"].id, actor="province_dsj_admin",
                 schema=PERSON_SCHEMA, publish=True)
    make_dataset(title="流动人口草稿")
    body = as_user(api, people, "binjiang_ga_officer").get(LIST).json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert [row["title"] for row in body["results"]] == ["户籍人口基本信息", "社会保险参保人员"]
    first = body["results"][0]
    assert (first["resource_code"], first["owner_department"]["code"], first["schema_version"], first["status"]) == (
        "330106-GA-00001", "330106-GA", 1, "published")
    assert first["contact"] == {"name": "", "email": "", "phone": ""}
    facets = {facet["name"]: facet["values"] for facet in body["facets"]}
    assert facets["department"] == [
        {"value": "330106-GA", "label": departments["330106-GA"].name, "count": 1, "selected": False},
        {"value": "330106-RS", "label": departments["330106-RS"].name, "count": 1, "selected": False},
    ]
    body = api.get(LIST, {"q": "参保"}).json()
    assert [row["title"] for row in body["results"]] == ["社会保险参保人员"]
    body = api.get(LIST, {"department": "330106-GA", "page_size": 1}).json()
    assert [row["title"] for row in body["results"]] == ["户籍人口基本信息"]
    assert as_user(api, people, "xihu_ga_officer").get(LIST).json()["count"] == 3
    assert api.get(LIST, {"page": 9}).status_code == 404


def test_the_list_pages_and_its_query_count_is_fixed(api, people, make_dataset, django_assert_max_num_queries):
    for number in range(3):
        make_dataset(title=f"数据集{number}")
    as_user(api, people, "xihu_ga_officer")
    with django_assert_max_num_queries(20) as few:
        assert api.get(LIST, {"q": "数据集"}).status_code == 200
    for number in range(3, 25):
        make_dataset(title=f"数据集{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = api.get(LIST, {"q": "数据集", "page_size": 10}).json()
    assert body["count"] == 25 and len(body["results"]) == 10
    assert body["next"] == "http://testserver/api/v1/catalog/datasets/?page=2&page_size=10&q=%E6%95%B0%E6%8D%AE%E9%9B%86"
    second = api.get(body["next"]).json()
    assert len(second["results"]) == 10 and {r["title"] for r in second["results"]}.isdisjoint(
        {r["title"] for r in body["results"]})
    assert second["previous"] == "http://testserver/api/v1/catalog/datasets/?page_size=10&q=%E6%95%B0%E6%8D%AE%E9%9B%86"


def test_registering_and_editing(api, people, snapshot):
    as_user(api, people, "xihu_ga_officer")
    response = api.post(LIST, create_body(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["resource_code"], body["status"], body["spatial_code"], body["keywords"]) == (
        "330106-GA-00001", "draft", "330106", ["流动人口"])
    url = f"{LIST}{body['public_id']}/"

    before = snapshot()
    response = api.post(LIST, create_body(sensitivity="L4", open_type="conditional", owner_department="nope"),
                        format="json")
    assert response.status_code == 400
    assert response.json() == {"owner_department": ["Object with code=nope does not exist."]}
    response = api.post(LIST, create_body(sensitivity="L4", open_type="conditional"), format="json")
    assert response.json() == {"open_type": ["An L4 (sensitive) dataset is never opened: its open type must be “Not open”."]}
    assert api.post(LIST, create_body(owner_department="330108-GA"), format="json").status_code == 403
    assert api.patch(url, {"sensitivity": "L2"}, format="json").json() == {
        "sensitivity": ["Important data (GB/T 43697) is at least fairly sensitive: its level must be L3 or L4."]}
    assert snapshot() == before

    response = api.patch(url, {"title": "流动人口信息", "temporal_start": "2020-01-01"}, format="json")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["temporal_start"]) == ("流动人口信息", "2020-01-01")
    assert as_user(api, people, "province_dsj_admin").patch(url, {"contact_name": "数据科"}, format="json").status_code == 200
    as_user(api, people, "xihu_ga_caseworker")
    assert api.get(url).status_code == 200  # same department: sees the draft
    assert api.patch(url, {"title": "x"}, format="json").status_code == 403
    assert as_user(api, people, "binjiang_ga_officer").get(url).status_code == 404


def test_schema_rules_publication(api, people, make_dataset, snapshot):
    dataset = make_dataset()
    base = f"{LIST}{dataset.public_id}"
    as_user(api, people, "xihu_ga_officer")
    assert api.post(f"{base}/publish").json() == {"non_field_errors": [
        "Give the dataset a table schema before publishing it: loads and users need to know its fields."]}

    before = snapshot()
    response = api.post(f"{base}/schema", {"descriptor": {"fields": [{"name": "ID"}], "primaryKey": "id"}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"problems": [
        {"path": "fields[0].name", "code": "name_invalid", "message":
         "Field 1 (ID): the name must start with a lower-case letter and hold only lower-case letters, digits and "
         "underscores, at most 63 characters, so that it can be a database column."},
        {"path": "primaryKey", "code": "primary_key_unknown",
         "message": "The primary key names “id”, which is not a field of the schema."},
    ]}
    assert snapshot() == before
    response = api.post(f"{base}/schema", {"descriptor": PERSON_SCHEMA}, format="json")
    assert response.status_code == 201 and response.json()["version"] == 1
    assert TableSchema.objects.get().descriptor == PERSON_SCHEMA

    response = api.post(f"{base}/rules", {"code": "fresh", "kind": "timeliness"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"code": "fresh", "kind": "timeliness", "field": "", "params": {}, "description": "",
                               "is_active": True, "derived": False}
    assert api.post(f"{base}/rules", {"code": "g", "kind": "enum", "field": "gender"}, format="json").json() == {
        "params": ["An enum rule needs “values”, a non-empty list of the allowed values."]}
    rules = api.get(f"{base}/rules").json()
    assert [(r["code"], r["derived"]) for r in rules][-2:] == [("range:allowance", True), ("fresh", False)]
    assert QualityRule.objects.count() == 1

    response = api.post(f"{base}/publish")
    assert response.status_code == 200 and response.json()["status"] == "published"
    response = as_user(api, people, "binjiang_ga_officer").post(f"{base}/retire", {"reason": "x"}, format="json")
    assert response.status_code == 403
    response = as_user(api, people, "xihu_ga_officer").post(f"{base}/retire", {"reason": "替代"}, format="json")
    assert response.json()["status"] == "retired"
    assert Dataset.objects.get().status == "retired"


def test_dcat_is_negotiated_and_the_data_package_served(api, people, make_dataset):
    dataset = make_dataset(schema=PERSON_SCHEMA, publish=True)
    make_dataset(title="草稿")
    as_user(api, people, "binjiang_ga_officer")
    url = f"{LIST}{dataset.public_id}/dcat"
    turtle = api.get(url, {"format": "ttl"})
    assert turtle.status_code == 200 and turtle["Content-Type"] == "text/turtle; charset=utf-8"
    json_ld = api.get(url, HTTP_ACCEPT="application/ld+json")
    assert json_ld["Content-Type"] == "application/ld+json; charset=utf-8"
    default = api.get(url)
    assert default["Content-Type"] == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=turtle.content.decode(), format="turtle")
    assert len(graph) == len(Graph().parse(data=json_ld.content.decode(), format="json-ld")) > 20
    assert "http://testserver/id/dataset/330106-GA-00001" in turtle.content.decode()
    assert api.get(url, {"format": "xml"}).status_code == 404

    catalog = api.get("/api/v1/catalog/dcat", {"format": "ttl"}).content.decode()
    assert "330106-GA-00001" in catalog and "330106-GA-00002" not in catalog  # drafts are not in the catalog

    package = api.get(f"{LIST}{dataset.public_id}/datapackage.json").json()
    assert package["name"] == "330106-ga-00001"
    assert package["resources"][0]["path"] == "http://testserver/opendata/datasets/330106-GA-00001/download.csv"
    assert package["resources"][0]["schema"] == PERSON_SCHEMA
