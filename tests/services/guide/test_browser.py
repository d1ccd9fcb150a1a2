"""In a real browser (Chromium, Chinese, a phone and a desktop): a visitor finds a service by
search and by the guided finder and reads its guide; an officer edits a list, is told what is
wrong, fixes it and publishes. axe finds nothing serious on any page visited."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from tests.services.guide.conftest import SYSTEM, implementation_data, item_data
from zhengtong.services.guide import services
from zhengtong.services.guide.models import ItemImplementation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def finder_questions(listed):
    services.finder_question_save(actor=SYSTEM, code="family", text="家里有什么事？", answers=[
        {"code": "baby", "label": "孩子出生", "themes": ["生育收养"]},
        {"code": "job", "label": "找工作和培训", "items": ["330000-RS-0001", "330000-RS-0101"]}])
    services.finder_question_save(actor=SYSTEM, code="who", text="您要为谁办事？", is_start=True, answers=[
        {"code": "me", "label": "我自己和家人", "next": "family"},
        {"code": "company", "label": "我的企业", "themes": ["开办企业"]}])


@pytest.mark.parametrize("width", [390, 1280])  # a phone and a desktop
def test_a_visitor_finds_a_service_and_reads_its_guide(live_server, finder_questions, listed, browser, axe,  # noqa: F811
                                                      width):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    check_page = make_check_page(page, axe)
    try:
        page.goto(live_server.url + "/services/")
        expect(page.locator("#gd-results .gd-result")).to_have_count(6)
        check_page(f"guide-portal-{width}")

        page.locator("#gd-q").fill("培训补贴")
        page.locator("#gd-search button[type=submit]").click()
        expect(page.locator("#gd-results .gd-result")).to_have_count(1)
        check_page(f"guide-search-{width}")

        page.locator("#gd-results h3 a").click()
        expect(page.locator("h1")).to_have_text("职业技能培训补贴申领")
        start = page.locator("a.zt-button").first
        expect(start).to_have_attribute("href", f"/services/apply/{listed.public_id}/")
        expect(page.locator("main")).to_contain_text("社会保险参保证明")
        check_page(f"guide-item-{width}")

        page.locator(".gd-nav a[href='/services/finder/']").click()
        expect(page.locator("h1")).to_have_text("您要为谁办事？")
        check_page(f"guide-finder-question-{width}")
        page.get_by_role("link", name="我自己和家人").click()
        expect(page.locator("h1")).to_have_text("家里有什么事？")
        page.get_by_role("link", name="找工作和培训").click()
        expect(page.locator(".gd-result h3")).to_have_count(2)
        expect(page.locator(".gd-result h3").first).to_have_text("失业保险金申领")
        check_page(f"guide-finder-results-{width}")
    finally:
        context.close()


def test_an_officer_fixes_and_publishes_a_list(live_server, guide_people, signed_in, axe, no_totp):  # noqa: F811
    services.item_create(actor=SYSTEM, data=item_data())
    draft = services.implementation_create(actor=SYSTEM, item_code="330000-RS-0101", division_code="330106",
                                           data=implementation_data())
    page = signed_in("rs_case", width=390)
    check_page = make_check_page(page, axe)
    page.goto(live_server.url + "/workspace/guide/")
    expect(page.locator("tbody tr")).to_have_count(1)
    check_page("guide-workspace-list")
    page.get_by_role("link", name="职业技能培训补贴申领").click()
    check_page("guide-workspace-edit")

    page.locator("#id_promised_days").fill("30")
    page.locator("form[novalidate] button[type=submit]").click()
    summary = page.locator(".zt-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    check_page("guide-workspace-edit-error")
    summary.locator("a[href='#id_promised_days']").click()
    expect(page.locator("#id_promised_days")).to_be_focused()
    page.locator("#id_promised_days").fill("10")
    page.locator("form[novalidate] button[type=submit]").click()
    expect(page.locator(".zt-error-summary")).to_have_count(0)
    page.locator("form[action$='/publish/'] button").click()
    expect(page.locator(".zt-tag")).to_have_class("zt-tag zt-tag--success")
    check_page("guide-workspace-published")
    draft.refresh_from_db()
    assert (draft.promised_days, draft.status) == (10, "published")
    assert ItemImplementation.objects.get(pk=draft.pk).status == "published"
