"""风险预警: signals loaded all or nothing, rules scoring them (credit C/D included), clues opened
once while open, dispatched as loops to the responsible department, feedback closing them and
the feedback figures; the department's pages."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse

from zhengtong.kernel.calendar.public import add_working_days
from zhengtong.kernel.loops.models import Case
from zhengtong.kernel.org.models import Department
from zhengtong.supervision.supervision import risk
from zhengtong.supervision.supervision.models import RiskClue, RiskSignal

from .conftest import uscc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"
SEEN = "2026-01-05"


def rows(*items):
    return [{"uscc": u, "kind": k, "value": v, "observed_at": SEEN} for u, k, v in items]


@pytest.fixture
def rule(people):
    return risk.risk_rule_define(
        actor=people.actor("sj_leader"), code="SJ-RISK-1", name="经营异常叠加投诉欠税", department_kind="market_regulation",
        weights={"abnormal_operation": 30, "complaint": 10, "tax_arrears": 25, "credit_grade": 20}, threshold=60,
        legal_basis="《优化营商环境条例》第五十五条")


@pytest.fixture
def signals(entities):
    # uscc(20) (class B): 30 + 3×10 = 60 → a clue. uscc(21): 30 + 10 = 40 → none.
    # uscc(1) (class C): 30 + 10 = 40, +20 for credit = 60 → a clue. uscc(1001) is in Binjiang: 30+25+10 = 65.
    return risk.risk_signals_load(rows(
        (uscc(20), "abnormal_operation", 1), (uscc(20), "complaint", 2), (uscc(20), "complaint", 1),
        (uscc(21), "abnormal_operation", 1), (uscc(21), "complaint", 1),
        (uscc(1), "abnormal_operation", 1), (uscc(1), "complaint", 1),
        (uscc(1001, "330108"), "abnormal_operation", 1), (uscc(1001, "330108"), "tax_arrears", 1),
        (uscc(1001, "330108"), "complaint", 1),
    ), source="市场监管局经营异常名录、12345投诉、税务欠税公告")


def test_scoring_threshold_and_reasons(rule, signals):
    made = {c.uscc: c for c in risk.risk_scan()}
    assert set(made) == {uscc(20), uscc(1), uscc(1001, "330108")}
    assert made[uscc(20)].score == 60
    assert made[uscc(20)].reasons == ["列入经营异常名录1次（+30分）", "投诉举报3件（+30分）"]
    assert made[uscc(1)].score == 60 and made[uscc(1)].reasons[-1] == "公共信用等级为C类（+20分）"
    assert made[uscc(1001, "330108")].score == 65
    assert made[uscc(20)].name == "杭州测试20号有限公司"


def test_a_rescan_opens_no_duplicate_while_open_and_a_new_one_after_feedback(people, rule, signals):
    first = risk.risk_scan()
    assert risk.risk_scan() == []
    assert RiskClue.objects.count() == len(first) == Case.objects.filter(kind="supervision_risk_clue").count()
    clue = next(c for c in first if c.uscc == uscc(20))
    risk.risk_clue_feedback(actor=people.actor("sj_officer"), clue_id=clue.public_id, verified=True, note="已核实，责令整改")
    again = risk.risk_scan(rule_codes=["SJ-RISK-1"])
    assert [c.uscc for c in again] == [uscc(20)]
    assert risk.risk_scan(rule_codes=["OTHER"]) == []


def test_the_loop_goes_to_the_rules_department_kind_at_the_entitys_division(people, rule, signals):
    made = {c.uscc: c for c in risk.risk_scan()}
    xihu, binjiang = made[uscc(20)], made[uscc(1001, "330108")]
    assert xihu.department.code == "330106-SJ"
    assert binjiang.department.kind == "market_regulation" and binjiang.department.division.code == "330108"
    case = Case.objects.get(public_id=xihu.case_id)
    assert case.kind == "supervision_risk_clue" and case.assignee_department_id == xihu.department_id
    assert case.state == "assigned" and "投诉举报3件" in case.description
    assert xihu.due_on == add_working_days(risk.today(), 10)


@override_settings(SUPERVISION_CLUE_FEEDBACK_DAYS=3)
def test_the_feedback_days_setting_sets_the_due_date(rule, signals):
    clue = risk.risk_scan()[0]
    assert clue.due_on == add_working_days(risk.today(), 3)


def test_feedback_closes_the_loop_and_moves_the_figures(people, rule, signals):
    made = {c.uscc: c for c in risk.risk_scan()}
    sj = Department.objects.get(code="330106-SJ")
    before = risk.risk_clue_figures(department_id=sj.id)
    assert (before.dispatched, before.fed_back, before.feedback_rate, before.on_time_rate) == (2, 0, 0, None)
    officer = people.actor("sj_officer")
    with pytest.raises(ValidationError, match="Describe what the verification found"):
        risk.risk_clue_feedback(actor=officer, clue_id=made[uscc(20)].public_id, verified=True, note=" ")
    clue = risk.risk_clue_feedback(actor=officer, clue_id=made[uscc(20)].public_id, verified=True, note="属实，已立案")
    assert clue.feedback == "verified" and not clue.open
    case = Case.objects.get(public_id=clue.case_id)
    assert case.state == "closed"
    figures = risk.risk_clue_figures(department_id=sj.id)
    assert (figures.dispatched, figures.fed_back, figures.on_time) == (2, 1, 1)
    assert str(figures.feedback_rate) == "50.0" and str(figures.on_time_rate) == "100.0"
    # A late feedback: the second clue was due yesterday.
    RiskClue.objects.filter(pk=made[uscc(1)].pk).update(due_on=risk.today() - timedelta(days=1))
    risk.risk_clue_feedback(actor=officer, clue_id=made[uscc(1)].public_id, verified=False, note="经核查不属实")
    figures = risk.risk_clue_figures(department_id=sj.id)
    assert (figures.fed_back, figures.on_time) == (2, 1)
    assert str(figures.feedback_rate) == "100.0" and str(figures.on_time_rate) == "50.0"
    assert risk.risk_clue_figures().dispatched == 3
    with pytest.raises(ValidationError, match="already has its feedback"):
        risk.risk_clue_feedback(actor=officer, clue_id=made[uscc(1)].public_id, verified=True, note="再次")


def test_bad_signal_rows_are_refused_with_nothing_loaded(entities):
    good = rows((uscc(20), "complaint", 1))
    for bad, message in [
        ({"uscc": "91330106XXXXXXXXXX", "kind": "complaint", "value": 1, "observed_at": SEEN}, "Row 2: .*unified"),
        ({"uscc": uscc(21), "kind": "gossip", "value": 1, "observed_at": SEEN}, "Row 2: gossip is not a kind"),
        ({"uscc": uscc(21), "kind": "complaint", "value": 0, "observed_at": SEEN}, "Row 2: The value"),
        ({"uscc": uscc(21), "kind": "complaint", "value": 1, "observed_at": "2026-13-01"}, "Row 2: Give the date"),
        ({"uscc": uscc(21), "kind": "complaint", "value": 1,
          "observed_at": (date.today() + timedelta(days=3)).isoformat()}, "Row 2: Give the date"),
    ]:
        with pytest.raises(ValidationError, match=message):
            risk.risk_signals_load(good + [bad], source="测试")
    assert RiskSignal.objects.count() == 0
    with pytest.raises(ValidationError):
        risk.risk_signals_load(good, source=" ")
    assert risk.risk_signals_load(good, source="测试") == 1


def test_rules_are_defined_by_a_leader_with_valid_weights(people):
    with pytest.raises(PermissionDenied):
        risk.risk_rule_define(actor=people.actor("sj_officer"), code="X", name="x", department_kind="market_regulation",
                              weights={"complaint": 1}, threshold=1)
    with pytest.raises(ValidationError) as error:
        risk.risk_rule_define(actor=people.actor("sj_leader"), code="X", name="x", department_kind="nowhere",
                              weights={"gossip": 5}, threshold=0)
    assert set(error.value.error_dict) == {"department_kind", "weights", "threshold"}


def test_a_department_sees_and_answers_only_its_clues(client, people, rule, signals):
    made = {c.uscc: c for c in risk.risk_scan()}
    wj = people.actor("wj_leader")
    assert risk.department_clues(wj) == []
    with pytest.raises(PermissionDenied):
        risk.risk_clue_feedback(actor=wj, clue_id=made[uscc(20)].public_id, verified=True, note="越权")
    with pytest.raises(PermissionDenied):
        risk.clue_get(actor=wj, public_id=made[uscc(20)].public_id)
    assert {c.uscc for c in risk.department_clues(people.actor("sj_officer"))} == {uscc(20), uscc(1)}

    with override_settings(STAFF_REQUIRE_TOTP=False):
        client.force_login(people.users["sj_officer"], backend=BACKEND)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
        text = client.get(reverse("supervision:risk-list")).content.decode()
        assert "风险预警" in text and "杭州测试20号有限公司" in text and "滨江测试1001号有限公司" not in text
        url = reverse("supervision:risk-detail", args=[made[uscc(20)].public_id])
        text = client.get(url).content.decode()
        assert "投诉举报3件（+30分）" in text and "核查反馈" in text
        response = client.post(reverse("supervision:risk-feedback", args=[made[uscc(20)].public_id]),
                               {"feedback": "not_confirmed", "note": "现场核查未发现问题"})
        assert response.status_code == 302
        assert RiskClue.objects.get(pk=made[uscc(20)].pk).feedback == "not_confirmed"
        text = client.get(reverse("supervision:risk-list")).content.decode()
        assert "50.0%" in text
        client.force_login(people.users["wj_leader"], backend=BACKEND)
        assert client.get(url).status_code == 403
