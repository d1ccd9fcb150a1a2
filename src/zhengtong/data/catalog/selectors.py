"""Reads of the catalog, scoped to what the actor may see (see permissions.py)."""

from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.models import Department
from zhengtong.kernel.search.public import Audience, keys_matching, score_of

from . import permissions
from .models import (
    Dataset,
    DatasetChange,
    DatasetStatus,
    Grade,
    OpenType,
    QualityRule,
    Sensitivity,
    ShareType,
    TableSchema,
    UpdateCycle,
)
from .search_index import KIND
from .vocabularies import Theme


@dataclass(frozen=True)
class DatasetFilters:
    """Facet selections; None means any."""

    department: str | None = None  # a department code
    theme: str | None = None
    share_type: str | None = None
    open_type: str | None = None
    grade: str | None = None
    sensitivity: str | None = None
    update_cycle: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str  # the filter's name, e.g. "share_type"
    label: str
    values: tuple[FacetValue, ...]


@dataclass(frozen=True)
class DatasetList:
    datasets: QuerySet  # ordered: by relevance for a query, else by resource code
    total: int
    facets: tuple[Facet, ...] = field(default_factory=tuple)


# The facets in display order: filter name, model field, label, choices (None: departments).
FACETS = (
    ("department", "owner_department__code", _("Providing department"), None),
    ("theme", "theme", _("Data theme"), Theme),
    ("share_type", "share_type", _("Share type"), ShareType),
    ("open_type", "open_type", _("Open type"), OpenType),
    ("grade", "grade", _("Data grade"), Grade),
    ("sensitivity", "sensitivity", _("Sensitivity level"), Sensitivity),
    ("update_cycle", "update_cycle", _("Update cycle"), UpdateCycle),
    ("status", "status", _("Catalog status"), DatasetStatus),
)
NO_THEME = _("No theme given")


def dataset_visible_queryset(actor: Actor) -> QuerySet:
    """Every dataset the actor may see: published and retired ones for all staff, drafts for the
    owner department and whoever sees every department."""
    if not permissions.may_browse(actor):
        return Dataset.objects.none()
    datasets = Dataset.objects.all()
    governed = permissions.governed_division_prefix(actor)
    if governed == "":
        return datasets
    visible = ~Q(status=DatasetStatus.DRAFT) | Q(owner_department_id=actor.department_id)
    if governed:
        visible |= Q(owner_department__division__code__startswith=governed)
    return datasets.filter(visible)


def search_audience(actor: Actor) -> Audience:
    governed = permissions.governed_division_prefix(actor)
    return Audience(
        staff=permissions.may_browse(actor),
        department_id=actor.department_id,
        all_departments=governed == "",
        department_ids=frozenset(
            Department.objects.filter(division__code__startswith=governed).values_list("id", flat=True)
        ) if governed else frozenset(),
    )


def _facets(datasets: QuerySet, filters: DatasetFilters) -> tuple[Facet, ...]:
    facets = []
    for name, model_field, label, choices in FACETS:
        selected = getattr(filters, name)
        if choices is None:
            rows = (
                datasets.order_by().values(model_field, "owner_department__name")
                .annotate(count=Count("id")).order_by("-count", model_field)
            )
            values = tuple(
                FacetValue(row[model_field], row["owner_department__name"], row["count"], selected == row[model_field])
                for row in rows
            )
        else:
            counts = {row[model_field]: row["count"]
                      for row in datasets.order_by().values(model_field).annotate(count=Count("id"))}
            order = list(choices.values) + ([""] if "" in counts else [])
            values = tuple(
                FacetValue(value, str(choices(value).label) if value else str(NO_THEME), counts[value],
                           selected == value)
                for value in order if value in counts
            )
        facets.append(Facet(name, str(label), values))
    return tuple(facets)


def dataset_list(*, actor: Actor, query: str | None = None, filters: DatasetFilters | None = None) -> DatasetList:
    """The catalog as the actor may see it (一本账), optionally searched (Chinese segmentation
    through kernel.search) and narrowed by facets; with facet counts of the result."""
    if not permissions.may_browse(actor):
        raise PermissionDenied(f"{actor.kind} actor may not browse the catalog")
    filters = filters or DatasetFilters()
    datasets = dataset_visible_queryset(actor)
    for name, model_field, _label, _choices in FACETS:
        value = getattr(filters, name)
        if value not in (None, ""):
            datasets = datasets.filter(**{model_field: value})
    query = (query or "").strip()
    if query:
        datasets = datasets.filter(
            resource_code__in=keys_matching(query=query, kind=KIND, audience=search_audience(actor))
        )
    facets = _facets(datasets, filters)
    total = datasets.count()
    ordered = datasets.select_related("owner_department", "spatial").annotate(
        schema_version=Subquery(
            TableSchema.objects.filter(dataset=OuterRef("pk")).order_by("-version").values("version")[:1]
        )
    )
    if query:
        ordered = ordered.annotate(
            search_score=score_of(query=query, kind=KIND, key=OuterRef("resource_code"))
        ).order_by("-search_score", "resource_code")
    else:
        ordered = ordered.order_by("resource_code")
    return DatasetList(datasets=ordered, total=total, facets=facets)


def access_dataset(*, actor: Actor, public_id: UUID | str) -> Dataset:
    """The dataset, if the actor may see it; Dataset.DoesNotExist otherwise (also for a malformed
    identifier), so the answer tells nothing about other departments' drafts."""
    try:
        public_id = public_id if isinstance(public_id, UUID) else UUID(str(public_id))
    except ValueError:
        raise Dataset.DoesNotExist from None
    return (
        dataset_visible_queryset(actor)
        .select_related("owner_department__division", "spatial")
        .get(public_id=public_id)
    )


def dataset_may_edit(*, actor: Actor, dataset: Dataset) -> bool:
    return (
        permissions.may_edit(actor, dataset.owner_department_id, dataset.owner_department.division.code)
        and dataset.status != DatasetStatus.RETIRED
    )


def registration_departments(*, actor: Actor) -> QuerySet:
    """The departments the actor may register datasets for."""
    departments = Department.objects.select_related("division").order_by("division__code", "kind")
    governed = permissions.governed_division_prefix(actor)
    if governed is not None:
        return departments.filter(division__code__startswith=governed)
    if permissions.may_register(actor):
        return departments.filter(id=actor.department_id)
    return departments.none()


def schema_current(*, dataset: Dataset) -> TableSchema | None:
    return TableSchema.objects.filter(dataset=dataset).order_by("-version").first()


def schema_versions(*, dataset: Dataset) -> QuerySet:
    return TableSchema.objects.filter(dataset=dataset).order_by("-version")


def dataset_rules(*, dataset: Dataset) -> QuerySet:
    """The declared rules, active first."""
    return QualityRule.objects.filter(dataset=dataset).order_by("-is_active", "code")


def dataset_rule_get(*, dataset: Dataset, code: str) -> QualityRule:
    return QualityRule.objects.select_related("dataset").get(dataset=dataset, code=code)


def dataset_changes(*, dataset: Dataset, limit: int = 50) -> list[DatasetChange]:
    return list(
        DatasetChange.objects.filter(dataset=dataset)
        .select_related("actor_user", "actor_department")
        .order_by("-at", "-id")[:limit]
    )


def catalog_export_datasets(*, actor: Actor) -> QuerySet:
    """The published datasets the actor may see, with what the DCAT export reads."""
    return (
        dataset_visible_queryset(actor)
        .filter(status=DatasetStatus.PUBLISHED)
        .select_related("owner_department__division", "spatial")
        .order_by("resource_code")
    )
