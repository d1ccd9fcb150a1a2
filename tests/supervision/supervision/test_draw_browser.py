"""Acceptance in a real browser (Chromium through Playwright, Chinese locale), axe clean on every
page visited (issue 10): a department's plan is saved, published (the seed committed), drawn and
its seed revealed; the public, signed out, sees the commitment, the seed and the drawn companies,
and the check page says the draw verifies."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from zhengtong.supervision.supervision.models import DrawnEntity, InspectionPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_totp")]


def test_a_plan_is_drawn_revealed_and_verified(live_server, people, item, inspectors, entities, signed_in,
                                               browser, axe):  # noqa: F811
    page = signed_in("sj_officer")
    check = make_check_page(page, axe)
    page.goto(f"{live_server.url}/supervision/plans/")
    check("supervision-plans")
    page.locator("#plan-title").fill("2026年西湖区食品经营者双随机抽查")
    page.get_by_label("食品经营者监督检查").check()
    page.locator("#plan-division").fill("330106")
    for klass, ratio in (("A", "1"), ("B", "3"), ("C", "10"), ("D", "20")):
        page.locator(f"#ratio-{klass}").fill(ratio)
    page.get_by_role("button", name="保存计划").click()
    expect(page.get_by_text("计划已保存为草稿。")).to_be_visible()
    page.get_by_role("button", name="公布计划并承诺种子").click()
    expect(page.get_by_text("计划已公布，种子已承诺。")).to_be_visible()
    page.get_by_role("button", name="执行抽取").click()
    expect(page.get_by_text("抽取已完成。")).to_be_visible()
    check("supervision-plan-drawn")
    page.get_by_role("button", name="公开种子").click()
    expect(page.get_by_text("种子已公开。")).to_be_visible()

    plan = InspectionPlan.objects.get()
    drawn = DrawnEntity.objects.filter(plan=plan).order_by("uscc").first()
    public = browser.new_page(locale="zh-CN")
    check = make_check_page(public, axe)
    public.goto(f"{live_server.url}/supervision/public/{plan.public_id}/")
    expect(public.get_by_text(plan.commitment)).to_be_visible()
    expect(public.get_by_text(plan.seed)).to_be_visible()
    expect(public.get_by_text(drawn.name)).to_be_visible()
    check("supervision-public-plan")
    public.get_by_role("link", name="核验本次抽取").click()
    expect(public.get_by_text("抽取结果核验一致：重新计算得到的结果与记录相同。")).to_be_visible()
    check("supervision-verify")
    public.goto(f"{live_server.url}/supervision/public/method/")
    check("supervision-method")
    public.close()
