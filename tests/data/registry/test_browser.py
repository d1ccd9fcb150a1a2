"""A big-data administrator's journey through the registries in a real browser: find a person,
read the golden record, decide a pair in the review queue; an axe check on every page."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from zhengtong.data.registry.models import PairStatus, ReviewPair
from zhengtong.data.registry.public import registry_lookup

from .conftest import CHEN, run
from .test_review import script_doubt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def test_an_administrator_finds_a_person_reads_the_record_and_decides_a_pair(
    live_server, signed_in, axe, sources, engine, monkeypatch  # noqa: F811
):
    monkeypatch.undo()
    run()  # the real engine builds the registry
    chen = registry_lookup(kind="person", resident_id=CHEN).registry_id
    page = signed_in("xihu_dsj_admin")
    check_page = make_check_page(page, axe)

    page.goto(live_server.url + "/workspace/")
    page.get_by_role("link", name="基础库").click()
    expect(page.locator("h1")).to_have_text("基础库")
    check_page("registry-home")

    page.get_by_label("身份证号码、统一社会信用代码或手机号码").fill(CHEN)
    page.locator("form[role=search] button[type=submit]").click()
    results = page.get_by_role("table", name="找到 1 条记录")
    results.get_by_role("link", name=chen).click()
    expect(page.locator("h1")).to_have_text(f"基础库记录 {chen}")
    golden = page.get_by_role("table", name="黄金记录：每个属性取自其权威来源")
    expect(golden.get_by_role("row", name="姓名")).to_contain_text("陈*")
    expect(golden.get_by_role("row", name="姓名")).to_contain_text("政府核验")
    expect(golden.get_by_role("row", name="手机号码")).to_contain_text("本人自报")
    check_page("registry-record")

    script_doubt(engine)
    monkeypatch.setattr("zhengtong.data.registry.services.linkage_run", engine)
    run()
    page.goto(live_server.url + "/workspace/registry/review/")
    queue = page.get_by_role("table", name="1 对记录")
    check_page("registry-review-queue")
    queue.get_by_role("link").first.click()
    expect(page.locator("h1")).to_have_text("核查记录对")
    check_page("registry-review-pair")
    page.get_by_label("不是同一人或同一企业").check()
    page.get_by_role("button", name="提交认定").click()
    expect(page.locator(".zt-banner")).to_contain_text("您的认定已记录")
    assert ReviewPair.objects.get().status == PairStatus.REJECTED

    page.goto(live_server.url + "/workspace/registry/runs/")
    expect(page.get_by_role("table", name="2 次比对")).to_be_visible()
    check_page("registry-runs")
