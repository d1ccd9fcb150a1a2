"""联合奖惩 in approvals: the "credit" decision hook at submission, through applications' own path."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.services.conftest import A_ID, USCC, catalogue, english, media_root, people, platform  # noqa: F401 (fixtures)
from zhengtong.data.exchange.public import subject_ref
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.applications import services as applications
from zhengtong.services.applications.hooks import ApplicationFacts
from zhengtong.services.applications.models import Decision
from zhengtong.supervision.credit import services
from zhengtong.supervision.credit.measures import approval_hook, approval_measure_code
from zhengtong.supervision.credit.models import AppliedMeasure
from zhengtong.supervision.credit.public import credit_class_set

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "measures")]


def start(people, catalogue, key="k-1"):
    return applications.application_start_submitted(actor=people.actor("citizen_a"),
                                                    implementation_id=catalogue.instant.public_id, answers={},
                                                    idempotency_key=key)


def test_a_d_grade_applicant_is_sent_to_strict_review_with_the_basis(people, catalogue):
    credit_class_set(A_ID, "D", reason="测试")
    application = start(people, catalogue)
    # The instant item would approve at once; 从严审核 hands it to a person.
    assert (application.state, application.instant) != ("approved", True)
    decision = Decision.objects.get(application=application, source="hook:credit")
    assert decision.outcome == "strict"
    assert "从严审核" in decision.explanation and "国发〔2016〕33号" in decision.explanation
    applied = AppliedMeasure.objects.get()
    assert (applied.measure.code, applied.scene, applied.reference, applied.grade) == (
        "strict", "approval", str(application.public_id), "D")
    leaf = LedgerLeaf.objects.get(kind="credit.measure_applied")
    assert leaf.subject == subject_ref("person", A_ID)
    assert json.loads(leaf.body)["payload"]["measure"] == "strict"


def test_a_black_listed_applicant_is_refused_with_the_basis(people, catalogue):
    services.credit_record_file(actor=None, subject_kind="person", identifier=A_ID, name="王芳",
                                category="black_list", title="严重失信主体名单", legal_basis="《失信行为纠正后的信用信息修复管理办法（试行）》",
                                decided_on=date(2026, 1, 5))
    application = start(people, catalogue)
    assert application.state == "rejected"
    assert "不予办理" in application.outcome_reason and "国办发〔2020〕49号" in application.outcome_reason


def test_an_a_grade_applicant_is_given_priority(people, catalogue):
    credit_class_set(A_ID, "A", reason="测试")
    application = start(people, catalogue)
    assert Decision.objects.get(application=application, source="hook:credit").outcome == "priority"


def test_no_grade_costs_one_query_and_changes_nothing(people, catalogue):
    facts = ApplicationFacts(public_id=catalogue.instant.public_id, item_code="x", implementation_id=catalogue.instant.public_id,
                             department_id=1, division_code="330106", applicant_kind="company", resident_id=A_ID,
                             uscc=USCC, instant=True)
    with CaptureQueriesContext(connection) as queries:
        assert approval_hook(facts) is None
    assert len(queries) == 1
    assert not AppliedMeasure.objects.exists()


@pytest.mark.parametrize("grade, lists, measure", [
    ("A", set(), "priority"), ("A", {"red_list"}, "tolerate"), ("B", {"red_list"}, "tolerate"), ("B", set(), None),
    ("C", set(), "strict"), ("D", set(), "strict"), ("B", {"court_enforcement"}, "strict"),
    ("A", {"black_list", "red_list"}, "refuse"),
])
def test_the_dmn_table(grade, lists, measure):
    assert approval_measure_code(grade, lists) == measure
