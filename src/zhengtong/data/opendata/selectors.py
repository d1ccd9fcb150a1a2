"""Reads of the open-data portal: search with facets over the public datasets only.

Every read here starts from OpenDataset, which holds nothing the public may not see (see
visibility.py), so results, snippets, facet counts and totals cannot reveal a hidden dataset. The
portal pages, the open API and the CKAN package_search all search through `open_dataset_search`.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from zhengtong.data.catalog.public import Theme, UpdateCycle
from zhengtong.kernel.search.public import Audience, keys_matching, score_of

from .models import OpenDataset, OpenDatasetTag, OpenTier
from .visibility import DOWNLOAD_FORMATS, SEARCH_KIND

MAX_PAGE = 1000  # CKAN's package_search caps rows at 1000 too


@dataclass(frozen=True)
class OpenFilters:
    """Facet selections: several values of one facet are alternatives (OR); facets combine (AND)."""

    department: tuple[str, ...] = ()  # department codes
    theme: tuple[str, ...] = ()  # EU data-theme codes ("" for no theme)
    format: tuple[str, ...] = ()  # CSV, JSON, Parquet, XLSX
    tier: tuple[str, ...] = ()  # OpenTier values (the "open type" facet)
    update_cycle: tuple[str, ...] = ()
    region: tuple[str, ...] = ()  # city (or province) division codes
    tag: tuple[str, ...] = ()  # keywords
    modified_from: datetime | None = None  # metadata_modified ≥
    modified_to: datetime | None = None  # metadata_modified ≤


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str  # the filter's name in OpenFilters
    label: str
    values: tuple[FacetValue, ...]


@dataclass(frozen=True)
class OpenSearchPage:
    results: list[OpenDataset]
    total: int
    facets: tuple[Facet, ...] = field(default_factory=tuple)


# sort name → ORDER BY; "relevance" needs a query (else it falls back to metadata_modified).
SORTS = {
    "relevance": None,
    "metadata_modified desc": ("-metadata_modified", "resource_code"),
    "metadata_modified asc": ("metadata_modified", "resource_code"),
    "name asc": ("name",),
    "name desc": ("-name",),
    "title asc": ("title", "name"),
    "title desc": ("-title", "name"),
    "row_count desc": (F("row_count").desc(nulls_last=True), "name"),
}
DEFAULT_SORT = "metadata_modified desc"

FACET_LABELS = {
    "department": _("Providing department"),
    "theme": _("Data theme"),
    "format": _("Format"),
    "tier": _("Open type"),
    "update_cycle": _("Update cycle"),
    "region": _("Region"),
}
NO_THEME = _("No theme given")


def open_dataset_queryset() -> QuerySet:
    """Every public dataset (the only base any public read may start from)."""
    return OpenDataset.objects.all()


def _filtered(datasets: QuerySet, filters: OpenFilters, *, skip: str | None = None) -> QuerySet:
    simple = {"department": "department_code", "theme": "theme", "tier": "tier",
              "update_cycle": "update_cycle", "region": "region_code"}
    for name, column in simple.items():
        values = getattr(filters, name)
        if values and name != skip:
            datasets = datasets.filter(**{f"{column}__in": list(values)})
    if filters.format and skip != "format":
        any_format = Q()
        for fmt in filters.format:
            any_format |= Q(formats__contains=fmt)
        datasets = datasets.filter(any_format)
    for tag in filters.tag:
        datasets = datasets.filter(id__in=OpenDatasetTag.objects.filter(name=tag).values("open_dataset_id"))
    if filters.modified_from:
        datasets = datasets.filter(metadata_modified__gte=filters.modified_from)
    if filters.modified_to:
        datasets = datasets.filter(metadata_modified__lte=filters.modified_to)
    return datasets


def _facets(datasets: QuerySet, filters: OpenFilters) -> tuple[Facet, ...]:
    """Counts of the result per facet value. Counts are of the result as filtered by the *other*
    facets, so a visitor sees how many each alternative value would give (the usual drill-down)."""
    facets = []
    grouped = {
        "department": ("department_code", "department_name"),
        "region": ("region_code", "region_name"),
    }
    labelled = {
        "theme": lambda v: str(Theme(v).label) if v in Theme.values else str(NO_THEME),
        "tier": lambda v: str(OpenTier(v).label) if v in OpenTier.values else v,
        "update_cycle": lambda v: str(UpdateCycle(v).label) if v in UpdateCycle.values else v,
    }
    for name in ("department", "theme", "format", "tier", "update_cycle", "region"):
        selected = set(getattr(filters, name))
        base = _filtered(datasets, filters, skip=name).order_by()
        if name == "format":
            counts = base.aggregate(**{fmt: Count("id", filter=Q(formats__contains=fmt)) for fmt in DOWNLOAD_FORMATS})
            values = tuple(FacetValue(fmt, fmt, counts[fmt], fmt in selected) for fmt in DOWNLOAD_FORMATS if counts[fmt])
        elif name in grouped:
            column, label_column = grouped[name]
            rows = base.values(column, label_column).annotate(count=Count("id")).order_by("-count", column)
            values = tuple(FacetValue(r[column], r[label_column], r["count"], r[column] in selected) for r in rows)
        else:
            rows = base.values(name).annotate(count=Count("id")).order_by("-count", name)
            values = tuple(FacetValue(r[name], labelled[name](r[name]), r["count"], r[name] in selected) for r in rows)
        facets.append(Facet(name, str(FACET_LABELS[name]), values))
    return tuple(facets)


def open_dataset_search(*, query: str = "", filters: OpenFilters | None = None, sort: str | None = None,
                        offset: int = 0, limit: int = 20, with_facets: bool = True) -> OpenSearchPage:
    """The public datasets matching `query` (Chinese segmentation, through kernel.search) and the
    filters, a page of them in `sort` order, the total and the facet counts. ValueError for an
    unknown sort or a page outside 0 ≤ offset, 1 ≤ limit ≤ MAX_PAGE (callers turn it into their
    own error shape)."""
    filters = filters or OpenFilters()
    query = (query or "").strip()
    sort = sort or ("relevance" if query else DEFAULT_SORT)
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    if offset < 0 or not 0 <= limit <= MAX_PAGE:
        raise ValueError("page out of range")
    datasets = open_dataset_queryset()
    if query:
        datasets = datasets.filter(
            resource_code__in=keys_matching(query=query, kind=SEARCH_KIND, audience=Audience.public()))
    facets = _facets(datasets, filters) if with_facets else ()
    datasets = _filtered(datasets, filters)
    total = datasets.count()
    if sort == "relevance" and query:
        ordered = datasets.annotate(
            search_score=score_of(query=query, kind=SEARCH_KIND, key=OuterRef("resource_code"))
        ).order_by("-search_score", "-metadata_modified", "name")
    else:
        ordered = datasets.order_by(*(SORTS[sort] or SORTS[DEFAULT_SORT]))
    results = list(ordered[offset:offset + limit]) if limit else []
    return OpenSearchPage(results=results, total=total, facets=facets)


def open_dataset_get(*, name: str | None = None, public_id: str | None = None,
                     resource_code: str | None = None) -> OpenDataset:
    """One public dataset by CKAN name, id or resource code. OpenDataset.DoesNotExist when there is
    none — the same for a dataset that does not exist and one the public may not see."""
    lookup: dict = {}
    if name is not None:
        lookup["name"] = str(name).lower()
    if resource_code is not None:
        lookup["resource_code"] = str(resource_code)
    if public_id is not None:
        import uuid

        try:
            lookup["public_id"] = uuid.UUID(str(public_id))
        except ValueError:
            raise OpenDataset.DoesNotExist from None
    if not lookup:
        raise OpenDataset.DoesNotExist
    return OpenDataset.objects.select_related("served").get(**lookup)
