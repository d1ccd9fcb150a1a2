"""Browsing the catalog (一本账): who sees what, search through kernel.search, facets."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied

from zhengtong.data.catalog.models import Dataset
from zhengtong.data.catalog.selectors import DatasetFilters, access_dataset, dataset_list

from .conftest import PERSON_SCHEMA

pytestmark = pytest.mark.django_db

LICENCE_SCHEMA = {"fields": [
    {"name": "credit_code", "title": "统一社会信用代码", "type": "string", "domainType": "uscc"},
    {"name": "company_name", "title": "企业名称", "type": "string"},
]}


@pytest.fixture
def catalog(make_dataset, departments):
    """Published entries of three departments, and a draft of each of two."""
    sj = departments["330106-SJ"].id
    rs = departments["330106-RS"].id
    return {
        "licences": make_dataset("province_dsj_admin", owner_department_id=sj, title="企业营业执照信息",
                                 description="市场监管部门登记的企业营业执照。", keywords=["营业执照", "企业"],
                                 theme="ECON", grade="general", sensitivity="L1", open_type="open",
                                 share_type="unconditional", update_cycle="daily", schema=LICENCE_SCHEMA, publish=True),
        "insured": make_dataset("province_dsj_admin", owner_department_id=rs, title="社会保险参保人员",
                                description="参保人员的参保状态和缴费基数。", keywords=["社保"], theme="SOCI",
                                update_cycle="monthly", schema=PERSON_SCHEMA, publish=True),
        "residents": make_dataset(title="户籍人口基本信息", schema=PERSON_SCHEMA, publish=True),
        "ga_draft": make_dataset(title="流动人口营业执照核查草稿", keywords=["营业执照"]),
        "rs_draft": make_dataset("province_dsj_admin", owner_department_id=rs, title="参保缴费明细草稿",
                                 update_cycle="monthly"),
    }


def titles(result) -> list[str]:
    return [dataset.title for dataset in result.datasets]


def test_staff_see_published_entries_and_their_own_drafts(catalog, people):
    assert titles(dataset_list(actor=people.actor("xihu_ga_officer"))) == [
        "户籍人口基本信息", "流动人口营业执照核查草稿", "社会保险参保人员", "企业营业执照信息",
    ]  # by resource code: 330106-GA-…, 330106-RS-…, 330106-SJ-…
    # A member of the same department without the data role still sees its drafts; others do not.
    assert "流动人口营业执照核查草稿" in titles(dataset_list(actor=people.actor("xihu_ga_caseworker")))
    assert titles(dataset_list(actor=people.actor("binjiang_ga_officer"))) == [
        "户籍人口基本信息", "社会保险参保人员", "企业营业执照信息",
    ]
    # A city's big-data bureau sees the drafts of its own city's departments, not of other cities'.
    assert dataset_list(actor=people.actor("hangzhou_dsj_admin")).total == 5
    assert dataset_list(actor=people.actor("province_dsj_admin")).total == 5
    assert titles(dataset_list(actor=people.actor("ningbo_dsj_admin"))) == [
        "户籍人口基本信息", "社会保险参保人员", "企业营业执照信息",
    ]
    assert dataset_list(actor=people.actor("root")).total == 5
    with pytest.raises(PermissionDenied):
        dataset_list(actor=people.actor("citizen"))


def test_access_to_one_entry_follows_the_same_rule(catalog, people):
    draft = catalog["ga_draft"]
    assert access_dataset(actor=people.actor("xihu_ga_officer"), public_id=draft.public_id) == draft
    assert access_dataset(actor=people.actor("province_dsj_admin"), public_id=str(draft.public_id)) == draft
    for name in ("binjiang_ga_officer", "citizen"):
        with pytest.raises(Dataset.DoesNotExist):
            access_dataset(actor=people.actor(name), public_id=draft.public_id)
    for public_id in (uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(Dataset.DoesNotExist):
            access_dataset(actor=people.actor("xihu_ga_officer"), public_id=public_id)


def test_search_segments_chinese_and_ranks_title_matches_first(catalog, people):
    officer = people.actor("binjiang_ga_officer")
    assert titles(dataset_list(actor=officer, query="营业执照")) == ["企业营业执照信息"]
    assert titles(dataset_list(actor=officer, query="参保")) == ["社会保险参保人员"]
    # The Xihu officer also finds their own draft; a title match ranks above a description one.
    xihu = people.actor("xihu_ga_officer")
    assert titles(dataset_list(actor=xihu, query="营业执照")) == ["企业营业执照信息", "流动人口营业执照核查草稿"]
    # Field titles are searchable: who holds mobile numbers?
    assert titles(dataset_list(actor=officer, query="手机号码")) == ["户籍人口基本信息", "社会保险参保人员"]
    # A resource code finds its dataset first.
    assert titles(dataset_list(actor=officer, query=catalog["insured"].resource_code))[0] == "社会保险参保人员"
    assert dataset_list(actor=officer, query="不动产").total == 0


def test_search_finds_drafts_only_for_the_bureau_that_governs_them(catalog, people):
    assert titles(dataset_list(actor=people.actor("hangzhou_dsj_admin"), query="草稿")) == [
        "流动人口营业执照核查草稿", "参保缴费明细草稿",
    ]
    assert dataset_list(actor=people.actor("ningbo_dsj_admin"), query="草稿").total == 0


def test_facets_count_the_result(catalog, people, departments):
    result = dataset_list(actor=people.actor("xihu_ga_officer"))
    facets = {facet.name: [(v.value, v.label, v.count, v.selected) for v in facet.values] for facet in result.facets}
    assert facets["department"] == [
        ("330106-GA", departments["330106-GA"].name, 2, False),
        ("330106-RS", departments["330106-RS"].name, 1, False),
        ("330106-SJ", departments["330106-SJ"].name, 1, False),
    ]
    assert facets["theme"] == [
        ("ECON", "Economy and finance", 1, False), ("SOCI", "Population and society", 3, False),
    ]
    assert facets["share_type"] == [("unconditional", "Shared unconditionally", 1, False),
                                    ("conditional", "Shared on conditions", 3, False)]
    assert facets["open_type"] == [("open", "Open unconditionally", 1, False), ("not_open", "Not open", 3, False)]
    assert facets["grade"] == [("general", "General data", 1, False), ("important", "Important data", 3, False)]
    assert facets["sensitivity"] == [("L1", "L1 not sensitive (open)", 1, False), ("L3", "L3 fairly sensitive", 3, False)]
    assert facets["update_cycle"] == [("daily", "Daily", 3, False), ("monthly", "Monthly", 1, False)]
    assert facets["status"] == [("draft", "Draft", 1, False), ("published", "Published", 3, False)]


def test_filters_narrow_the_result_and_its_facets(catalog, people):
    officer = people.actor("xihu_ga_officer")
    result = dataset_list(actor=officer, filters=DatasetFilters(status="published", theme="SOCI"))
    assert titles(result) == ["户籍人口基本信息", "社会保险参保人员"]
    status = next(f for f in result.facets if f.name == "status")
    assert [(v.value, v.count, v.selected) for v in status.values] == [("published", 2, True)]
    result = dataset_list(actor=officer, query="人口", filters=DatasetFilters(department="330106-GA"))
    assert titles(result) == ["户籍人口基本信息", "流动人口营业执照核查草稿"]
    assert dataset_list(actor=officer, filters=DatasetFilters(department="330108-GA")).total == 0
