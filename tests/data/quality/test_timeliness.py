"""Timeliness: a dataset loaded less often than its update cycle says gets a loop; a fresh load
closes it. Loads are recorded through the service at chosen times (the event path is the same
function, see test_problem_loops)."""

from datetime import date
from decimal import Decimal

import pytest

from zhengtong.data.catalog import services as catalog_services
from zhengtong.data.catalog.models import Dataset
from zhengtong.data.quality.models import ProblemLoop, QualitySnapshot
from zhengtong.data.quality.public import quality_check_timeliness
from zhengtong.kernel.loops.models import Case, CaseTransition

from .conftest import at, load_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def clean_load(dataset, load_id: str, version: int) -> dict:
    return load_payload(dataset, load_id=load_id, version=version, rows=10, problem_rows=0, rules={"required:name": 0})


def timeliness_loops(dataset) -> list[tuple]:
    return list(
        ProblemLoop.objects.filter(dataset_id=dataset.id, rule_code="timeliness").order_by("id")
        .values_list("count", "closed_at", "resolution")
    )


def test_a_late_daily_dataset_gets_one_loop_and_a_fresh_load_closes_it(record, clock, population, departments):
    record(clean_load(population, "L1", 1), at(date(2025, 9, 10)))

    # A daily dataset loaded on 10 September is on time on the 11th, late on the 12th.
    assert quality_check_timeliness(date(2025, 9, 11)) == 0
    assert timeliness_loops(population) == []
    assert quality_check_timeliness(date(2025, 9, 12)) == 1

    problem = ProblemLoop.objects.get(rule_code="timeliness")
    assert (problem.count, problem.rule_kind, problem.department.code, problem.opened_load_id) == (
        2, "timeliness", "330106-GA", "L1"
    )
    case = Case.objects.get(public_id=problem.case_id)
    assert (case.kind, case.state, case.subject_ref) == (
        "problem_data", "assigned", f"catalog.Dataset:{population.public_id}#timeliness"
    )
    assert case.title == "户籍人口基本信息 逾期未更新：2025-09-10 以来没有加载"
    assert case.description == (
        "户籍人口基本信息（330106-GA-00001）应至少每 1 天加载一次；最近一次成功加载（L1）在 2025-09-10，已过去 2 天。\n"
        "请加载最新数据：下一次成功加载后，本案件自动办结。"
    )

    # Run again the same day: nothing changes; a day later the loop counts one more day.
    assert quality_check_timeliness(date(2025, 9, 12)) == 0
    assert quality_check_timeliness(date(2025, 9, 13)) == 0
    assert [row[0] for row in timeliness_loops(population)] == [3]
    assert Case.objects.count() == 1

    clock.today = date(2025, 9, 13)
    snapshot = record(clean_load(population, "L2", 2), at(date(2025, 9, 13)))

    [(count, closed_at, resolution)] = timeliness_loops(population)
    assert (count, closed_at is not None, resolution) == (3, True, "data")
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("closed", "resolved")
    assert CaseTransition.objects.filter(case=case).order_by("id").last().note == (
        "加载批次 L2（版本 2）已将数据集更新到位。"
    )
    # The load itself came three days after the one before: late, so it scores 0 for timeliness.
    assert (snapshot.on_time, snapshot.timeliness, snapshot.overall) == (False, Decimal("0.00"), Decimal("50.00"))
    assert quality_check_timeliness(date(2025, 9, 14)) == 0


def test_each_cycle_has_its_allowance_and_irregular_datasets_are_never_late(record, make_dataset):
    weekly = make_dataset("周报", update_cycle="weekly")
    irregular = make_dataset("不定期", update_cycle="irregular")
    record(clean_load(weekly, "W1", 1), at(date(2025, 9, 1)))
    record(clean_load(irregular, "I1", 1), at(date(2025, 1, 1)))

    assert quality_check_timeliness(date(2025, 9, 8)) == 0
    assert quality_check_timeliness(date(2025, 9, 9)) == 1
    assert [(row[0], row[2]) for row in timeliness_loops(weekly)] == [(8, "")]
    assert timeliness_loops(irregular) == []
    assert QualitySnapshot.objects.get(load_id="I1").on_time is None


def test_a_dataset_whose_cycle_changes_or_that_is_retired_is_no_longer_late(record, people, make_dataset):
    monthly = make_dataset("月报", update_cycle="daily")
    record(clean_load(monthly, "M1", 1), at(date(2025, 9, 1)))
    assert quality_check_timeliness(date(2025, 9, 5)) == 1

    # The department corrects the catalog: the data is monthly.
    catalog_services.dataset_update(
        actor=people.actor("ga_officer"), dataset=Dataset.objects.get(pk=monthly.id), update_cycle="monthly"
    )
    assert quality_check_timeliness(date(2025, 9, 5)) == 1
    [(count, closed_at, resolution)] = timeliness_loops(monthly)
    assert (closed_at is not None, resolution) == (True, "data")
    assert CaseTransition.objects.order_by("id").last().note == "数据集已不再逾期（更新周期已调整，或数据集已停用）。"

    # Back to daily, late again, then retired: a retired dataset is expected to load no more.
    officer = people.actor("ga_officer")
    catalog_services.dataset_update(actor=officer, dataset=Dataset.objects.get(pk=monthly.id), update_cycle="daily")
    assert quality_check_timeliness(date(2025, 9, 5)) == 1
    catalog_services.dataset_retire(actor=officer, dataset=Dataset.objects.get(pk=monthly.id), reason="停用")
    assert quality_check_timeliness(date(2025, 9, 5)) == 1
    assert [(row[1] is not None, row[2]) for row in timeliness_loops(monthly)] == [(True, "data"), (True, "data")]
    assert quality_check_timeliness(date(2025, 9, 6)) == 0


def test_a_delayed_event_of_an_older_load_leaves_the_loops_to_the_newer_load(record, population):
    record(load_payload(population, load_id="L2", version=2, rows=10, problem_rows=1, rules={"required:name": 1}),
           at(date(2025, 9, 10)))
    # Load 1's event arrives after load 2's (a delivery that was retried): it still has a snapshot,
    # but its clean result must not close the problem that the newer load still has.
    older = record(clean_load(population, "L1", 1), at(date(2025, 9, 9)))

    assert (older.load_id, older.problem_rows) == ("L1", 0)
    assert list(ProblemLoop.objects.values_list("rule_code", "count", "closed_at")) == [("required:name", 1, None)]
    assert list(QualitySnapshot.objects.order_by("loaded_at").values_list("load_id", flat=True)) == ["L1", "L2"]
