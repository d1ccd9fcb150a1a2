"""Fixtures of the sharing directory's tests: Xihu's departments and staff, a few catalog datasets
(registered and published through the catalog), the directory synchronised from them, and the
consuming departments' systems (API clients).

Nothing here is autouse except switching off TOTP for page tests and starting each test in the
default language, so the gateway's own tests in gateway/ (with their own conftest) are not
affected otherwise.
"""

import json
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from tests.conftest import People, people_create
from zhengtong.data.catalog.public import dataset_create, dataset_publish, schema_version_create
from zhengtong.data.exchange.models import SharingService
from zhengtong.data.exchange.services import directory_sync
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.kernel.org.models import Department

SYSTEM = Actor(kind="system")

STAFF = {
    # name: (department code, roles)
    "rs_data": ("330106-RS", ["data_officer"]),  # 西湖区人社局: the consumer
    "rs_clerk": ("330106-RS", ["case_officer"]),
    "sj_data": ("330106-SJ", ["data_officer"]),  # 西湖区市场监管局: owns the market register (unconditional)
    "ga_data": ("330106-GA", ["data_officer"]),  # 西湖区公安局: owns the household register (conditional)
    "ga_admin": ("330106-GA", ["big_data_admin"]),
    "xihu_dsj_admin": ("330106-DSJ", ["big_data_admin"]),  # the bureau over Xihu
    "zj_dsj_admin": ("330000-DSJ", ["big_data_admin"]),  # the province's bureau: over everyone
    "zj_dsj_data": ("330000-DSJ", ["data_officer"]),  # owns the registry services
    "nb_dsj_admin": ("330200-DSJ", ["big_data_admin"]),  # Ningbo's bureau: not over Xihu
    "nb_ga_data": ("330200-GA", ["data_officer"]),
}

MARKET = "330106-SJ-00001"
HOUSEHOLD = "330106-GA-00001"
SECRET = "330106-GA-00002"
COMPOSITE = "330106-RS-00009"


def _field(name, title, type_="string", **extra):
    return {"name": name, "title": title, "type": type_, **extra}


DATASETS = {
    MARKET: dict(
        department="330106-SJ", title="市场主体登记信息", share_type="unconditional", sensitivity="L2",
        open_type="conditional",
        descriptor={"fields": [
            _field("uscc", "统一社会信用代码", domainType="uscc", maskingKind="credit_code"),
            _field("name", "主体名称"),
            _field("kind", "主体类型", constraints={"enum": ["企业", "个体工商户", "农民专业合作社"]}),
            _field("legal_representative", "法定代表人", maskingKind="name"),
            _field("legal_representative_id", "法定代表人身份证号码", domainType="resident_id"),
            _field("registered_on", "成立日期", "date"),
            _field("division_code", "住所行政区划", domainType="division_code"),
            _field("capital", "注册资本（万元）", "number"),
            _field("employees", "从业人数", "integer"),
            _field("listed", "是否上市", "boolean"),
            _field("address", "住所", maskingKind="plain"),
        ], "primaryKey": ["uscc"], "missingValues": [""]},
    ),
    HOUSEHOLD: dict(
        department="330106-GA", title="户籍人口基本信息", share_type="conditional", sensitivity="L3",
        open_type="not_open",
        descriptor={"fields": [
            _field("resident_id", "公民身份号码", domainType="resident_id", maskingKind="resident_id"),
            _field("name", "姓名", maskingKind="name"),
            _field("gender", "性别", constraints={"enum": ["男", "女"]}),
            _field("birth_date", "出生日期", "date"),
            _field("division_code", "户籍地行政区划代码", domainType="division_code"),
            _field("address", "户籍地址", maskingKind="address"),
            _field("mobile", "联系电话", domainType="mobile"),
            _field("household_size", "户内人数", "integer"),
        ], "primaryKey": ["resident_id"], "missingValues": [""]},
    ),
    SECRET: dict(
        department="330106-GA", title="在逃人员信息", share_type="not_shared", sensitivity="L4", open_type="not_open",
        descriptor={"fields": [_field("resident_id", "公民身份号码", domainType="resident_id")],
                    "primaryKey": ["resident_id"], "missingValues": [""]},
    ),
    COMPOSITE: dict(
        department="330106-RS", title="社保缴费明细", share_type="conditional", sensitivity="L3", open_type="not_open",
        descriptor={"fields": [_field("resident_id", "公民身份号码", domainType="resident_id"),
                               _field("month", "缴费月份"), _field("amount", "缴费金额", "number")],
                    "primaryKey": ["resident_id", "month"], "missingValues": [""]},
    ),
}


@pytest.fixture(autouse=True)
def no_totp():
    with override_settings(STAFF_REQUIRE_TOTP=False):
        yield


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (Chinese): a page asked for in English leaves its
    language active in the thread after the response, and would leak into the next test."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def people(departments) -> People:
    return people_create(STAFF)


def register_datasets(departments, codes=None) -> None:
    for code, spec in DATASETS.items():
        if codes is not None and code not in codes:
            continue
        dataset_create(
            actor=SYSTEM, resource_code=code, title=spec["title"], description=f"{spec['title']}（测试）",
            owner_department_id=departments[spec["department"]].id, share_type=spec["share_type"],
            open_type=spec["open_type"], update_cycle="daily", sensitivity=spec["sensitivity"],
            grade="important" if spec["sensitivity"] in ("L3", "L4") else "general",
        )
        schema_version_create(actor=SYSTEM, resource_code=code, descriptor=spec["descriptor"])
        dataset_publish(actor=SYSTEM, resource_code=code)


@dataclass
class Directory:
    market: SharingService
    household: SharingService
    person: SharingService
    company: SharingService


@pytest.fixture
def directory(departments) -> Directory:
    """The four datasets in the catalog and the directory synchronised from them."""
    register_datasets(departments)
    directory_sync()
    services = {s.code: s for s in SharingService.objects.all()}
    return Directory(services["ds-330106-sj-00001"], services["ds-330106-ga-00001"], services["registry-person"],
                     services["registry-company"])


@dataclass
class Systems:
    rs: object  # 西湖区人社局's system
    rs_key: str
    rs_old: object  # switched off
    ga: object  # 西湖区公安局's system
    bank: object  # a third party (no department)


@pytest.fixture
def systems(departments) -> Systems:
    rs, rs_key = identity_services.api_client_create(name="社保待遇资格认证系统", department=departments["330106-RS"],
                                                     scopes=[])
    old, _ = identity_services.api_client_create(name="旧社保系统", department=departments["330106-RS"], scopes=[])
    identity_services.api_client_revoke(client=old)
    ga, _ = identity_services.api_client_create(name="公安人口系统", department=departments["330106-GA"], scopes=[])
    bank, _ = identity_services.api_client_create(name="浙里贷（测试银行）", department=None, scopes=["consent"])
    return Systems(rs, rs_key, old, ga, bank)


def ledger(kind: str) -> list[tuple[str, str, dict]]:
    """The ledger's entries of a kind: (subject, actor, payload), oldest first."""
    return [(leaf.subject, leaf.actor, json.loads(leaf.body)["payload"])
            for leaf in LedgerLeaf.objects.filter(kind=kind).order_by("id")]


def department(code: str) -> Department:
    return Department.objects.get(code=code)
