"""Acceptance in a real browser (Chromium through Playwright, Chinese locale), axe clean on every
page visited (issue 9):

a citizen gives a bad review (2 stars) of her concluded application, on her phone → the
department's officer sees it, without her name, records the callback and then the
rectification → she rates the fix → the public statistics show the department's changed figures
(satisfaction, bad-review rate, rectified on time) against those before.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from tests.services.conftest import A_ID
from zhengtong.kernel.org.models import Department
from zhengtong.services.reviews import services
from zhengtong.services.reviews.models import Review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_totp")]

SHOTS = Path("/tmp/shots/reviews")
PHONE = 390
COMMENT = "网上提交后三天没有任何进度提示，打电话才知道材料缺了一页。"
CALLBACK = "已电话回访，向申请人致歉并说明补正流程，申请人表示认可。"
RECTIFICATION = "已上线办理进度短信提醒，材料缺页在受理时即时告知。"


def checker(page, axe, prefix: str):  # noqa: F811
    check = make_check_page(page, axe)
    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{prefix}-{name}.png"), full_page=True)
        check(f"reviews-{prefix}-{name}")

    return shot


def figures(page, department: str) -> list[str]:
    """The department's row of the statistics: reviews, satisfaction, bad-review rate, rectified on time."""
    return [text.strip() for text in page.locator("tbody tr", has_text=department).locator("td").all_inner_texts()]


def test_a_bad_review_is_called_back_rectified_and_its_fix_rated(live_server, people, application_make, signed_in,
                                                                  axe):  # noqa: F811
    department = Department.objects.get(code="330106-RS").name
    # Before: one good review of the department's service, by another citizen.
    earlier = application_make("citizen_b")
    services.review_create(actor=people.b, application_id=earlier.public_id, level=5, channel="online")
    application = application_make("citizen_a")

    public = signed_in("window")  # anyone may read the statistics; a desktop
    shot = checker(public, axe, "statistics")
    public.goto(f"{live_server.url}/services/reviews/statistics/")
    assert figures(public, department) == ["1", "100%", "0%", "—"]
    shot("before")

    # The citizen rates her application 2 (不满意) on her phone.
    citizen = signed_in("citizen_a", width=PHONE)
    shot = checker(citizen, axe, "citizen")
    citizen.goto(f"{live_server.url}/services/reviews/applications/{application.public_id}/")
    expect(citizen.locator("main")).to_contain_text(application.reference)
    shot("form")
    citizen.locator("input[name=level][value='2']").check()
    citizen.locator("#id_comment").fill(COMMENT)
    citizen.locator("main form button[type=submit]").click()
    expect(citizen).to_have_url(f"{live_server.url}/services/reviews/")
    expect(citizen.locator("main")).to_contain_text(COMMENT)
    shot("sent")
    review = Review.objects.get(application=application)
    assert (review.level, review.loop_state, review.loop_open) == (2, "assigned", True)

    # The department's officer sees it, but not who gave it, and calls back.
    officer = signed_in("rs_case")
    shot = checker(officer, axe, "officer")
    officer.goto(f"{live_server.url}/services/reviews/workspace/")
    item = officer.locator("main li", has_text=application.reference)
    expect(item).to_contain_text(COMMENT)
    for who in ("王芳", A_ID, "13987654321"):
        expect(officer.locator("main")).not_to_contain_text(who)
    shot("open")
    item.locator("textarea[name=note]").fill(CALLBACK)
    item.locator("button[type=submit]").click()
    expect(officer.locator("main li", has_text=application.reference)).to_contain_text(CALLBACK)
    shot("called-back")
    item = officer.locator("main li", has_text=application.reference)
    item.locator("textarea[name=note]").fill(RECTIFICATION)
    item.locator("button[type=submit]").click()
    expect(officer.locator("main li", has_text=application.reference)).to_contain_text(RECTIFICATION)
    shot("rectified")
    review.refresh_from_db()
    assert (review.loop_state, review.callback_note, review.rectification, review.rectified_on_time) == (
        "responded", CALLBACK, RECTIFICATION, True)

    # She reads what was put right and accepts the fix: the loop closes.
    citizen.goto(f"{live_server.url}/services/reviews/")
    shot = checker(citizen, axe, "citizen")
    mine = citizen.locator("main li", has_text=COMMENT)
    expect(mine).to_contain_text(CALLBACK)
    expect(mine).to_contain_text(RECTIFICATION)
    shot("fix")
    mine.locator("input[name=accepted][value=yes]").check()
    mine.locator("button[type=submit]").click()
    expect(citizen.locator(".zt-banner--success")).to_be_visible()
    shot("fix-rated")
    review.refresh_from_db()
    assert (review.fix_accepted, review.loop_state, review.loop_open) == (True, "closed", False)
    officer.goto(f"{live_server.url}/services/reviews/workspace/")
    expect(officer.locator("main li", has_text=application.reference)).to_have_count(0)

    # The statistics now: two reviews, half satisfied, half bad, the one rectification on time.
    public.goto(f"{live_server.url}/services/reviews/statistics/")
    assert figures(public, department) == ["2", "50%", "50%", "100% (1/1)"]
    shot = checker(public, axe, "statistics")
    shot("after")
