"""The portal and workspace home pages, the layout around every page, text size and language."""

import re
from datetime import date, datetime, time

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from zhengtong.kernel.identity.public import actor_from_user
from zhengtong.kernel.loops import kinds as loop_kinds
from zhengtong.kernel.loops import services as loop_services
from zhengtong.kernel.loops.public import CaseSummary, LoopKindSpec, case_report, register_loop_kind

from zhengtong.kernel.org.public import Role

from tests.kernel.identity.factories import PASSWORD, RESIDENT_ID, USCC, totp_now

MASKED_NAME = "张**"
MASKED_RESIDENT_ID = "1" + "*" * 15 + "78"
MASKED_MOBILE = "138****5678"


def text_of(response) -> str:
    """The visible text of the page body, whitespace folded."""
    body = re.search(r"<body.*?</body>", response.content.decode(), re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def sign_in_officer(client, officer):
    response = client.post(
        "/account/staff/login/",
        {"username": "wangfang", "password": PASSWORD, "otp_token": totp_now(officer.user)},
    )
    assert response.status_code == 302


# Portal home ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_visitor_is_welcomed_and_offered_both_sign_ins(client):
    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>欢迎使用政通</h1>" in page
    assert '<a class="zt-button" href="/account/login/">登录</a>' in page
    assert '<a class="zt-button zt-button--secondary" href="/account/staff/login/">工作人员登录</a>' in page
    assert "<title>门户首页 · 政通</title>" in page


@pytest.mark.django_db
def test_a_citizen_sees_their_real_name_record_masked(client, citizen):
    client.post("/account/login/", {"username": RESIDENT_ID, "password": PASSWORD})

    response = client.get("/")

    page = response.content.decode()
    assert f"<h1>您好，{MASKED_NAME}</h1>" in page
    assert (
        '<dl class="zt-summary-list">\n      '
        f"<dt>姓名</dt><dd>{MASKED_NAME}</dd><dt>公民身份号码</dt><dd>{MASKED_RESIDENT_ID}</dd>"
        f"<dt>手机号码</dt><dd>{MASKED_MOBILE}</dd>\n    </dl>"
    ) in page
    # Nowhere on the page, header included, is the full name, number or mobile.
    for secret in ("张三丰", RESIDENT_ID, "13812345678"):
        assert secret not in page


@pytest.mark.django_db
def test_a_citizen_without_a_mobile_gets_no_mobile_row(client, department):
    from tests.kernel.identity.factories import CitizenFactory

    CitizenFactory(mobile="")
    client.post("/account/login/", {"username": RESIDENT_ID, "password": PASSWORD})

    page = client.get("/").content.decode()

    assert "手机号码" not in page
    assert f"<dd>{MASKED_RESIDENT_ID}</dd>" in page


@pytest.mark.django_db
def test_a_company_sees_its_registration_and_a_masked_representative(client, company):
    client.post("/account/login/", {"username": USCC, "password": PASSWORD})

    page = client.get("/").content.decode()

    assert "<h1>您好，杭州示例科技有限公司</h1>" in page
    assert (
        "<dt>企业名称</dt><dd>杭州示例科技有限公司</dd><dt>统一社会信用代码</dt><dd>91110000600037341L</dd>"
        "<dt>类型</dt><dd>企业</dd><dt>法定代表人</dt><dd>李*</dd>"
    ) in page
    assert "李四" not in page


@pytest.mark.django_db
def test_an_officer_on_the_portal_is_pointed_to_the_workspace(client, officer):
    sign_in_officer(client, officer)

    page = client.get("/").content.decode()

    assert '<a class="zt-button" href="/workspace/">进入工作台</a>' in page
    assert '<a href="/workspace/">工作台</a>' in page  # in the navigation too


# Workspace home -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_workspace_names_the_officer_their_department_division_and_roles(client, officer):
    sign_in_officer(client, officer)

    response = client.get("/workspace/")

    assert response.status_code == 200
    assert response.context["staff_name"] == "王芳"
    assert response.context["department"].name == "西湖区市场监督管理局"
    assert response.context["division"].code == "330106"
    with translation.override("zh-hans"):
        # The order Role declares them in, whatever order they were granted in.
        roles = [str(Role.WINDOW_OFFICER.label), str(Role.CASE_OFFICER.label)]
    assert [str(label) for label in response.context["role_labels"]] == roles
    text = text_of(response)
    assert f"姓名 王芳 部门 西湖区市场监督管理局 行政区划 西湖区（330106） 岗位角色 {'、'.join(roles)}" in text
    assert 'class="zt-workspace"' in response.content.decode()
    assert "工作人员工作台" in text


@pytest.fixture
def cases_of(monkeypatch):
    """cases_of(department, opened_on=...): report a case to the department through kernel.loops,
    as if on that day (the loop services read their one clock, services.now)."""
    saved_kinds = dict(loop_kinds.KINDS)
    register_loop_kind(
        LoopKindSpec(code="web_test", name="Web test", step_days={"assign": 1, "handle": 2, "verify": 1},
                     verifier="assigning_department", escalate=False)
    )

    def report(officer, *, opened_on: date | None = None) -> None:
        actor = actor_from_user(officer.user)
        with monkeypatch.context() as patch:
            if opened_on is not None:
                moment = datetime.combine(opened_on, time(10, 0), tzinfo=loop_services.CHINA)
                patch.setattr(loop_services, "now", lambda: moment)
            case_report(
                actor=actor, kind="web_test", title="企业反映办事窗口排队过长", assignee_department_id=actor.department_id
            )

    yield report
    loop_kinds.KINDS.clear()
    loop_kinds.KINDS.update(saved_kinds)


@pytest.mark.django_db
def test_the_workspace_shows_the_departments_open_and_overdue_cases(client, officer, cases_of):
    cases_of(officer, opened_on=date(2025, 9, 1))  # two working days to handle it: long overdue
    cases_of(officer)  # opened today: due in two working days
    sign_in_officer(client, officer)

    response = client.get("/workspace/")

    assert response.context["case_summary"] == CaseSummary(open=2, overdue=1)
    text = text_of(response)
    assert "本部门办件 在办 2 已逾期 1 需要处理 请优先处理已逾期的办件。 查看办件列表" in text
    assert f'<a href="{reverse("loops:case-list")}">查看办件列表</a>' in response.content.decode()


@pytest.mark.django_db
def test_with_no_cases_the_workspace_says_none_are_overdue(client, officer):
    sign_in_officer(client, officer)

    response = client.get("/workspace/")

    assert response.context["case_summary"] == CaseSummary(open=0, overdue=0)
    assert "本部门办件 在办 0 已逾期 0 查看办件列表" in text_of(response)


# Layout ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_has_a_skip_link_the_footer_links_and_local_htmx(client):
    page = client.get("/").content.decode()

    assert '<a class="zt-skip-link" href="#main">跳到主要内容</a>' in page
    assert '<main id="main" class="zt-main" tabindex="-1">' in page
    assert '<a href="/api/docs/">开放接口文档</a>' in page
    assert '<a href="/components/">界面组件</a>' in page
    assert '<script src="/static/web/vendor/htmx.min.js" defer></script>' in page
    # Demo sign-in is never offered unless DEBUG is on.
    assert "/dev/demo-login/" not in page
    assert '<html lang="zh-hans">' in page


def test_htmx_is_vendored_with_its_licence():
    script = finders.find("web/vendor/htmx.min.js")
    licence = finders.find("web/vendor/htmx.LICENSE.txt")

    assert script and licence
    assert 'version:"2.0.11"' in open(script, encoding="utf-8").read()
    assert "Zero-Clause BSD" in open(licence, encoding="utf-8").read()


# Large text -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_large_text_is_switched_on_by_a_post_and_remembered_in_a_cookie(client):
    response = client.post("/large-text/", {"large_text": "1", "next": "/components/?page=2"})

    assert response.status_code == 302
    assert response["Location"] == "/components/?page=2"
    cookie = response.cookies["zt_large_text"]
    assert cookie.value == "1"
    assert cookie["max-age"] == 365 * 24 * 3600
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"] is True
    assert '<html lang="zh-hans" class="zt-large-text">' in client.get("/").content.decode()
    # The toggle now offers the way back.
    assert '<input type="hidden" name="large_text" value="0">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_large_text_is_switched_off_again(client):
    client.cookies["zt_large_text"] = "1"

    response = client.post("/large-text/", {"large_text": "0", "next": "/"})

    assert response.cookies["zt_large_text"].value == "0"
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", ""])
def test_large_text_never_redirects_off_the_site(client, next_url):
    response = client.post("/large-text/", {"large_text": "1", "next": next_url})

    assert response["Location"] == "/"


@pytest.mark.django_db
def test_large_text_cannot_be_set_by_a_get(client):
    response = client.get("/large-text/?large_text=1")

    assert response.status_code == 405
    assert "zt_large_text" not in response.cookies


# Language -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_switch_is_a_plain_form_to_set_language(client):
    page = client.get("/").content.decode()
    assert '<form class="zt-inline-form" action="/i18n/setlang/" method="post">' in page
    assert '<option value="en" lang="en">English</option>' in page
    assert '<option value="zh-hans" lang="zh-hans" selected>简体中文</option>' in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/components/"})

    assert response.status_code == 302
    assert response["Location"] == "/components/"
    assert response.cookies["django_language"].value == "en"
    english = client.get("/").content.decode()
    assert '<html lang="en">' in english
    assert "<h1>Welcome to Zhengtong</h1>" in english
    assert '<a href="/api/docs/">Open API documentation</a>' in english
