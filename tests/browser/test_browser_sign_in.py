"""User journeys through the sign-in pages and both home pages, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import make_check_page
from tests.kernel.identity.factories import PASSWORD, RESIDENT_ID, CitizenFactory, StaffFactory, org_load, totp_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GENERIC_ZH = "您输入的登录信息不正确，请核对后重试。"


@pytest.fixture
def accounts():
    org_load()
    return CitizenFactory(), StaffFactory()


def test_a_citizen_signs_in_sees_their_masked_record_and_signs_out(live_server, page, check_page, accounts):
    citizen, _ = accounts
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("欢迎使用政通")
    check_page("portal-home-visitor")

    page.get_by_role("link", name="登录", exact=True).first.click()
    expect(page).to_have_url(live_server.url + "/account/login/")
    check_page("portal-login")

    # A wrong password: the error summary comes first, takes the focus, and links to the field.
    page.get_by_label("证件号码或统一社会信用代码").fill(RESIDENT_ID)
    page.get_by_label("密码").fill("Wrong-horse-42")
    page.get_by_role("button", name="登录").click()
    summary = page.locator(".zt-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text(GENERIC_ZH)
    expect(summary).to_be_focused()
    expect(page).to_have_title("错误： 登录 · 政通")
    check_page("portal-login-error")

    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("您好，张**")
    record = page.locator(".zt-summary-list")
    expect(record).to_contain_text("1" + "*" * 15 + "78")
    expect(record).to_contain_text("138****5678")
    expect(page.locator("body")).not_to_contain_text("张三丰")
    check_page("portal-home-citizen")

    page.get_by_role("button", name="退出登录").click()
    expect(page.locator('[role="status"]')).to_have_text("您已退出登录。")
    expect(page.locator("h1")).to_have_text("欢迎使用政通")
    check_page("portal-home-signed-out")


def test_an_officer_signs_in_with_a_totp_code_and_sees_the_workspace(live_server, page, check_page, accounts):
    _, officer = accounts
    page.goto(live_server.url + "/workspace/")
    # Not signed in: sent to the staff sign-in, which will bring them back.
    expect(page).to_have_url(live_server.url + "/account/staff/login/?next=/workspace/")
    expect(page.locator("h1")).to_have_text("工作人员登录")
    check_page("staff-login")

    page.get_by_label("账号").fill("wangfang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("动态验证码").fill(totp_now(officer.user))
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(live_server.url + "/workspace/")
    expect(page.locator("h1")).to_have_text("工作台")
    details = page.locator(".zt-summary-list")
    expect(details).to_contain_text("王芳")
    expect(details).to_contain_text("西湖区市场监督管理局")
    expect(details).to_contain_text("西湖区（330106）")
    expect(page.get_by_role("link", name="查看办件列表")).to_be_visible()
    check_page("workspace-home")


def test_text_size_and_language_work_without_javascript(live_server, browser, axe):
    """The same controls with JavaScript switched off: plain forms and server redirects."""
    context = browser.new_context(java_script_enabled=False, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def check_page(name: str) -> None:
        # axe is JavaScript, so it runs on the same URL in a scripted tab carrying the same cookies.
        scripted = browser.new_context(storage_state=context.storage_state(), viewport={"width": 1280, "height": 900})
        try:
            twin = scripted.new_page()
            twin.goto(page.url)
            make_check_page(twin, axe)(name)
        finally:
            scripted.close()

    try:
        page.goto(live_server.url + "/components/")
        page.get_by_role("button", name="大字模式").click()
        expect(page).to_have_url(live_server.url + "/components/")
        expect(page.locator("html")).to_have_class("zt-large-text")
        check_page("components-large-text-no-js")

        page.get_by_label("语言").select_option("en")
        page.get_by_role("button", name="切换语言").click()
        expect(page.locator("h1")).to_have_text("Design components")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_role("button", name="Standard text size").click()
        expect(page.locator("html")).not_to_have_class(re.compile("zt-large-text"))
        check_page("components-english-no-js")
    finally:
        context.close()


def test_the_style_guide_and_large_text_pass_axe(live_server, page, check_page):
    page.goto(live_server.url + "/components/")
    check_page("components")
    page.get_by_role("button", name="大字模式").click()
    expect(page.locator("html")).to_have_class("zt-large-text")
    check_page("components-large-text-js")
    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换语言").click()
    expect(page.locator("h1")).to_have_text("Design components")
    check_page("components-english-js")


def test_the_lockout_page(live_server, page, check_page, accounts):
    page.goto(live_server.url + "/account/login/")
    for attempt in range(5):
        page.get_by_label("证件号码或统一社会信用代码").fill("110101199003077777")
        page.get_by_label("密码").fill("Wrong-horse-42")
        page.get_by_role("button", name="登录").click()
        if attempt < 4:
            expect(page.locator(".zt-error-summary")).to_be_visible()

    expect(page.locator("h1")).to_have_text("暂时无法登录")
    expect(page.locator("main")).to_contain_text("请在 15 分钟后再试。")
    check_page("locked-out")
