"""Acceptance: a visitor, not signed in, finds open data in a real browser (Chinese), previews it
and downloads it; axe finds nothing serious on any page visited."""

import csv
import io
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page  # noqa: F401 - fixtures
from zhengtong.kernel.masking.public import mask_value

from .conftest import Codes, HIDDEN_WORDS, _rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/portal")


@pytest.fixture
def visitor(browser):  # noqa: F811
    contexts = []

    def open_page(width: int):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900}, accept_downloads=True)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])  # a desktop and a phone
def test_a_visitor_searches_previews_and_downloads(live_server, open_world, visitor, axe, width, tmp_path):  # noqa: F811
    page = visitor(width)
    check_page = make_check_page(page, axe)
    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name):
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        check_page(f"opendata-{name}-{width}")

    page.goto(live_server.url + "/")
    page.locator(".zt-nav a[href='/opendata/']").click()  # the site navigation leads to the portal
    expect(page).to_have_url(live_server.url + "/opendata/")
    expect(page.locator("#od-results .od-result")).to_have_count(3)
    shot("home")

    page.locator("#od-q").fill("食品")
    page.locator("#od-search button[type=submit]").click()
    expect(page.locator("#od-results .od-result")).to_have_count(1)
    expect(page.locator("#od-results h3")).to_have_text("西湖区食品经营许可公示")
    shot("search")

    # tick a facet (department) and apply: the query stays, the box stays ticked
    page.locator("input[name=department][value='330106-SJ']").check()
    page.locator(".od-facets button[type=submit]").click()
    expect(page).to_have_url(live_server.url + "/opendata/search/?q=%E9%A3%9F%E5%93%81&department=330106-SJ")
    expect(page.locator("input[name=department][value='330106-SJ']")).to_be_checked()
    expect(page.locator("#od-q")).to_have_value("食品")
    expect(page.locator("#od-results .od-result")).to_have_count(1)
    shot("facet")
    body = page.locator("body").inner_text()
    for word in HIDDEN_WORDS:
        assert word not in body

    page.get_by_role("link", name="西湖区食品经营许可公示").click()
    expect(page.locator("h1")).to_have_text("西湖区食品经营许可公示")
    preview = page.locator("#od-preview-caption").locator("xpath=ancestor::table")
    expect(preview.locator("tbody tr")).to_have_count(20)
    expect(preview.locator("tbody tr").first).to_contain_text("JY333010600001")
    expect(preview.locator("tbody tr").first).to_contain_text(mask_value("mobile", "13805710001"))
    expect(page.locator("main")).not_to_contain_text("13805710001")
    shot("dataset")

    source = _rows(Codes.OPEN)
    with page.expect_download() as download_info:
        page.locator(f"a[href='/opendata/datasets/{Codes.OPEN}/download.csv']").click()
    download = download_info.value
    assert download.suggested_filename == f"{Codes.OPEN} 西湖区食品经营许可公示.csv"
    path = tmp_path / "download.csv"
    download.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 30
    assert [r["licence_no"] for r in rows] == [s["licence_no"] for s in source]
    assert [r["contact_mobile"] for r in rows] == [mask_value("mobile", s["contact_mobile"]) for s in source]

    with page.expect_download() as download_info:
        page.locator(f"a[href='/opendata/datasets/{Codes.OPEN}/download.json']").click()
    path = tmp_path / "download.json"
    download_info.value.save_as(path)
    records = json.loads(path.read_text(encoding="utf-8"))
    assert [r["contact_mobile"] for r in records] == [mask_value("mobile", s["contact_mobile"]) for s in source]
    assert download_info.value.suggested_filename == f"{Codes.OPEN} 西湖区食品经营许可公示.json"

    # an on-application dataset: no rows, the way to apply instead
    page.goto(live_server.url + f"/opendata/datasets/{Codes.APPLY}/")
    expect(page.locator("#od-preview-caption")).to_have_count(0)
    expect(page.locator(f"a[href='/opendata/datasets/{Codes.APPLY}/apply/']")).to_be_visible()
    shot("apply")
