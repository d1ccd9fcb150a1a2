"""The real `ckanapi` client against a running portal: what harvesters and scripts written for
data.gov and data.gov.uk do, unchanged.

ckanapi calls /api/action/<name>; CKAN answers there and at /api/3/action/, and so does the root
URLconf."""

from datetime import timedelta

import ckanapi
import pytest
import requests
from zhengtong.data.opendata import ckan, keys, services
from zhengtong.data.opendata.models import OpenDataset

from .conftest import Codes

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    keys.auth_cache_clear()
    yield
    cache.clear()
    keys.auth_cache_clear()


@pytest.fixture
def world(live_server, open_world):
    return open_world


@pytest.fixture
def portal(live_server, world):
    return ckanapi.RemoteCKAN(live_server.url)


def test_package_search_through_ckanapi(portal):
    result = portal.action.package_search(fq="organization:330106-sj", sort="name asc", rows=10,
                                          **{"facet.field": ["groups", "res_format"]})
    assert result["count"] == 2
    assert [p["name"] for p in result["results"]] == [Codes.OPEN.lower(), Codes.APPLY.lower()]
    assert result["facets"] == {"groups": {"econ": 2}, "res_format": {"CSV": 2, "JSON": 2, "Parquet": 2, "XLSX": 2}}


def test_package_search_get_only_client(live_server, world):
    portal = ckanapi.RemoteCKAN(live_server.url, get_only=True)
    assert portal.action.package_search(q="食品")["count"] == 1


def test_package_show_and_organization_list_through_ckanapi(portal):
    package = portal.action.package_show(id=Codes.NINGBO.lower())
    assert (package["title"], package["organization"]["name"], package["groups"][0]["name"]) == (
        "宁波市交通违法处理窗口", "330200-ga", "tran")
    assert portal.action.organization_list() == ["330106-sj", "330200-ga"]
    organizations = portal.action.organization_list(all_fields=True)
    assert [(o["name"], o["package_count"]) for o in organizations] == [("330106-sj", 2), ("330200-ga", 1)]


def test_not_found_maps_to_ckanapi_not_found(portal):
    with pytest.raises(ckanapi.NotFound):
        portal.action.package_show(id=Codes.SECRET.lower())
    with pytest.raises(ckanapi.NotFound):
        portal.action.package_show(id="no-such-dataset")


def test_validation_errors_map_to_ckanapi_validation_error(portal):
    with pytest.raises(ckanapi.ValidationError) as raised:
        portal.action.package_search(fq="owner:alice")
    assert raised.value.error_dict["__type"] == "Validation Error"
    assert list(raised.value.error_dict) == ["__type", "fq", "message"]
    resource = ckan.resource_id(OpenDataset.objects.get(resource_code=Codes.OPEN).public_id, "CSV")
    with pytest.raises(ckanapi.ValidationError) as raised:
        portal.action.datastore_search(resource_id=resource, limit=5000)
    assert list(raised.value.error_dict) == ["__type", "limit", "message"]


def test_datastore_search_through_ckanapi(portal):
    package = portal.action.package_show(id=Codes.OPEN.lower())
    csv = next(r for r in package["resources"] if r["format"] == "CSV")
    page = portal.action.datastore_search(resource_id=csv["id"], filters={"category": "糕点类食品制售"},
                                          fields=["licence_no", "category"], limit=4, offset=2)
    assert page["total"] == 10
    assert [r["_id"] for r in page["records"]] == [8, 11, 14, 17]
    assert {r["category"] for r in page["records"]} == {"糕点类食品制售"}
    with pytest.raises(ckanapi.NotFound):
        portal.action.datastore_search(resource_id="00000000-0000-0000-0000-000000000000")


def test_datastore_search_sql_is_not_an_action(live_server, world):
    with requests.Session() as english, pytest.raises(ckanapi.CKANAPIError) as raised:
        english.headers["Accept-Language"] = "en"  # the assertion reads the English message
        ckanapi.RemoteCKAN(live_server.url, session=english).action.datastore_search_sql(sql="SELECT 1")
    assert "Action name not known: datastore_search_sql" in str(raised.value)
    assert "400" in str(raised.value)


def test_on_application_rows_need_the_approved_applicants_key(live_server, world, people):
    dataset = OpenDataset.objects.get(resource_code=Codes.APPLY)
    application = services.application_submit(
        applicant_user=people.users["developer"], open_dataset=dataset, purpose="研究个体工商户的行业分布情况",
        requested_until=services.china_today() + timedelta(days=30), agreement_accepted=True)
    services.application_decide(actor=people.actor("sj_data"), application=application, approve=True)
    _key, full_key = keys.developer_key_create(owner=people.users["developer"], name="ckanapi")
    resource = ckan.resource_id(dataset.public_id, "CSV")
    with pytest.raises(ckanapi.NotAuthorized):
        ckanapi.RemoteCKAN(live_server.url).action.datastore_search(resource_id=resource)
    page = ckanapi.RemoteCKAN(live_server.url, apikey=full_key).action.datastore_search(resource_id=resource, limit=3)
    assert (page["total"], len(page["records"])) == (12, 3)
