"""Scores per dataset and department, the ranking (赛马), and who may see them."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from zhengtong.data.catalog.public import dataset_create
from zhengtong.data.quality.public import dataset_quality, department_quality, quality_ranking
from zhengtong.kernel.loops.public import LoopMetrics

from .conftest import at, load_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

def test_dataset_quality_has_the_latest_load_per_rule_the_trend_and_open_problems(loaded, people):
    population = loaded["population"]
    quality = dataset_quality(actor=people.actor("ga_officer"), dataset_id=population.id)

    assert (quality.title, quality.resource_code, quality.owner_department.code, quality.allowed_days) == (
        "户籍人口基本信息", "330106-GA-00001", "330106-GA", 1
    )
    latest = quality.latest
    # 200 rows; 12 fail the ID check digit: validity 100 × (1 − 12/400) over its two rules.
    assert (latest.load_id, latest.version, latest.rows, latest.problem_rows, latest.problem_ratio) == (
        "L2", 2, 200, 12, 0.06
    )
    assert [(code, score) for code, _, score in latest.dimensions] == [
        ("completeness", Decimal("100.00")), ("validity", Decimal("97.00")), ("consistency", None),
        ("uniqueness", Decimal("100.00")), ("timeliness", Decimal("100.00")),
    ]
    assert (latest.overall, latest.on_time) == (Decimal("99.25"), True)
    assert [(r.code, r.dimension, r.failed, r.failed_ratio) for r in quality.rules] == [
        ("resident_id:id_number", "validity", 12, 0.06), ("mobile:mobile", "validity", 0, 0.0),
        ("required:name", "completeness", 0, 0.0), ("unique:id_number", "uniqueness", 0, 0.0),
    ]
    # L1: completeness 98 (4 of 200), validity 97, uniqueness 99 (2 of 200), timeliness 100.
    assert [(s.load_id, s.problem_ratio, s.overall) for s in quality.trend] == [
        ("L1", 0.08, Decimal("98.50")), ("L2", 0.06, Decimal("99.25")),
    ]
    assert [(p.rule_code, p.count, p.rows) for p in quality.open_problems] == [("resident_id:id_number", 12, 200)]
    # The same by public id.
    assert dataset_quality(actor=people.actor("ga_officer"), public_id=population.public_id) == quality


def test_department_quality_weighs_the_problem_ratio_by_rows_and_counts_the_loops(loaded, people, departments):
    quality = department_quality(actor=people.actor("ga_officer"), department_id=departments["330106-GA"].id)

    assert quality.department.code == "330106-GA"
    assert [(d.resource_code, d.latest.load_id, d.latest.overall, d.open_problems) for d in quality.datasets] == [
        ("330106-GA-00001", "L2", Decimal("99.25"), 1),
        # 800 rows, 4 bad mobiles; completeness, validity and timeliness: (100 + 99.5 + 100) / 3.
        ("330106-GA-00002", "F1", Decimal("99.83"), 1),
    ]
    # (12 + 4) problem rows of (200 + 800); the score is the mean of the two datasets'.
    assert (quality.rows, quality.problem_rows, quality.problem_ratio, quality.score) == (
        1000, 16, 0.016, Decimal("99.54")
    )
    # Loops: L1 opened three, F1 one; L2 closed two of them on the day they opened.
    assert quality.loops == LoopMetrics(total=4, open=2, closed=2, overdue=0, on_time_rate=1.0)
    assert [(p.dataset_title, p.rule_code, p.count) for p in quality.open_problems] == [
        ("户籍人口基本信息", "resident_id:id_number", 12), ("流动人口登记", "mobile:mobile", 4),
    ]


def test_a_department_without_loads_has_nothing_to_average(people, departments):
    quality = department_quality(actor=people.actor("sj_officer"), department_id=departments["330106-SJ"].id)
    assert (quality.datasets, quality.rows, quality.problem_ratio, quality.score, quality.open_problems) == (
        (), 0, None, None, ()
    )
    assert quality.loops == LoopMetrics(total=0, open=0, closed=0, overdue=0, on_time_rate=None)


def test_the_ranking_orders_departments_by_score(loaded, people):
    ranking = quality_ranking(actor=people.actor("hangzhou_dsj_admin"), division_code="330100")

    assert [(e.rank, e.department.code, e.score, e.problem_ratio, e.datasets, e.open_problems, e.on_time_rate)
            for e in ranking] == [
        (1, "330106-SJ", Decimal("100.00"), 0.0, 1, 0, None),
        (2, "330106-GA", Decimal("99.54"), 0.016, 2, 2, 1.0),
        # 50 of 100 names missing: completeness 50, timeliness 100.
        (3, "330108-GA", Decimal("75.00"), 0.5, 1, 1, None),
    ]


def test_the_ranking_of_a_county_has_its_departments_only_and_equal_ones_share_a_rank(
    loaded, people, departments, record
):
    admin = people.actor("xihu_dsj_admin")
    relief = dataset_create(
        actor=admin, title="低保对象", description="低保对象名单", owner_department_id=departments["330106-MZ"].id,
        share_type="conditional", open_type="not_open", update_cycle="monthly", sensitivity="L3",
    )
    record(load_payload(relief, load_id="R1", version=1, rows=500, problem_rows=0, rules={"required:name": 0}),
           at(date(2025, 9, 11)))

    ranking = quality_ranking(actor=admin, division_code="330106")

    assert [(e.rank, e.department.code, e.score) for e in ranking] == [
        (1, "330106-MZ", Decimal("100.00")), (1, "330106-SJ", Decimal("100.00")), (3, "330106-GA", Decimal("99.54")),
    ]


SEES_XIHU_GA = {
    "ga_officer": True, "ga_clerk": True, "sj_officer": False, "binjiang_ga_officer": False,
    "xihu_dsj_admin": True, "binjiang_dsj_admin": False, "hangzhou_dsj_admin": True, "hangzhou_leader": True,
    "ningbo_dsj_admin": False, "orphan_staff": False, "citizen": False,
}


@pytest.mark.parametrize("name", sorted(SEES_XIHU_GA))
def test_who_may_see_a_department_s_and_its_datasets_quality(loaded, people, departments, name):
    actor = people.actor(name)
    department_id = departments["330106-GA"].id
    if SEES_XIHU_GA[name]:
        assert department_quality(actor=actor, department_id=department_id).department.id == department_id
        assert dataset_quality(actor=actor, dataset_id=loaded["population"].id).latest.load_id == "L2"
    else:
        with pytest.raises(PermissionDenied):
            department_quality(actor=actor, department_id=department_id)
        with pytest.raises(PermissionDenied):
            dataset_quality(actor=actor, dataset_id=loaded["population"].id)


@pytest.mark.parametrize("name, division, allowed", [
    ("hangzhou_dsj_admin", "330100", True),
    ("hangzhou_leader", "330100", True),
    ("hangzhou_dsj_admin", "330106", True),
    ("xihu_dsj_admin", "330106", True),
    ("xihu_dsj_admin", "330100", False),  # a county bureau does not rank the city
    ("ga_officer", "330106", False),  # a department's own staff see their department, not the race
    ("ningbo_dsj_admin", "330100", False),
    ("orphan_staff", "330100", False),
    ("citizen", "330100", False),
])
def test_who_may_see_the_ranking(loaded, people, name, division, allowed):
    if allowed:
        assert quality_ranking(actor=people.actor(name), division_code=division)
    else:
        with pytest.raises(PermissionDenied):
            quality_ranking(actor=people.actor(name), division_code=division)


def test_unknown_datasets_and_departments_are_lookup_errors(people):
    admin = people.actor("hangzhou_dsj_admin")
    with pytest.raises(LookupError):
        dataset_quality(actor=admin, dataset_id=999_999)
    with pytest.raises(LookupError):
        department_quality(actor=admin, department_id=999_999)
