"""The scoring rules, checked by hand: which dimension a rule measures, scores, update cycles."""

from datetime import date
from decimal import Decimal

from zhengtong.data.catalog.public import RuleKind
from zhengtong.data.quality.scoring import DIMENSION_OF_KIND, days_late, dimension_scores


def test_every_row_rule_kind_has_a_dimension_and_timeliness_is_quality_s_own():
    assert set(DIMENSION_OF_KIND) == set(RuleKind.values) - {"timeliness"}
    assert {kind: DIMENSION_OF_KIND[kind] for kind in ("required", "unique", "consistency", "reference", "mobile")} == {
        "required": "completeness", "unique": "uniqueness", "consistency": "consistency",
        "reference": "consistency", "mobile": "validity",
    }


def test_scores_of_a_load_by_hand():
    scores = dimension_scores(
        rows=200,
        failures=[("required", 4), ("resident_id", 10), ("mobile", 0), ("unique", 2), ("timeliness", 1)],
        on_time=True,
    )
    # completeness 100 × (1 − 4/200); validity 100 × (1 − 10/400), the mean of its two rules;
    # uniqueness 100 × (1 − 2/200); no consistency rule; overall (98 + 97.5 + 99 + 100) / 4.
    assert scores == {
        "completeness": Decimal("98.00"), "validity": Decimal("97.50"), "consistency": None,
        "uniqueness": Decimal("99.00"), "timeliness": Decimal("100.00"), "overall": Decimal("98.63"),
    }


def test_a_late_load_scores_zero_for_timeliness_and_an_irregular_one_none():
    late = dimension_scores(rows=10, failures=[("required", 0)], on_time=False)
    assert (late["timeliness"], late["overall"]) == (Decimal("0.00"), Decimal("50.00"))
    irregular = dimension_scores(rows=10, failures=[("required", 5)], on_time=None)
    assert (irregular["timeliness"], irregular["overall"]) == (None, Decimal("50.00"))


def test_an_empty_load_scores_no_row_dimension_and_failures_never_exceed_the_rows():
    empty = dimension_scores(rows=0, failures=[("required", 0), ("unique", 0)], on_time=True)
    assert empty == {
        "completeness": None, "validity": None, "consistency": None, "uniqueness": None,
        "timeliness": Decimal("100.00"), "overall": Decimal("100.00"),
    }
    assert dimension_scores(rows=3, failures=[("unique", 7)], on_time=None)["uniqueness"] == Decimal("0.00")
    assert dimension_scores(rows=0, failures=[], on_time=None)["overall"] is None


def test_days_late_against_each_update_cycle():
    loaded = date(2025, 9, 1)
    assert [days_late("daily", loaded, date(2025, 9, day)) for day in (1, 2, 3, 5)] == [0, 0, 1, 3]
    assert days_late("realtime", loaded, date(2025, 9, 3)) == 1
    assert [days_late("weekly", loaded, date(2025, 9, day)) for day in (8, 9)] == [0, 1]
    assert [days_late("monthly", loaded, date(2025, 10, day)) for day in (2, 3)] == [0, 1]
    assert [days_late("quarterly", loaded, day) for day in (date(2025, 12, 2), date(2025, 12, 3))] == [0, 1]
    assert [days_late("yearly", loaded, day) for day in (date(2026, 9, 2), date(2026, 9, 3))] == [0, 1]
    assert days_late("irregular", loaded, date(2030, 1, 1)) == 0
