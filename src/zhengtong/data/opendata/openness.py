"""The openness and quality index per department (开放指数), in the manner of uData's quality score
and the 5-star openness scale, over the public datasets only (OpenDataset): a department with no
public dataset is not ranked, and a hidden dataset counts for nothing.

For each department with public datasets:
- open share: the share of its public datasets open to everyone (无条件开放);
- openness: the mean of the datasets' stars (visibility.openness_stars), out of 5;
- quality: the mean quality score (0-100) of the datasets that have one (quality module);
- metadata: the mean share of METADATA_CRITERIA each dataset meets (uData's quality score asks
  much the same: a long enough description, tags, temporal and spatial coverage, a licence,
  updates on schedule);
- requests answered on time: of the data requests addressed to it that are due (answered, or
  still open past their due date), the share answered by the due date (the loop kind's working
  days to take a request on and to answer it).

The index is the weighted mean of the components, times 100, with WEIGHTS. A component with
nothing to measure (no dataset with a quality score yet, no request due) is left out and the
other weights carry the index, so a department is neither rewarded nor punished for it.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.data.quality.public import ALLOWED_DAYS
from zhengtong.kernel.calendar.public import add_working_days

from .community_selectors import answer_days
from .models import DataRequest, DataRequestStatus, OpenDataset, OpenTier
from .services import SHANGHAI

MIN_DESCRIPTION = 100  # characters of description for the "description" criterion

# component: (weight, label)
WEIGHTS: dict[str, tuple[int, object]] = {
    "open_share": (20, _("Share open to everyone")),
    "stars": (15, _("Openness stars (out of 5)")),
    "quality": (20, _("Data quality score")),
    "metadata": (30, _("Metadata completeness")),
    "requests": (15, _("Data requests answered on time")),
}

METADATA_CRITERIA: dict[str, object] = {
    "description": _("A description of at least 100 characters"),
    "keywords": _("Keywords"),
    "theme": _("A data theme"),
    "temporal": _("Temporal coverage"),
    "spatial": _("Spatial coverage"),
    "contact": _("A contact point"),
    "licence": _("A licence"),
    "up_to_date": _("Updated as often as its update cycle says"),
}

FOUR_PLACES = Decimal("0.0001")
ONE_PLACE = Decimal("0.1")


def _q(value: Decimal, places: Decimal = FOUR_PLACES) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DepartmentIndex:
    rank: int
    department_id: int
    department_code: str
    department_name: str
    datasets: int
    open_to_everyone: int
    open_share: Decimal  # 0-1
    mean_stars: Decimal  # 0-5
    quality_scored: int  # datasets with a quality score
    mean_quality: Decimal | None  # 0-100
    metadata_completeness: Decimal  # 0-1
    requests_due: int
    requests_on_time: int
    on_time_share: Decimal | None  # 0-1
    index: Decimal  # 0-100, one decimal place

    @property
    def open_percent(self) -> Decimal:
        return _q(self.open_share * 100, ONE_PLACE)

    @property
    def metadata_percent(self) -> Decimal:
        return _q(self.metadata_completeness * 100, ONE_PLACE)

    @property
    def on_time_percent(self) -> Decimal | None:
        return None if self.on_time_share is None else _q(self.on_time_share * 100, ONE_PLACE)


def metadata_checks(dataset: OpenDataset, today: date) -> dict[str, bool]:
    """Which METADATA_CRITERIA the dataset meets (as of `today`, Asia/Shanghai)."""
    allowance = ALLOWED_DAYS.get(dataset.update_cycle)
    if dataset.data_modified is None:
        up_to_date = False
    elif allowance is None:  # irregular: any data at all
        up_to_date = True
    else:
        up_to_date = (today - timezone.localdate(dataset.data_modified, timezone=SHANGHAI)).days <= allowance
    return {
        "description": len((dataset.description or "").strip()) >= MIN_DESCRIPTION,
        "keywords": bool([k for k in dataset.keywords or [] if str(k).strip()]),
        "theme": bool(dataset.theme),
        "temporal": dataset.temporal_start is not None or dataset.temporal_end is not None,
        "spatial": bool(dataset.spatial_code or dataset.spatial_name),
        "contact": bool(dataset.contact_name or dataset.contact_email),
        "licence": bool(dataset.licence),
        "up_to_date": up_to_date,
    }


def _requests_by_department(department_ids: set[int], today: date) -> dict[int, tuple[int, int]]:
    """department → (requests due, answered on time)."""
    days = answer_days()
    dues: dict[date, date] = {}
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows = DataRequest.objects.filter(department_id__in=department_ids).values_list(
        "department_id", "status", "created_at", "answered_at")
    for department_id, status, created_at, answered_at in rows:
        created_on = timezone.localdate(created_at, timezone=SHANGHAI)
        if created_on not in dues:
            dues[created_on] = add_working_days(created_on, days)
        due = dues[created_on]
        if status == DataRequestStatus.OPEN or answered_at is None:
            if today > due:
                counts[department_id][0] += 1  # overdue and still unanswered
            continue
        counts[department_id][0] += 1
        if timezone.localdate(answered_at, timezone=SHANGHAI) <= due:
            counts[department_id][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def combined_index(components: dict[str, Decimal | None]) -> Decimal:
    """The weighted mean (0-100) of the components present (each 0-1)."""
    present = {name: value for name, value in components.items() if value is not None}
    total_weight = sum(WEIGHTS[name][0] for name in present)
    if not total_weight:
        return Decimal(0)
    weighted = sum(Decimal(WEIGHTS[name][0]) * value for name, value in present.items())
    return _q(weighted * 100 / total_weight, ONE_PLACE)


def openness_index(*, today: date | None = None) -> list[DepartmentIndex]:
    """Every department with public datasets, ranked by index (then more datasets, then code)."""
    today = today or timezone.localdate(timezone=SHANGHAI)
    columns = ("department_id", "department_code", "department_name", "tier", "openness_stars", "quality_score",
               "description", "keywords", "theme", "temporal_start", "temporal_end", "spatial_code",
               "spatial_name", "contact_name", "contact_email", "licence", "update_cycle", "data_modified")
    by_department: dict[int, list[OpenDataset]] = defaultdict(list)
    for dataset in OpenDataset.objects.only(*columns).order_by("department_id", "resource_code"):
        by_department[dataset.department_id].append(dataset)
    requests = _requests_by_department(set(by_department), today)
    entries = []
    for department_id, datasets in by_department.items():
        n = len(datasets)
        open_count = sum(1 for d in datasets if d.tier == OpenTier.OPEN)
        scores = [Decimal(d.quality_score) for d in datasets if d.quality_score is not None]
        met = sum(sum(metadata_checks(d, today).values()) for d in datasets)
        due, on_time = requests.get(department_id, (0, 0))
        open_share = Decimal(open_count) / n
        mean_stars = Decimal(sum(d.openness_stars for d in datasets)) / n
        mean_quality = sum(scores) / len(scores) if scores else None
        metadata = Decimal(met) / (n * len(METADATA_CRITERIA))
        on_time_share = Decimal(on_time) / due if due else None
        index = combined_index({
            "open_share": open_share, "stars": mean_stars / 5,
            "quality": mean_quality / 100 if mean_quality is not None else None,
            "metadata": metadata, "requests": on_time_share,
        })
        first = datasets[0]
        entries.append(dict(
            department_id=department_id, department_code=first.department_code,
            department_name=first.department_name, datasets=n, open_to_everyone=open_count,
            open_share=_q(open_share), mean_stars=_q(mean_stars, Decimal("0.01")), quality_scored=len(scores),
            mean_quality=_q(mean_quality, Decimal("0.01")) if mean_quality is not None else None,
            metadata_completeness=_q(metadata), requests_due=due, requests_on_time=on_time,
            on_time_share=_q(on_time_share) if on_time_share is not None else None, index=index,
        ))
    entries.sort(key=lambda e: (-e["index"], -e["datasets"], e["department_code"]))
    return [DepartmentIndex(rank=position, **entry) for position, entry in enumerate(entries, start=1)]
