"""Reads of data quality, each scoped to what the actor may see.

Who sees a department's data quality: its own staff, big-data administrators and leaders whose
division contains the department, and superusers. Everyone else gets PermissionDenied.

The lists read a dataset's title, code and owner through the foreign key to the catalog's table,
in the same query, rather than one catalog.dataset_get() per row: pages list many datasets.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Count

from zhengtong.data.catalog.public import RuleKind, dataset_get
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.loops.public import LoopMetrics, loop_metrics
from zhengtong.kernel.org.public import DepartmentRef, Role, department_get, division_contains, division_prefix

from .models import Dimension, ProblemLoop, QualitySnapshot, TrackedDataset
from .scoring import allowed_days
from .services import PROBLEM_DATA

SUPERVISOR_ROLES = frozenset({Role.BIG_DATA_ADMIN.value, Role.LEADER.value})
TREND_LOADS = 12  # the loads a dataset's trend shows
EMPTY_METRICS = LoopMetrics(total=0, open=0, closed=0, overdue=0, on_time_rate=None)


@dataclass(frozen=True)
class Snapshot:
    load_id: str
    version: int | None
    rows: int
    problem_rows: int
    problem_ratio: float | None
    completeness: Decimal | None
    validity: Decimal | None
    consistency: Decimal | None
    uniqueness: Decimal | None
    timeliness: Decimal | None
    overall: Decimal | None
    on_time: bool | None
    loaded_at: datetime

    @property
    def dimensions(self) -> list[tuple[str, str, Decimal | None]]:
        """(code, label, score) of each dimension, in the usual order."""
        return [(code, label, getattr(self, code)) for code, label in Dimension.choices]


@dataclass(frozen=True)
class RuleFailure:
    code: str
    kind: str
    kind_label: str
    dimension: str
    field: str
    failed: int
    failed_ratio: float | None


@dataclass(frozen=True)
class Problem:
    case_id: UUID
    dataset_public_id: UUID
    dataset_title: str
    rule_code: str
    rule_kind: str
    field: str
    count: int
    rows: int | None
    opened_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DatasetScore:
    public_id: UUID
    resource_code: str
    title: str
    latest: Snapshot | None
    open_problems: int


@dataclass(frozen=True)
class DatasetQuality:
    dataset_id: int
    public_id: UUID
    resource_code: str
    title: str
    owner_department: DepartmentRef
    update_cycle: str
    allowed_days: int | None  # days a load may be apart under the update cycle; None: irregular
    latest: Snapshot | None
    rules: tuple[RuleFailure, ...]
    trend: tuple[Snapshot, ...]  # oldest first, the last TREND_LOADS loads
    open_problems: tuple[Problem, ...]


@dataclass(frozen=True)
class DepartmentQuality:
    department: DepartmentRef
    datasets: tuple[DatasetScore, ...]
    rows: int
    problem_rows: int
    problem_ratio: float | None  # row-weighted over the datasets' latest loads
    score: Decimal | None  # mean of the datasets' latest overall scores
    loops: LoopMetrics  # problem loops of the department; loops.on_time_rate: 按期整改率
    open_problems: tuple[Problem, ...]


@dataclass(frozen=True)
class RankingEntry:
    rank: int
    department: DepartmentRef
    datasets: int
    rows: int
    problem_rows: int
    problem_ratio: float | None
    score: Decimal | None
    open_problems: int
    on_time_rate: float | None


# --- scoping ------------------------------------------------------------------------------------


def _is_supervisor_of(actor: Actor, division_code: str) -> bool:
    return (
        actor.is_staff_member
        and bool(SUPERVISOR_ROLES.intersection(actor.roles))
        and division_contains(actor.division_code, division_code)
    )


def may_see_department(actor: Actor, department: DepartmentRef) -> bool:
    if actor.kind != "staff":
        return False
    if actor.is_superuser:
        return True
    if not actor.is_staff_member:
        return False
    return actor.department_id == department.id or _is_supervisor_of(actor, department.division_code)


def may_see_ranking(actor: Actor, division_code: str) -> bool:
    return actor.kind == "staff" and (actor.is_superuser or _is_supervisor_of(actor, division_code))


def _access_department(actor: Actor, department_id: int) -> DepartmentRef:
    department = department_get(department_id)
    if department is None:
        raise LookupError(f"No department {department_id}.")
    if not may_see_department(actor, department):
        raise PermissionDenied(f"{actor.kind} actor may not see the data quality of department {department_id}.")
    return department


# --- conversions --------------------------------------------------------------------------------


def _snapshot(row: QualitySnapshot) -> Snapshot:
    return Snapshot(
        load_id=row.load_id, version=row.version, rows=row.rows, problem_rows=row.problem_rows,
        problem_ratio=row.problem_ratio, completeness=row.completeness, validity=row.validity,
        consistency=row.consistency, uniqueness=row.uniqueness, timeliness=row.timeliness, overall=row.overall,
        on_time=row.on_time, loaded_at=row.loaded_at,
    )


def _problem(row: ProblemLoop) -> Problem:
    return Problem(
        case_id=row.case_id, dataset_public_id=row.dataset.public_id, dataset_title=row.dataset.title,
        rule_code=row.rule_code, rule_kind=row.rule_kind, field=row.field, count=row.count, rows=row.rows,
        opened_at=row.opened_at, updated_at=row.updated_at,
    )


def _open_problems(**filters) -> tuple[Problem, ...]:
    rows = (
        ProblemLoop.objects.filter(closed_at__isnull=True, **filters)
        .select_related("dataset").only("dataset__public_id", "dataset__title", *_PROBLEM_FIELDS)
        .order_by("dataset__resource_code", "rule_code")
    )
    return tuple(_problem(row) for row in rows)


_PROBLEM_FIELDS = ("case_id", "rule_code", "rule_kind", "field", "count", "rows", "opened_at", "updated_at")


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- selectors ----------------------------------------------------------------------------------


def dataset_quality(*, actor: Actor, dataset_id: int | None = None, public_id: UUID | None = None) -> DatasetQuality:
    """One dataset's quality, by id or public_id: its latest load per rule, the trend of its last
    loads, its open problems. LookupError if there is no such dataset; PermissionDenied if it is
    not the actor's to see."""
    if (dataset_id is None) == (public_id is None):
        raise TypeError("Give dataset_id or public_id.")
    dataset = dataset_get(dataset_id=dataset_id) if dataset_id is not None else dataset_get(public_id=public_id)
    if dataset is None:
        raise LookupError(f"No dataset {dataset_id or public_id}.")
    dataset_id = dataset.id
    department = _access_department(actor, dataset.owner_department_id)
    recent = list(
        QualitySnapshot.objects.filter(dataset_id=dataset_id).order_by("-loaded_at", "-id")[:TREND_LOADS]
    )
    latest_row = (
        TrackedDataset.objects.filter(dataset_id=dataset_id).select_related("latest_snapshot").first()
    )
    latest = latest_row.latest_snapshot if latest_row else None
    rules: tuple[RuleFailure, ...] = ()
    if latest is not None:
        rules = tuple(
            RuleFailure(
                code=result.code, kind=result.kind,
                kind_label=str(RuleKind(result.kind).label) if result.kind in RuleKind.values else result.kind,
                dimension=result.dimension, field=result.field, failed=result.failed,
                failed_ratio=_ratio(result.failed, latest.rows),
            )
            for result in latest.rule_results.order_by("-failed", "code")
        )
    return DatasetQuality(
        dataset_id=dataset.id, public_id=dataset.public_id, resource_code=dataset.resource_code,
        title=dataset.title, owner_department=department, update_cycle=dataset.update_cycle,
        allowed_days=allowed_days(dataset.update_cycle), latest=_snapshot(latest) if latest else None, rules=rules,
        trend=tuple(_snapshot(row) for row in reversed(recent)),
        open_problems=_open_problems(dataset_id=dataset_id),
    )


def department_quality(*, actor: Actor, department_id: int) -> DepartmentQuality:
    """A department's data quality: each loaded dataset's latest score and problem-data ratio, the
    row-weighted ratio over them, its open problem loops and their on-time rectification rate."""
    department = _access_department(actor, department_id)
    tracked = _tracked_of_department(department_id)
    datasets = tuple(
        DatasetScore(
            public_id=row.dataset.public_id, resource_code=row.dataset.resource_code, title=row.dataset.title,
            latest=_snapshot(row.latest_snapshot) if row.latest_snapshot else None,
            open_problems=row.open_problems,
        )
        for row in tracked
    )
    snapshots = [row.latest_snapshot for row in tracked if row.latest_snapshot]
    rows = sum(s.rows for s in snapshots)
    problem_rows = sum(s.problem_rows for s in snapshots)
    return DepartmentQuality(
        department=department, datasets=datasets, rows=rows, problem_rows=problem_rows,
        problem_ratio=_ratio(problem_rows, rows),
        score=_mean([s.overall for s in snapshots if s.overall is not None]),
        loops=loop_metrics(actor=actor, kind=PROBLEM_DATA.code, department_id=department_id),
        open_problems=_open_problems(department_id=department_id),
    )


def _tracked_of_department(department_id: int) -> list[TrackedDataset]:
    open_counts = dict(
        ProblemLoop.objects.filter(closed_at__isnull=True, dataset__owner_department_id=department_id)
        .values_list("dataset_id").annotate(n=Count("id")).values_list("dataset_id", "n")
    )
    rows = list(
        TrackedDataset.objects.filter(dataset__owner_department_id=department_id)
        .select_related("dataset", "latest_snapshot")
        .order_by("dataset__resource_code")
    )
    for row in rows:
        row.open_problems = open_counts.get(row.dataset_id, 0)
    return rows


def quality_ranking(*, actor: Actor, division_code: str) -> list[RankingEntry]:
    """赛马: the departments of a division (and below) that own loaded datasets, best first.

    Ranked by score (the mean of their datasets' latest overall scores), then by the lower
    problem-data ratio; equal departments share a rank. For big-data administrators and leaders
    whose division contains division_code, and superusers.
    """
    if not may_see_ranking(actor, division_code):
        raise PermissionDenied(f"{actor.kind} actor may not see the quality ranking of {division_code}.")
    prefix = division_prefix(division_code)
    if prefix is None:
        raise LookupError(f"No division {division_code}.")
    tracked = TrackedDataset.objects.filter(
        dataset__owner_department__division__code__startswith=prefix
    ).values_list(
        "dataset__owner_department_id", "dataset__owner_department__code", "dataset__owner_department__name",
        "dataset__owner_department__kind", "dataset__owner_department__division__code",
        "dataset__owner_department__division__level",
        "latest_snapshot__rows", "latest_snapshot__problem_rows", "latest_snapshot__overall",
    )
    departments: dict[int, DepartmentRef] = {}
    by_department: dict[int, list[tuple]] = {}
    for department_id, code, name, kind, division, level, rows, problem_rows, overall in tracked:
        departments[department_id] = DepartmentRef(department_id, code, name, kind, division, level)
        by_department.setdefault(department_id, []).append((rows or 0, problem_rows or 0, overall))
    open_counts = dict(
        ProblemLoop.objects.filter(closed_at__isnull=True, department_id__in=by_department)
        .values_list("department_id").annotate(n=Count("id")).values_list("department_id", "n")
    )
    with_loops = set(
        ProblemLoop.objects.filter(department_id__in=by_department).values_list("department_id", flat=True)
    )
    entries = []
    for department_id, datasets in by_department.items():
        rows = sum(d[0] for d in datasets)
        problem_rows = sum(d[1] for d in datasets)
        # loop_metrics is one query per department, asked only of departments that have had loops.
        metrics = (
            loop_metrics(actor=actor, kind=PROBLEM_DATA.code, department_id=department_id)
            if department_id in with_loops else EMPTY_METRICS
        )
        entries.append(dict(
            department=departments[department_id], datasets=len(datasets), rows=rows,
            problem_rows=problem_rows, problem_ratio=_ratio(problem_rows, rows),
            score=_mean([d[2] for d in datasets if d[2] is not None]),
            open_problems=open_counts.get(department_id, 0), on_time_rate=metrics.on_time_rate,
        ))

    def order(entry):
        return (
            entry["score"] is None, -(entry["score"] or 0),
            entry["problem_ratio"] is None, entry["problem_ratio"] or 0,
        )

    entries.sort(key=lambda entry: (*order(entry), entry["department"].code))
    ranking: list[RankingEntry] = []
    for position, entry in enumerate(entries, start=1):
        tied = ranking and order(entries[position - 2]) == order(entry)
        ranking.append(RankingEntry(rank=ranking[-1].rank if tied else position, **entry))
    return ranking
