"""Reads of the open-data portal: search with facets over the public datasets only.

Every read here starts from OpenDataset, which holds nothing the public may not see (see
visibility.py), so results, snippets, facet counts and totals cannot reveal a hidden dataset. The
portal pages, the open API and the CKAN package_search all search through `open_dataset_search`.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Case, Expression, F, Func, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from zhengtong.data.catalog.public import Theme, UpdateCycle
from zhengtong.kernel.search.public import Audience, keys_matching, query_tokens

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


MATCH_CTE = "zt_match"  # the name count_many gives the text match's keys and scores


class InList(Func):
    """`column` is one of `values`, with the values as ONE bound parameter however many there are
    (PostgreSQL: = ANY(array); SQLite: IN over json_each of a JSON array) — a long IN (…) list
    costs Django and the driver a placeholder per value, the database nothing more."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, values):
        super().__init__(F(column))
        self.values = list(values)

    def as_sql(self, compiler, connection, **extra):
        column_sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"{column_sql} = ANY(%s)", [*params, self.values]
        if connection.vendor == "sqlite":
            return f"{column_sql} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(self.values)]
        return f"{column_sql} IN ({', '.join(['%s'] * len(self.values))})", [*params, *self.values]


class TextMatch:
    """The public datasets matching a text query, resolved once per request.

    kernel.search matches any token of the query (jieba's segmentation), so a query of common
    words matches many datasets. The match is read once — the matching documents' keys and
    scores in one grouped pass over the token table — instead of joining the token table again
    in the total, in each facet count and in the page:

    - before it is resolved, `filter()` narrows to the keys of the `zt_match` table expression,
      which `count_many(…, match=)` defines in its query, and that query also returns the keys
      and scores (so a search costs no more queries than a browse);
    - once resolved (by count_many, or by `resolve()` on its own), `filter()` narrows to the
      list of resource codes (one array parameter, see InList) and `score()` orders by
      relevance with a CASE over the few score buckets instead of a subquery per matching row.

    The score is what kernel.search's score_of() computes: the sum of the weights of the
    document's matched tokens. The same queries run on SQLite and PostgreSQL.
    """

    def __init__(self, query: str, *, kind: str = SEARCH_KIND, audience: Audience | None = None):
        self.query = query
        keys = keys_matching(query=query, kind=kind, audience=audience or Audience.public())
        # The filter on the tokens comes first, so the sum is over the matched tokens only.
        self.scored = keys.annotate(score=Sum("tokens__weight")).order_by().values_list("key", "score")
        self.scores: dict[str, int] | None = None if query_tokens(query) else {}

    @property
    def resolved(self) -> bool:
        return self.scores is not None

    def resolve(self) -> "TextMatch":
        if self.scores is None:
            self.scores = dict(self.scored)
        return self

    def filter(self, datasets: QuerySet) -> QuerySet:
        """`datasets` narrowed to the matching ones (before resolution: only inside count_many)."""
        if self.scores is None:
            quote = connection.ops.quote_name
            return datasets.filter(resource_code__in=RawSQL(f"SELECT {quote('key')} FROM {quote(MATCH_CTE)}", ()))
        if not self.scores:
            return datasets.none()
        return datasets.filter(InList("resource_code", sorted(self.scores)))

    def score(self) -> Expression:
        """The relevance of each matching row, to order by (resolves the match if need be)."""
        buckets: dict[int, list[str]] = {}
        for key, score in self.resolve().scores.items():
            buckets.setdefault(score, []).append(key)
        if not buckets:
            return Value(0, output_field=IntegerField())
        # Rows are already narrowed to the match, so the largest bucket needs no list: it is the default.
        largest = max(buckets, key=lambda s: (len(buckets[s]), s))
        whens = [When(InList("resource_code", sorted(buckets[s])), then=Value(s))
                 for s in sorted(buckets, reverse=True) if s != largest]
        default = Value(largest, output_field=IntegerField())
        return Case(*whens, default=default, output_field=IntegerField()) if whens else default


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


# The columns facets group by; each distinct base of a count is read once with these.
COUNT_COLUMNS = ("id", "department_code", "department_name", "region_code", "region_name", "theme", "tier",
                 "update_cycle", "licence", "formats")


@dataclass(frozen=True)
class CountSpec:
    """One count of `count_many`: the rows of `base` per value of `column` (with `label` grouped
    along, e.g. the department's name; `skip_empty` leaves out the empty value), or with
    `column=FORMATS` the rows offering each download format, `column=TAGS` the tags of the rows
    per tag name, `column=TOTAL` the number of rows."""

    name: str
    base: QuerySet
    column: str
    label: str = ""
    skip_empty: bool = False


TOTAL, FORMATS, TAGS = "__total", "__formats", "__tags"


def count_many(specs: Sequence[CountSpec], *, match: TextMatch | None = None) -> dict[str, list[tuple[str, str, int]]]:
    """Every count of `specs` as (value, label, count) rows, in one query: each distinct base is
    read once (a common table expression of the COUNT_COLUMNS of its rows) and each count is a
    GROUP BY over it, so a search's total and its facets cost one pass over the matching rows
    whatever the number of facets — on SQLite and PostgreSQL alike. Rows come in no order.

    With an unresolved `match` the query defines its `zt_match` table (the bases narrowed by
    `match.filter()` read it) and resolves the match with the keys and scores it returns.

    The base querysets are compiled by Django (the text match, the filters, bound parameters):
    only the table and column names below are written here, each quoted."""
    quote = connection.ops.quote_name
    results: dict[str, list[tuple[str, str, int]]] = {spec.name: [] for spec in specs}
    if match is not None and not match.resolved:
        try:
            match_sql, match_params = match.scored.query.sql_with_params()
        except EmptyResultSet:
            match.scores = {}
            match_sql = None
        if match_sql is None:  # nothing matches: narrowed bases are empty
            return count_many([CountSpec(spec.name, spec.base.none(), spec.column, spec.label, spec.skip_empty)
                               for spec in specs])
    bases: dict[tuple, str] = {}
    base_sql: list[tuple[str, str, tuple]] = []
    branches: list[tuple[str, tuple]] = []
    decode: list[tuple[str, str | None]] = []  # per branch: (spec name, FORMATS or None)
    for spec in specs:
        try:
            sql, params = spec.base.order_by().values(*COUNT_COLUMNS).query.sql_with_params()
        except EmptyResultSet:  # e.g. a text match with no hit: nothing to count
            if spec.column == TOTAL:
                results[spec.name] = [("", "", 0)]
            continue
        key = (sql, tuple(tuple(v) if isinstance(v, list) else v for v in params))  # InList's list
        if key not in bases:
            bases[key] = f"zt_base_{len(bases)}"
            base_sql.append((bases[key], sql, tuple(params)))
        base = quote(bases[key])
        number = len(decode)
        if spec.column == TOTAL:
            branches.append((f"SELECT {number}, '', '', COUNT(*) FROM {base}", ()))
            decode.append((spec.name, None))
        elif spec.column == FORMATS:
            # Per distinct list of formats (a handful); each format's count is summed below.
            formats = quote("formats")
            branches.append((f"SELECT {number}, {formats}, '', COUNT(*) FROM {base} GROUP BY {formats}", ()))
            decode.append((spec.name, FORMATS))
        elif spec.column == TAGS:
            tag_table = quote(OpenDatasetTag._meta.db_table)
            name, owner = quote("name"), quote(OpenDatasetTag._meta.get_field("open_dataset").column)
            # Every tag row belongs to a public dataset (a foreign key, deleted with it): over all
            # of them no join is needed.
            where = f" WHERE {tag_table}.{owner} IN (SELECT {quote('id')} FROM {base})" if spec.base.query.where else ""
            branches.append((f"SELECT {number}, {tag_table}.{name}, '', COUNT(*) FROM {tag_table}{where} "
                             f"GROUP BY {tag_table}.{name}", ()))
            decode.append((spec.name, None))
        else:
            if spec.column not in COUNT_COLUMNS or (spec.label and spec.label not in COUNT_COLUMNS):
                raise ValueError(f"cannot count by {spec.column!r}")
            column = quote(spec.column)
            label = quote(spec.label) if spec.label else "''"
            where = f" WHERE {column} <> ''" if spec.skip_empty else ""
            group = column + (f", {label}" if spec.label else "")
            branches.append((f"SELECT {number}, {column}, {label}, COUNT(*) FROM {base}{where} GROUP BY {group}", ()))
            decode.append((spec.name, None))
    tables = [(f"{quote(alias)} ({', '.join(quote(c) for c in COUNT_COLUMNS)})", sql, params)
              for alias, sql, params in base_sql]
    matching = match is not None and not match.resolved
    if matching:  # defined first: the bases read it
        tables.insert(0, (f"{quote(MATCH_CTE)} ({quote('key')}, {quote('score')})", match_sql, tuple(match_params)))
        branches.append((f"SELECT {len(decode)}, {quote('key')}, '', {quote('score')} FROM {quote(MATCH_CTE)}", ()))
        decode.append(("", MATCH_CTE))
    if not branches:
        return results
    with_sql = ", ".join(f"{name} AS ({sql})" for name, sql, _params in tables)
    sql = f"WITH {with_sql} " + " UNION ALL ".join(branch for branch, _params in branches)
    params = [p for _name, _sql, ps in tables for p in ps] + [p for _branch, ps in branches for p in ps]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    by_format: dict[str, dict[str, int]] = {}
    scores: dict[str, int] = {}
    for number, value, label, count in rows:
        name, kind = decode[number]
        if kind == MATCH_CTE:
            scores[value] = count
        elif kind == FORMATS:  # what formats__contains=fmt counts, for each format
            totals = by_format.setdefault(name, dict.fromkeys(DOWNLOAD_FORMATS, 0))
            for fmt in DOWNLOAD_FORMATS:
                if fmt in (value or ""):
                    totals[fmt] += count
        else:
            results[name].append((value, label, count))
    for name, totals in by_format.items():
        results[name] = [(fmt, fmt, n) for fmt, n in totals.items()]
    if matching:
        match.scores = scores
    return results


def _facets(datasets: QuerySet, filters: OpenFilters, *, total: QuerySet | None = None,
            match: TextMatch | None = None) -> tuple[tuple[Facet, ...], int | None]:
    """Counts of the result per facet value. Counts are of the result as filtered by the *other*
    facets, so a visitor sees how many each alternative value would give (the usual drill-down).
    With `total` (the filtered result) its row count comes from the same query."""
    grouped = {
        "department": ("department_code", "department_name"),
        "region": ("region_code", "region_name"),
    }
    labelled = {
        "theme": lambda v: str(Theme(v).label) if v in Theme.values else str(NO_THEME),
        "tier": lambda v: str(OpenTier(v).label) if v in OpenTier.values else v,
        "update_cycle": lambda v: str(UpdateCycle(v).label) if v in UpdateCycle.values else v,
    }
    names = ("department", "theme", "format", "tier", "update_cycle", "region")
    specs = []
    for name in names:
        base = _filtered(datasets, filters, skip=name)
        if name == "format":
            specs.append(CountSpec(name, base, FORMATS))
        else:
            column, label = grouped.get(name, (name, ""))
            specs.append(CountSpec(name, base, column, label))
    if total is not None:
        specs.append(CountSpec(TOTAL, total, TOTAL))
    counts = count_many(specs, match=match)
    facets = []
    for name in names:
        selected = set(getattr(filters, name))
        if name == "format":
            by_format = {value: count for value, _label, count in counts[name]}
            values = tuple(FacetValue(fmt, fmt, by_format[fmt], fmt in selected)
                           for fmt in DOWNLOAD_FORMATS if by_format.get(fmt))
        else:
            rows = sorted(counts[name], key=lambda r: (-r[2], r[0], r[1]))
            if name in grouped:
                values = tuple(FacetValue(v, label, n, v in selected) for v, label, n in rows)
            else:
                values = tuple(FacetValue(v, labelled[name](v), n, v in selected) for v, _label, n in rows)
        facets.append(Facet(name, str(FACET_LABELS[name]), values))
    return tuple(facets), (sum(n for _v, _l, n in counts[TOTAL]) if total is not None else None)


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
    match = TextMatch(query) if query else None

    def matching() -> QuerySet:
        return match.filter(open_dataset_queryset()) if match is not None else open_dataset_queryset()

    if with_facets:  # the facets, the total and the text match in one query
        facets, total = _facets(matching(), filters, total=_filtered(matching(), filters), match=match)
    else:
        if match is not None:
            match.resolve()
        facets, total = (), _filtered(matching(), filters).count()
    datasets = _filtered(matching(), filters)  # the match is resolved now
    if sort == "relevance" and match is not None:
        ordered = datasets.annotate(search_score=match.score()).order_by("-search_score", "-metadata_modified", "name")
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
