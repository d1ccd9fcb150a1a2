"""Acceptance in a real browser (Chromium through Playwright, Chinese locale), axe clean on every
page visited: a company completes 开办企业一件事 — company registration (SJ), seal engraving (GA),
tax registration (SW), social-insurance registration (RS) and housing-fund registration (ZJ) — in
one merged form with one set of materials, on a phone; the service centre's window takes the five
parts in, and the five departments' case officers each sign in and approve their own part, in an
order of their own, until the one result issues."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from tests.services.conftest import COMPANY_NAME, events_deliver_all
from zhengtong.services.applications.models import Application, ApplicationMaterial
from zhengtong.services.onething.models import BundleApplication, BundleState

from .conftest import ANSWERS, BUNDLE, PDF, PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_totp")]

SHOTS = Path("/tmp/shots/onething")
PARTS = ["企业设立登记", "公章刻制备案", "新办纳税人涉税事项", "单位社会保险登记", "单位住房公积金缴存登记"]
QUESTIONS = ["company_name", "legal_representative", "mobile", "address", "registered_capital", "business_scope",
             "seal_kinds", "accountant_name", "accountant_mobile", "invoices", "employee_count", "deposit_ratio"]
RADIOS = {"seal_kinds", "invoices", "deposit_ratio"}


def checker(page, axe, prefix: str):  # noqa: F811
    check = make_check_page(page, axe)
    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{prefix}-{name}.png"), full_page=True)
        check(f"onething-{prefix}-{name}")

    return shot


@pytest.fixture
def company_page(browser, live_server, people):  # noqa: F811
    """The company's account signed in on a phone (the shared `signed_in` knows people.users only)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(people.company_user, backend="zhengtong.kernel.identity.backends.AccountBackend")
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                  user_agent="Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
    yield context.new_page()
    context.close()


def test_a_company_opens_in_one_go_and_the_departments_approve_in_parallel(live_server, opening, people,
                                                                           company_page, signed_in, axe):  # noqa: F811
    page = company_page
    shot = checker(page, axe, "company")
    page.goto(f"{live_server.url}/services/onething/")
    shot("list")
    page.get_by_role("link", name="开办企业一件事").click()
    expect(page.locator("h1")).to_have_text("开办企业一件事")
    expect(page.locator("main table tbody tr")).to_have_count(5)
    shot("guide")
    page.locator(f"form[action='/services/onething/{BUNDLE}/start/'] button").click()

    # One question per page: every question once, for all five departments.
    draft = BundleApplication.objects.get()
    base = f"{live_server.url}/services/onething/my/{draft.public_id}"
    for number, name in enumerate(QUESTIONS, start=1):
        expect(page).to_have_url(f"{base}/q/{name}/")
        if name in RADIOS:
            page.locator(f"input[name={name}][value='{ANSWERS[name]}']").check()
        elif name in ANSWERS:
            page.locator(f"#id_{name}").fill(ANSWERS[name])
        else:  # pre-filled from the legal-person registry, its source shown
            expect(page.locator(f"#id_{name}_provenance")).to_contain_text("法人综合库")
        if name == "company_name":
            expect(page.locator("#id_company_name")).to_have_value(COMPANY_NAME)
        shot(f"question-{number:02d}-{name}")
        if name == "employee_count":  # a wrong answer first: the summary links to the field
            page.locator("#id_employee_count").fill("十二")
            page.locator("button[value=continue]").click()
            expect(page.locator(".zt-error-summary a[href='#id_employee_count']")).to_be_visible()
            shot("question-error")
            page.locator("#id_employee_count").fill(ANSWERS[name])
        page.locator("button[value=continue]").click()

    # Materials once: the licence is not asked (company registration produces it).
    expect(page).to_have_url(f"{base}/materials/")
    expect(page.locator("main")).to_contain_text("营业执照")
    expect(page.locator(f"a[href='/services/onething/my/{draft.public_id}/materials/licence/']")).to_have_count(0)
    shot("materials")
    page.locator(f"a[href$='/materials/legal_rep_household/']").click()
    shot("household")
    page.locator("button[value=preview]").click()
    expect(page.locator(".ot-evidence")).to_contain_text("户主")
    expect(page.locator(".ot-evidence")).not_to_contain_text("330106198503020246")  # masked as granted
    shot("household-preview")
    page.locator("button[value=accept]").click()
    expect(page).to_have_url(f"{base}/materials/")
    shot("household-accepted")
    for key, name, content, mime in (("articles", "公司章程.pdf", PDF, "application/pdf"),
                                     ("address_proof", "租赁合同.png", PNG, "image/png")):
        page.locator(f"a[href$='/materials/{key}/']").click()
        shot(f"upload-{key}")
        page.locator("#id_file").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": content}])
        page.locator("button[value=upload]").click()
        expect(page).to_have_url(f"{base}/materials/")
        shot(f"uploaded-{key}")
    expect(page.locator(".ot-material--done")).to_have_count(3)
    shot("materials-done")
    page.locator("main a.zt-button").click()

    expect(page).to_have_url(f"{base}/check/")
    expect(page.locator("main")).to_contain_text("91330106MA2B0R9X1L")
    shot("check")
    page.locator("form:has(input[name=idempotency_key]) button").click()
    expect(page).to_have_url(f"{base}/confirmation/")
    draft.refresh_from_db()
    expect(page.locator(".ot-panel strong")).to_have_text(draft.reference)
    shot("confirmation")
    parts = {a.item.name: a for a in Application.objects.select_related("item").exclude(state="draft")}
    assert sorted(parts) == sorted(PARTS)
    assert all(a.channel == "mobile" for a in parts.values())
    assert ApplicationMaterial.objects.filter(source="produced", waived=True).count() == 4

    # The service centre's window takes the five parts in (一窗受理).
    window = signed_in("window")
    wshot = checker(window, axe, "window")
    window.goto(f"{live_server.url}/workspace/applications/")
    wshot("queue")
    for number, name in enumerate(PARTS, start=1):
        if number > 1:
            window.goto(f"{live_server.url}/workspace/applications/")
            wshot(f"queue-{number}")
        window.get_by_role("link", name=parts[name].reference).click()
        wshot(f"task-{number}")
        window.locator("input[name=outcome][value=approve]").check()
        window.locator("form:has(#id_note) button[type=submit]").click()
        expect(window.locator(".zt-banner")).to_contain_text(parts[name].reference)
        wshot(f"done-{number}")

    # Each department's case officer approves their own part, in an order of their own.
    for who, name in (("zj_case", "单位住房公积金缴存登记"), ("ga_case", "公章刻制备案"), ("rs_case", "单位社会保险登记"),
                      ("sj_case", "企业设立登记"), ("sw_case", "新办纳税人涉税事项")):
        officer = signed_in(who)
        oshot = checker(officer, axe, who)
        officer.goto(f"{live_server.url}/workspace/applications/")
        expect(officer.get_by_role("link", name=parts[name].reference)).to_be_visible()
        oshot("queue")
        officer.get_by_role("link", name=parts[name].reference).click()
        expect(officer.locator("h1")).to_contain_text(name)
        oshot("task")
        officer.locator("input[name=outcome][value=approve]").check()
        officer.locator("form:has(#id_note) button[type=submit]").click()
        expect(officer.locator(".zt-banner")).to_contain_text(parts[name].reference)
        oshot("done")
        if who == "rs_case":  # half-way: the company's task list shows which parts are done
            page.goto(f"{base}/")
            expect(page.locator("#ot-parts .zt-tag--success")).to_have_count(3)
            expect(page.locator("#ot-state")).not_to_contain_text("办结")
            shot("progress-half")

    # One result.
    page.goto(f"{base}/")
    expect(page.locator("#ot-parts .zt-tag--success")).to_have_count(5)
    expect(page.locator(".ot-panel")).to_contain_text("企业开办完成")
    shot("one-result")
    events_deliver_all()
    draft.refresh_from_db()
    assert draft.state == BundleState.COMPLETED
