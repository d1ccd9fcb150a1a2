"""A data officer's and a big-data administrator's journeys through the quality pages, in a real
browser, with an axe check on every page."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from zhengtong.data.quality.models import ProblemLoop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clock")]




def test_a_data_officer_follows_a_problem_to_its_loop_and_reads_the_dataset_s_trend(
    live_server, signed_in, axe, loaded  # noqa: F811
):
    page = signed_in("ga_officer")
    check_page = make_check_page(page, axe)

    page.goto(live_server.url + "/workspace/quality/")
    expect(page.locator("h1")).to_have_text("数据质量")
    expect(page.locator(".zt-figures")).to_contain_text("按期整改率")
    check_page("quality-overview-officer")

    problem = ProblemLoop.objects.get(rule_code="resident_id:id_number", closed_at__isnull=True)
    page.get_by_role("link", name="规则 resident_id:id_number").click()
    expect(page).to_have_url(f"{live_server.url}/workspace/loops/{problem.case_id}/")
    expect(page.locator("h1")).to_have_text("户籍人口基本信息 问题数据：id_number 不符合“有效性：公民身份号码校验位”")
    page.go_back()

    page.get_by_role("link", name="户籍人口基本信息").first.click()
    expect(page.locator("h1")).to_have_text("户籍人口基本信息 的数据质量")
    expect(page.get_by_role("img", name="最近几次加载的问题数据率")).to_be_visible()
    expect(page.get_by_role("table", name="最近 2 次加载，按时间先后排列")).to_contain_text("6.00%")
    check_page("quality-dataset")


def test_a_big_data_administrator_reads_the_ranking_and_opens_a_department(
    live_server, signed_in, axe, loaded  # noqa: F811
):
    page = signed_in("hangzhou_dsj_admin")
    check_page = make_check_page(page, axe)

    page.goto(live_server.url + "/workspace/quality/")
    ranking = page.get_by_role("table", name="部门数据质量排名")
    expect(ranking.locator("tbody tr")).to_have_count(3)
    check_page("quality-overview-ranking")

    ranking.get_by_role("link", name="滨江区公安局").click()
    expect(page.locator("h1")).to_have_text("滨江区公安局 的数据质量")
    expect(page.locator(".zt-figures")).to_contain_text("50.00%")
    check_page("quality-department")
