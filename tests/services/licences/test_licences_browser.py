"""Acceptance in a real browser (Chromium through Playwright, Chinese locale), axe clean on every
page visited (issue 9):

an application is approved by the department's leader in the workspace → the licence it yields
is in the holder's wallet (我的证照, on a phone) → the holder shows it (亮证) → a counter officer
scans the show code into the verification page and sees 有效 with the holder masked → the issuing
department revokes it with a reason → the same scan now says it was revoked, and why.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from tests.services.applications.conftest import act, fill_standard, submit
from tests.services.conftest import events_deliver_all
from zhengtong.services.licences import services
from zhengtong.services.licences.models import Licence

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_totp")]

SHOTS = Path("/tmp/shots/licences")
PHONE = 390
REASON = "持证人已不再符合领取条件，依申请人书面申请予以吊销"


def checker(page, axe, prefix: str):  # noqa: F811
    check = make_check_page(page, axe)
    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{prefix}-{name}.png"), full_page=True)
        check(f"licences-{prefix}-{name}")

    return shot


@pytest.fixture
def show_codes_last(settings):
    """A show code lives long enough for the whole journey (the default two minutes could run out
    on a slow machine between the first scan and the second)."""
    settings.LICENCE_SHOW_TOKEN_SECONDS = 900


def test_a_licence_from_approval_to_revocation(live_server, people, catalogue, types, signed_in, axe,  # noqa: F811
                                              show_codes_last):
    # Xihu's HRSS bureau has an e-seal; its 失业保险金申领 yields a 社会保障卡 here.
    leader = people.actor("rs_leader")
    services.seal_create(actor=leader, department_id=leader.department_id, name="西湖区人力资源和社会保障局电子印章")
    type(catalogue.standard).objects.filter(pk=catalogue.standard.pk).update(result_licence_type="social_security_card")
    application = submit(people, fill_standard(people, catalogue))
    act(people, "window", application, "intake", "approve")
    act(people, "rs_case", application, "review", "approve")

    # The leader approves it in the workspace (desktop).
    officer = signed_in("rs_leader")
    shot = checker(officer, axe, "approve")
    officer.goto(f"{live_server.url}/workspace/applications/")
    officer.get_by_role("link", name=application.reference).click()
    officer.locator("input[name=outcome][value=approve]").check()
    officer.locator("form:has(#id_note) button[type=submit]").click()
    expect(officer.locator(".zt-banner")).to_contain_text(application.reference)
    shot("approved")
    application.refresh_from_db()
    assert application.state == "approved"
    assert not Licence.objects.exists()  # issued by the worker, on the applications.concluded event
    events_deliver_all()
    licence = Licence.objects.get()
    assert (licence.source_application, licence.holder_user_id) == (application.public_id,
                                                                    people.users["citizen_a"].id)

    # The holder finds it in her wallet on her phone and shows it.
    holder = signed_in("citizen_a", width=PHONE)
    shot = checker(holder, axe, "holder")
    holder.goto(f"{live_server.url}/services/licences/")
    expect(holder.locator("h1")).to_have_text("我的证照")
    expect(holder.locator("main")).to_contain_text(licence.number)
    shot("wallet")
    holder.get_by_role("link", name="社会保障卡").click()
    expect(holder).to_have_url(f"{live_server.url}/services/licences/{licence.public_id}/")
    expect(holder.locator("main")).to_contain_text("王芳")  # her own licence, in full
    shot("detail")
    holder.locator(f"form[action='/services/licences/{licence.public_id}/show/'] button").click()
    expect(holder.locator("#show-heading")).to_have_text("亮证码")
    expect(holder.locator("figure svg")).to_be_visible()
    token = holder.locator("#show-token").input_value().strip()
    assert token.count(".") == 1
    shot("show")
    # Drawn big enough for a counter's scanner, and within a 390 px screen whatever QR version the
    # signature's length gives: the page never scrolls sideways.
    assert holder.locator("figure svg").bounding_box()["width"] >= 200
    assert holder.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # A counter officer scans it: the scanner gun types the code, then Enter.
    counter = signed_in("window")
    shot = checker(counter, axe, "counter")
    counter.goto(f"{live_server.url}/services/licences/verify/")
    shot("verify")
    scan = counter.locator("#id_code")
    scan.press_sequentially(token)
    scan.press("Enter")
    verdict = counter.locator("#verdict")
    expect(verdict).to_have_text("有效")
    result = counter.locator("main section")
    expect(result).to_contain_text(licence.number)
    expect(result).to_contain_text("王*")  # the holder, masked
    expect(result).not_to_contain_text("王芳")
    expect(result).not_to_contain_text("330106198503020246")
    shot("valid")

    # The issuing department revokes it, with the reason.
    officer.goto(f"{live_server.url}/services/licences/workspace/")
    shot = checker(officer, axe, "workspace")
    row = officer.locator("li", has_text=licence.number)
    shot("list")
    row.locator("textarea[name=reason]").fill(REASON)
    row.locator("button[type=submit]:not([formaction])").click()
    expect(officer.locator("main")).to_contain_text(REASON)
    shot("revoked")
    licence.refresh_from_db()
    assert (licence.state, licence.state_reason) == ("revoked", REASON)

    # The same scan now says it is revoked, and why.
    counter.goto(f"{live_server.url}/services/licences/verify/")
    scan = counter.locator("#id_code")
    scan.press_sequentially(token)
    scan.press("Enter")
    shot = checker(counter, axe, "counter")
    expect(counter.locator("#verdict")).to_have_text("无效")
    expect(counter.locator("main section")).to_contain_text(f"该电子证照已吊销：{REASON}")
    shot("revoked")
    # Her wallet says so too, and offers no show code for it any more.
    holder.goto(f"{live_server.url}/services/licences/{licence.public_id}/")
    expect(holder.locator("main")).to_contain_text(REASON)
    expect(holder.locator(f"form[action='/services/licences/{licence.public_id}/show/']")).to_have_count(0)
    checker(holder, axe, "holder")("revoked")
