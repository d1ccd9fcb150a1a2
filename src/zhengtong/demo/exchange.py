"""The demo's data sharing (共享交换): the directory synchronised from the catalog and the registries,
the dataset services published, three systems with API keys, and one basket from Hangzhou's human
resources and social security bureau — one service approved (a grant its system can call), one
still awaiting the big-data bureau, so every desk of the journey has something on it.

Idempotent: run again (`zhengtong demo --if-empty`) it changes nothing and prints the same keys.
API keys are derived from the seed like the staff TOTP secrets, so a rebuilt demo keeps working
with the keys written down before; they are demo keys, as public as the demo password.
"""

import base64
import hashlib
import sys
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from zhengtong.kernel.identity.authentication import api_key_hash
from zhengtong.kernel.identity.models import ApiClient, User
from zhengtong.kernel.identity.public import Actor, actor_from_user
from zhengtong.kernel.org.models import Department, DepartmentKind, Role

from .datasets import CITY_CODE

SYSTEM = Actor(kind="system")
MARKET_REGISTER_TITLE = "市场主体登记信息"


@dataclass(frozen=True)
class DemoSystem:
    name: str
    department_kind: str | None  # at Hangzhou; None for a third party
    scopes: tuple[str, ...]


DEMO_SYSTEMS = (
    DemoSystem("杭州市场监管一体化平台", DepartmentKind.MARKET_REGULATION, ()),
    DemoSystem("杭州市就业创业补贴审核系统", DepartmentKind.HUMAN_RESOURCES, ()),
    # A bank's loan system: it reads a person's or company's data only with their consent (mydata).
    DemoSystem("浙里贷（演示银行）", None, ("consent",)),
)


@dataclass(frozen=True)
class DemoApiKey:
    name: str
    where: str
    key: str  # "" when the system was registered with another seed's key


def demo_api_key(seed: int, name: str) -> str:
    """Deterministic per seed, in the format of identity's keys: zt_<prefix>_<secret>."""
    digest = hashlib.sha256(f"zhengtong-demo-api:{seed}:{name}".encode()).digest()
    prefix = digest[:6].hex()
    secret = base64.urlsafe_b64encode(hashlib.sha256(digest).digest()).decode().rstrip("=").replace("_", "-")
    return f"zt_{prefix}_{secret}"


def _department(kind: str | None) -> Department | None:
    return Department.objects.get(division__code=CITY_CODE, kind=kind) if kind else None


def _systems(seed: int) -> list[tuple[ApiClient, DemoApiKey]]:
    built = []
    for spec in DEMO_SYSTEMS:
        department = _department(spec.department_kind)
        key = demo_api_key(seed, spec.name)
        client = ApiClient.objects.filter(name=spec.name, department=department).first()
        if client is None:
            client = ApiClient.objects.create(name=spec.name, department=department, key_prefix=key.split("_")[1],
                                              key_hash=api_key_hash(key), scopes=sorted(spec.scopes))
        shown = key if client.key_hash == api_key_hash(key) else ""
        built.append((client, DemoApiKey(spec.name, department.name if department else "第三方 third party", shown)))
    return built


def _publish_datasets() -> None:
    """Serve each dataset service's current version (the loads ran before the directory existed)."""
    from zhengtong.data.exchange.models import ServiceKind, SharingService
    from zhengtong.data.exchange.publishing import service_publish

    for service in SharingService.objects.filter(kind=ServiceKind.DATASET, is_active=True,
                                                 published_version__isnull=True):
        try:
            service_publish(service_id=service.pk)
        except ValueError as error:  # no version loaded: nothing to serve yet
            print(f"共享服务 {service.code} 未发布 / not published: {error}", file=sys.stderr)


def _basket(hrss_client: ApiClient) -> None:
    """The HRSS bureau asks for the market register and the company registry; the market
    regulator's data officer approves its item, the company registry waits for the provincial
    bureau. Submitted by the bureau's data officer (hz.hrss.data)."""
    from zhengtong.data.exchange.models import SharingRequest, SharingService
    from zhengtong.data.exchange.services import ItemSpec, item_decide, request_submit

    if SharingRequest.objects.filter(api_client=hrss_client).exists():
        return
    market = SharingService.objects.filter(dataset__title=MARKET_REGISTER_TITLE,
                                           owner_department__division__code=CITY_CODE, is_active=True).first()
    company = SharingService.objects.filter(code="registry-company", is_active=True).first()
    if market is None or company is None:
        return
    names = {f["name"] for f in market.fields}
    requester = User.objects.filter(username="hz.hrss.data").first()
    request = request_submit(
        actor=actor_from_user(requester) if requester else SYSTEM, consumer_department_id=hrss_client.department_id,
        api_client_id=hrss_client.id,
        purpose="就业创业补贴审核：核验申请补贴企业的登记状态、类型和法定代表人",
        legal_basis="《中华人民共和国就业促进法》第十七条；《浙江省就业补助资金管理办法》",
        expires_on=timezone.localdate() + timedelta(days=365),
        items=[
            ItemSpec(market.code, tuple(n for n in ("uscc", "name", "kind", "legal_representative", "registered_on",
                                                    "address") if n in names)),
            ItemSpec(company.code, ("uscc", "name", "legal_representative", "established_on")),
        ],
    )
    approver = User.objects.filter(staff_member__department=market.owner_department,
                                   staff_member__positions__role=Role.DATA_OFFICER).order_by("id").first()
    if approver is not None:
        item = request.items.get(service=market)
        item_decide(actor=actor_from_user(approver), item_id=item.public_id, approve=True,
                    note="同意共享，限用于就业创业补贴审核")


def _calls_and_consent(systems: list[tuple[ApiClient, DemoApiKey]]) -> None:
    """So mydata shows something from the start: the HRSS system reads the demo company's entry in
    the market register under its grant; the demo citizen authorizes the bank to read their social
    insurance record, and the bank reads it. Through the gateway and the consent services, as the
    systems and the citizen would; once (the ledger shows whether they ran)."""
    from uuid import uuid4

    from zhengtong.data.exchange.models import Consent, ShareCall, ShareRecord, SharingService
    from zhengtong.data.exchange.public import Caller, ShareError, consent_give, share_record, subject_ref
    from zhengtong.kernel.identity.models import Citizen, Company

    (_market_client, _), (hrss_client, _), (bank, _) = systems
    if ShareCall.objects.filter(api_client_id__in=[hrss_client.id, bank.id]).exists():
        return

    def caller(client: ApiClient) -> Caller:
        actor = Actor(kind="api_client", api_client_id=client.id, department_id=client.department_id,
                      roles=frozenset(client.scopes))
        return Caller(actor=actor, correlation_id=f"demo-{uuid4()}", officer="demo",
                      client_public_id=str(client.public_id), client_name=client.name)

    company = Company.objects.filter(user__isnull=False).order_by("id").first()
    market = SharingService.objects.filter(dataset__title=MARKET_REGISTER_TITLE,
                                           owner_department__division__code=CITY_CODE, is_active=True).first()
    if company and market and ShareRecord.objects.filter(service=market, key=company.uscc).exists():
        try:
            share_record(caller=caller(hrss_client), service_code=market.code, key=company.uscc)
        except ShareError as error:
            print(f"演示调用未成功 / demo call refused: {error.code}", file=sys.stderr)

    citizen = Citizen.objects.filter(user__isnull=False).order_by("id").first()
    if citizen is None or Consent.objects.filter(citizen=citizen).exists():
        return
    # A dataset of Hangzhou's that holds the citizen's record (the social insurance one, if it does).
    mine = ShareRecord.objects.filter(subject_ref=subject_ref("person", citizen.resident_id),
                                      service__kind="dataset", service__is_active=True,
                                      service__owner_department__division__code=CITY_CODE)
    record = (mine.filter(service__dataset__title="社会保险参保人员信息").first() or mine.order_by("service__code").first())
    if record is None:
        return
    insurance = record.service
    wanted = [f["name"] for f in insurance.fields
              if f["name"] in ("name", "insured_since", "monthly_base", "insurance_status", "household_size")]
    consent_give(actor=actor_from_user(citizen.user), api_client_id=bank.id, service_codes=[insurance.code],
                 fields=wanted or [insurance.fields[1]["name"]], purpose="个人消费贷款审批：核验身份与参保信息",
                 expires_at=timezone.now() + timedelta(days=180))
    try:
        share_record(caller=caller(bank), service_code=insurance.code, key=record.key)
    except ShareError as error:
        print(f"演示调用未成功 / demo call refused: {error.code}", file=sys.stderr)


def build_demo_exchange(*, seed: int = 1) -> list[DemoApiKey]:
    """Build (once) the demo's sharing directory, systems and basket; the API keys to print."""
    from zhengtong.data.exchange.services import directory_sync

    if not Department.objects.filter(division__code=CITY_CODE).exists():
        return []
    with transaction.atomic():
        directory_sync()
        systems = _systems(seed)
    _publish_datasets()
    with transaction.atomic():
        _basket(systems[1][0])
    _calls_and_consent(systems)
    return [key for _client, key in systems]


def print_demo_exchange(stdout, *, seed: int = 1) -> None:
    """Build, then print the demo's API keys."""
    keys = build_demo_exchange(seed=seed)
    if not keys:
        return
    stdout.write("")
    stdout.write("演示 API 密钥 / Demo API keys (header  Authorization: ApiKey <key>; "
                 "directory: http://127.0.0.1:8000/api/v1/share/services)")
    for key in keys:
        stdout.write(f"  {key.name}（{key.where}）")
        stdout.write(f"    {key.key or '（密钥在首次生成演示时已打印 / printed when the demo was first built）'}")
