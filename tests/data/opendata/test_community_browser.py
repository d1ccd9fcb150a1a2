"""A citizen applies for the on-application dataset and the owner's data officer approves it, in
Chromium, with an axe check on every page."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from tests.data.opendata.conftest import Codes
from zhengtong.data.opendata import services
from zhengtong.data.opendata.models import OpenDataApplication

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots/community")
PURPOSE = "统计西湖区各街道零售个体工商户的数量，用于课题研究。"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_citizen_applies_and_the_data_officer_approves(live_server, axe, signed_in, open_world_unserved, people):
    until = services.china_today() + timedelta(days=30)

    citizen = signed_in("developer")
    check = make_check_page(citizen, axe)
    citizen.goto(f"{live_server.url}/opendata/datasets/{Codes.APPLY}/apply/")
    expect(citizen.locator("h1")).to_contain_text("西湖区个体工商户经营者信息")
    expect(citizen.locator("#agreement li")).to_have_count(7)
    expect(citizen.locator("#agreement")).to_contain_text("不得向任何第三方提供")
    check("opendata-apply")
    shot(citizen, "apply")

    # First without accepting the agreement: the error summary takes the focus, nothing is stored.
    citizen.locator("#id_organisation").fill("浙江大学")
    citizen.locator("#id_purpose").fill(PURPOSE)
    citizen.locator("#id_requested_until").fill(until.isoformat())
    citizen.locator("main form button[type=submit]").click()
    expect(citizen.locator(".zt-error-summary")).to_be_focused()
    expect(citizen.locator(".zt-error-summary a")).to_have_attribute("href", "#id_agreement_accepted")
    check("opendata-apply-error")
    shot(citizen, "apply-error")
    assert OpenDataApplication.objects.count() == 0

    citizen.locator("#id_agreement_accepted").check()
    citizen.locator("main form button[type=submit]").click()
    expect(citizen).to_have_url(f"{live_server.url}/opendata/applications/")
    expect(citizen.locator("main table tbody tr")).to_have_count(1)
    expect(citizen.locator("main table tbody tr th")).to_contain_text("西湖区个体工商户经营者信息")
    check("opendata-my-applications-pending")
    shot(citizen, "my-applications-pending")

    officer = signed_in("sj_data")
    check_officer = make_check_page(officer, axe)
    officer.goto(f"{live_server.url}/workspace/opendata/applications/")
    row = officer.locator("#applications tbody tr")
    expect(row).to_have_count(1)
    check_officer("opendata-workspace-applications")
    shot(officer, "workspace-applications")
    row.get_by_role("link", name="西湖区个体工商户经营者信息").click()
    expect(officer.locator("main dl")).to_contain_text(PURPOSE)
    check_officer("opendata-workspace-decide")
    shot(officer, "workspace-decide")
    officer.locator("#id_decision_0").check()
    officer.locator("main form button[type=submit]").click()
    expect(officer).to_have_url(f"{live_server.url}/workspace/opendata/applications/")
    expect(officer.locator("#applications tbody tr")).to_have_count(1)  # the "none awaits you" row
    expect(officer.locator("#applications tbody tr td")).to_have_count(1)
    check_officer("opendata-workspace-applications-done")

    application = OpenDataApplication.objects.get()
    assert (application.status, application.decided_by_id) == ("approved", people.users["sj_data"].id)
    citizen.reload()
    expect(citizen.locator("main table tbody tr td").first).to_contain_text(str(application.get_status_display()))
    expect(citizen.locator("main table tbody tr button")).to_have_count(0)  # nothing to withdraw
    check("opendata-my-applications-approved")
    shot(citizen, "my-applications-approved")


def test_a_requester_sends_an_answer_back_then_accepts_the_next(live_server, axe, signed_in, open_world_unserved,
                                                                 people):
    from zhengtong.kernel.org.models import Department

    request = services.data_request_submit(
        requester_user=people.users["developer"], title="西湖区停车场泊位数据",
        description="希望开放各停车场的泊位总数与实时空余泊位数，用于停车导航应用。",
        department=Department.objects.get(code="330106-SJ"))
    services.data_request_answer(actor=people.actor("sj_data"), request=request, answer="数据已在交通局开放。",
                                 outcome="answered")

    citizen = signed_in("developer")
    check = make_check_page(citizen, axe)
    citizen.goto(f"{live_server.url}/opendata/requests/mine/")
    expect(citizen.locator("main section h2")).to_contain_text("西湖区停车场泊位数据")
    check("opendata-my-requests")
    citizen.locator("main section input[value=no]").check()
    citizen.locator("main section form button[type=submit]").click()
    expect(citizen.locator("main section .zt-error-message")).to_be_visible()  # the missing part is needed
    check("opendata-my-requests-error")
    citizen.locator("main section input[value=no]").check()
    citizen.locator("main section textarea").fill("那份数据没有实时空余泊位数。")
    citizen.locator("main section form button[type=submit]").click()
    expect(citizen.locator("main section form")).to_have_count(0)  # back with the department
    request.refresh_from_db()
    assert request.status == "open"

    services.data_request_answer(actor=people.actor("sj_data"), request=request, answer="已补充实时空余泊位数。",
                                 outcome="answered")
    citizen.reload()
    citizen.locator("main section input[value=yes]").check()
    citizen.locator("main section form button[type=submit]").click()
    expect(citizen.locator("main section form")).to_have_count(0)
    check("opendata-my-requests-done")
    shot(citizen, "my-requests")
