"""Problem loops (首问责任制): a load's problems become loops for the owner department, through the
real event queue; a later load without the problem closes its loop.

These tests use transaction=True: the worker runs the handlers after a real commit.
"""

from datetime import date

import pytest
from django.utils import translation
from zhengtong.data.catalog.public import RuleKind
from zhengtong.data.quality.models import ProblemLoop, QualitySnapshot, RuleResult
from zhengtong.kernel.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from zhengtong.kernel.events.services import deliveries_retry
from zhengtong.kernel.loops import public as loops
from zhengtong.kernel.loops.models import Case, CaseTransition

from .conftest import load_payload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clock")]

# The catalog's label of the rule kind, in Chinese (the catalog's own catalogue translates it).
with translation.override("zh-hans"):
    RESIDENT_ID_LABEL = str(RuleKind.RESIDENT_ID.label)

DIRTY = {"required:name": 4, "resident_id:id_number": 12, "mobile:mobile": 0, "unique:id_number": 2}


def problems(dataset) -> dict[str, tuple]:
    return {
        problem.rule_code: (problem.count, problem.is_open, problem.resolution)
        for problem in ProblemLoop.objects.filter(dataset_id=dataset.id)
    }


def case_of(dataset, code: str, *, open_only: bool = True) -> Case:
    problem = ProblemLoop.objects.filter(dataset_id=dataset.id, rule_code=code)
    if open_only:
        problem = problem.filter(closed_at__isnull=True)
    return Case.objects.get(public_id=problem.order_by("-id").first().case_id)


def state() -> tuple:
    """Everything a repeated event must leave as it was."""
    return (
        list(QualitySnapshot.objects.order_by("id").values()),
        list(RuleResult.objects.order_by("id").values()),
        list(ProblemLoop.objects.order_by("id").values()),
        list(Case.objects.order_by("id").values()),
        CaseTransition.objects.count(),
        OutboxEvent.objects.count(),
    )


def test_a_dirty_load_opens_one_loop_per_failing_rule_for_the_owner_department(
    announce, population, departments
):
    announce(load_payload(population, load_id="L1", version=1, rows=200, problem_rows=16, rules=DIRTY))

    assert problems(population) == {
        "required:name": (4, True, ""), "resident_id:id_number": (12, True, ""), "unique:id_number": (2, True, ""),
    }
    case = case_of(population, "resident_id:id_number")
    # Reported by the system straight to the owner: ten working days of handling from Monday 15
    # September, the tenth being Sunday 28 September, a swapped workday (调休) before National Day.
    assert (case.kind, case.state, case.step, case.step_due) == ("problem_data", "assigned", "handle", date(2025, 9, 28))
    assert (case.assignee_department.code, case.reporter_id, case.reporting_department_id) == ("330106-GA", None, None)
    assert case.subject_ref == f"catalog.Dataset:{population.public_id}#resident_id:id_number"
    # Stored in the platform's language, Chinese, for the department's staff.
    assert case.title == "户籍人口基本信息 问题数据：id_number 不符合“有效性：公民身份号码校验位”"
    assert case.description == (
        "户籍人口基本信息（330106-GA-00001）加载批次 L1（版本 1）的 200 行中有 12 行不符合规则 "
        "resident_id:id_number（{rule_label}，字段 id_number）。\n"
        "请在源头更正数据后重新加载：加载的数据不再有此问题时，本案件自动办结。"
    ).format(rule_label=RESIDENT_ID_LABEL)
    snapshot = QualitySnapshot.objects.get()
    assert (snapshot.load_id, snapshot.version, snapshot.rows, snapshot.problem_rows, snapshot.problem_ratio) == (
        "L1", 1, 200, 16, 0.08
    )
    assert [(r.code, r.dimension, r.failed) for r in snapshot.rule_results.all()] == [
        ("mobile:mobile", "validity", 0), ("required:name", "completeness", 4),
        ("resident_id:id_number", "validity", 12), ("unique:id_number", "uniqueness", 2),
    ]
    assert EventDelivery.objects.filter(handler__startswith="zhengtong.data.quality").exclude(
        status=DeliveryStatus.DELIVERED
    ).count() == 0


def test_the_same_event_delivered_twice_changes_nothing_the_second_time(announce, run_worker, population):
    event_id = announce(load_payload(population, load_id="L1", version=1, rows=200, problem_rows=16, rules=DIRTY))
    before = state()

    # At-least-once delivery: the very same event once more, as after a crash before the mark…
    delivery = EventDelivery.objects.get(event_id=event_id, handler__endswith="quality.handlers.on_load_succeeded")
    EventDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, delivered_at=None)
    assert deliveries_retry(delivery_ids=[delivery.pk]) == 1
    run_worker()
    assert EventDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED
    assert state() == before

    # …and the same load announced a second time by a retried publisher.
    announce(load_payload(population, load_id="L1", version=1, rows=200, problem_rows=16, rules=DIRTY))
    after = state()
    assert after[:5] == before[:5]
    assert after[5] == before[5] + 1  # only the second announcement itself


def test_a_load_that_still_has_the_problem_updates_the_open_loop(announce, clock, population):
    announce(load_payload(population, load_id="L1", version=1, rows=200, problem_rows=16, rules=DIRTY))
    case = case_of(population, "resident_id:id_number")
    history_before = CaseTransition.objects.filter(case=case).count()

    clock.today = date(2025, 9, 17)
    announce(load_payload(population, load_id="L2", version=2, rows=210, problem_rows=5,
                          rules={**DIRTY, "required:name": 0, "resident_id:id_number": 3}))

    assert problems(population)["resident_id:id_number"] == (3, True, "")
    problem = ProblemLoop.objects.get(case_id=case.public_id)
    assert (problem.first_count, problem.rows, problem.opened_load_id, problem.last_load_id) == (12, 210, "L1", "L2")
    # The same case, its history untouched: the count lives with quality.
    assert case_of(population, "resident_id:id_number").pk == case.pk
    assert CaseTransition.objects.filter(case=case).count() == history_before
    assert Case.objects.filter(kind="problem_data").count() == 3


def test_fixing_the_data_and_reloading_closes_the_loop_on_time(announce, clock, people, population):
    announce(load_payload(population, load_id="L1", version=1, rows=200, problem_rows=16, rules=DIRTY))
    case = case_of(population, "resident_id:id_number")

    clock.today = date(2025, 9, 22)
    announce(load_payload(population, load_id="L2", version=2, rows=200, problem_rows=0,
                          rules={code: 0 for code in DIRTY}))

    assert problems(population) == {
        "required:name": (4, False, "data"), "resident_id:id_number": (12, False, "data"),
        "unique:id_number": (2, False, "data"),
    }
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("closed", "resolved")
    last = CaseTransition.objects.filter(case=case).order_by("id").last()
    assert (last.action, last.from_state, last.on_time, last.actor_user_id) == ("close", "assigned", True, None)
    assert last.note == "加载批次 L2（版本 2）已没有不符合规则 resident_id:id_number 的行：问题已整改。"
    assert ProblemLoop.objects.get(case_id=case.public_id).closed_load_id == "L2"
    assert OutboxEvent.objects.filter(name="loops.case_resolved").count() == 3
    metrics = loops.loop_metrics(actor=people.actor("ga_officer"), kind="problem_data")
    assert (metrics.total, metrics.open, metrics.closed, metrics.on_time_rate) == (3, 0, 3, 1.0)


def test_a_problem_that_comes_back_opens_a_new_loop(announce, clock, population):
    announce(load_payload(population, load_id="L1", version=1, rows=100, problem_rows=1,
                          rules={"required:name": 1}))
    announce(load_payload(population, load_id="L2", version=2, rows=100, problem_rows=0,
                          rules={"required:name": 0}))
    first = case_of(population, "required:name", open_only=False)

    announce(load_payload(population, load_id="L3", version=3, rows=100, problem_rows=2,
                          rules={"required:name": 2}))

    second = case_of(population, "required:name")
    assert second.pk != first.pk
    assert (Case.objects.get(pk=first.pk).state, second.state) == ("closed", "assigned")
    assert list(ProblemLoop.objects.filter(dataset_id=population.id).order_by("id").values_list(
        "count", "resolution", "opened_load_id", "closed_load_id"
    )) == [(1, "data", "L1", "L2"), (2, "", "L3", "")]


def test_a_rule_no_longer_checked_closes_its_loop(announce, population):
    announce(load_payload(population, load_id="L1", version=1, rows=100, problem_rows=3,
                          rules={"required:name": 1, "enum:gender": 2}))
    case = case_of(population, "enum:gender")

    announce(load_payload(population, load_id="L2", version=2, rows=100, problem_rows=1,
                          rules={"required:name": 1}))

    assert problems(population) == {"required:name": (1, True, ""), "enum:gender": (2, False, "data")}
    assert CaseTransition.objects.filter(case=case).order_by("id").last().note == (
        "加载批次 L2（版本 2）已不再按规则 enum:gender 检查：该问题不再适用。"
    )


def test_a_loop_closed_by_people_is_let_go_and_a_later_dirty_load_opens_a_new_one(
    announce, run_worker, clock, people, population
):
    announce(load_payload(population, load_id="L1", version=1, rows=100, problem_rows=1, rules={"required:name": 1}))
    case = case_of(population, "required:name")

    # The department answers; a big-data administrator (the verifying side of a system report)
    # accepts the answer and closes the loop.
    officer = people.actor("ga_officer")
    loops.case_accept(actor=officer, case=case.public_id)
    loops.case_respond(actor=officer, case=case.public_id, response="已在源系统补录姓名。")
    admin = people.actor("xihu_dsj_admin")
    loops.case_verify(actor=admin, case=case.public_id, accepted=True)
    loops.case_close(actor=admin, case=case.public_id)
    run_worker()  # the close event reaches quality
    assert problems(population) == {"required:name": (1, False, "people")}

    announce(load_payload(population, load_id="L2", version=2, rows=100, problem_rows=1, rules={"required:name": 1}))

    assert Case.objects.filter(kind="problem_data", state="assigned").count() == 1
    assert case_of(population, "required:name").pk != case.pk


def test_a_reopened_loop_is_tracked_again_and_the_next_clean_load_closes_it(
    announce, run_worker, clock, people, population
):
    announce(load_payload(population, load_id="L1", version=1, rows=100, problem_rows=1, rules={"required:name": 1}))
    announce(load_payload(population, load_id="L2", version=2, rows=100, problem_rows=0, rules={"required:name": 0}))
    case = case_of(population, "required:name", open_only=False)

    # The verifying side finds the data still wrong at its source and reopens the loop.
    loops.case_reopen(actor=people.actor("xihu_dsj_admin"), case=case.public_id, reason="源系统仍有空姓名")
    run_worker()
    assert problems(population) == {"required:name": (1, True, "")}

    announce(load_payload(population, load_id="L3", version=3, rows=100, problem_rows=0, rules={"required:name": 0}))

    case.refresh_from_db()
    assert (case.state, case.outcome) == ("closed", "resolved")
    assert problems(population) == {"required:name": (1, False, "data")}


def test_a_loop_passed_on_to_another_department_follows_it(announce, run_worker, people, departments, population):
    announce(load_payload(population, load_id="L1", version=1, rows=100, problem_rows=1, rules={"required:name": 1}))
    case = case_of(population, "required:name")

    # The names come from civil affairs: the big-data administrator passes the loop on (转办).
    loops.case_assign(actor=people.actor("xihu_dsj_admin"), case=case.public_id,
                      department_id=departments["330106-MZ"].id)
    run_worker()

    assert ProblemLoop.objects.get(case_id=case.public_id).department.code == "330106-MZ"


def test_events_of_other_loop_kinds_are_ignored(run_worker, people, departments, population):
    before = state()
    case = loops.case_report(actor=people.actor("ga_officer"), kind="assistance", title="协办",
                             assignee_department_id=departments["330106-MZ"].id)
    loops.case_resolve_by_system(case=case, note="不再需要")
    run_worker()
    assert state()[:3] == before[:3]
    assert not EventDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
