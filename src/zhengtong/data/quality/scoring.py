"""How quality is scored: which dimension each rule kind measures, the update cycles' allowances,
and the 0-100 scores. Pure functions, so the numbers are easy to check by hand."""

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from zhengtong.data.catalog.public import RuleKind

from .models import Dimension

# Which dimension a rule kind measures. Timeliness is not a row rule: quality judges it from the
# dates of the loads against the dataset's update cycle.
DIMENSION_OF_KIND: dict[str, str] = {
    RuleKind.REQUIRED: Dimension.COMPLETENESS,
    RuleKind.PATTERN: Dimension.VALIDITY,
    RuleKind.ENUM: Dimension.VALIDITY,
    RuleKind.RANGE: Dimension.VALIDITY,
    RuleKind.DATE: Dimension.VALIDITY,
    RuleKind.RESIDENT_ID: Dimension.VALIDITY,
    RuleKind.USCC: Dimension.VALIDITY,
    RuleKind.MOBILE: Dimension.VALIDITY,
    RuleKind.DIVISION_CODE: Dimension.VALIDITY,
    RuleKind.CONSISTENCY: Dimension.CONSISTENCY,
    RuleKind.REFERENCE: Dimension.CONSISTENCY,
    RuleKind.UNIQUE: Dimension.UNIQUENESS,
}
ROW_DIMENSIONS = (Dimension.COMPLETENESS, Dimension.VALIDITY, Dimension.CONSISTENCY, Dimension.UNIQUENESS)

# How many calendar days may pass between two loads for each update cycle (None: no limit).
ALLOWED_DAYS: dict[str, int | None] = {
    "realtime": 1,
    "daily": 1,
    "weekly": 7,
    "monthly": 31,
    "quarterly": 92,
    "yearly": 366,
    "irregular": None,
}

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def dimension_of(kind: str) -> str:
    # A rule kind added to the catalog later is a validity check until it is placed here.
    return DIMENSION_OF_KIND.get(kind, Dimension.VALIDITY)


def allowed_days(update_cycle: str) -> int | None:
    return ALLOWED_DAYS.get(update_cycle)


def days_late(update_cycle: str, last_load: date, today: date) -> int:
    """Days past the cycle's allowance since the last load (0 when on time or irregular)."""
    allowance = allowed_days(update_cycle)
    if allowance is None:
        return 0
    return max((today - last_load).days - allowance, 0)


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dimension_scores(
    *, rows: int, failures: Iterable[tuple[str, int]], on_time: bool | None
) -> dict[str, Decimal | None]:
    """Each dimension's score and the overall one, for a load of `rows` rows.

    failures: (rule kind, failed rows) per rule. A rule scores 100 × (1 − failed/rows); a
    dimension is the mean of its rules (so 100 × the share of its checks that pass); timeliness
    is 100 on time, 0 late, absent for irregular datasets; overall is the mean of the dimensions
    present. An empty load scores no row dimension.
    """
    checks: dict[str, list[int]] = {dimension: [] for dimension in ROW_DIMENSIONS}
    for kind, failed in failures:
        if kind == RuleKind.TIMELINESS:
            continue
        checks[dimension_of(kind)].append(min(failed, rows))
    scores: dict[str, Decimal | None] = {}
    for dimension, failed_counts in checks.items():
        if not failed_counts or rows == 0:
            scores[dimension] = None
            continue
        passing = 1 - Decimal(sum(failed_counts)) / (Decimal(rows) * len(failed_counts))
        scores[dimension] = _rounded(HUNDRED * passing)
    scores[Dimension.TIMELINESS] = None if on_time is None else (HUNDRED if on_time else Decimal(0)).quantize(CENT)
    present = [score for score in scores.values() if score is not None]
    scores["overall"] = _rounded(sum(present) / len(present)) if present else None
    return scores
