"""The demo departments' datasets: registered, loaded, and their planted problems found."""

import pytest

from zhengtong.data.catalog.models import Dataset, DatasetStatus, TableSchema
from zhengtong.data.ingest.public import load_get, version_current
from zhengtong.demo.datasets import (
    DEMO_DATASETS,
    SOCIAL_INSURANCE,
    build_demo_datasets,
    delivery_build,
    legacy_id,
    traditional,
    wrong_check_char,
)
from zhengtong.demo.province import ProvinceBuilder
from zhengtong.kernel.ids.public import IdValidationError, resident_id_parse

SEED = 5

# What each load reports, per rule (every rule of the dataset, failing or not). The counts follow
# from the seed: the planted dirt, and nothing else.
EXPECTED = {
    "330100-SJ-00001": {  # 杭州市市场监督管理局 市场主体登记信息, UTF-8 CSV with a BOM
        "rows": 101,
        "format": "csv",
        "encoding": "utf-8",
        "failures": {
            "required:uscc": 0, "unique:uscc": 2, "uscc:uscc": 2, "required:name": 0, "enum:kind": 1,
            "required:legal_representative_id": 1, "resident_id:legal_representative_id": 1,
            "date:registered_on": 2, "required:address": 1,
        },
        "problem_rows": 10,
    },
    "330100-RS-00001": {  # 杭州市人力资源和社会保障局 社会保险参保人员信息, GBK CSV
        "rows": 535,
        "format": "csv",
        "encoding": "gbk",
        "failures": {
            "required:resident_id": 0, "unique:resident_id": 4, "resident_id:resident_id": 6,
            "required:name": 2, "enum:gender": 1, "date:birth_date": 0, "date:insured_since": 3,
            "range:monthly_base": 2, "enum:insurance_status": 0, "birth_date_matches_id": 2,
        },
        "problem_rows": 20,
    },
    "330100-GA-00001": {  # 杭州市公安局 户籍人口基本信息, JSON lines
        "rows": 150,
        "format": "jsonl",
        "encoding": "utf-8",
        "failures": {
            "required:resident_id": 0, "unique:resident_id": 2, "resident_id:resident_id": 1,
            "required:name": 0, "enum:gender": 0, "date:birth_date": 0, "division_code:division_code": 1,
            "required:address": 2, "mobile:mobile": 2, "gender_matches_id": 1,
        },
        "problem_rows": 9,
    },
}


@pytest.fixture
def demo_datasets(db):
    ProvinceBuilder(seed=SEED, progress=False).build(scale=1)
    return build_demo_datasets(seed=SEED, progress=False)


def test_the_demo_departments_datasets_are_published_and_loaded(demo_datasets):
    assert demo_datasets == list(EXPECTED)
    owners = dict(Dataset.objects.values_list("resource_code", "owner_department__name"))
    assert owners == {
        "330100-SJ-00001": "杭州市市场监督管理局",
        "330100-RS-00001": "杭州市人力资源和社会保障局",
        "330100-GA-00001": "杭州市公安局",
    }
    for code, expected in EXPECTED.items():
        dataset = Dataset.objects.get(resource_code=code)
        assert dataset.status == DatasetStatus.PUBLISHED
        assert TableSchema.objects.filter(dataset=dataset).count() == 1
        version = version_current(dataset.id)
        assert (version.number, version.row_count) == (1, expected["rows"])
        load = load_get(version.load_id)
        assert (load.status, load.source_format, load.rows_read) == ("succeeded", expected["format"], expected["rows"])
        assert load.encoding.replace("-sig", "").replace("gb18030", "gbk") == expected["encoding"]


def test_every_planted_problem_is_found_and_nothing_else(demo_datasets):
    for code, expected in EXPECTED.items():
        load = load_get(version_current(Dataset.objects.get(resource_code=code).id).load_id)
        assert {rule: result["failed"] for rule, result in load.report.items()} == expected["failures"], code
        assert load.problem_rows == expected["problem_rows"], code


def test_the_planted_dirt_is_what_the_loads_report(demo_datasets):
    """The generator's own account of what it spoiled agrees with the loads (no accidental dirt)."""
    for spec, code in zip(DEMO_DATASETS, EXPECTED):
        planted = delivery_build(spec, seed=SEED).planted
        assert {rule: n for rule, n in EXPECTED[code]["failures"].items() if n} == dict(planted), code


def test_building_again_changes_nothing(demo_datasets):
    versions = {code: version_current(Dataset.objects.get(resource_code=code).id).number for code in EXPECTED}
    assert build_demo_datasets(seed=SEED, progress=False) == list(EXPECTED)
    assert Dataset.objects.count() == 3
    assert {code: version_current(Dataset.objects.get(resource_code=code).id).number for code in EXPECTED} == versions


def test_the_same_seed_delivers_the_same_rows_with_realistic_dirt(db):
    ProvinceBuilder(seed=SEED, progress=False).build(scale=1)
    first, again = delivery_build(SOCIAL_INSURANCE, seed=SEED), delivery_build(SOCIAL_INSURANCE, seed=SEED)
    assert first.rows == again.rows
    assert delivery_build(SOCIAL_INSURANCE, seed=SEED + 1).rows != first.rows
    assert dict(first.dirt) == {"15-digit IDs": 2, "traditional names": 3, "repeated rows": 2}
    ids = [row["resident_id"] for row in first.rows if row["resident_id"]]
    assert sum(len(number) == 15 for number in ids) == 2
    assert any(ch in (row["name"] or "") for row in first.rows for ch in "陳劉張楊黃趙吳孫馬鄭許鄧馮葉蘇")
    assert all("年" in row["insured_since"] or "-" in row["insured_since"] for row in first.rows)
    # The file is GBK, as the department's system writes it.
    for row in first.rows:
        for value in row.values():
            (value or "").encode("gbk")


def test_the_dirt_helpers():
    good = "11010519491231002X"
    resident_id_parse(good)
    with pytest.raises(IdValidationError):
        resident_id_parse(wrong_check_char(good))
    assert legacy_id(good) == "110105491231002"
    assert resident_id_parse(legacy_id(good)).number == good  # the kernel upgrades 15-digit IDs
    assert traditional("陈丽华") == "陳麗華"
