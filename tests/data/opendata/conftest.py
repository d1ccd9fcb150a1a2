"""Fixtures of the open-data portal's tests: a few datasets of Xihu and Ningbo in every state the
portal must tell apart, loaded through the catalog and ingest, and synced to the portal.

    open_world.codes.OPEN        L1, open to everyone, 30 rows (a masked mobile column)
    open_world.codes.APPLY       L2, open on application, 12 rows (a masked name column)
    open_world.codes.NEGATIVE    L1 but on the negative list (open type "not open"), with rows
    open_world.codes.SECRET      L4, never opened, with rows
    open_world.codes.DRAFT       L1 open, but a catalog draft
    open_world.codes.NINGBO      L1 open, Ningbo, metadata only (no data)

The hidden datasets' titles carry words no public channel may ever show (HIDDEN_WORDS): the leak
tests search every channel for them.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import override_settings

from tests.conftest import People, people_create
from zhengtong.data.catalog.public import dataset_create, dataset_publish, schema_version_create
from zhengtong.data.ingest.public import load_run
from zhengtong.kernel.identity.public import Actor

SYSTEM = Actor(kind="system")

STAFF = {
    # name: (department code, roles)
    "sj_data": ("330106-SJ", ["data_officer"]),  # 西湖区市场监管局: owns OPEN, APPLY and DRAFT
    "sj_clerk": ("330106-SJ", ["case_officer"]),
    "ga_data": ("330106-GA", ["data_officer"]),  # 西湖区公安局: owns NEGATIVE and SECRET
    "nb_ga_data": ("330200-GA", ["data_officer"]),  # 宁波市公安局: owns NINGBO
    "xihu_dsj_admin": ("330106-DSJ", ["big_data_admin"]),
    "zj_dsj_admin": ("330000-DSJ", ["big_data_admin"]),
}
CITIZENS = {"developer": "110101199003070011", "other": "110101198802140016"}


class Codes:
    OPEN = "330106-SJ-00101"
    APPLY = "330106-SJ-00102"
    DRAFT = "330106-SJ-00103"
    NEGATIVE = "330106-GA-00101"
    SECRET = "330106-GA-00102"
    NINGBO = "330200-GA-00101"


# Words only the hidden datasets use, in titles, descriptions, keywords and column names.
HIDDEN_WORDS = ("卡口点位", "重点人员管控", "未发布草稿", "checkpoint_secret", "watchlist_secret")


def _field(name, title, type_="string", **extra):
    return {"name": name, "title": title, "type": type_, **extra}


DATASETS = {
    Codes.OPEN: dict(
        department="330106-SJ", title="西湖区食品经营许可公示", keywords=["食品", "许可", "公示"], theme="ECON",
        sensitivity="L1", share_type="unconditional", open_type="open", update_cycle="daily",
        description="西湖区食品经营许可证的发证公示信息，每日更新。",
        descriptor={"fields": [
            _field("licence_no", "许可证编号"),
            _field("company_name", "经营者名称"),
            _field("uscc", "统一社会信用代码", domainType="uscc"),
            _field("category", "经营项目", constraints={"enum": ["预包装食品销售", "热食类食品制售", "糕点类食品制售"]}),
            _field("division_code", "所在街道", domainType="division_code"),
            _field("issued_on", "发证日期", "date"),
            _field("seats", "就餐座位数", "integer"),
            _field("contact_mobile", "联系电话", domainType="mobile", maskingKind="mobile"),
        ], "primaryKey": ["licence_no"], "missingValues": [""]},
    ),
    Codes.APPLY: dict(
        department="330106-SJ", title="西湖区个体工商户经营者信息", keywords=["个体工商户"], theme="ECON",
        sensitivity="L2", share_type="unconditional", open_type="conditional", update_cycle="monthly",
        description="个体工商户的经营者与经营范围，申请后脱敏提供。",
        descriptor={"fields": [
            _field("reg_no", "注册号"),
            _field("operator_name", "经营者姓名", maskingKind="name"),
            _field("trade", "行业"),
            _field("division_code", "所在街道", domainType="division_code"),
        ], "primaryKey": ["reg_no"], "missingValues": [""]},
    ),
    Codes.DRAFT: dict(
        department="330106-SJ", title="未发布草稿数据集", keywords=["未发布草稿"], theme="ECON",
        sensitivity="L1", share_type="unconditional", open_type="open", update_cycle="daily", publish=False,
        description="未发布草稿的说明。",
        descriptor={"fields": [_field("draft_no", "编号")], "primaryKey": ["draft_no"], "missingValues": [""]},
    ),
    Codes.NEGATIVE: dict(
        department="330106-GA", title="西湖区治安卡口点位", keywords=["卡口点位"], theme="JUST",
        sensitivity="L1", share_type="unconditional", open_type="not_open", update_cycle="monthly",
        description="治安卡口点位清单（负面清单，不予开放）。",
        descriptor={"fields": [_field("checkpoint_secret", "卡口点位编号"), _field("road", "道路")],
                    "primaryKey": ["checkpoint_secret"], "missingValues": [""]},
    ),
    Codes.SECRET: dict(
        department="330106-GA", title="重点人员管控名单", keywords=["重点人员管控"], theme="JUST",
        sensitivity="L4", grade="important", share_type="not_shared", open_type="not_open", update_cycle="daily",
        description="重点人员管控名单（L4，永不开放）。",
        descriptor={"fields": [_field("watchlist_secret", "公民身份号码", domainType="resident_id")],
                    "primaryKey": ["watchlist_secret"], "missingValues": [""]},
    ),
    Codes.NINGBO: dict(
        department="330200-GA", title="宁波市交通违法处理窗口", keywords=["交通", "窗口"], theme="TRAN",
        sensitivity="L1", share_type="unconditional", open_type="open", update_cycle="yearly",
        description="宁波市交通违法处理窗口的地址与办公时间。",
        descriptor={"fields": [_field("window_name", "窗口名称"), _field("address", "地址")],
                    "primaryKey": ["window_name"], "missingValues": [""]},
    ),
}

CATEGORIES = ["预包装食品销售", "热食类食品制售", "糕点类食品制售"]


def _rows(code: str) -> list[dict]:
    if code == Codes.OPEN:
        return [{
            "licence_no": f"JY3330106{i:05d}", "company_name": f"西湖测试餐饮店{i:02d}",
            "uscc": "91330106MA2CFTGF1E" if i % 2 else "91330106MA27XT6N0J",
            "category": CATEGORIES[i % 3], "division_code": "330106004",
            "issued_on": f"2026-0{1 + i % 9}-1{i % 10}", "seats": str(10 * i), "contact_mobile": f"1380571{i:04d}",
        } for i in range(1, 31)]
    if code == Codes.APPLY:
        return [{"reg_no": f"330106600{i:06d}", "operator_name": f"张{'三四五六'[i % 4]}{i}", "trade": "零售",
                 "division_code": "330106004"} for i in range(1, 13)]
    if code == Codes.NEGATIVE:
        return [{"checkpoint_secret": f"KK{i:03d}", "road": "文三路"} for i in range(1, 6)]
    if code == Codes.SECRET:
        return [{"watchlist_secret": "110101199003070011"}]
    return []


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(autouse=True)
def no_totp():
    with override_settings(STAFF_REQUIRE_TOTP=False):
        yield


@pytest.fixture
def people(departments) -> People:
    return people_create(STAFF, citizens=CITIZENS)


@dataclass
class OpenWorld:
    codes: type = Codes
    loaded: dict = field(default_factory=dict)  # code → rows loaded


def world_build(departments, tmp_path: Path, *, serve: bool = True) -> OpenWorld:
    """Register, publish and load every dataset through the real services, then sync the portal
    (and, with `serve`, make the served copies) as the event handlers would."""
    from zhengtong.data.opendata.visibility import open_dataset_sync

    world = OpenWorld()
    for code, spec in DATASETS.items():
        dataset_create(
            actor=SYSTEM, resource_code=code, title=spec["title"], description=spec["description"],
            owner_department_id=departments[spec["department"]].id, share_type=spec["share_type"],
            open_type=spec["open_type"], update_cycle=spec["update_cycle"], sensitivity=spec["sensitivity"],
            grade=spec.get("grade", "general"), keywords=spec["keywords"], theme=spec["theme"],
        )
        schema_version_create(actor=SYSTEM, resource_code=code, descriptor=spec["descriptor"])
        if spec.get("publish", True):
            dataset_publish(actor=SYSTEM, resource_code=code)
        rows = _rows(code)
        if rows:
            load_run(actor=SYSTEM, resource_code=code, source=write_csv(tmp_path / f"{code}.csv", rows))
            world.loaded[code] = len(rows)
    from zhengtong.data.catalog.public import dataset_get

    for code in DATASETS:
        open_dataset = open_dataset_sync(dataset_get(resource_code=code).id)
        if serve and open_dataset is not None and open_dataset.version is not None:
            from zhengtong.data.opendata.records import served_table_build

            served_table_build(open_dataset.id)
    return world


@pytest.fixture
def open_world(departments, tmp_path) -> OpenWorld:
    return world_build(departments, tmp_path)


@pytest.fixture
def open_world_unserved(departments, tmp_path) -> OpenWorld:
    """The same datasets synced to the portal, without served copies (metadata only)."""
    return world_build(departments, tmp_path, serve=False)
