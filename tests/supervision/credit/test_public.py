"""The contract supervision codes against: credit_classes and credit_class_set."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.supervision.credit.conftest import resident, uscc
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.supervision.credit import selectors
from zhengtong.supervision.credit.models import CreditGrade
from zhengtong.supervision.credit.public import credit_class_set, credit_classes

pytestmark = pytest.mark.django_db


def test_a_subject_without_grade_is_b():
    assert credit_classes([uscc(5), resident(7)]) == {uscc(5): "B", resident(7): "B"}


def test_set_grades_of_companies_and_persons_are_read_back():
    credit_class_set(uscc(5), "D", reason="测试")
    credit_class_set(resident(7), "a", reason="测试")
    assert credit_classes([uscc(5), resident(7), uscc(6)]) == {uscc(5): "D", resident(7): "A", uscc(6): "B"}
    grade = CreditGrade.objects.get(subject_key=f"C:{uscc(5)}", current=True)
    assert (grade.manual, grade.reason, grade.score) == (True, "测试", None)
    # A person's resident ID is not stored: the key is a blind index.
    assert not CreditGrade.objects.filter(subject_key__contains=resident(7)).exists()
    assert LedgerLeaf.objects.filter(kind="credit.grade_set").count() == 2


def test_setting_again_keeps_the_history_and_one_current_grade():
    credit_class_set(uscc(5), "D", reason="第一次")
    credit_class_set(uscc(5), "C", reason="第二次")
    assert credit_classes([uscc(5)]) == {uscc(5): "C"}
    rows = CreditGrade.objects.filter(subject_key=f"C:{uscc(5)}").order_by("id")
    assert [(r.grade, r.current) for r in rows] == [("D", False), ("C", True)]


@pytest.mark.parametrize("identifier, klass, reason", [
    ("91330106MA0000001X", "A", "x"),  # wrong check character
    (uscc(5), "E", "x"),
    (uscc(5), "A", "  "),
])
def test_bad_input_is_refused_and_nothing_changes(identifier, klass, reason):
    with pytest.raises(ValidationError):
        credit_class_set(identifier, klass, reason=reason)
    assert not CreditGrade.objects.exists()


def test_many_identifiers_cost_one_query_per_chunk(monkeypatch):
    monkeypatch.setattr(selectors, "CLASSES_CHUNK", 100)
    credit_class_set(uscc(3), "A", reason="测试")
    identifiers = [uscc(n) for n in range(250)]
    with CaptureQueriesContext(connection) as queries:
        classes = credit_classes(identifiers)
    assert len(queries) == 3
    assert classes[uscc(3)] == "A" and classes[uscc(4)] == "B" and len(classes) == 250
