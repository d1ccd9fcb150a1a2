"""Issue 10's acceptance journeys in a real browser (Chromium through Playwright, Chinese locale),
axe clean on every page visited:

1. an inspector records an inspection on a phone (390x844): the checklist with one check that does
   not conform, the findings, both signatures and the outcome "penalty case"; the drawn company's
   public result shows it;
2. a leader decides the penalty case in the browser; once the events are delivered and credit is
   evaluated (as the worker and the scheduler would), the company sees its lower grade with the
   reason, and its next application is sent to 从严审核 with the measure's basis shown to it.

Screenshots go to /tmp/shots/supervision/ (and test-artifacts/ through the axe check)."""

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, make_check_page, signed_in  # noqa: F401 - fixtures
from tests.conftest import PASSWORD, people_create
from tests.services.applications.conftest import pdf
from tests.services.conftest import (  # noqa: F401 - fixtures
    A_ADDRESS, A_ID, A_MOBILE, B_ID, COMPANY_ADDRESS, COMPANY_NAME, STAFF as SERVICES_STAFF, USCC, XIHU, Cast,
    catalogue, events_deliver_all, media_root, platform)
from tests.supervision.supervision.conftest import (  # noqa: F401 - fixtures
    STAFF as SUPERVISION_STAFF, drawn, entities, inspectors, item, law, no_totp)
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.models import Citizen, User
from zhengtong.kernel.org.models import Division
from zhengtong.services.applications import services as applications
from zhengtong.services.applications.models import Decision
from zhengtong.supervision.credit.public import credit_classes, credit_evaluate
from zhengtong.supervision.supervision import inspections, services
from zhengtong.supervision.supervision.inspections import Signature
from zhengtong.supervision.supervision.models import DrawnEntity, Inspection, PenaltyCase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_totp")]

SHOTS = Path("/tmp/shots/supervision")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def people(departments):
    """The service platform's cast (its staff, citizens A and B, A's company 杭州西湖数据有限公司 with
    a login) and the supervision staff of Xihu's market regulation and health bureaux."""
    base = people_create({**SERVICES_STAFF, **SUPERVISION_STAFF}, citizens={"citizen_a": A_ID, "citizen_b": B_ID})
    Citizen.objects.filter(user=base.users["citizen_a"]).update(
        name="王芳", gender="F", birth_date=date(1985, 3, 2), mobile=A_MOBILE, address=A_ADDRESS)
    User.objects.filter(pk=base.users["citizen_a"].pk).update(display_name="王芳")
    company = identity_services.company_create(
        uscc=USCC, name=COMPANY_NAME, kind="enterprise",
        legal_representative=Citizen.objects.get(user=base.users["citizen_a"]),
        division=Division.objects.get(code=XIHU), registered_on=date(2019, 3, 5), address=COMPANY_ADDRESS,
        password=PASSWORD)
    return Cast({**base.users, "company": company.user}, company_user=company.user)


@pytest.fixture
def measures(db):
    """The joint measures as the migration seeds them (a transactional test flushed them)."""
    from zhengtong.supervision.credit.measures import measures_seed
    from zhengtong.supervision.credit.models import JointMeasure

    if not JointMeasure.objects.exists():
        measures_seed()


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_an_inspector_records_a_finding_on_a_phone(live_server, people, inspectors, drawn, signed_in, browser,
                                                   axe):  # noqa: F811
    by_number = {inspector.certificate_no: (name, inspector) for name, inspector in inspectors.items()}
    assigned = [by_number[number] for number in drawn.inspectors]
    page = signed_in(assigned[0][0], width=PHONE["width"])
    page.set_viewport_size(PHONE)
    check = make_check_page(page, axe)

    page.goto(f"{live_server.url}/supervision/inspections/")
    expect(page.locator("h1")).to_have_text("我的待检查任务")
    no_sideways_scroll(page)
    shoot(page, "phone-inspections-to-do")
    check("supervision-phone-inspections")
    page.get_by_role("link", name=drawn.name).click()
    expect(page.locator("h1")).to_have_text("记录检查")
    no_sideways_scroll(page)

    checks = page.locator("fieldset.zt-check")
    expect(checks).to_have_count(3)
    checks.nth(0).get_by_label("不符合").check()
    checks.nth(0).locator("input[type=text]").fill("食品经营许可证已过期")
    checks.nth(1).get_by_label("符合", exact=True).check()
    checks.nth(2).get_by_label("符合", exact=True).check()
    page.locator("#findings").fill("食品经营许可证已过期仍从事经营")
    page.get_by_label("立案查处").check()
    for number, (_name, inspector) in zip(drawn.inspectors, assigned):
        page.locator(f"#sign-{number}").fill(inspector.name)
        page.locator(f"input[name='sign_confirm_{number}']").check()
    no_sideways_scroll(page)
    shoot(page, "phone-inspection-filled")
    check("supervision-phone-record")
    page.get_by_role("button", name="提交检查记录").click()

    expect(page.get_by_text("检查已记录。")).to_be_visible()
    expect(page.get_by_role("link", name=drawn.name)).to_have_count(0)  # no longer to do
    no_sideways_scroll(page)
    shoot(page, "phone-inspection-recorded")
    check("supervision-phone-recorded")
    inspection = Inspection.objects.get(uscc=drawn.uscc)
    assert inspection.outcome == "penalty_case" and inspection.findings == "食品经营许可证已过期仍从事经营"
    assert PenaltyCase.objects.filter(uscc=drawn.uscc, state="filed").exists()
    assert DrawnEntity.objects.get(pk=drawn.pk).result == "penalty_case"

    public = browser.new_page(locale="zh-CN", viewport=PHONE)
    check = make_check_page(public, axe)
    public.goto(f"{live_server.url}/supervision/public/{drawn.plan.public_id}/")
    row = public.locator("tr", has_text=drawn.uscc)
    expect(row).to_contain_text("立案查处")
    no_sideways_scroll(public)
    shoot(public, "phone-public-result")
    check("supervision-phone-public-result")
    public.close()


def test_a_penalty_lowers_the_grade_and_sends_the_next_application_to_strict_review(
        live_server, people, law, item, inspectors, catalogue, measures, signed_in, axe):  # noqa: F811
    services.entities_load([("ZJC900001", USCC, COMPANY_NAME, XIHU, "王芳", "")])
    assert credit_classes([USCC]) == {USCC: "B"}
    signatures = [Signature(inspectors[n].certificate_no, inspectors[n].name, True) for n in ("sj_insp1", "sj_insp2")]
    inspections.inspection_record(
        actor=people.actor("sj_insp1"), uscc=USCC, item_id=item.public_id, outcome="penalty_case",
        answers={"许可证照": ("does_not", "许可证过期"), "从业人员健康证明": ("conforms", ""), "原料进货查验": ("conforms", "")},
        signatures=signatures, findings="食品经营许可证已过期仍从事经营")
    case = PenaltyCase.objects.get(uscc=USCC)
    inspections.penalty_case_investigate(actor=people.actor("sj_officer"), case_id=case.public_id)

    leader = signed_in("sj_leader")
    check = make_check_page(leader, axe)
    leader.goto(f"{live_server.url}/supervision/cases/{case.public_id}/")
    expect(leader.get_by_role("heading", name="作出处罚决定")).to_be_visible()
    leader.get_by_label("法律依据（现行有效的法条）").select_option(
        str(law.articles.get(number="第一百一十条").public_id))
    leader.get_by_label("违法事实").fill("食品经营许可证过期后继续经营三个月")
    leader.locator("#penalty-kind").select_option(label="罚款")
    leader.get_by_label("罚款金额（元）").fill("5000")
    leader.get_by_label("严重违法").check()
    check("supervision-case-to-decide")
    leader.get_by_role("button", name="作出决定").click()
    expect(leader.get_by_text("已办理。")).to_be_visible()
    expect(leader.locator("main")).to_contain_text("《中华人民共和国食品安全法》第一百一十条")
    shoot(leader, "case-decided")
    check("supervision-case-decided")
    case.refresh_from_db()
    assert (case.state, case.fine_fen) == ("decided", 500000)

    events_deliver_all()  # the worker: credit files the record on supervision.penalty_decided
    credit_evaluate(USCC)  # the scheduler's nightly evaluation
    grade = credit_classes([USCC])[USCC]
    assert grade in ("C", "D")

    company = signed_in("company", width=PHONE["width"])
    company.set_viewport_size(PHONE)
    check = make_check_page(company, axe)
    company.goto(f"{live_server.url}/credit/mine/")
    expect(company.locator(".zt-credit-grade")).to_contain_text(grade)
    expect(company.locator("#credit-records").locator("..")).to_contain_text("《中华人民共和国食品安全法》第一百一十条")
    no_sideways_scroll(company)
    shoot(company, "phone-credit-mine-lowered")
    check("supervision-credit-mine-lowered")

    actor = people.actor("company")
    draft = applications.draft_start(actor=actor, implementation_id=catalogue.simple.public_id)
    applications.draft_answer(actor=actor, application_id=draft.public_id, answers={"new_name": "杭州西湖数智有限公司"})
    applications.material_preview(actor=actor, application_id=draft.public_id, material_code="licence")
    applications.material_accept(actor=actor, application_id=draft.public_id, material_code="licence")
    applications.material_upload(actor=actor, application_id=draft.public_id, material_code="resolution", upload=pdf())
    application = applications.application_submit(actor=actor, application_id=draft.public_id, idempotency_key="c-1")
    decision = Decision.objects.get(application=application, source="hook:credit")
    assert decision.outcome == "strict" and "国发〔2016〕33号" in decision.explanation

    company.goto(f"{live_server.url}/services/my/{application.public_id}/")
    main = company.locator("main")
    expect(main).to_contain_text("从严审核")
    expect(main).to_contain_text("国发〔2016〕33号")
    no_sideways_scroll(company)
    shoot(company, "phone-application-strict")
    check("supervision-application-strict")

    company.goto(f"{live_server.url}/credit/mine/")
    measures_applied = company.locator("#credit-measures").locator("..")
    expect(measures_applied).to_contain_text("从严审核")
    expect(measures_applied).to_contain_text("国发〔2016〕33号")
    shoot(company, "phone-credit-mine-measure")
    check("supervision-credit-mine-measure")
