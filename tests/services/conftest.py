"""Fixtures shared by the service platform's tests (guide, applications, onething).

- `people`: staff of Xihu (330106) — window officers at the service centre (330106-BGT), case
  officers and leaders at 330106-RS/-SJ/-GA/-SW/-WJ/-ZJ, their escalation targets at Hangzhou
  (330100-RS/-SJ), an officer of Binjiang (330108) and of Ningbo (330200), a big-data admin —
  two citizens of Xihu (A: 王芳, B: 陈明) and a company (杭州西湖数据有限公司, represented by A).
- `platform`: the service platform's API client ("浙江政务服务网（一网通办）", made by
  applications.evidence.service_platform_client) with sharing grants on the two registries and on
  three departmental datasets, the golden records of A, B and the company, and dataset rows for A
  and the company, so pre-fill and fetched materials work through the real sharing gateway.
- builders `item_make(...)`, `implementation_make(...)`, `form_field(...)`, `material(...)`: guide
  rows made with the ORM (the guide's own services are tested in tests/services/guide/).
- `events_deliver_all()`: deliver the outbox as the worker would (events are not auto-delivered
  in tests).

Names of the staff (keys of `people.users`): see STAFF.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from tests.conftest import PASSWORD, People, people_create
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.models import ApiClient, Citizen, Company, User
from zhengtong.kernel.identity.public import Actor, actor_from_user
from zhengtong.kernel.org.models import Department, Division

SYSTEM = Actor(kind="system")

# Citizens and the company (valid check characters; GB 11643 / GB 32100).
A_ID = "330106198503020246"  # 王芳, female, born 1985-03-02, Xihu
B_ID = "330106197712116792"  # 陈明, male, born 1977-12-11, Xihu
USCC = "91330106MA2B0R9X1L"  # 杭州西湖数据有限公司, Xihu
A_MOBILE = "13987654321"
A_ADDRESS = "浙江省杭州市西湖区天目山路8号2幢302室"
B_MOBILE = "15900002222"
B_ADDRESS = "浙江省杭州市西湖区文三路90号1幢101室"
COMPANY_NAME = "杭州西湖数据有限公司"
COMPANY_ADDRESS = "浙江省杭州市西湖区文一西路1号"
COMPANY_MOBILE = "057188886666"

XIHU = "330106"
# Xihu's departments that handle items (the 收办分离 "办" side), by short code.
HANDLING = ("RS", "SJ", "GA", "SW", "WJ", "ZJ")

STAFF: dict[str, tuple[str, list[str]]] = {
    # The service centre's windows (一窗受理): Xihu's general office.
    "window": ("330106-BGT", ["window_officer"]),
    "window2": ("330106-BGT", ["window_officer"]),
    "xihu_leader": ("330106-BGT", ["leader"]),  # the county's leader: sees the county's measures
    "xihu_dsj_admin": ("330106-DSJ", ["big_data_admin"]),
    # Hangzhou's bureaux: where Xihu's overdue tasks escalate (org.department_escalation_target).
    "hz_rs_case": ("330100-RS", ["case_officer"]),
    "hz_rs_leader": ("330100-RS", ["leader"]),
    "hz_sj_case": ("330100-SJ", ["case_officer"]),
    # Officers elsewhere: another county of Hangzhou, and Ningbo.
    "binjiang_rs_case": ("330108-RS", ["case_officer"]),
    "binjiang_window": ("330108-BGT", ["window_officer"]),
    "ningbo_rs_case": ("330200-RS", ["case_officer"]),
    **{f"{code.lower()}_case": (f"330106-{code}", ["case_officer"]) for code in HANDLING},
    **{f"{code.lower()}_case2": (f"330106-{code}", ["case_officer"]) for code in ("RS", "SJ")},
    **{f"{code.lower()}_leader": (f"330106-{code}", ["leader"]) for code in HANDLING},
    "rs_data": ("330106-RS", ["data_officer"]),  # in the department, but neither case officer nor leader
}


@pytest.fixture
def english():
    """Messages asserted in English (the site's default is Chinese; msgids are English). Not
    autouse: pages tests check the Chinese default."""
    with translation.override("en"):
        yield


@pytest.fixture
def no_totp():
    with override_settings(STAFF_REQUIRE_TOTP=False):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads land in the test's own folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@dataclass
class Cast(People):
    company_user: User = None

    @property
    def citizen_a(self) -> Citizen:
        return Citizen.objects.get(user=self.users["citizen_a"])

    @property
    def citizen_b(self) -> Citizen:
        return Citizen.objects.get(user=self.users["citizen_b"])

    @property
    def company(self) -> Company:
        return Company.objects.get(user=self.company_user)

    def actor(self, name: str) -> Actor:
        if name == "company":
            return actor_from_user(User.objects.get(pk=self.company_user.pk))
        return super().actor(name)

    @property
    def a(self) -> Actor:
        return self.actor("citizen_a")

    @property
    def b(self) -> Actor:
        return self.actor("citizen_b")

    def user(self, name: str) -> User:
        return self.company_user if name == "company" else self.users[name]


@pytest.fixture
def people(departments) -> Cast:
    """Staff (STAFF), citizens A and B of Xihu and A's company, each with a login (PASSWORD)."""
    base = people_create(STAFF, citizens={"citizen_a": A_ID, "citizen_b": B_ID})
    Citizen.objects.filter(user=base.users["citizen_a"]).update(
        name="王芳", gender="F", birth_date=date(1985, 3, 2), mobile=A_MOBILE, address=A_ADDRESS)
    Citizen.objects.filter(user=base.users["citizen_b"]).update(
        name="陈明", gender="M", birth_date=date(1977, 12, 11), mobile=B_MOBILE, address=B_ADDRESS)
    User.objects.filter(pk=base.users["citizen_a"].pk).update(display_name="王芳")
    User.objects.filter(pk=base.users["citizen_b"].pk).update(display_name="陈明")
    company = identity_services.company_create(
        uscc=USCC, name=COMPANY_NAME, kind="enterprise", legal_representative=Citizen.objects.get(user=base.users["citizen_a"]),
        division=Division.objects.get(code=XIHU), registered_on=date(2019, 3, 5), address=COMPANY_ADDRESS,
        password=PASSWORD,
    )
    return Cast(base.users, company_user=company.user)


# --- the service platform's sharing: services, grants, golden records, dataset rows ----------------

def _fields(*spec: tuple[str, str, str]) -> list[dict]:
    return [{"name": n, "title": t, "type": "string", "masking_kind": m} for n, t, m in spec]


REGISTRY_PERSON_FIELDS = _fields(
    ("resident_id", "公民身份号码", "resident_id"), ("name", "姓名", "name"), ("birth_date", "出生日期", "plain"),
    ("gender", "性别", "plain"), ("mobile", "手机号码", "mobile"), ("address", "住址", "address"),
    ("division_code", "行政区划代码", "plain"),
)
REGISTRY_COMPANY_FIELDS = _fields(
    ("uscc", "统一社会信用代码", "credit_code"), ("name", "名称", "plain"), ("legal_representative", "法定代表人", "name"),
    ("established_on", "成立日期", "plain"), ("address", "住所", "plain"), ("division_code", "行政区划代码", "plain"),
    ("mobile", "联系电话", "mobile"),
)
# 社会保险参保证明 (Xihu's human resources bureau), keyed by resident ID.
SHEBAO = "ds-330106-rs-00001"
SHEBAO_FIELDS = _fields(
    ("resident_id", "公民身份号码", "resident_id"), ("name", "姓名", "name"), ("employer", "参保单位", "plain"),
    ("insured_since", "参保日期", "plain"), ("months_paid", "累计缴费月数", "plain"),
)
# 参保状态 (Xihu's human resources bureau): what the instant item's decision table reads.
INSURANCE_STATUS = "ds-330106-rs-00002"
INSURANCE_STATUS_FIELDS = _fields(
    ("resident_id", "公民身份号码", "resident_id"), ("name", "姓名", "name"), ("insurance_status", "参保状态", "plain"),
)
# 户籍信息 (Xihu's public security bureau), keyed by resident ID.
HUKOU = "ds-330106-ga-00001"
HUKOU_FIELDS = _fields(
    ("resident_id", "公民身份号码", "resident_id"), ("name", "姓名", "name"), ("household_address", "户籍地址", "address"),
    ("relation", "与户主关系", "plain"),
)
# 营业执照信息 (Xihu's market regulation bureau), keyed by USCC.
MARKET = "ds-330106-sj-00001"
MARKET_FIELDS = _fields(
    ("uscc", "统一社会信用代码", "credit_code"), ("name", "主体名称", "plain"),
    ("legal_representative", "法定代表人", "name"), ("business_scope", "经营范围", "plain"),
    ("address", "住所", "plain"),
)

SHEBAO_A = {"resident_id": A_ID, "name": "王芳", "employer": COMPANY_NAME, "insured_since": "2012-07-01",
            "months_paid": "150"}
INSURANCE_STATUS_A = {"resident_id": A_ID, "name": "王芳", "insurance_status": "暂停缴费"}
HUKOU_A = {"resident_id": A_ID, "name": "王芳", "household_address": A_ADDRESS, "relation": "户主"}
MARKET_COMPANY = {"uscc": USCC, "name": COMPANY_NAME, "legal_representative": "王芳",
                  "business_scope": "数据处理服务；软件开发", "address": COMPANY_ADDRESS}
GOLDEN_A = {"resident_id": A_ID, "name": "王芳", "birth_date": "1985-03-02", "gender": "F", "mobile": A_MOBILE,
            "address": A_ADDRESS, "division_code": XIHU}
GOLDEN_B = {"resident_id": B_ID, "name": "陈明", "birth_date": "1977-12-11", "gender": "M", "mobile": B_MOBILE,
            "address": B_ADDRESS, "division_code": XIHU}
GOLDEN_COMPANY = {"uscc": USCC, "name": COMPANY_NAME, "legal_representative": "王芳", "established_on": "2019-03-05",
                  "address": COMPANY_ADDRESS, "division_code": XIHU, "mobile": COMPANY_MOBILE}


@dataclass
class Platform:
    client: ApiClient
    services: dict  # code → SharingService
    grants: dict  # code → SharingGrant
    registry_ids: dict  # "a" / "b" / "company" → registry id

    def caller(self):
        from zhengtong.data.exchange.public import Caller

        return Caller(actor=Actor(kind="api_client", api_client_id=self.client.id,
                                  department_id=self.client.department_id), correlation_id="test")


def sharing_service_make(code: str, name: str, department: Department, fields: list[dict], *, key: str,
                         subject_kind: str, kind: str = "dataset", registry_kind: str = ""):
    from zhengtong.data.exchange.models import SharingService

    return SharingService.objects.create(
        code=code, kind=kind, registry_kind=registry_kind, name=name, owner_department=department,
        share_type="conditional", grade="important", sensitivity="L3", key_field=key,
        subject_field="resident_id" if subject_kind == "person" else "uscc", subject_kind=subject_kind,
        division_field="division_code" if kind == "registry" else "", fields=fields,
        published_version=1 if kind == "dataset" else None, published_at=timezone.now(),
        record_count=0,
    )


def share_record_make(service, key: str, values: dict, *, division: str = XIHU):
    from zhengtong.data.exchange.models import ShareRecord
    from zhengtong.data.exchange.public import subject_ref

    ShareRecord.objects.create(
        service=service, key=key, subject_ref=subject_ref(service.subject_kind, values[service.subject_field]),
        division=division, payload=json.dumps(values, ensure_ascii=False), version=service.published_version or 1,
    )
    type(service).objects.filter(pk=service.pk).update(record_count=service.records.count())


def grant_make(client: ApiClient, service, *, fields=None, clear=None, purpose="政务服务事项办理（一网通办）",
               expires_at=None, revoked_at=None):
    """An approved basket item and its grant, as the exchange's directory services leave them."""
    from zhengtong.data.exchange.models import ItemStatus, RequestItem, RequestStatus, SharingGrant, SharingRequest

    fields = list(fields if fields is not None else [f["name"] for f in service.fields])
    clear = list(clear if clear is not None else fields)
    request = SharingRequest.objects.create(
        consumer_department_id=client.department_id, api_client=client, purpose=purpose,
        legal_basis="《浙江省公共数据条例》第二十六条", expires_on=date.today() + timedelta(days=365),
        status=RequestStatus.DECIDED, submitted_at=timezone.now(), decided_at=timezone.now(),
    )
    item = RequestItem.objects.create(request=request, service=service, fields=fields, clear_fields=clear,
                                      status=ItemStatus.APPROVED)
    return SharingGrant.objects.create(
        item=item, service=service, api_client=client, consumer_department_id=client.department_id, purpose=purpose,
        legal_basis=request.legal_basis, fields=fields, clear_fields=clear, rate_limit_per_minute=100000,
        expires_at=expires_at or timezone.now() + timedelta(days=365), revoked_at=revoked_at,
    )


def golden_record_make(kind: str, values: dict, department: Department | None = None) -> str:
    """A registry master with these golden values (what a registry run would leave); its id."""
    from zhengtong.data.registry.ids import registry_id_new
    from zhengtong.data.registry.models import GoldenAttribute, MasterRecord
    from zhengtong.data.registry.services import identifier_index

    master = MasterRecord.objects.create(registry_id=registry_id_new(kind), kind=kind, record_count=1,
                                         masked_label=values["name"][:1] + "*")
    now = timezone.now()
    for attribute, value in values.items():
        GoldenAttribute.objects.create(
            master=master, attribute=attribute, value=value, value_digest=f"test:{attribute}:{value}",
            lookup_index=identifier_index(attribute, value) if attribute in ("resident_id", "uscc", "mobile") else "",
            resource_code="330106-GA-00001" if kind == "person" else "330106-SJ-00001", department=department,
            dataset_version=1, verified=True, authoritative=True, source_updated_at=now, updated_at=now,
        )
    return master.registry_id


@pytest.fixture
def platform(people, departments) -> Platform:
    """The service platform's client, its grants, and the data A, B and the company have."""
    from zhengtong.services.applications.evidence import service_platform_client

    client = service_platform_client()
    dsj = departments["330000-DSJ"]
    services = {
        "registry-person": sharing_service_make("registry-person", "人口综合库", dsj, REGISTRY_PERSON_FIELDS,
                                                key="registry_id", subject_kind="person", kind="registry",
                                                registry_kind="person"),
        "registry-company": sharing_service_make("registry-company", "法人综合库", dsj, REGISTRY_COMPANY_FIELDS,
                                                 key="registry_id", subject_kind="company", kind="registry",
                                                 registry_kind="company"),
        SHEBAO: sharing_service_make(SHEBAO, "社会保险参保证明", departments["330106-RS"], SHEBAO_FIELDS,
                                     key="resident_id", subject_kind="person"),
        INSURANCE_STATUS: sharing_service_make(INSURANCE_STATUS, "社会保险参保状态", departments["330106-RS"],
                                               INSURANCE_STATUS_FIELDS, key="resident_id", subject_kind="person"),
        HUKOU: sharing_service_make(HUKOU, "户籍信息", departments["330106-GA"], HUKOU_FIELDS,
                                    key="resident_id", subject_kind="person"),
        MARKET: sharing_service_make(MARKET, "营业执照信息", departments["330106-SJ"], MARKET_FIELDS,
                                     key="uscc", subject_kind="company"),
    }
    share_record_make(services[SHEBAO], A_ID, SHEBAO_A)
    share_record_make(services[HUKOU], A_ID, HUKOU_A)
    share_record_make(services[INSURANCE_STATUS], A_ID, INSURANCE_STATUS_A)
    share_record_make(services[MARKET], USCC, MARKET_COMPANY)
    grants = {
        # The registries: every attribute in clear (pre-fill shows the applicant their own values).
        "registry-person": grant_make(client, services["registry-person"]),
        "registry-company": grant_make(client, services["registry-company"]),
        # The datasets: evidence masked where the grant does not give a field in clear.
        SHEBAO: grant_make(client, services[SHEBAO], clear=["employer", "insured_since", "months_paid"]),
        HUKOU: grant_make(client, services[HUKOU], clear=["relation"]),
        INSURANCE_STATUS: grant_make(client, services[INSURANCE_STATUS], clear=["insurance_status"]),
        MARKET: grant_make(client, services[MARKET]),
    }
    registry_ids = {
        "a": golden_record_make("person", GOLDEN_A, departments["330106-GA"]),
        "b": golden_record_make("person", GOLDEN_B, departments["330106-GA"]),
        "company": golden_record_make("company", GOLDEN_COMPANY, departments["330106-SJ"]),
    }
    return Platform(client, services, grants, registry_ids)


# --- guide rows: builders ------------------------------------------------------------------------

def form_field(name: str, label: str, kind: str = "text", *, required: bool = True, choices=(), prefill: str = "",
               help: str = "", max_length: int | None = None) -> dict:  # noqa: A002 (the contract's key)
    """One entry of ItemImplementation.form_fields, with exactly the contract's keys."""
    return {"name": name, "label": label, "kind": kind, "required": required,
            "choices": [list(c) for c in choices], "prefill": prefill, "help": help, "max_length": max_length}


def material(code: str, name: str, *, source: str = "upload", source_ref: str = "", required: bool = True,
             accepted_types=("pdf", "jpg", "png"), max_bytes: int = 2 * 1024 * 1024, copies: int = 1,
             form: str = "electronic") -> dict:
    return {"code": code, "name": name, "source": source, "source_ref": source_ref, "required": required,
            "accepted_types": list(accepted_types), "max_bytes": max_bytes, "copies": copies, "form": form}


# The usual questions of a citizen's item: identity pre-filled from the population registry.
PERSON_FIELDS = [
    form_field("applicant_name", "申请人姓名", prefill="person.name"),
    form_field("resident_id", "公民身份号码", "resident_id", prefill="person.resident_id"),
    form_field("mobile", "手机号码", "mobile", prefill="person.mobile"),
    form_field("address", "联系地址", "address", prefill="person.address", required=False),
]
COMPANY_FIELDS = [
    form_field("company_name", "企业名称", prefill="company.name"),
    form_field("uscc", "统一社会信用代码", "uscc", prefill="company.uscc"),
    form_field("legal_representative", "法定代表人", prefill="company.legal_representative"),
    form_field("mobile", "联系电话", "text", prefill="company.mobile", required=False),
]


def item_make(code: str, name: str, *, item_type: str = "public_service", serving: str = "citizen",
              competent_department_kind: str = "human_resources", basis: str = "《社会保险法》",
              theme: str = "", handling_kind: str = "new", keywords=(), parent=None):
    from zhengtong.services.guide.models import ServiceItem

    return ServiceItem.objects.create(
        code=code, name=name, item_type=item_type, serving=serving, competent_department_kind=competent_department_kind,
        basis=basis, theme=theme, handling_kind=handling_kind, keywords=list(keywords), parent=parent,
    )


def implementation_make(item, *, division: str = XIHU, department: str = "330106-RS", status: str = "published",
                        process: str = "standard", instant: bool = False, decision: str = "",
                        form_fields=None, materials=(), legal_days: int = 20, promised_days: int = 5,
                        visits: int = 0, online: bool = True, mobile: bool = True, fees=(), result_name: str = "",
                        result_licence_type: str = "", conditions: str = "", **extra):
    """A division's implementation of the item with its form fields (default PERSON_FIELDS) and
    materials (dicts from `material(...)`)."""
    from zhengtong.services.guide.models import ItemImplementation, Material

    implementation = ItemImplementation.objects.create(
        item=item, division=Division.objects.get(code=division), department=Department.objects.get(code=department),
        status=status, process=process, instant=instant, decision=decision,
        form_fields=list(form_fields if form_fields is not None else PERSON_FIELDS), legal_days=legal_days,
        promised_days=promised_days, visits=visits, online=online, mobile=mobile, fees=list(fees),
        result_name=result_name or f"{item.name}结果", result_licence_type=result_licence_type, conditions=conditions,
        **extra,
    )
    for position, spec in enumerate(materials):
        Material.objects.create(implementation=implementation, position=position, **spec)
    return implementation


@dataclass
class Catalogue:
    """Ready-made items of Xihu, one per shape the tests need."""

    standard: object  # 失业保险金申领 (RS, process "standard"): an upload, a shared material, a licence
    simple: object  # 个体工商户名称变更登记 (SJ, companies, process "simple")
    parallel: object  # 医师执业注册 (WJ, process "parallel_review")
    instant: object  # 灵活就业人员参保登记 (RS, 秒办: no question, one shared material, DMN flexible_employment_insurance)


@pytest.fixture
def catalogue(platform) -> Catalogue:
    standard = implementation_make(
        item_make("330106-RS-001", "失业保险金申领", item_type="benefit"),
        department="330106-RS", process="standard", promised_days=5, legal_days=20,
        form_fields=[*PERSON_FIELDS,
                     form_field("reason", "离职原因", "choice", choices=(("contract_end", "劳动合同到期"),
                                                                       ("dismissed", "被用人单位解除"))),
                     form_field("left_on", "离职日期", "date"),
                     form_field("remarks", "补充说明", "textarea", required=False, max_length=200)],
        materials=[material("leaving_proof", "解除或终止劳动关系证明"),
                   material("shebao", "社会保险参保证明", source="shared", source_ref=SHEBAO),
                   material("bank_card", "银行卡复印件", required=False)],
    )
    simple = implementation_make(
        item_make("330106-SJ-001", "个体工商户名称变更登记", item_type="licensing", serving="company",
                  competent_department_kind="market_regulation", basis="《市场主体登记管理条例》"),
        department="330106-SJ", process="simple", promised_days=3, legal_days=15, form_fields=[
            *COMPANY_FIELDS, form_field("new_name", "变更后名称", max_length=50)],
        materials=[material("licence", "营业执照", source="shared", source_ref=MARKET),
                   material("resolution", "变更决定书", accepted_types=("pdf",))],
    )
    parallel = implementation_make(
        item_make("330106-WJ-001", "医师执业注册", item_type="licensing", competent_department_kind="health",
                  basis="《医师法》"),
        department="330106-WJ", process="parallel_review", promised_days=10, legal_days=20,
        form_fields=[*PERSON_FIELDS, form_field("hospital", "执业机构")],
        materials=[material("qualification", "医师资格证书")],
    )
    instant = implementation_make(
        item_make("330106-RS-002", "灵活就业人员参保登记", item_type="public_service"),
        department="330106-RS", process="instant", instant=True, decision="flexible_employment_insurance",
        promised_days=1, legal_days=5, form_fields=[],
        materials=[material("insurance_status", "社会保险参保状态", source="shared", source_ref=INSURANCE_STATUS)],
    )
    return Catalogue(standard, simple, parallel, instant)


# --- events ----------------------------------------------------------------------------------------

def events_deliver_all() -> int:
    """Deliver every outbox event so far, oldest first, until none is left (handlers publish more)."""
    from zhengtong.kernel.events.models import OutboxEvent
    from zhengtong.kernel.events.services import event_deliver

    delivered: set = set()
    while True:
        pending = [e.id for e in OutboxEvent.objects.order_by("occurred_at") if e.id not in delivered]
        if not pending:
            return len(delivered)
        for event_id in pending:
            event_deliver(event_id=event_id)
            delivered.add(event_id)
