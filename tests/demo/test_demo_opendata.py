"""The demo province's open data: the portal shows the departments' open datasets with their data,
the on-application ones without it, and none of the hidden ones; the demo citizen's developer key,
application, data request and showcase work."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from tests.demo.conftest import demo_built_once
from zhengtong.data.catalog.models import Dataset
from zhengtong.data.opendata import records
from zhengtong.data.opendata.keys import key_authenticate
from zhengtong.data.opendata.models import (
    ApplicationStatus,
    DataRequest,
    DeveloperKey,
    OpenDataApplication,
    OpenDataset,
    ServedTable,
    Showcase,
    ShowcaseStatus,
)
from zhengtong.data.opendata.selectors import open_dataset_search
from zhengtong.demo.datasets import HOUSEHOLD_REGISTER, MARKET_REGISTER, SOCIAL_INSURANCE
from zhengtong.demo.opendata import (
    HIDDEN_DATASETS,
    OPEN_DATASETS,
    Places,
    demo_developer_key,
    demo_open_rows,
)
from zhengtong.kernel.identity.models import Citizen
from zhengtong.kernel.org.models import Division

SEED = 5


pytestmark = pytest.mark.xdist_group("demo_opendata")


@pytest.fixture(scope="module")
def demo_once(django_db_setup, django_db_blocker, tmp_path_factory):
    lake = tmp_path_factory.mktemp("lake")
    with demo_built_once(django_db_blocker, lake, seed=SEED) as out:
        yield out, lake


@pytest.fixture
def demo(demo_once, db, settings):
    out, lake = demo_once
    settings.LAKE_URL = lake.as_uri()  # the served copies and downloads read the build's lake
    return out


def _code(title: str) -> str:
    return Dataset.objects.get(title=title).resource_code


def test_the_portal_shows_the_open_datasets_with_data_and_none_of_the_hidden(demo):
    open_codes = {_code(spec.title) for spec in OPEN_DATASETS}
    hidden = {_code(spec.title) for spec in HIDDEN_DATASETS} | {_code(SOCIAL_INSURANCE.title),
                                                                _code(HOUSEHOLD_REGISTER.title)}
    market_register = _code(MARKET_REGISTER.title)  # the departments' L2 register: on application
    assert set(OpenDataset.objects.values_list("resource_code", flat=True)) == open_codes | {market_register}
    assert not hidden & set(OpenDataset.objects.values_list("resource_code", flat=True))

    tiers = dict(OpenDataset.objects.values_list("title", "tier"))
    assert {t for t, tier in tiers.items() if tier == "open"} == {
        "杭州市食品经营许可公示信息", "杭州市城市公共厕所分布", "杭州市空气质量日报", "宁波市公交站点信息",
        "温州市电动汽车公共充电站", "浙江省中小学校名录"}
    assert {t for t, tier in tiers.items() if tier == "on_application"} == {
        "杭州市个体工商户经营者信息", "杭州市养老服务补贴发放信息", MARKET_REGISTER.title}
    # Several departments and cities (and the province).
    assert set(OpenDataset.objects.values_list("region_code", flat=True)) == {"330000", "330100", "330200", "330300"}
    assert OpenDataset.objects.values("department_code").distinct().count() == 7

    # Every open dataset is served whole, with downloads; the row counts are what was generated.
    places = Places.load()
    for spec in OPEN_DATASETS:
        open_dataset = OpenDataset.objects.get(title=spec.title)
        served = ServedTable.objects.get(open_dataset=open_dataset)
        assert served.row_count == open_dataset.row_count == len(demo_open_rows(spec, places, seed=SEED))
        assert 300 <= served.row_count <= 5000
        assert open_dataset.formats == "CSV,JSON,Parquet,XLSX"
    toilets = OpenDataset.objects.get(title="杭州市城市公共厕所分布")
    assert toilets.openness_stars == 5  # its division codes link to GB/T 2260
    traders = OpenDataset.objects.get(title="杭州市个体工商户经营者信息")
    first = records.records_preview(traders, rows=5).records
    assert all("*" in row["operator_name"] and "*" in row["mobile"] for row in first)

    # No channel names a hidden dataset: search, the CKAN API, the open API.
    hidden_titles = [spec.title for spec in HIDDEN_DATASETS] + [SOCIAL_INSURANCE.title, HOUSEHOLD_REGISTER.title]
    for title in hidden_titles:
        found = open_dataset_search(query=title, limit=100)
        assert found.total == len(found.results) and not hidden & {r.resource_code for r in found.results}
    assert open_dataset_search(query="视频监控").total == 0
    client = Client()
    listed = client.get("/api/3/action/package_list").json()["result"]
    assert sorted(listed) == sorted(code.lower() for code in open_codes | {market_register})
    for code in hidden:
        assert client.get("/api/3/action/package_show", {"id": code.lower()}).status_code == 404
        assert client.get(f"/api/v1/open/datasets/{code}").status_code == 404


def test_the_demo_citizen_has_a_working_key_an_approved_application_a_request_and_a_showcase(demo):
    key = demo_developer_key(SEED)
    assert key in demo  # printed with the accounts
    citizen = Citizen.objects.filter(user__isnull=False).order_by("id").first()
    assert key_authenticate(f"Key {key}").owner_id == citizen.user_id
    assert DeveloperKey.objects.filter(owner=citizen.user).count() == 1

    toilets = OpenDataset.objects.get(title="杭州市城市公共厕所分布")
    page = Client().get(f"/api/v1/open/datasets/{toilets.resource_code}/records", {"limit": 3},
                        HTTP_AUTHORIZATION=f"Key {key}")
    assert page.status_code == 200 and len(page.json()["records"]) == 3

    application = OpenDataApplication.objects.get(applicant=citizen.user)
    assert application.status == ApplicationStatus.APPROVED
    assert application.dataset.title == "杭州市个体工商户经营者信息"
    traders = OpenDataset.objects.get(title="杭州市个体工商户经营者信息")
    allowed = Client().get(f"/api/v1/open/datasets/{traders.resource_code}/records", {"limit": 2},
                           HTTP_AUTHORIZATION=f"Key {key}")
    assert allowed.status_code == 200 and "*" in allowed.json()["records"][0]["operator_name"]

    request = DataRequest.objects.get(requester=citizen.user)
    assert request.title == "开放杭州市公共停车场实时泊位数据" and request.case_id is not None
    showcase = Showcase.objects.get()
    assert showcase.status == ShowcaseStatus.PUBLISHED
    assert set(showcase.datasets.values_list("title", flat=True)) == {
        "杭州市城市公共厕所分布", "杭州市食品经营许可公示信息", "杭州市空气质量日报"}


def test_building_again_adds_nothing_and_prints_the_same_key(demo):
    counts = (Dataset.objects.count(), OpenDataset.objects.count(), DeveloperKey.objects.count(),
              OpenDataApplication.objects.count(), DataRequest.objects.count(), Showcase.objects.count())
    again = StringIO()
    call_command("demo", scale=1, seed=SEED, if_empty=True, no_progress=True, stdout=again)
    assert (Dataset.objects.count(), OpenDataset.objects.count(), DeveloperKey.objects.count(),
            OpenDataApplication.objects.count(), DataRequest.objects.count(), Showcase.objects.count()) == counts
    assert demo_developer_key(SEED) in again.getvalue()


def test_the_rows_are_the_same_for_a_seed_and_lie_in_real_divisions(db):
    from zhengtong.kernel.org.services import division_rows_bundled, divisions_load

    divisions_load(rows=division_rows_bundled())
    places = Places.load()
    codes = set(Division.objects.values_list("code", flat=True))
    for spec in OPEN_DATASETS + HIDDEN_DATASETS:
        rows = demo_open_rows(spec, places, seed=SEED)
        assert rows == demo_open_rows(spec, places, seed=SEED)
        assert rows != demo_open_rows(spec, places, seed=SEED + 1)
        assert list(rows[0]) == [f["name"] for f in spec.fields]
        assert {row["division_code"] for row in rows} <= codes
        key = [tuple(row[name] for name in spec.primary_key) for row in rows]
        assert len(set(key)) == len(rows)  # the primary key holds
    assert demo_developer_key(SEED) == demo_developer_key(SEED) != demo_developer_key(SEED + 1)
    assert demo_developer_key(SEED).startswith("zto_") and len(demo_developer_key(SEED).split("_")) == 3
