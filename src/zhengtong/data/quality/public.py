"""What other modules may use of data quality (数据治理): scores and problem loops, read-only.

    department_quality(actor=actor, department_id=id).problem_ratio     # 问题数据率
    department_quality(actor=actor, department_id=id).loops.on_time_rate  # 按期整改率
    quality_ranking(actor=actor, division_code="330100")                 # 赛马

Quality listens to ingest's "ingest.load_succeeded" itself; nothing needs to call it for a load.
quality_check_timeliness() is a scheduler job (daily is enough; hourly is harmless).
"""

from decimal import Decimal

from .models import Dimension, TrackedDataset
from .scoring import ALLOWED_DAYS, DIMENSION_OF_KIND
from .selectors import (
    DatasetQuality,
    DatasetScore,
    DepartmentQuality,
    Problem,
    RankingEntry,
    RuleFailure,
    Snapshot,
    dataset_quality,
    department_quality,
    quality_ranking,
)
from .services import PROBLEM_DATA, quality_check_timeliness

PROBLEM_DATA_KIND = PROBLEM_DATA.code

__all__ = [
    "ALLOWED_DAYS",
    "DIMENSION_OF_KIND",
    "PROBLEM_DATA_KIND",
    "DatasetQuality",
    "DatasetScore",
    "DepartmentQuality",
    "Dimension",
    "Problem",
    "RankingEntry",
    "RuleFailure",
    "Snapshot",
    "dataset_overall_score",
    "dataset_quality",
    "department_quality",
    "quality_check_timeliness",
    "quality_ranking",
]


def dataset_overall_score(dataset_id: int) -> Decimal | None:
    """The overall quality score (0-100) of the dataset's latest load, None before its first; not
    access-checked: the open-data portal shows it for datasets it may show."""
    tracked = TrackedDataset.objects.filter(dataset_id=dataset_id).select_related("latest_snapshot").first()
    if tracked is None or tracked.latest_snapshot is None:
        return None
    return tracked.latest_snapshot.overall
