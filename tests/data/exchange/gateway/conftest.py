"""Fixtures of the gateway's tests: a social-assistance dataset of Xihu's civil affairs bureau,
registered in the catalog and loaded through ingest, its sharing service published to the serving
index, the consuming systems (API clients), and small factories for grants and consents (the
directory's and mydata's services are tested in their own folders).
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from zhengtong.data.catalog.public import dataset_create, dataset_get, dataset_publish, schema_version_create
from zhengtong.data.exchange.models import (
    Consent,
    ItemStatus,
    RequestItem,
    RequestStatus,
    ServiceKind,
    ShareCall,
    ShareRecord,
    SharingGrant,
    SharingRequest,
    SharingService,
)
from zhengtong.data.exchange.publishing import service_publish
from zhengtong.data.exchange.subjects import subject_ref
from zhengtong.data.ingest.public import load_run
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ids.public import resident_id_check_char
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.kernel.org.models import Department, Division

SYSTEM = Actor(kind="system")
RESOURCE = "330106-MZ-00001"
CODE = "ds-330106-mz-00001"


def rid(birth: str, sequence: int, county: str = "330106") -> str:
    body = f"{county}{birth}{sequence:03d}"
    return body + resident_id_check_char(body)


FIELDS = [
    # (name, title, type, masking kind)
    ("resident_id", "公民身份号码", "string", "resident_id"),
    ("name", "姓名", "string", "name"),
    ("gender", "性别", "string", "plain"),
    ("division_code", "行政区划代码", "string", "plain"),
    ("category", "救助类别", "string", "plain"),
    ("amount", "救助金额", "integer", "plain"),
    ("mobile", "联系电话", "string", "mobile"),
    ("address", "居住地址", "string", "address"),
]

# The citizen of the consent and mydata tests is one of the ten in 低保 in Xihu's township.
CITIZEN_ID = rid("19910101", 7)


def _people() -> list[dict]:
    rows = []
    for i in range(10):  # 低保, 西湖区北山街道 (330106004): amounts 100…1000
        rows.append({"resident_id": CITIZEN_ID if i == 0 else rid("19800101", 10 + i), "name": f"陈{'一二三四五六七八九十'[i]}明",
                     "gender": "男", "division_code": "330106004", "category": "低保", "amount": 100 * (i + 1),
                     "mobile": f"1381234{i:04d}", "address": f"浙江省杭州市西湖区北山街道保俶路{i + 1}号3幢201室"})
    for i in range(9):  # 特困, 滨江区 (330108): 200 each
        rows.append({"resident_id": rid("19700101", 30 + i, "330108"), "name": f"王{i}芳", "gender": "女",
                     "division_code": "330108", "category": "特困", "amount": 200, "mobile": f"1390000{i:04d}",
                     "address": f"浙江省杭州市滨江区长河街道江南大道{i + 1}号1幢101室"})
    for i, amount in enumerate((50, 60, 70)):  # 临时救助, 西湖区 (330106)
        rows.append({"resident_id": rid("19600101", 50 + i), "name": f"李{i}强", "gender": "男",
                     "division_code": "330106", "category": "临时救助", "amount": amount, "mobile": "",
                     "address": f"浙江省杭州市西湖区文三路{i + 1}号"})
    return rows


PEOPLE = _people()
BY_ID = {row["resident_id"]: row for row in PEOPLE}


@pytest.fixture(autouse=True)
def english():
    """Details are compared in English; the Chinese default is tested explicitly."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def lake(tmp_path, settings) -> Path:
    root = tmp_path / "lake"
    settings.LAKE_URL = root.as_uri()
    return root


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters are per test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def write_csv(path: Path, rows: list[dict]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f[0] for f in FIELDS])
        writer.writeheader()
        writer.writerows(rows)
    return path


def load(tmp_path: Path, rows: list[dict]) -> None:
    """A new version of the dataset with exactly these rows, through ingest."""
    path = write_csv(tmp_path / f"assistance-{len(list(tmp_path.glob('assistance-*')))}.csv", rows)
    load_run(actor=SYSTEM, resource_code=RESOURCE, source=str(path))


@dataclass
class Shared:
    service: SharingService
    tmp: Path

    def load(self, rows: list[dict]) -> None:
        load(self.tmp, rows)


@pytest.fixture
def dataset(departments, tmp_path):
    dataset_create(
        actor=SYSTEM, resource_code=RESOURCE, title="社会救助对象信息", description="社会救助对象（测试）",
        owner_department_id=departments["330106-MZ"].id, share_type="conditional", open_type="not_open",
        update_cycle="daily", sensitivity="L3", grade="important",
    )
    schema_version_create(actor=SYSTEM, resource_code=RESOURCE, descriptor={
        "fields": [{"name": n, "title": t, "type": ty, "maskingKind": m} for n, t, ty, m in FIELDS],
        "primaryKey": ["resident_id"], "missingValues": [""],
    })
    dataset_publish(actor=SYSTEM, resource_code=RESOURCE)
    files = tmp_path / "files"
    files.mkdir()
    load(files, PEOPLE)
    return dataset_get(resource_code=RESOURCE)


def service_make(dataset_ref, department: Department, **extra) -> SharingService:
    """The directory's entry for the dataset, as directory_sync makes it (tested in ../)."""
    values = dict(
        code=CODE, kind=ServiceKind.DATASET, name="社会救助对象信息", owner_department=department,
        dataset_id=dataset_ref.id, share_type="conditional", grade="important", sensitivity="L3",
        key_field="resident_id", subject_field="resident_id", subject_kind="person", division_field="division_code",
        fields=[{"name": n, "title": t, "type": ty, "masking_kind": m} for n, t, ty, m in FIELDS],
        filter_fields=["gender", "division_code", "category"], group_fields=["gender", "division_code", "category"],
        measure_fields=["amount"],
    )
    values.update(extra)
    return SharingService.objects.create(**values)


@pytest.fixture
def unpublished(dataset, departments, tmp_path) -> Shared:
    return Shared(service_make(dataset, departments["330106-MZ"]), tmp_path / "files")


@pytest.fixture
def shared(unpublished) -> Shared:
    service_publish(service_id=unpublished.service.pk)
    unpublished.service.refresh_from_db()
    return unpublished


@dataclass
class System:
    client: object
    key: str

    @property
    def auth(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"ApiKey {self.key}"}

    def api(self) -> APIClient:
        """A client calling with the system's key, asking for English (Chinese is the default)."""
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"ApiKey {self.key}", HTTP_ACCEPT_LANGUAGE="en")
        return api


@pytest.fixture
def rs(departments) -> System:
    """西湖区人社局's benefits system: the consumer of the grants."""
    return System(*identity_services.api_client_create(name="社保待遇资格认证系统", department=departments["330106-RS"],
                                                       scopes=[]))


@pytest.fixture
def bank(departments) -> System:
    """A third party that reads by consent only."""
    return System(*identity_services.api_client_create(name="浙里贷（测试银行）", department=None, scopes=["consent"]))


@pytest.fixture
def stranger(departments) -> System:
    """A system of another department, with no grant and no consent scope."""
    return System(*identity_services.api_client_create(name="宁波公安系统", department=departments["330200-GA"],
                                                       scopes=[]))


def later(days: float = 30):
    return timezone.now() + timedelta(days=days)


def grant_make(system: System, service: SharingService, *, fields=("name", "gender", "division_code", "category",
               "amount", "mobile"), clear=(), row_scope="", rate=600, expires_at=None, revoked_at=None,
               purpose="社保待遇资格认证", reason="") -> SharingGrant:
    """An approved basket item and its grant, as the directory's services leave them."""
    request = SharingRequest.objects.create(
        consumer_department_id=system.client.department_id, api_client=system.client, purpose=purpose,
        legal_basis="《社会保险法》第七十四条", expires_on=date.today() + timedelta(days=365),
        status=RequestStatus.DECIDED, submitted_at=timezone.now(), decided_at=timezone.now(),
    )
    item = RequestItem.objects.create(request=request, service=service, fields=list(fields), clear_fields=list(clear),
                                      row_scope=row_scope, status=ItemStatus.APPROVED)
    return SharingGrant.objects.create(
        item=item, service=service, api_client=system.client, consumer_department_id=system.client.department_id,
        purpose=purpose, legal_basis=request.legal_basis, fields=list(fields), clear_fields=list(clear),
        row_scope=row_scope, rate_limit_per_minute=rate, expires_at=expires_at or later(),
        revoked_at=revoked_at, revoked_reason=reason,
    )


@pytest.fixture
def citizen(departments):
    return identity_services.citizen_create(
        resident_id=CITIZEN_ID, name="陈一明", gender="M", birth_date=date(1991, 1, 1),
        division=Division.objects.get(code="330106"), password="Correct-horse-42",
    )


def consent_make(citizen, system: System, services: list[SharingService], *, fields=("name", "amount", "category"),
                 expires_at=None, revoked_at=None, purpose="个人消费贷款审批") -> Consent:
    consent = Consent.objects.create(
        subject_kind="person", subject_ref=subject_ref("person", citizen.resident_id), citizen=citizen,
        api_client=system.client, fields=list(fields), purpose=purpose, expires_at=expires_at or later(),
        revoked_at=revoked_at,
    )
    consent.services.set(services)
    return consent


def ledger(kind: str | None = None) -> list[tuple[str, str, dict]]:
    """The ledger's entries (of a kind): (subject, actor, payload), oldest first."""
    leaves = LedgerLeaf.objects.order_by("id")
    if kind:
        leaves = leaves.filter(kind=kind)
    return [(leaf.subject, leaf.actor, json.loads(leaf.body)["payload"]) for leaf in leaves]


def calls() -> list[ShareCall]:
    return list(ShareCall.objects.order_by("id"))


def state() -> dict:
    """What a refused call must leave as it was (besides its own log)."""
    return {
        "records": list(ShareRecord.objects.order_by("id").values_list("service_id", "key", "version")),
        "services": list(SharingService.objects.order_by("id").values_list(
            "code", "published_version", "record_count", "is_active")),
        "grants": list(SharingGrant.objects.order_by("id").values_list(
            "id", "revoked_at", "expires_at", "fields", "clear_fields")),
        "consents": list(Consent.objects.order_by("id").values_list("id", "revoked_at", "expires_at")),
    }


def ref(resident_id: str) -> str:
    return subject_ref("person", resident_id)
