"""Fixtures of the supervision tests: staff of Xihu's market regulation (330106-SJ) and health
(330106-WJ) bureaus, a law with two articles, an item founded on one, inspectors, and a register
of companies of Xihu and Binjiang written through the register's own loader (credit classes
read from credit.public, set with credit_class_set)."""

from datetime import date

import pytest
from django.test import override_settings
from django.utils import translation

from tests.conftest import people_create
from zhengtong.kernel.ids.public import organization_code_check_char, uscc_check_char
from zhengtong.supervision.credit.public import credit_class_set
from zhengtong.supervision.supervision import services

STAFF = {
    "sj_leader": ("330106-SJ", ["leader"]),
    "sj_officer": ("330106-SJ", ["case_officer"]),
    "sj_insp1": ("330106-SJ", ["inspector"]),
    "sj_insp2": ("330106-SJ", ["inspector"]),
    "sj_insp3": ("330106-SJ", ["inspector"]),
    "wj_leader": ("330106-WJ", ["leader"]),
    "wj_insp1": ("330106-WJ", ["inspector"]),
    "wj_insp2": ("330106-WJ", ["inspector"]),
    "rs_officer": ("330106-RS", ["case_officer"]),
}


def uscc(n: int, division: str = "330106") -> str:
    """A valid unified social credit code (GB 32100, both check characters) numbered n."""
    organization = f"{n:08d}"
    body = f"91{division}{organization}{organization_code_check_char(organization)}"
    return body + uscc_check_char(body)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def no_totp():
    with override_settings(STAFF_REQUIRE_TOTP=False):
        yield


@pytest.fixture
def people(departments):
    return people_create(STAFF, citizens={})


@pytest.fixture
def law(people):
    return services.law_create(
        actor=people.actor("sj_leader"), title="中华人民共和国食品安全法", issuing_authority="全国人民代表大会常务委员会",
        level="law", promulgated_on=date(2009, 2, 28), effective_on=date(2009, 6, 1),
        articles=[("第一百一十条", "县级以上人民政府食品安全监督管理部门履行食品安全监督管理职责，有权进行现场检查。"),
                  ("第一百一十三条", "县级以上人民政府食品安全监督管理部门应当建立食品生产经营者食品安全信用档案。")])


@pytest.fixture
def item(people, law):
    article = law.articles.get(number="第一百一十条")
    return services.item_create(actor=people.actor("sj_officer"), code="SJ-330106-001", name="食品经营者监督检查",
                                article_ids=[article.public_id], checklist=["许可证照", "从业人员健康证明", "原料进货查验"])


@pytest.fixture
def wj_item(people, law):
    article = law.articles.get(number="第一百一十三条")
    return services.item_create(actor=people.actor("wj_leader"),
                                code="WJ-330106-001", name="公共场所卫生监督检查", article_ids=[article.public_id],
                                checklist=["卫生许可证", "从业人员健康证明"])


@pytest.fixture
def inspectors(people):
    leader = people.actor("sj_leader")
    made = {}
    for i, name in enumerate(("sj_insp1", "sj_insp2", "sj_insp3"), start=1):
        made[name] = services.inspector_register(actor=leader, user_id=people.users[name].pk,
                                                 certificate_no=f"33010600{i:04d}")
    wj = people.actor("wj_leader")
    for i, name in enumerate(("wj_insp1", "wj_insp2"), start=1):
        made[name] = services.inspector_register(actor=wj, user_id=people.users[name].pk,
                                                 certificate_no=f"33010601{i:04d}")
    return made


@pytest.fixture
def entities(db):
    """200 companies of Xihu (330106) and 20 of Binjiang (330108); a few graded C and D."""
    rows = [(f"ZJC{n:06d}", uscc(n), f"杭州测试{n}号有限公司", "330106", f"法人{n}", "") for n in range(1, 201)]
    rows += [(f"ZJC{n:06d}", uscc(n, "330108"), f"滨江测试{n}号有限公司", "330108", f"法人{n}", "")
             for n in range(1001, 1021)]
    for n in range(1, 11):
        credit_class_set(uscc(n), "C", reason="测试")
    for n in range(11, 16):
        credit_class_set(uscc(n), "D", reason="测试")
    services.entities_load(rows)
    return rows


@pytest.fixture
def drawn(people, item, inspectors, entities):
    """A drawn plan of the market bureau's item and one drawn entity with its assigned inspectors."""
    from zhengtong.supervision.supervision.models import DrawnEntity

    plan = services.plan_create(actor=people.actor("sj_officer"), title="2026年食品经营者双随机抽查",
                                item_ids=[item.public_id], division_code="330106",
                                ratios={"A": 5, "B": 3, "C": 10, "D": 20}, inspectors_per_inspection=2)
    services.plan_commit(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    services.plan_draw(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    entity = DrawnEntity.objects.filter(plan=plan).exclude(inspectors=[]).order_by("uscc").first()
    return entity

