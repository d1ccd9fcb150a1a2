"""The process engine: the shipped BPMN processes run through SpiffWorkflow with the restricted
expression engine; state survives JSON; timers fire by the caller's clock; DMN tables decide."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from zhengtong.services.applications import workflow
from zhengtong.services.applications.expressions import ExpressionError, evaluate, script_parse

pytestmark = pytest.mark.django_db


def _roundtrip(run: workflow.WorkflowRun) -> dict:
    """The state as the database gives it back (JSON text and back)."""
    return json.loads(json.dumps(run.state))


def _act(run, spec_id, outcome, **extra):
    task = next(t for t in run.ready if t.spec_id == spec_id)
    return workflow.process_complete(_roundtrip(run), task.task_id, {"outcome": outcome, "note": "", **extra})


@pytest.mark.parametrize("name", ["instant", "parallel_review", "simple", "standard"])
def test_shipped_processes_are_valid_bpmn(name):
    document = etree.parse(str(workflow.PROCESS_DIR / f"{name}.bpmn")).getroot()
    BpmnValidator().validate(document, name)  # raises on a schema violation
    assert name in workflow.process_names()


def test_standard_process_runs_intake_review_approve_with_lanes_and_deadlines():
    run = workflow.process_start("standard", {"item": "330000-TEST"})
    assert [(t.spec_id, t.lane, t.deadline_days) for t in run.ready] == [("intake", "window_officer", 1)]
    run = _act(run, "intake", "approve")
    assert [(t.spec_id, t.lane, t.deadline_days) for t in run.ready] == [("review", "case_officer", 5)]
    run = _act(run, "review", "done")
    assert [(t.spec_id, t.lane) for t in run.ready] == [("approve", "leader")]
    run = _act(run, "approve", "approve")
    assert run.finished and run.ready == ()
    assert run.data["result"] == "approved"
    assert run.data["intake_outcome"] == "approve" and run.data["review_outcome"] == "done"


def test_rejection_at_review_ends_rejected():
    run = _act(_act(workflow.process_start("standard", {}), "intake", "approve"), "review", "reject")
    assert run.finished and run.data["result"] == "rejected"


def test_correction_goes_to_the_applicant_and_back_to_intake():
    run = _act(workflow.process_start("simple", {}), "intake", "correct")
    assert [(t.spec_id, t.lane) for t in run.ready] == [("correction", "applicant")]
    assert run.data["correction_deadline"] > timezone.now().isoformat()
    run = _act(run, "correction", "corrected")
    assert [t.spec_id for t in run.ready] == ["intake"]
    run = _act(_act(run, "intake", "approve"), "decide", "approve")
    assert run.data["result"] == "approved"


def test_a_correction_not_made_by_its_deadline_rejects_the_application():
    run = _act(workflow.process_start("simple", {}), "intake", "correct")
    not_yet = workflow.process_fire_timers(_roundtrip(run), timezone.now() + timedelta(days=1))
    assert not not_yet.finished and [t.spec_id for t in not_yet.ready] == ["correction"]
    assert len(workflow.process_pending_timers(_roundtrip(run))) == 1
    expired = workflow.process_fire_timers(_roundtrip(run), timezone.now() + timedelta(days=60))
    assert expired.finished and expired.ready == ()
    assert expired.data["result"] == "rejected" and "逾期未补正" in expired.data["reason"]


def test_parallel_reviews_both_open_and_join_before_the_leader():
    run = _act(workflow.process_start("parallel_review", {}), "intake", "approve")
    assert sorted(t.spec_id for t in run.ready) == ["review_materials", "review_site"]
    run = _act(run, "review_site", "approve")
    assert [t.spec_id for t in run.ready] == ["review_materials"]  # the join waits for both
    run = _act(run, "review_materials", "approve")
    assert [t.spec_id for t in run.ready] == ["approve"]


def test_one_parallel_rejection_rejects():
    run = _act(workflow.process_start("parallel_review", {}), "intake", "approve")
    run = _act(_act(run, "review_materials", "reject"), "review_site", "approve")
    assert run.finished and run.data["result"] == "rejected"


@pytest.mark.parametrize(("decided", "result"), [("approve", "approved"), ("reject", "rejected")])
def test_instant_process_needs_no_person_when_the_table_decides(decided, result):
    run = workflow.process_start("instant", {"decision_outcome": decided})
    assert run.finished and run.ready == () and run.data["result"] == result


def test_instant_process_falls_back_to_a_case_officer():
    run = workflow.process_start("instant", {"decision_outcome": "manual"})
    assert [(t.spec_id, t.lane) for t in run.ready] == [("decide", "case_officer")]
    assert _act(run, "decide", "approve").data["result"] == "approved"


def test_bad_outcomes_and_unknown_tasks_are_refused():
    run = workflow.process_start("simple", {})
    with pytest.raises(workflow.WorkflowError, match="outcome"):
        workflow.process_complete(_roundtrip(run), run.ready[0].task_id, {"outcome": "corrected"})
    with pytest.raises(workflow.WorkflowError, match="not waiting"):
        workflow.process_complete(_roundtrip(run), "00000000-0000-0000-0000-000000000000", {"outcome": "approve"})
    with pytest.raises(workflow.WorkflowError, match="unknown process"):
        workflow.process_start("../../etc/passwd", {})


# --- the restricted engine -----------------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    "__import__('os').system('true')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd').read()",
    "eval('1')",
    "(lambda: 1)()",
])
def test_expressions_cannot_reach_python(expression):
    with pytest.raises(ExpressionError):
        evaluate(expression, {})


def test_expressions_compute_over_task_data():
    assert evaluate('age >= 60 and city == "330100"', {"age": 61, "city": "330100"}) is True
    assert evaluate('"correct" in (a, b)', {"a": "approve", "b": "correct"}) is True
    assert evaluate("years_since(born)", {"born": "2000-01-01"}) >= 26


@pytest.mark.parametrize("script", ["import os", "x.y = 1", "del x", "for i in x: pass", "_private = 1",
                                    "def f(): pass"])
def test_scripts_hold_only_assignments(script):
    with pytest.raises(ExpressionError):
        script_parse(script)


# --- decision tables ------------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "inputs", "outcome", "rule"), [
    ("elderly_card", {"age": 59, "resident_of_city": True}, "reject", "r1"),
    ("elderly_card", {"age": 60, "resident_of_city": True}, "approve", "r2"),
    ("elderly_card", {"age": 75, "resident_of_city": False}, "manual", "r3"),
    ("longevity_allowance", {"age": 79, "resident_of_city": True}, "reject", "r1"),
    ("longevity_allowance", {"age": 80, "resident_of_city": True}, "approve", "r2"),
    ("flexible_employment_insurance", {"age": 15, "insurance_status": ""}, "reject", "r1"),
    ("flexible_employment_insurance", {"age": 60, "insurance_status": ""}, "reject", "r2"),
    ("flexible_employment_insurance", {"age": 30, "insurance_status": "参保缴费"}, "manual", "r3"),
    ("flexible_employment_insurance", {"age": 30, "insurance_status": "暂停缴费"}, "approve", "r4"),
    ("flexible_employment_insurance", {"age": 16, "insurance_status": ""}, "approve", "r4"),
    ("sole_trader_deregistration", {"kind": "个体工商户"}, "approve", "r1"),
    ("sole_trader_deregistration", {"kind": ""}, "manual", "r2"),
    ("sole_trader_deregistration", {"kind": "企业"}, "reject", "r3"),
])
def test_decision_tables_decide(table, inputs, outcome, rule):
    result = workflow.decision_evaluate(table, inputs)
    assert (result.outcome, result.matched_rules) == (outcome, (rule,))
    assert result.outputs["outcome"] == outcome and result.explanation == result.outputs["reason"] != ""


def test_decision_inputs_are_listed_and_missing_inputs_fail_clearly():
    assert workflow.decision_inputs("elderly_card") == ["age", "resident_of_city"]
    with pytest.raises(workflow.WorkflowError, match="elderly_card"):
        workflow.decision_evaluate("elderly_card", {"resident_of_city": True})
    with pytest.raises(workflow.WorkflowError, match="unknown decision table"):
        workflow.decision_evaluate("no_such_table", {})


def test_every_decision_table_parses():
    assert set(workflow.decision_names()) >= {"elderly_card", "longevity_allowance", "flexible_employment_insurance",
                                              "sole_trader_deregistration"}
    for name in workflow.decision_names():
        assert workflow.decision_inputs(name)


def test_decision_labels_give_the_tables_own_words():
    labels = workflow.decision_labels("elderly_card")
    assert labels.inputs == {"age": "年龄", "resident_of_city": "本市户籍"}
    assert labels.rules["r2"] == "申请人年满60周岁且户籍在本市，符合申领条件"
