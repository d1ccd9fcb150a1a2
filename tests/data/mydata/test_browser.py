"""A citizen's journey through mydata in a real browser, in Chinese: their records, a correction,
an authorization given and revoked, the access log; an axe check on every page."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from zhengtong.data.exchange.models import Consent
from zhengtong.data.exchange.public import subject_ref
from zhengtong.data.mydata.models import CorrectionRequest

from .conftest import ME, share_call

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def test_a_citizen_sees_corrects_authorizes_and_revokes(live_server, signed_in, axe, services, bank,  # noqa: F811
                                                       departments):
    from zhengtong.kernel.identity import services as identity_services

    rs_system, _key = identity_services.api_client_create(
        name="养老保险待遇资格认证系统", department=departments["330106-RS"], scopes=["share"])
    share_call(about=subject_ref("person", ME), client=rs_system, department=departments["330106-RS"])
    # A phone's width: the pages must work there too.
    page = signed_in("me", width=390)
    check_page = make_check_page(page, axe)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="进入我的数据").click()
    expect(page.locator("h1")).to_have_text("我的数据")
    records = page.get_by_role("table", name="社会保险参保人员信息")
    expect(records).to_contain_text("杭州西湖数据有限公司")
    expect(records).to_contain_text(ME)
    check_page("mydata-overview")

    records.get_by_role("row", name="参保单位").get_by_role("link", name="数据有误").click()
    expect(page.locator("h1")).to_have_text("数据纠错")
    check_page("mydata-correction-new")
    page.get_by_role("button", name="提交申请").click()  # empty: the error summary comes first
    expect(page.locator(".zt-error-summary")).to_be_focused()
    check_page("mydata-correction-new-error")
    page.get_by_label("正确的内容").fill("浙江数据科技有限公司")
    page.get_by_label("理由（选填）").fill("2024年换了工作")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("h1")).to_have_text("数据纠错申请")
    expect(page.locator("body")).to_contain_text("尚未答复。")
    assert CorrectionRequest.objects.get().department == departments["330106-RS"]
    check_page("mydata-correction-detail")

    page.get_by_role("link", name="授权管理").click()
    page.get_by_role("link", name="授权第三方系统").click()
    check_page("mydata-authorization-new")
    page.get_by_label("系统", exact=True).select_option(label="浙商银行贷款审批系统")
    page.get_by_label("社会保险参保人员信息（").check()
    page.get_by_label("参保日期").check()
    page.get_by_label("用途").fill("个人住房贷款审批")
    page.get_by_label("我同意以上授权内容。").check()
    page.get_by_role("button", name="确认授权").click()
    expect(page.locator('[role="status"]')).to_contain_text("授权已生效")
    check_page("mydata-authorizations")

    page.get_by_role("link", name="撤销 浙商银行贷款审批系统").click()
    check_page("mydata-authorization-revoke")
    page.get_by_role("button", name="撤销授权").click()
    expect(page.locator('[role="status"]')).to_contain_text("已撤销对 浙商银行贷款审批系统 的授权")
    assert Consent.objects.get().revoked_at is not None

    page.get_by_role("link", name="谁用了我的数据").click()
    expect(page.locator("h1")).to_have_text("谁用了我的数据")
    log = page.locator("main")
    expect(log).to_contain_text("办理养老保险待遇资格认证")
    expect(log).to_contain_text("养老保险待遇资格认证系统")
    expect(log).to_contain_text("您撤销了对 浙商银行贷款审批系统 的授权")
    check_page("mydata-access")
