"""The public pages of the open-data portal (数据开放门户): search with facets, dataset pages,
previews and downloads. No sign-in is needed for data open to everyone.

Every page starts from OpenDataset (selectors.open_dataset_search / open_dataset_get), which holds
nothing the public may not see; a hidden dataset and one that does not exist give the same 404,
which names nothing. Rows leave only through access.data_access_check and are metered (and, for
on-application data, logged) with access.data_read_record.
"""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from django.utils.cache import patch_vary_headers
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_safe

from zhengtong.data.catalog.public import Theme, UpdateCycle
from zhengtong.data.ingest.public import version_list

from . import access, records, selectors
from .errors import OpenDataError
from .models import OpenDataset, OpenTier
from .usage import usage_dataset_summary
from .visibility import DOWNLOAD_FORMATS

PAGE_SIZE = 20
# Facet parameters of the search form: the query-string name is the OpenFilters field.
FACETS = ("department", "theme", "format", "tier", "update_cycle", "region")
MAX_VALUES_PER_FACET = 20  # more than any facet has; a longer list is not a person's request
MAX_QUERY_LENGTH = 200
MAX_PAGE_NUMBER = 10_000

SORT_LABELS = {
    "relevance": _("Best match"),
    "metadata_modified desc": _("Recently updated"),
    "title asc": _("Title"),
    "name asc": _("Resource code"),
    # Not offered: selectors' "row_count desc" puts datasets without data first on PostgreSQL
    # (NULLs sort high there), so the page would lead with the emptiest datasets.
}
LICENCES = {
    # code: (label, licence text)
    "CC-BY-4.0": (_("Creative Commons Attribution 4.0"), "https://creativecommons.org/licenses/by/4.0/deed.zh-hans"),
    "CC0-1.0": (_("Creative Commons Zero 1.0 (public domain)"),
                "https://creativecommons.org/publicdomain/zero/1.0/deed.zh-hans"),
}
FORMAT_NAMES = {"CSV": "csv", "JSON": "json", "Parquet": "parquet", "XLSX": "xlsx"}
FORMAT_HINTS = {
    "CSV": _("Comma-separated text, UTF-8; opens in Excel and WPS"),
    "JSON": _("A JSON array of records, for programs"),
    "Parquet": _("Columnar, compressed, with types; for analysis tools"),
    "XLSX": _("An Excel workbook"),
}
TIER_TONES = {OpenTier.OPEN: "success", OpenTier.ON_APPLICATION: "warning"}
STAR_STEPS = (
    _("On the web under an open licence"),
    _("Structured data (an Excel workbook)"),
    _("A non-proprietary format (CSV, JSON, Parquet)"),
    _("Described with standard vocabularies (DCAT-AP metadata and a table schema)"),
    _("Linked: columns that are codes of shared registers (divisions, credit codes)"),
)


# -- search ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchPage:
    """What the pagination component reads of a Django Page, for a page the selector counted."""

    number: int
    total: int
    page_size: int = PAGE_SIZE

    @property
    def paginator(self):
        return self

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1

    def start_index(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.page_size + 1

    def end_index(self) -> int:
        return min(self.total, self.number * self.page_size)


def _search_input(request) -> tuple[str, selectors.OpenFilters, str | None, int]:
    """The search form's GET parameters, made safe: unknown sorts and page numbers fall back to the
    default, so a hand-edited or stale link still shows a page instead of an error."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    filters = selectors.OpenFilters(**{
        name: tuple(dict.fromkeys(v.strip()[:64] for v in request.GET.getlist(name)[:MAX_VALUES_PER_FACET] if v.strip()))
        for name in FACETS
    })
    sort = request.GET.get("sort") or None
    if sort not in SORT_LABELS or (sort == "relevance" and not query):
        sort = None
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    return query, filters, sort, min(max(number, 1), MAX_PAGE_NUMBER)


def _facet_groups(facets, filters) -> list[dict]:
    """The selector's facets for checkbox groups; a value the visitor ticked that now counts
    nothing stays in its group (with 0), so unticking it stays possible."""
    groups = []
    for facet in facets:
        values = list(facet.values)
        present = {v.value for v in values}
        for value in getattr(filters, facet.name):
            if value not in present:
                values.append(selectors.FacetValue(value, _facet_label(facet.name, value), 0, True))
        if values:
            groups.append({"name": facet.name, "label": facet.label, "values": values})
    return groups


def _facet_label(name: str, value: str) -> str:
    """A value's label when no dataset carries it (so the selector gave none); codes of departments
    and regions stay codes, as their names come only with datasets."""
    if name == "theme":
        return _theme_label(value)
    if name == "update_cycle":
        return _cycle_label(value)
    if name == "tier" and value in OpenTier.values:
        return str(OpenTier(value).label)
    return value


@require_safe
def portal_home(request):
    """/opendata/: the portal's front page is its search (everything found by default)."""
    query, filters, sort, number = _search_input(request)
    effective_sort = sort or ("relevance" if query else selectors.DEFAULT_SORT)
    result = selectors.open_dataset_search(query=query, filters=filters, sort=effective_sort,
                                           offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    page_obj = SearchPage(number=number, total=result.total)
    if number > page_obj.num_pages:  # past the end (a stale link): show the last page
        number = page_obj.num_pages
        page_obj = SearchPage(number=number, total=result.total)
        result = selectors.open_dataset_search(query=query, filters=filters, sort=effective_sort,
                                               offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    filtered = query or any(getattr(filters, name) for name in FACETS)
    sorts = [(value, label) for value, label in SORT_LABELS.items() if value != "relevance" or query]
    home = reverse("opendata:home")
    context = {
        "query": query,
        "results": [_summary(d) for d in result.results],
        "total": result.total,
        "facet_groups": _facet_groups(result.facets, filters),
        "sorts": sorts,
        "sort": effective_sort,
        "page_obj": page_obj,
        "filtered": filtered,
        "links": _portal_links(home),
    }
    return render(request, "opendata/portal/home.html", context)


def _portal_links(home: str) -> dict:
    """Other parts of the portal, by path (they keep URL modules of their own)."""
    return {
        "api_docs": reverse("api-docs"),
        "ckan": "/api/3/action/package_search",
        "dcat_ttl": f"{home}catalog.ttl",
        "dcat_jsonld": f"{home}catalog.jsonld",
        "dcat_rdf": f"{home}catalog.rdf",
        "developer": f"{home}developer/",
        "requests": f"{home}requests/",
        "showcases": f"{home}showcases/",
        "index": f"{home}index/",
    }


def _theme_label(code: str) -> str:
    return str(Theme(code).label) if code in Theme.values else str(selectors.NO_THEME)


def _cycle_label(code: str) -> str:
    return str(UpdateCycle(code).label) if code in UpdateCycle.values else code


def _summary(open_dataset: OpenDataset) -> dict:
    return {
        "dataset": open_dataset,
        "theme": _theme_label(open_dataset.theme),
        "update_cycle": _cycle_label(open_dataset.update_cycle),
        "tier": str(OpenTier(open_dataset.tier).label),
        "tier_tone": TIER_TONES.get(open_dataset.tier, "info"),
        "quality": _score(open_dataset.quality_score),
    }


def _score(score: Decimal | None) -> str | None:
    if score is None:
        return None
    return f"{score.quantize(Decimal('0.1'))}".rstrip("0").rstrip(".")


# -- one dataset ----------------------------------------------------------------------------

def _open_dataset_or_404(code: str) -> OpenDataset:
    """The public dataset with this resource code (any letter case). Unknown and hidden are the
    same 404, and the page names neither."""
    try:
        return selectors.open_dataset_get(name=code)
    except OpenDataset.DoesNotExist:
        raise Http404 from None


def _served(open_dataset: OpenDataset):
    served = getattr(open_dataset, "served", None)
    return served if served is not None and served.version == open_dataset.version else None


def _versions(dataset_id: int) -> list[dict]:
    """The change history of the data: each version with its rows and the change from the one
    before (newest first)."""
    versions = sorted(version_list(dataset_id), key=lambda v: v.number)
    history, previous = [], None
    for version in versions:
        delta = None if previous is None else version.row_count - previous.row_count
        history.append({"number": version.number, "created_at": version.created_at, "rows": version.row_count,
                        "delta": delta, "removed": -delta if delta and delta < 0 else 0,
                        "mode": version.mode})
        previous = version
    return history[::-1]


def _downloads(open_dataset: OpenDataset, served) -> list[dict]:
    downloads = []
    for fmt in open_dataset.format_list:
        ext = FORMAT_NAMES[fmt]
        downloads.append({
            "format": fmt, "ext": ext, "hint": FORMAT_HINTS[fmt],
            "url": reverse("opendata:download", kwargs={"code": open_dataset.resource_code, "fmt": ext}),
            "rows": served.row_count if served else open_dataset.row_count,
            # The served Parquet is the one file whose size is known before it is made.
            "size": served.byte_size if served and fmt == "Parquet" and served.byte_size else None,
        })
    return downloads


def _machine_links(open_dataset: OpenDataset) -> list[tuple[str, str]]:
    home = reverse("opendata:home")
    code = open_dataset.resource_code
    return [
        (_("DCAT-AP (Turtle)"), f"{home}datasets/{code}.ttl"),
        (_("DCAT-AP (JSON-LD)"), f"{home}datasets/{code}.jsonld"),
        (_("DCAT-AP (RDF/XML)"), f"{home}datasets/{code}.rdf"),
        (_("Frictionless Data Package (datapackage.json)"), f"{home}datasets/{code}/datapackage.json"),
        (_("Open API: the dataset's metadata"), f"/api/v1/open/datasets/{code}"),
        (_("Open API: its records (needs a developer key)"), f"/api/v1/open/datasets/{code}/records"),
        (_("CKAN API: package_show"), f"/api/3/action/package_show?id={open_dataset.name}"),
    ]


def _preview(request, open_dataset: OpenDataset, served) -> dict:
    """The first rows for the page, read like any other delivery of rows: access checked first,
    metered after. For data open on application the page shows no rows at all."""
    if open_dataset.tier != OpenTier.OPEN:
        return {"state": "on_application"}
    if served is None:
        return {"state": "no_data"}
    grant = access.data_access_check(open_dataset=open_dataset, user=_user(request))
    page = records.records_preview(open_dataset)
    access.data_read_record(access=grant, channel="preview", rows=len(page.records))
    titles = {f["name"]: f for f in (open_dataset.schema or {}).get("fields", [])}
    columns = [f["id"] for f in page.fields if f["id"] != "_id"]
    return {
        "state": "rows",
        "columns": [{"name": c, "title": titles.get(c, {}).get("title", ""), "masked": titles.get(c, {}).get("masked", False)}
                    for c in columns],
        "rows": [[_cell(r.get(c)) for c in columns] for r in page.records],
        "total": served.row_count,
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _user(request):
    return request.user if request.user.is_authenticated else None


@require_GET
def dataset_detail(request, code: str):
    open_dataset = _open_dataset_or_404(code)
    served = _served(open_dataset)
    try:
        preview = _preview(request, open_dataset, served)
    except OpenDataError:  # the data went away between the read of the row and of the file
        preview = {"state": "no_data"}
    licence = LICENCES.get(open_dataset.licence)
    context = {
        "dataset": open_dataset,
        "summary": _summary(open_dataset),
        "licence_label": licence[0] if licence else open_dataset.licence,
        "licence_url": licence[1] if licence else "",
        "fields": (open_dataset.schema or {}).get("fields", []),
        "primary_key": (open_dataset.schema or {}).get("primaryKey", []),
        "versions": _versions(open_dataset.dataset_id),
        "preview": preview,
        "downloads": _downloads(open_dataset, served),
        "machine_links": _machine_links(open_dataset),
        "apply_url": f"{reverse('opendata:dataset', kwargs={'code': open_dataset.resource_code})}apply/",
        "usage": usage_dataset_summary(open_dataset.resource_code, days=30),
        "stars": _stars(open_dataset.openness_stars),
        "on_application": open_dataset.tier == OpenTier.ON_APPLICATION,
    }
    return render(request, "opendata/portal/dataset.html", context)


def _stars(count: int) -> dict:
    return {"count": count, "steps": [{"number": n, "text": text, "reached": n <= count}
                                      for n, text in enumerate(STAR_STEPS, start=1)]}


@require_GET
def dataset_preview(request, code: str):
    """The preview alone: a page of its own without JavaScript, the table only for htmx."""
    open_dataset = _open_dataset_or_404(code)
    try:
        preview = _preview(request, open_dataset, _served(open_dataset))
    except OpenDataError:
        preview = {"state": "no_data"}
    context = {"dataset": open_dataset, "preview": preview,
               "apply_url": f"{reverse('opendata:dataset', kwargs={'code': open_dataset.resource_code})}apply/"}
    template = "opendata/portal/_preview.html" if request.headers.get("HX-Request") else "opendata/portal/preview.html"
    return render(request, template, context)


# -- downloads ------------------------------------------------------------------------------

def content_disposition(filename: str, fallback: str) -> str:
    """attachment with the real name RFC 5987-encoded, which every current browser uses (so a
    Chinese title survives the trip), and an ASCII `fallback` for the clients that do not."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in fallback)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@require_GET
def dataset_download(request, code: str, fmt: str):
    open_dataset = _open_dataset_or_404(code)  # as the dataset page: a 404 that names nothing
    fmt = fmt.lower()
    try:
        if fmt not in FORMAT_NAMES.values():
            raise OpenDataError("format_unknown", format=fmt, allowed=[f.lower() for f in DOWNLOAD_FORMATS])
        grant = access.data_access_check(open_dataset=open_dataset, user=_user(request))
        packed = records.download_csv_gzip(open_dataset) if fmt == "csv" and _accepts_gzip(request) else None
        if packed is not None:
            chunks, length = packed
            content_type = records.CONTENT_TYPES["csv"]
        else:
            chunks, content_type, length = records.download_stream(open_dataset, fmt)
    except OpenDataError as error:
        return _error(request, error, open_dataset)
    served = _served(open_dataset)
    rows = served.row_count if served else (open_dataset.row_count or 0)
    access.data_read_record(access=grant, channel="download", rows=rows, detail={"format": fmt})
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = content_disposition(f"{open_dataset.resource_code} {open_dataset.title}.{fmt}",
                                                          f"{open_dataset.resource_code}.{fmt}")
    if length is not None:
        response["Content-Length"] = str(length)
    if fmt == "csv":
        patch_vary_headers(response, ["Accept-Encoding"])
        if packed is not None:
            response["Content-Encoding"] = "gzip"  # the CSV rendered once per version, sent as it is
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _accepts_gzip(request) -> bool:
    """Whether the client takes gzip (RFC 9110: listed, and not with q=0)."""
    for part in request.headers.get("Accept-Encoding", "").split(","):
        coding, _sep, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _error(request, error: OpenDataError, open_dataset: OpenDataset):
    dataset_url = reverse("opendata:dataset", kwargs={"code": open_dataset.resource_code})
    context = {
        "error": error,
        "dataset": open_dataset,
        "dataset_url": dataset_url,
        "apply_url": f"{dataset_url}apply/",
        "signed_in": request.user.is_authenticated,
        "login_url": f"{reverse('identity:login')}?next={quote(request.get_full_path())}",
    }
    return render(request, "opendata/portal/error.html", context, status=error.status)
