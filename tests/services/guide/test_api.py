"""The guide's open API: search, an item, a published implementation list; nothing unpublished."""

from uuid import uuid4

import pytest
from django.test import Client

from tests.services.guide.conftest import implementation_data, materials_data
from zhengtong.services.guide.models import ItemImplementation


@pytest.fixture
def api():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_search_with_filters_and_facets(api, listed):
    body = api.get("/api/v1/guide/items", {"q": "出生医学证明", "division": "330108"}).json()
    assert (body["query"], body["total"], body["page"], body["pages"], body["division_code"]) == (
        "出生医学证明", 2, 1, 1, "330108")
    first, second = body["results"]
    assert first["item"] == {"public_id": first["item"]["public_id"], "code": "330000-WJ-0001", "name": "出生医学证明核发",
                             "item_type": "public_service", "serving": "both", "basis": "《中华人民共和国就业促进法》第四十四条",
                             "theme": "生育收养"}
    assert first["implementation"]["division_code"] == "330108"
    assert first["implementation"]["department_name"] == "滨江区卫生健康局"
    assert second["item"]["code"] == "330000-GA-0001" and second["implementation"]["division_code"] == "330100"
    facets = {facet["name"]: facet for facet in body["facets"]}
    assert facets["serving"]["values"] == [
        {"value": "citizen", "label": "For citizens", "count": 2, "selected": False},
        {"value": "company", "label": "For companies", "count": 1, "selected": False}]
    body = api.get("/api/v1/guide/items", {"serving": "company", "type": "licensing"}).json()
    assert [r["item"]["code"] for r in body["results"]] == ["330000-SJ-0001"]
    # Unknown filter values are ignored rather than failing; an unknown division finds nothing.
    assert api.get("/api/v1/guide/items", {"serving": "aliens", "page": "x"}).json()["total"] == 6
    assert api.get("/api/v1/guide/items", {"division": "999999"}).json()["total"] == 0


def test_an_item_lists_where_it_is_published(api, listed):
    body = api.get("/api/v1/guide/items/330000-RS-0101").json()
    assert (body["code"], body["name"], body["handling_kind"], body["keywords"], body["parent_code"]) == (
        "330000-RS-0101", "职业技能培训补贴申领", "new", ["培训补贴", "技能提升"], None)
    (implementation,) = body["implementations"]
    assert implementation == {
        "public_id": str(listed.public_id), "division_code": "330106", "division_name": "西湖区",
        "department_name": "西湖区人力资源和社会保障局", "promised_days": 5, "legal_days": 20, "visits": 0,
        "online": True, "mobile": True, "instant": False, "free": False}
    for code in ("330000-RS-0002", "330000-ZJ-0001", "NO-SUCH"):  # a draft, suspended, unknown
        assert api.get(f"/api/v1/guide/items/{code}").status_code == 404


def test_a_published_implementation_in_full(api, listed):
    body = api.get(f"/api/v1/guide/implementations/{listed.public_id}").json()
    assert (body["item_code"], body["division_code"], body["department_code"], body["process"]) == (
        "330000-RS-0101", "330106", "330106-RS", "standard")
    assert body["fees"] == [{"name": "工本费", "amount_fen": 1500, "basis": "浙价费〔2017〕1号"}]
    assert body["place"] == implementation_data()["place"] and body["special_steps"] == "现场核验原件"
    assert body["form_fields"][0] == {"name": "applicant_name", "label": "Applicant's name", "kind": "text",
                                      "required": True, "choices": [], "prefill": "person.name", "help": "",
                                      "max_length": 50}
    assert [(m["code"], m["source"], m["source_ref"]) for m in body["materials"]] == [
        (m["code"], m["source"], m["source_ref"]) for m in materials_data()]
    chinese = Client().get(f"/api/v1/guide/implementations/{listed.public_id}").json()
    assert chinese["form_fields"][0]["label"] == "申请人姓名"
    draft = ItemImplementation.objects.get(item__code="330000-RS-0002")
    assert api.get(f"/api/v1/guide/implementations/{draft.public_id}").status_code == 404
    assert api.get(f"/api/v1/guide/implementations/{uuid4()}").status_code == 404
