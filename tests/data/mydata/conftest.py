"""Fixtures for mydata (个人数据宝) and consent: Xihu's departments and staff, two citizens and a
company with logins, the sharing services that hold records about them (SharingService and
ShareRecord rows made directly, as the gateway's publishing would), a bank's system that may be
authorized, and ledger entries of gateway calls appended through kernel.ledger."""

import csv
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from tests.conftest import People, people_create
from zhengtong.data.exchange.models import SharingService, ShareRecord
from zhengtong.data.exchange.public import subject_ref
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.models import Citizen, Company, User
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ids.public import resident_id_check_char
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.org.models import Department, Division

SYSTEM = Actor(kind="system")
PASSWORD = "Correct-horse-42"


def resident_id(birth: str, sequence: str) -> str:
    body = f"330106{birth}{sequence}"
    return body + resident_id_check_char(body)


ME = resident_id("19850302", "024")  # 王芳, the citizen signed in
OTHER = resident_id("19771211", "679")  # 陈梅, someone else
USCC = "91330106MA2B0R9X4K"  # 杭州西湖数据有限公司, the company signed in

STAFF = {
    "ga_officer": ("330106-GA", ["data_officer"]),  # 西湖区公安局
    "rs_officer": ("330106-RS", ["data_officer"]),  # 西湖区人社局
    "sj_officer": ("330106-SJ", ["data_officer"]),  # 西湖区市场监管局
    "dsj_admin": ("330106-DSJ", ["big_data_admin"]),
}


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English; test_pages checks the Chinese default separately."""
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """Pages in English unless a test asks otherwise (the site's default is Chinese)."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(autouse=True)
def no_totp():
    with override_settings(STAFF_REQUIRE_TOTP=False):
        yield


@dataclass
class Cast(People):
    company_user: User = None

    @property
    def me(self) -> Citizen:
        return Citizen.objects.get(user=self.users["me"])

    @property
    def company(self) -> Company:
        return Company.objects.get(user=self.company_user)

    def company_actor(self) -> Actor:
        from zhengtong.kernel.identity.public import actor_from_user

        return actor_from_user(User.objects.get(pk=self.company_user.pk))


@pytest.fixture
def people(departments) -> Cast:
    base = people_create(STAFF, citizens={"me": ME, "other": OTHER})
    Citizen.objects.filter(user=base.users["me"]).update(name="王芳")
    Citizen.objects.filter(user=base.users["other"]).update(name="陈梅")
    company = identity_services.company_create(
        uscc=USCC, name="杭州西湖数据有限公司", kind="enterprise",
        legal_representative=Citizen.objects.get(user=base.users["other"]),
        division=Division.objects.get(code="330106"), registered_on=date(2019, 3, 5), password=PASSWORD,
    )
    return Cast(base.users, company_user=company.user)


def _field(name, title, masking_kind="plain", type_="string"):
    return {"name": name, "title": title, "type": type_, "masking_kind": masking_kind}


SHEBAO_FIELDS = [
    _field("resident_id", "公民身份号码", "resident_id"), _field("name", "姓名", "name"),
    _field("employer", "参保单位"), _field("insured_since", "参保日期", type_="date"),
]
MARKET_FIELDS = [
    _field("uscc", "统一社会信用代码", "credit_code"), _field("name", "主体名称"),
    _field("legal_representative", "法定代表人", "name"), _field("address", "住所"),
]
PERSON_REGISTRY_FIELDS = [
    _field("resident_id", "公民身份号码", "resident_id"), _field("name", "姓名", "name"),
    _field("birth_date", "出生日期"), _field("mobile", "手机号码", "mobile"),
]


@dataclass
class Services:
    shebao: SharingService
    market: SharingService
    registry_person: SharingService


def _service(code, name, department, subject_kind, fields, key, **extra) -> SharingService:
    return SharingService.objects.create(
        code=code, kind=extra.pop("kind", "dataset"), name=name, owner_department=department,
        share_type="conditional", grade="important", sensitivity="L3", key_field=key, subject_field=key,
        subject_kind=subject_kind, fields=fields, published_version=extra.pop("published_version", 1),
        published_at=timezone.now(), **extra,
    )


def _record(service, key, values, subject_kind, version=1) -> ShareRecord:
    return ShareRecord.objects.create(
        service=service, key=key, subject_ref=subject_ref(subject_kind, values[service.subject_field]),
        division="330106", payload=json.dumps(values, ensure_ascii=False), version=version,
    )


@pytest.fixture
def services(people, departments) -> Services:
    """Two dataset services with records of the citizen, of someone else and of the company, and
    the person registry's service (titles of the registry's attributes)."""
    shebao = _service("ds-330106-rs-00001", "社会保险参保人员信息", departments["330106-RS"], "person",
                      SHEBAO_FIELDS, "resident_id", record_count=2)
    market = _service("ds-330106-sj-00001", "市场主体登记信息", departments["330106-SJ"], "company", MARKET_FIELDS,
                      "uscc", record_count=1)
    registry_person = _service("registry-person", "人口基础库", departments["330106-DSJ"], "person",
                               PERSON_REGISTRY_FIELDS, "resident_id", kind="registry", registry_kind="person")
    _record(shebao, ME, {"resident_id": ME, "name": "王芳", "employer": "杭州西湖数据有限公司",
                         "insured_since": "2012-07-01"}, "person", version=3)
    _record(shebao, OTHER, {"resident_id": OTHER, "name": "陈梅", "employer": "浙江大学",
                            "insured_since": "1999-09-01"}, "person", version=3)
    _record(market, USCC, {"uscc": USCC, "name": "杭州西湖数据有限公司", "legal_representative": "陈梅",
                           "address": "浙江省杭州市西湖区文一西路1号"}, "company")
    return Services(shebao, market, registry_person)


@pytest.fixture
def bank(departments):
    """A third party's system open to personal authorizations (scope "consent")."""
    client, _key = identity_services.api_client_create(name="浙商银行贷款审批系统", department=None, scopes=["consent"])
    return client


def ledger(kind: str) -> list[tuple[str, str, dict]]:
    """The ledger's entries of a kind: (subject, actor, payload), oldest first."""
    return [(leaf.subject, leaf.actor, json.loads(leaf.body)["payload"])
            for leaf in LedgerLeaf.objects.filter(kind=kind).order_by("id")]


def share_call(*, about: str, client, department: Department, service: str = "ds-330106-rs-00001",
               purpose: str = "办理养老保险待遇资格认证", fields=("name", "insured_since"), outcome: str = "ok",
               kind: str = "share.call"):
    """A gateway call's ledger entry as the gateway writes it (one per person concerned)."""
    return ledger_append(kind=kind, subject=about, actor=f"api_client:{client.public_id}", payload={
        "service": service, "operation": "record", "fields": list(fields), "purpose": purpose,
        "grant": "5b0c9a52-0000-4000-8000-000000000001", "consent": None, "officer": "zhangwei",
        "correlation_id": "c0ffee00-0000-4000-8000-000000000001", "department": department.id,
        "api_client": client.name, "outcome": outcome,
    })


def in_a_year(days: int = 0):
    return timezone.now() + timedelta(days=days)


# --- the registry, built for real: one dataset loaded through ingest, linked by a registry run ---

HUKOU_CODE = "330106-GA-00001"
HUKOU_FIELDS = [
    {"name": "resident_id", "title": "公民身份号码", "type": "string"}, {"name": "name", "title": "姓名", "type": "string"},
    {"name": "gender", "title": "性别", "type": "string"}, {"name": "birth_date", "title": "出生日期", "type": "date"},
    {"name": "address", "title": "户籍地址", "type": "string"},
]
HUKOU_ROWS = [
    {"resident_id": ME, "name": "王芳", "gender": "女", "birth_date": "1985-03-02", "address": "浙江省杭州市西湖区天目山路8号2幢302室"},
    {"resident_id": OTHER, "name": "陈梅", "gender": "男", "birth_date": "1977-12-11", "address": "浙江省杭州市西湖区文三路90号1幢101室"},
]


@pytest.fixture
def registry(people, departments, tmp_path) -> str:
    """The household register loaded and linked into the population registry; returns my
    registry id."""
    from zhengtong.data.catalog.public import dataset_create, dataset_publish, schema_version_create
    from zhengtong.data.ingest.public import load_run
    from zhengtong.data.registry import services as registry_services
    from zhengtong.data.registry.public import registry_lookup

    with override_settings(REGISTRY_RUNS_DIR=tmp_path / "runs"):
        dataset_create(actor=SYSTEM, resource_code=HUKOU_CODE, title="户籍人口基本信息", description="户籍人口基本信息",
                       owner_department_id=departments["330106-GA"].id, share_type="conditional",
                       open_type="not_open", update_cycle="daily", sensitivity="L3")
        schema_version_create(actor=SYSTEM, resource_code=HUKOU_CODE,
                              descriptor={"fields": HUKOU_FIELDS, "missingValues": [""]})
        dataset_publish(actor=SYSTEM, resource_code=HUKOU_CODE)
        path = Path(tmp_path) / "hukou.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=[f["name"] for f in HUKOU_FIELDS])
            writer.writeheader()
            writer.writerows(HUKOU_ROWS)
        load_run(actor=SYSTEM, resource_code=HUKOU_CODE, source=str(path))
        identity = ["resident_id", "name", "birth_date", "gender", "address"]
        registry_services.source_register(
            actor=SYSTEM, kind="person", resource_code=HUKOU_CODE, name="hukou", key_column="resident_id",
            columns={a: a for a in identity}, authoritative_for=identity, verified_attributes=identity,
        )
        registry_services.registry_run(actor=SYSTEM, kind="person")
    return registry_lookup(kind="person", resident_id=ME).registry_id
