"""A company's credit journey in a real browser: its grade with the reasons, a repair application;
the public measure list. Each page passes the axe check."""

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from tests.supervision.credit.conftest import COMPANY_USCC
from zhengtong.supervision.credit import services
from zhengtong.supervision.credit.measures import measures_seed
from zhengtong.supervision.credit.models import JointMeasure, RepairRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_company_reads_its_credit_and_applies_for_repair(live_server, signed_in, axe, people):
    if not JointMeasure.objects.exists():
        measures_seed()
    record = services.credit_record_file(
        actor=people.actor("sj_officer"), subject_kind="company", identifier=COMPANY_USCC, name="杭州信用测试有限公司",
        category="penalty", title="未按规定公示年度报告", legal_basis="《企业信息公示暂行条例》第十八条",
        decided_on=date(2025, 1, 10))
    page = signed_in("company")
    check_page = make_check_page(page, axe)
    page.goto(live_server.url + "/credit/mine/")
    expect(page.locator("h1")).to_have_text("我的信用")
    expect(page.locator(".zt-credit-grade")).to_contain_text("B")
    expect(page.locator("main")).to_contain_text("一般行政处罚1条：-15分")
    check_page("credit-mine")

    page.get_by_label("整改证明", exact=False).fill("已补报2024年度报告，附回执")
    page.get_by_role("button", name="申请信用修复").click()
    expect(page.locator("main")).to_contain_text("您的信用修复申请已提交给作出该记录的部门。")
    assert RepairRequest.objects.get().record_id == record.pk
    check_page("credit-mine-repair-sent")

    page.goto(live_server.url + "/credit/measures/")
    expect(page.locator("main")).to_contain_text("国办发〔2020〕49号")
    check_page("credit-measures")
