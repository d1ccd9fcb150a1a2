"""Fixtures of the guide's tests: the shared service-platform cast (tests/services/conftest.py)
plus the province's staff who keep the catalogue, and valid elements to build on.

    guide_people.actor("zj_bgt_case")   浙江省人民政府办公厅, case officer: keeps the catalogue and the finder
    guide_people.actor("zj_rs_case")    浙江省人力资源和社会保障厅, case officer: keeps human-resources items
    guide_people.actor("zj_dsj_admin")  浙江省大数据局 administrator
    guide_people.actor("hz_dsj_admin")  杭州市数据资源管理局 administrator: Hangzhou's lists
    people.actor("rs_case")             西湖区人社局 case officer: Xihu's RS lists (shared cast)

Builders go through the guide's own services: `item_data()`, `implementation_data()` and
`materials_data()` are valid elements to override; `catalogue_load()` loads CATALOGUE (items of
several departments, published at different levels, one draft, one suspended); the `listed`
fixture adds a complete Xihu list. `guide_state()` snapshots everything a service may write.
"""

import pytest

from tests.conftest import PASSWORD
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.models import Department
from zhengtong.services.guide import services

SYSTEM = Actor(kind="system")

GUIDE_STAFF = {
    "zj_bgt_case": ("330000-BGT", ["case_officer"]),
    "zj_rs_case": ("330000-RS", ["case_officer"]),
    "zj_dsj_admin": ("330000-DSJ", ["big_data_admin"]),
    "hz_dsj_admin": ("330100-DSJ", ["big_data_admin"]),
}


@pytest.fixture
def guide_people(people):
    for name, (code, roles) in GUIDE_STAFF.items():
        people.users[name] = identity_services.staff_create(
            username=name, name=name, department=Department.objects.get(code=code), roles=roles, password=PASSWORD
        ).user
    return people


def item_data(code: str = "330000-RS-0101", **overrides) -> dict:
    data = {
        "code": code,
        "name": "职业技能培训补贴申领",
        "item_type": "benefit",
        "competent_department_kind": "human_resources",
        "basis": "《中华人民共和国就业促进法》第四十四条",
        "serving": "citizen",
        "handling_kind": "new",
        "theme": "就业创业",
        "keywords": ["培训补贴", "技能提升"],
    }
    data.update(overrides)
    return data


def implementation_data(department: str = "330106-RS", **overrides) -> dict:
    data = {
        "department": department,
        "conditions": "在西湖区参加职业技能培训并取得职业资格证书的参保人员。",
        "legal_days": 20,
        "promised_days": 5,
        "fees": [],
        "result_name": "培训补贴发放",
        "result_licence_type": "",
        "visits": 0,
        "online": True,
        "mobile": True,
        "instant": False,
        "process": "standard",
        "decision": "",
        "form_fields": [
            {"name": "applicant_name", "label": {"zh": "申请人姓名", "en": "Applicant's name"}, "kind": "text",
             "required": True, "choices": [], "prefill": "person.name", "help": "", "max_length": 50},
            {"name": "resident_id", "label": "公民身份号码", "kind": "resident_id", "required": True, "choices": [],
             "prefill": "person.resident_id", "help": "", "max_length": None},
            {"name": "course", "label": {"zh": "培训工种", "en": "Trade"}, "kind": "choice", "required": True,
             "choices": [["electrician", "电工"], ["chef", "中式烹调师"]], "prefill": "", "help": "", "max_length": None},
        ],
        "place": "西湖区民生服务中心（文三路 1 号）",
        "hours": "工作日 9:00-17:00",
        "consultation": "0571-12345",
        "complaints": "12345 政务服务热线",
        "special_steps": "",
    }
    data.update(overrides)
    return data


def materials_data() -> list[dict]:
    return [
        {"code": "certificate", "name": "职业资格证书", "copies": 1, "form": "electronic", "required": True,
         "source": "licence", "source_ref": "vocational_certificate", "accepted_types": [], "max_bytes": 10485760,
         "basis": ""},
        {"code": "shebao", "name": "社会保险参保证明", "copies": 1, "form": "electronic", "required": True,
         "source": "shared", "source_ref": "ds-330106-rs-00001", "accepted_types": [], "max_bytes": 10485760,
         "basis": ""},
        {"code": "invoice", "name": "培训费发票", "copies": 1, "form": "electronic", "required": True,
         "source": "upload", "source_ref": "", "accepted_types": ["pdf", "jpg"], "max_bytes": 2097152,
         "basis": "《浙江省职业技能培训补贴管理办法》"},
    ]


def guide_state() -> tuple:
    """Everything a guide service may write: to assert a refused call changed nothing."""
    from zhengtong.kernel.events.models import OutboxEvent
    from zhengtong.kernel.ledger.models import LedgerLeaf
    from zhengtong.kernel.search.models import SearchDocument, SearchToken
    from zhengtong.services.guide.models import FinderQuestion, ItemImplementation, Material, ServiceItem

    return (
        list(ServiceItem.objects.order_by("id").values()),
        list(ItemImplementation.objects.order_by("id").values()),
        list(Material.objects.order_by("id").values()),
        list(FinderQuestion.objects.order_by("id").values()),
        LedgerLeaf.objects.count(),
        OutboxEvent.objects.count(),
        list(SearchDocument.objects.order_by("id").values("kind", "key", "title", "body")),
        SearchToken.objects.count(),
    )


# code: (name, kind, serving, item_type, theme, keywords, [(division, department, status)], conditions)
CATALOGUE = {
    "330000-RS-0001": ("失业保险金申领", "human_resources", "citizen", "benefit", "就业创业", ["失业金"],
                       [("330106", "330106-RS", "published")], "非因本人意愿中断就业"),
    "330000-SJ-0001": ("企业营业执照变更登记", "market_regulation", "company", "licensing", "开办企业", [],
                       [("330000", "330000-SJ", "published")], "已登记的企业"),
    "330000-GA-0001": ("新生儿入户", "public_security", "citizen", "confirmation", "生育收养", [],
                       [("330100", "330100-GA", "published")], "持出生医学证明的新生儿"),
    "330000-WJ-0001": ("出生医学证明核发", "health", "both", "public_service", "生育收养", [],
                       [("330108", "330108-WJ", "published")], "在本市医疗机构出生"),
    "330000-RS-0002": ("社会保障卡补办", "human_resources", "citizen", "public_service", "社会保障", [],
                       [("330106", "330106-RS", "draft")], "社会保障卡遗失"),
    "330000-ZJ-0001": ("住房公积金提取", "housing", "citizen", "benefit", "住房保障", ["公积金"],
                       [("330106", "330106-ZJ", "suspended")], "缴存职工购房"),
    "330000-RS-0003": ("工伤保险待遇核定", "human_resources", "citizen", "benefit", "社会保障", [],
                       [("330106", "330106-RS", "published")], "参加工伤保险的职工"),
}


def catalogue_load(entries=CATALOGUE):
    for code, (name, kind, serving, item_type, theme, keywords, places, conditions) in entries.items():
        services.item_create(actor=SYSTEM, data=item_data(
            code=code, name=name, competent_department_kind=kind, serving=serving, item_type=item_type, theme=theme,
            keywords=keywords))
        for division, department, status in places:
            made = services.implementation_create(actor=SYSTEM, item_code=code, division_code=division,
                                                  data=implementation_data(department=department,
                                                                           conditions=conditions,
                                                                           result_name=f"{name}决定"))
            if status != "draft":
                services.implementation_publish(actor=SYSTEM, public_id=made.public_id)
            if status == "suspended":
                services.implementation_suspend(actor=SYSTEM, public_id=made.public_id, reason="暂停")


@pytest.fixture
def listed(guide_people):
    """CATALOGUE, and a complete Xihu list (330000-RS-0101) with fees and every kind of material."""
    catalogue_load()
    services.item_create(actor=SYSTEM, data=item_data())
    implementation = services.implementation_create(
        actor=SYSTEM, item_code="330000-RS-0101", division_code="330106",
        data=implementation_data(fees=[{"name": "工本费", "amount_fen": 1500, "basis": "浙价费〔2017〕1号"}],
                                 special_steps="现场核验原件"),
        materials=materials_data())
    services.implementation_publish(actor=SYSTEM, public_id=implementation.public_id)
    return implementation
