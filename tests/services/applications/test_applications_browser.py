"""Acceptance in a real browser (Chromium through Playwright, Chinese locale), axe clean on every
page visited:

(a) a citizen completes an instant item (秒办) in one visit with zero uploads: start, the fetched
    material previewed and used, check answers, send — approved at once, the decision shown;
(b) an officer sends an application back for correction (补正), the applicant uploads a new file,
    fixes an answer and resends it, and the officers take it to approval.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from zhengtong.services.applications.models import Application, ApplicationMaterial

from .conftest import PDF, fill_standard, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_totp")]

SHOTS = Path("/tmp/shots/applications")


def checker(page, axe, prefix: str):  # noqa: F811
    check = make_check_page(page, axe)
    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{prefix}-{name}.png"), full_page=True)
        check(f"applications-{prefix}-{name}")

    return shot


@pytest.mark.parametrize("width", [390, 1280])  # a phone first, then a desktop
def test_a_citizen_completes_an_instant_item_in_one_visit(live_server, people, catalogue, signed_in, axe, width):  # noqa: F811
    page = signed_in("citizen_a", width=width)
    shot = checker(page, axe, f"instant-{width}")

    page.goto(f"{live_server.url}/services/apply/{catalogue.instant.public_id}/")
    expect(page.locator("h1")).to_have_text("灵活就业人员参保登记")
    shot("start")
    page.locator("button.ap-button--start").click()

    # No question to answer: straight to the one material, fetched for her to look at first.
    draft = Application.objects.get()
    expect(page).to_have_url(f"{live_server.url}/services/my/{draft.public_id}/materials/")
    material = page.locator("#material-insurance_status")
    shot("materials")
    material.locator("form:has(input[value=preview]) button").click()
    expect(material.locator(".ap-evidence")).to_contain_text("暂停缴费")
    expect(material.locator(".ap-evidence")).not_to_contain_text("330106198503020246")  # masked as granted
    shot("preview")
    material.locator("form:has(input[value=accept]) button").click()
    expect(material.locator(".zt-tag--success")).to_be_visible()
    shot("accepted")
    page.locator("main a.zt-button").click()

    expect(page).to_have_url(f"{live_server.url}/services/my/{draft.public_id}/check/")
    shot("check")
    page.locator("form:has(input[name=idempotency_key]) button").click()

    expect(page).to_have_url(f"{live_server.url}/services/my/{draft.public_id}/confirmation/")
    application = Application.objects.get()
    assert (application.state, application.instant) == ("approved", True)
    expect(page.locator(".ap-panel strong")).to_have_text(application.reference)
    decision = page.locator(".ap-decision")
    expect(decision.locator("table tbody tr")).to_contain_text(["暂停缴费"])
    expect(decision).to_contain_text(application.decisions.get().explanation)
    shot("approved")
    # Zero uploads: every material came from shared data.
    assert list(ApplicationMaterial.objects.values_list("waived", "file")) == [(True, "")]


def test_an_officer_sends_an_application_back_and_the_applicant_fixes_it(live_server, people, catalogue, signed_in,
                                                                         axe):  # noqa: F811
    application = submit(people, fill_standard(people, catalogue))
    reference = application.reference

    # The service centre's window sends it back: the leaving certificate is illegible.
    window = signed_in("window")
    shot = checker(window, axe, "correction-window")
    window.goto(f"{live_server.url}/workspace/applications/")
    shot("queue")
    window.get_by_role("link", name=reference).click()
    expect(window.locator("h1")).to_have_text(f"{reference} 失业保险金申领")
    shot("task")
    window.locator("input[name=outcome][value=correct]").check()
    window.locator("#id_note").fill("离职证明扫描不清晰，请重新上传；离职日期与证明不一致，请核对。")
    window.locator("form:has(#id_note) button[type=submit]").click()
    expect(window.locator(".zt-banner")).to_contain_text(reference)
    shot("sent-back")
    application.refresh_from_db()
    assert application.state == "correction"

    # The applicant sees the request, uploads a new file, corrects the date and resends.
    citizen = signed_in("citizen_a", width=390)
    shot = checker(citizen, axe, "correction-citizen")
    citizen.goto(f"{live_server.url}/services/my/")
    shot("mine")
    citizen.get_by_role("link", name="失业保险金申领").click()
    expect(citizen.locator(".ap-inset--warning")).to_contain_text("离职证明扫描不清晰")
    shot("tracking")
    citizen.locator(".ap-inset--warning a.zt-button").click()
    expect(citizen).to_have_url(f"{live_server.url}/services/my/{application.public_id}/correct/")
    shot("correct")
    proof = citizen.locator("#material-leaving_proof")
    proof.locator("summary").click()
    proof.locator("input[type=file]").set_input_files(
        files=[{"name": "离职证明（清晰版）.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    proof.locator("form button[type=submit]").click()
    expect(citizen.locator("#material-leaving_proof")).to_contain_text("离职证明（清晰版）.pdf")
    shot("uploaded")
    # A wrong date first: the error is shown and links to the field.
    # (a date the browser's date picker cannot even hold: typed as text, as without a picker)
    citizen.locator("#id_left_on").evaluate("input => input.type = 'text'")
    citizen.locator("#id_left_on").fill("2025-02-30")
    citizen.locator("form:has(#id_left_on) button[type=submit]").click()
    expect(citizen.locator(".zt-error-summary a[href='#id_left_on']")).to_be_visible()
    shot("error")
    citizen.locator("#id_left_on").fill("2025-03-31")
    citizen.locator("form:has(#id_left_on) button[type=submit]").click()
    expect(citizen).to_have_url(f"{live_server.url}/services/my/{application.public_id}/")
    shot("resent")
    application.refresh_from_db()
    assert (application.state, application.answers["left_on"]) == ("submitted", "2025-03-31")

    # The window accepts it now, the case officer passes it, the leader approves.
    officers = {}
    for who, step in (("window", "窗口受理"), ("rs_case", "业务审核"), ("rs_leader", "审批决定")):
        officer = officers[who] = signed_in(who)
        shot = checker(officer, axe, f"approve-{who}")
        officer.goto(f"{live_server.url}/workspace/applications/")
        officer.get_by_role("link", name=reference).click()
        expect(officer.locator(".ap-caption")).to_contain_text(step)
        officer.locator("input[name=outcome][value=approve]").check()
        officer.locator("form:has(#id_note) button[type=submit]").click()
        expect(officer.locator(".zt-banner")).to_contain_text(reference)
        shot("done")
    application.refresh_from_db()
    assert application.state == "approved"

    citizen.goto(f"{live_server.url}/services/my/{application.public_id}/")
    expect(citizen.locator(".zt-tag--success").first).to_be_visible()
    expect(citizen.locator(".ap-summary").first).to_contain_text("2025-03-31")
    shot = checker(citizen, axe, "correction-citizen")
    shot("approved")
    # Her notices: received, sent back, decided; the newest is unread until she opens it.
    citizen.goto(f"{live_server.url}/services/notices/")
    expect(citizen.locator(".ap-notice--unread")).to_have_count(3)
    shot("notices")
    citizen.locator(".ap-notice--unread").first.locator("form:has(input[name=page]) button").click()
    expect(citizen.locator(".ap-notice--unread")).to_have_count(2)

    # The leader's measures count the application: decided, one material waived of two.
    leader = officers["rs_leader"]
    leader.goto(f"{live_server.url}/workspace/applications/measures/")
    row = leader.locator("tr[data-key='330106-RS-001'] td")
    expect(row.nth(0)).to_have_text("1")
    expect(row.nth(4)).to_have_text("1 / 2（50.0%）")
    checker(leader, axe, "measures")("page")
