"""Instant items (秒办): no question to answer, the material fetched, the item's decision table
decides with no person — its inputs, outputs and matched rules kept and shown — or hands the
application to a case officer. Decision hooks of other modules have their say at submission."""

import json

import pytest
from django.core.exceptions import ValidationError

from zhengtong.data.exchange.models import ShareRecord
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.applications import selectors, services
from zhengtong.services.applications.hooks import HookVerdict, register_decision_hook, unregister_decision_hook
from zhengtong.services.applications.models import Application, ApplicationTask, Decision

from ..conftest import INSURANCE_STATUS, implementation_make, item_make, material
from .conftest import act, events, fill_standard, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

RULE_APPROVE = "申请人符合灵活就业人员参保登记条件"
RULE_MANUAL = "申请人在职参保缴费中，需人工核实是否已与单位解除劳动关系"


def start(people, catalogue, who="citizen_a", key="instant-1") -> Application:
    return services.application_start_submitted(actor=people.actor(who), implementation_id=catalogue.instant.public_id,
                                                answers={}, idempotency_key=key)


def insurance_status(value: str) -> None:
    record = ShareRecord.objects.get(service__code=INSURANCE_STATUS)
    payload = json.loads(record.payload)
    record.payload = json.dumps({**payload, "insurance_status": value}, ensure_ascii=False)
    record.save()


@pytest.fixture
def hooks():
    """Register hooks for one test; afterwards the registry is as it was (credit registers its
    real hook "credit" at start-up, which a test's hook of that name stands in for meanwhile)."""
    from zhengtong.services.applications import hooks as registry

    before = dict(registry._HOOKS)

    def register(name, func):
        register_decision_hook(name, func)

    yield register
    for name in set(registry._HOOKS) - set(before):
        unregister_decision_hook(name)
    for name, func in before.items():
        register_decision_hook(name, func)


def test_an_instant_item_is_approved_with_no_person(people, catalogue):
    application = start(people, catalogue)
    assert (application.state, application.instant) == ("approved", True)
    assert application.outcome_reason == RULE_APPROVE
    assert ApplicationTask.objects.filter(application=application).count() == 0
    (decision,) = selectors.application_decisions(actor=people.a, application_id=application.public_id)
    assert (decision.source, decision.outcome, decision.explanation) == (
        "dmn:flexible_employment_insurance", "approve", RULE_APPROVE)
    assert decision.inputs == {"age": application.submitted_at.year - 1985 - (
        (application.submitted_at.month, application.submitted_at.day) < (3, 2)), "insurance_status": "暂停缴费"}
    assert decision.outputs == {"outcome": "approve", "reason": RULE_APPROVE}
    # The rule's id (the engine may add its description after a colon).
    assert [rule.split(":")[0] for rule in decision.matched_rules] == ["r4"]
    material = application.materials.get()
    assert (material.waived, material.evidence["fields"]["insurance_status"]) == (True, "暂停缴费")
    assert [e["state"] for e in events("applications.concluded")] == ["approved"]
    leaves = [json.loads(leaf.body)["payload"] for leaf in LedgerLeaf.objects.filter(kind="application.decided")]
    assert [(p["state"], p["instant"]) for p in leaves] == [("approved", True)]
    timeline = selectors.application_timeline(actor=people.a, application_id=application.public_id)
    assert [(e.kind, e.title) for e in timeline] == [
        ("submitted", "Application submitted"), ("decision", "Automatic check: approved"), ("approved", "Approved")]


def test_the_same_key_returns_the_instant_application_without_a_second_draft(people, catalogue):
    first = start(people, catalogue)
    again = start(people, catalogue)
    assert again.pk == first.pk
    assert Application.objects.count() == 1


def test_when_the_table_says_manual_a_case_officer_decides(people, catalogue):
    insurance_status("参保缴费")
    application = start(people, catalogue)
    assert (application.state, application.instant) == ("in_progress", False)
    task = ApplicationTask.objects.get(application=application)
    assert (task.spec_id, task.role, task.department.code) == ("decide", "case_officer", "330106-RS")
    assert Decision.objects.get(application=application).explanation == RULE_MANUAL
    act(people, "rs_case", application, "decide", "approve")
    application.refresh_from_db()
    assert (application.state, application.instant) == ("approved", False)


def test_a_table_s_rejection_is_immediate_and_explained(people, catalogue, platform):
    implementation = implementation_make(
        item_make("330106-MZ-001", "老年人优待证申领"), department="330106-RS", process="instant", instant=True,
        decision="elderly_card", form_fields=[])
    application = services.application_start_submitted(actor=people.a, implementation_id=implementation.public_id,
                                                       answers={}, idempotency_key="e-1")
    assert (application.state, application.instant) == ("rejected", True)
    assert application.outcome_reason == "申请人未满60周岁，不符合老年人优待证申领条件"
    decision = Decision.objects.get(application=application)
    assert decision.inputs == {"age": decision.inputs["age"], "resident_of_city": True}
    assert 39 <= decision.inputs["age"] <= 41


def test_a_required_material_that_cannot_be_fetched_stops_a_one_step_application(people, catalogue):
    with pytest.raises(ValidationError) as refused:
        start(people, catalogue, who="citizen_b")
    assert refused.value.message_dict == {
        "materials.insurance_status": ["“社会保险参保状态” holds no record of you: upload “社会保险参保状态” instead."]}
    assert Application.objects.count() == 0


def test_a_table_that_cannot_decide_hands_over_to_a_person(people, platform):
    implementation = implementation_make(
        item_make("330106-RS-009", "测试秒办"), department="330106-RS", process="instant", instant=True,
        decision="no_such_table", form_fields=[])
    application = services.application_start_submitted(actor=people.a, implementation_id=implementation.public_id,
                                                       answers={}, idempotency_key="x-1")
    assert application.state == "in_progress"
    decision = Decision.objects.get(application=application)
    assert (decision.outcome, decision.explanation) == ("manual", "The rules could not decide; an officer will.")


def test_a_refusing_hook_rejects_with_its_reason(people, catalogue, hooks):
    seen = []

    def credit(facts):
        seen.append((facts.item_code, facts.applicant_kind, facts.resident_id, facts.instant))
        return HookVerdict("refuse", "申请人被列入严重失信主体名单，依法不予办理")

    hooks("credit", credit)
    application = submit(people, fill_standard(people, catalogue))
    assert (application.state, application.outcome_reason) == ("rejected", "申请人被列入严重失信主体名单，依法不予办理")
    assert seen == [("330106-RS-001", "citizen", people.citizen_a.resident_id, False)]
    assert application.workflow is None
    assert ApplicationTask.objects.filter(application=application).count() == 0
    (decision,) = Decision.objects.filter(application=application)
    assert (decision.source, decision.outcome, decision.explanation) == (
        "hook:credit", "refuse", "申请人被列入严重失信主体名单，依法不予办理")
    assert [e["state"] for e in events("applications.concluded")] == ["rejected"]


def test_a_strict_hook_sends_an_instant_item_to_a_person(people, catalogue, hooks):
    hooks("credit", lambda facts: HookVerdict("strict", "重点关注对象，从严审核"))
    application = start(people, catalogue)
    assert (application.state, application.instant) == ("in_progress", False)
    assert sorted(Decision.objects.filter(application=application).values_list("source", "outcome")) == [
        ("dmn:flexible_employment_insurance", "approve"), ("hook:credit", "strict")]
    assert ApplicationTask.objects.get(application=application).spec_id == "decide"


def test_other_verdicts_are_recorded_and_a_failing_hook_is_skipped(people, catalogue, hooks):
    def broken(facts):
        raise RuntimeError("credit service down")

    hooks("broken", broken)
    hooks("silent", lambda facts: None)
    hooks("credit", lambda facts: HookVerdict("priority", "守信激励对象，优先办理"))
    application = submit(people, fill_standard(people, catalogue))
    assert application.state == "submitted"
    assert list(Decision.objects.filter(application=application).values_list("source", "outcome", "explanation")) == [
        ("hook:credit", "priority", "守信激励对象，优先办理")]
    assert [e.title for e in selectors.application_timeline(actor=people.a, application_id=application.public_id)] == [
        "Application submitted", "Check by credit: priority"]


def test_hook_verdicts_must_be_known():
    with pytest.raises(ValueError):
        HookVerdict("approve", "")


def test_decision_facts_read_answers_evidence_and_the_applicant(people, catalogue, platform):
    from ..conftest import PERSON_FIELDS, form_field

    implementation = implementation_make(
        item_make("330106-RS-010", "测试"), department="330106-RS",
        form_fields=[*PERSON_FIELDS, form_field("children", "子女人数", "number"),
                     form_field("disabled", "是否残疾", "yesno")],
        materials=[material("status", "参保状态", source="shared", source_ref=INSURANCE_STATUS)])
    draft = services.draft_start(actor=people.a, implementation_id=implementation.public_id)
    services.draft_answer(actor=people.a, application_id=draft.public_id, answers={"children": "2", "disabled": "否"})
    services.material_preview(actor=people.a, application_id=draft.public_id, material_code="status")
    services.material_accept(actor=people.a, application_id=draft.public_id, material_code="status")
    draft.refresh_from_db()
    from zhengtong.services.applications.evidence import applicant_of
    from zhengtong.services.guide.public import implementation_get

    facts = services.decision_facts(draft, applicant_of(people.a), implementation_get(public_id=implementation.public_id))
    assert {k: facts[k] for k in ("children", "disabled", "insurance_status", "resident_of_city",
                                  "resident_of_province", "applicant_kind")} == {
        "children": 2, "disabled": False, "insurance_status": "暂停缴费", "resident_of_city": True,
        "resident_of_province": True, "applicant_kind": "citizen"}
