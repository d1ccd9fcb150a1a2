"""Records, evaluation, measures, repair and expiry of 公共信用, through the services."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.supervision.credit.conftest import CITIZEN_ID, COMPANY_USCC, uscc
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.supervision.credit import selectors, services
from zhengtong.supervision.credit.evaluation import credit_model, evaluate_counts
from zhengtong.supervision.credit.measures import measure_create
from zhengtong.supervision.credit.models import CreditGrade, CreditRecord, JointMeasure, RecordState, RepairRequest
from zhengtong.supervision.credit.public import credit_class_set, credit_classes, credit_evaluate
from zhengtong.data.exchange.public import subject_ref

pytestmark = pytest.mark.usefixtures("measures")

BASIS = "《中华人民共和国行政处罚法》第九条"


def file(people, who="sj_officer", *, identifier=COMPANY_USCC, kind="company", category="penalty", **extra):
    extra.setdefault("decided_on", date(2026, 1, 10))
    return services.credit_record_file(
        actor=people.actor(who) if who else None, subject_kind=kind, identifier=identifier, name="杭州信用测试有限公司",
        category=category, title="未按规定公示年度报告", legal_basis=extra.pop("legal_basis", BASIS), **extra)


# --- records --------------------------------------------------------------------------------------


def test_a_record_is_filed_with_its_period_ledger_entry_and_grade(people):
    record = file(people)
    assert (record.category, record.department.code, record.created_by) == (
        "penalty", "330106-SJ", f"staff:{people.users['sj_officer'].pk}")
    assert (record.publish_min_until, record.publish_max_until) == (date(2026, 4, 10), date(2029, 1, 10))
    leaf = LedgerLeaf.objects.get(public_id=record.ledger_leaf_id)
    assert (leaf.kind, leaf.subject) == ("credit.record_filed", subject_ref("company", COMPANY_USCC))
    assert credit_classes([COMPANY_USCC]) == {COMPANY_USCC: "B"}  # 100 − 15 = 85


def test_work_safety_penalties_stay_published_a_year_at_least(people):
    record = file(people, domain="work_safety")
    assert record.publish_min_until == date(2027, 1, 10)


def test_a_person_record_keeps_the_resident_id_encrypted(people):
    record = file(people, identifier=CITIZEN_ID, kind="person")
    assert CreditRecord.objects.get(pk=record.pk).subject_identifier == CITIZEN_ID
    assert not CreditRecord.objects.filter(subject_key__contains=CITIZEN_ID).exists()
    assert record.registry_id == ""  # not in the registry in these tests


@pytest.mark.parametrize("change, field", [
    ({"legal_basis": "  "}, "legal_basis"),
    ({"category": "rumour"}, "category"),
    ({"identifier": "91330106MA00000010"}, "identifier"),
    ({"category": "tax_credit"}, "level"),
])
def test_a_record_without_basis_or_with_bad_fields_is_refused(people, change, field):
    with pytest.raises(ValidationError) as error:
        file(people, **change)
    assert field in error.value.message_dict
    assert not CreditRecord.objects.exists() and not CreditGrade.objects.exists()


def test_citizens_and_other_departments_cannot_file(people):
    with pytest.raises(PermissionDenied):
        file(people, "citizen")
    with pytest.raises(PermissionDenied):
        file(people, department_id=people.actor("sw_officer").department_id)
    assert not CreditRecord.objects.exists()


def test_records_are_scoped(people):
    file(people)
    file(people, "sw_officer", category="tax_credit", level="A")
    key = f"C:{COMPANY_USCC}"
    assert [r.category for r in selectors.record_list(actor=people.actor("sj_officer"), subject_key=key)] == ["penalty"]
    assert len(selectors.record_list(actor=people.actor("credit_officer"), subject_key=key)) == 2
    company = people.actor("company")
    assert len(selectors.record_list(actor=company, subject_key=key, own_keys=services._own_keys(company))) == 2
    with pytest.raises(PermissionDenied):
        selectors.record_list(actor=people.actor("citizen"), subject_key=key,
                              own_keys=services._own_keys(people.actor("citizen")))


# --- evaluation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("records, grade, score", [
    ([], "A", 100),
    ([("penalty", {})], "B", 85),
    ([("penalty", {}), ("penalty", {})], "B", 70),
    ([("penalty", {"serious": True})], "C", 60),
    ([("penalty", {"serious": True}), ("court_enforcement", {})], "D", 20),
    ([("black_list", {})], "D", 100),
    ([("red_list", {}), ("honour", {})], "A", 110),
    ([("tax_credit", {"level": "D"})], "B", 70),
    ([("tax_credit", {"level": "A"}), ("penalty", {}), ("penalty", {})], "B", 75),
    ([("licensing", {})], "A", 100),
])
def test_each_rule_of_the_model(people, records, grade, score):
    for category, extra in records:
        file(people, category=category, **extra)
    result = credit_evaluate(COMPANY_USCC)
    assert (result.grade, result.score) == (grade, score)
    # The set-based evaluation of everyone agrees with the one-subject evaluation.
    if records:
        services.credit_evaluate_all()
        current = CreditGrade.objects.get(subject_key=f"C:{COMPANY_USCC}", current=True)
        assert (current.grade, current.score, current.manual) == (grade, score, False)
        assert {k: v for k, v in current.counts.items() if v} == result.counts


def test_tax_d_alone_gives_70_which_is_b():
    result = evaluate_counts(credit_model(), "company", {"tax_d": 1})
    assert (result.grade, result.score) == ("B", 70)


def test_reasons_explain_each_contribution_in_chinese(people):
    file(people, serious=True)
    file(people, category="black_list")
    file(people, category="red_list")
    result = credit_evaluate(COMPANY_USCC)
    assert [r.text for r in result.reasons] == [
        "情节严重的行政处罚1条：-40分", "严重失信主体名单1条：等级不高于D级", "红名单1条：+5分"]
    assert (result.grade, result.score, result.lists) == ("D", 65, ("black_list", "red_list"))


def test_evaluate_all_grades_many_subjects_in_a_fixed_number_of_statements(people, django_assert_max_num_queries):
    for n in range(1, 6):
        file(people, identifier=uscc(n), serious=n % 2 == 0)
    CreditGrade.objects.all().delete()
    with django_assert_max_num_queries(9):  # a savepoint, its release and six or seven statements
        assert services.credit_evaluate_all() == 5
    assert credit_classes([uscc(1), uscc(2)]) == {uscc(1): "B", uscc(2): "C"}
    # Again: nothing changed, nothing is written.
    assert services.credit_evaluate_all() == 0
    assert CreditGrade.objects.count() == 5
    # A grade set by hand, and a record removed behind the evaluation's back: both re-graded, the
    # old grades kept as history, one current grade each.
    credit_class_set(uscc(1), "D", reason="测试")
    CreditRecord.objects.filter(subject_key=f"C:{uscc(2)}").update(state=RecordState.EXPIRED)
    assert services.credit_evaluate_all() == 2
    assert credit_classes([uscc(1), uscc(2), uscc(3)]) == {uscc(1): "B", uscc(2): "A", uscc(3): "B"}
    assert CreditGrade.objects.filter(current=True).count() == 5
    assert CreditGrade.objects.count() == 8


def test_the_model_file_is_a_setting(people, settings, tmp_path):
    model = tmp_path / "model.json"
    model.write_text('{"version": "t", "start": {"company": 50, "person": 50}, "thresholds": {"A": 90, "B": 70, '
                     '"C": 40}, "indicators": [{"code": "p", "name": "处罚", "category": "penalty", "points": -20}]}',
                     encoding="utf-8")
    settings.CREDIT_MODEL = str(model)
    file(people)
    result = credit_evaluate(COMPANY_USCC)
    assert (result.grade, result.score, result.model_version) == ("D", 30, "t")


# --- measures -----------------------------------------------------------------------------------


def test_the_domain_measures_are_seeded_with_their_bases(db):
    measures = {m.code: m for m in JointMeasure.objects.all()}
    assert {"priority", "tolerate", "strict", "refuse", "key_supervision"} <= set(measures)
    assert "国发〔2016〕33号" in measures["priority"].legal_basis
    assert "国办发〔2020〕49号" in measures["refuse"].legal_basis
    assert measures["refuse"].name == "不予办理" and measures["refuse"].outcome == "refuse"


def test_a_measure_without_basis_is_refused(db):
    with pytest.raises(ValidationError) as error:
        measure_create(actor=None, code="x", name="无依据措施", kind="punishment", scenes="approval", legal_basis=" ")
    assert error.value.message_dict["legal_basis"] == ["联合奖惩措施必须注明法律依据：法律、法规或中央政策文件。"]
    assert not JointMeasure.objects.filter(code="x").exists()


# --- repair and expiry ----------------------------------------------------------------------------


def test_repair_before_the_minimum_is_refused_naming_the_date(people):
    record = file(people)
    with pytest.raises(ValidationError) as error:
        services.repair_apply(actor=people.actor("company"), record_id=record.public_id, proof="已整改",
                              today=date(2026, 4, 9))
    assert "2026-04-10" in str(error.value)
    assert not RepairRequest.objects.exists()


def test_repair_applied_and_approved_by_the_source_department(people):
    record = file(people, serious=True)
    assert credit_classes([COMPANY_USCC]) == {COMPANY_USCC: "C"}
    request = services.repair_apply(actor=people.actor("company"), record_id=record.public_id,
                                    proof="已补报年度报告，附回执", today=date(2026, 4, 10))
    with pytest.raises(PermissionDenied):
        services.repair_decide(actor=people.actor("sw_officer"), request_id=request.public_id, approve=True)
    with pytest.raises(PermissionDenied):  # someone else's record
        services.repair_apply(actor=people.actor("citizen"), record_id=record.public_id, proof="x",
                              today=date(2026, 5, 1))
    services.repair_decide(actor=people.actor("sj_officer"), request_id=request.public_id, approve=True, note="核实")
    record.refresh_from_db()
    assert record.state == RecordState.REPAIRED
    assert credit_classes([COMPANY_USCC]) == {COMPANY_USCC: "A"}


def test_records_expire_at_the_maximum_and_subjects_are_re_evaluated(people):
    old = file(people, decided_on=date(2023, 1, 10))
    recent = file(people, decided_on=date(2026, 1, 10))
    assert credit_classes([COMPANY_USCC]) == {COMPANY_USCC: "B"}  # 70
    assert services.credit_records_expire(date(2026, 1, 9)) == 0
    assert services.credit_records_expire(date(2026, 1, 10)) == 1
    old.refresh_from_db(), recent.refresh_from_db()
    assert (old.state, recent.state) == (RecordState.EXPIRED, RecordState.PUBLISHED)
    assert CreditGrade.objects.get(subject_key=f"C:{COMPANY_USCC}", current=True).score == 85
    assert LedgerLeaf.objects.filter(kind="credit.record_expired").count() == 1
    assert services.credit_records_expire(date(2026, 1, 10)) == 0


def test_the_credit_command_evaluates_and_expires(people):
    from io import StringIO

    from django.core.management import call_command

    file(people, decided_on=date(2023, 1, 10))
    CreditGrade.objects.all().delete()
    out = StringIO()
    call_command("credit", "evaluate", stdout=out)
    assert out.getvalue().startswith("1 subjects graded with credit model 2026.1")
    call_command("credit", "expire", "--today", "2026-01-10", stdout=out)
    assert "1 records removed" in out.getvalue()
    assert credit_classes([COMPANY_USCC]) == {COMPANY_USCC: "A"}
