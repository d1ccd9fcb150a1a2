"""A data officer's journey through the catalog in a real browser, with an axe check on every page."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, page  # noqa: F401 (fixtures)
from tests.kernel.identity.factories import totp_now
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.org.models import Department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-horse-42"


@pytest.fixture
def officer(small_province):
    member = identity_services.staff_create(
        username="chenjing", name="陈静", department=Department.objects.get(code="330106-GA"),
        roles=["data_officer"], password=PASSWORD,
    )
    return member.user


def sign_in(page, url, user):
    page.goto(url)
    page.get_by_label("账号").fill("chenjing")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("动态验证码").fill(totp_now(user))
    page.get_by_role("button", name="登录").click()


def test_an_officer_registers_describes_publishes_and_finds_a_dataset(live_server, page, axe, officer):
    check_page = make_check_page(page, axe)
    sign_in(page, live_server.url + "/workspace/catalog/", officer)
    expect(page.locator("h1")).to_have_text("数据资源目录")
    expect(page.locator("caption")).to_have_text("共 0 项数据资源")
    check_page("catalog-list-empty")

    page.get_by_role("link", name="登记数据资源").click()
    expect(page.locator("h1")).to_have_text("登记数据资源")
    check_page("catalog-register")
    page.get_by_label("数据资源名称").fill("户籍人口基本信息")
    page.get_by_label("数据资源摘要").fill("西湖区户籍人口的姓名、公民身份号码和出生日期。")
    page.get_by_label("关键词（选填）").fill("户籍、人口")
    page.get_by_label("重要数据").check()
    page.get_by_label("L4 敏感（不开放）").check()
    page.get_by_label("有条件共享").check()
    page.get_by_label("依申请开放").check()
    page.get_by_label("更新周期").select_option("daily")
    page.get_by_role("button", name="登记数据资源").click()

    # L4 data is never opened: the summary says so first, and links to the field.
    summary = page.locator(".zt-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text("L4（敏感）级数据一律不开放：开放类型必须为“不予开放”。")
    check_page("catalog-register-error")
    page.get_by_label("不予开放").check()
    page.get_by_role("button", name="登记数据资源").click()

    expect(page.locator("h1")).to_have_text("户籍人口基本信息")
    expect(page.locator('[role="status"]')).to_contain_text("数据资源已登记为草稿")
    expect(page.locator(".zt-summary-list")).to_contain_text("330106-GA-00001")
    check_page("catalog-detail-draft")

    page.get_by_role("link", name="添加表结构").click()
    expect(page.locator("h1")).to_have_text("“户籍人口基本信息”的表结构")
    check_page("catalog-schema")
    page.get_by_role("button", name="保存为新版本").click()  # the example schema, as offered
    expect(page.locator('[role="status"]')).to_contain_text("第 1 版表结构已保存。")
    expect(page.locator("table").first).to_contain_text("id_number")

    page.get_by_role("button", name="发布到目录").click()
    expect(page.locator('[role="status"]')).to_contain_text("数据资源已发布")
    check_page("catalog-detail-published")

    page.get_by_role("link", name="质量规则").first.click()
    check_page("catalog-rules")
    page.get_by_label("规则代码").fill("fresh")
    page.get_by_label("规则类型").select_option("timeliness")
    page.get_by_role("button", name="添加规则").click()
    expect(page.locator('[role="status"]')).to_contain_text("规则 fresh 已添加。")

    page.goto(live_server.url + "/workspace/catalog/")
    page.get_by_role("searchbox", name="检索数据资源目录").fill("人口")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("caption")).to_have_text("1 项数据资源符合“人口”")
    expect(page.get_by_role("link", name="户籍人口基本信息")).to_be_visible()
    check_page("catalog-search")
