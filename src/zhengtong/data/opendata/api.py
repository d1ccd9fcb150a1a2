"""The open API (开放接口): /api/v1/open/…

    GET /api/v1/open/datasets?q=…&department=…&theme=…&format=…&tier=…&update_cycle=…&region=…&tag=…
                              &sort=…&offset=0&limit=20                     (no key needed)
    GET /api/v1/open/datasets/{code}                                        (no key needed)
    GET /api/v1/open/datasets/{code}/records?filter[<column>]=<value>&fields=a,b&limit=100&after=<cursor>
                                                                            (key required)
    GET /api/v1/open/usage                                                  (key required)

A developer key goes in `Authorization: Key zto_…` (or `Bearer zto_…`). Refusals answer
{"code", "detail"} with the status of errors.py, the detail in Chinese unless Accept-Language asks
for English; 429 carries Retry-After. Every read starts from OpenDataset, so nothing here can name
or count a dataset the public may not see: an unknown and a hidden code get the same
dataset_unknown.
"""

import re

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import authentication, exceptions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from zhengtong.data.ingest.public import version_list

from . import access, keys, records, selectors, usage
from .errors import OpenDataError
from .models import DeveloperKey, OpenDataset, OpenTier
from .selectors import OpenFilters

TAGS = ["open data"]
MAX_SEARCH_LIMIT = 100
DEFAULT_SEARCH_LIMIT = 20
FACET_PARAMS = ("department", "theme", "format", "tier", "update_cycle", "region", "tag")
SEARCH_PARAMS = {"q", "sort", "offset", "limit", *FACET_PARAMS}
RECORD_PARAMS = {"fields", "limit", "after"}
FILTER_PARAM = re.compile(r"^filter\[([^\[\]]{1,64})\]$")
MEDIA_TYPES = {"CSV": "text/csv", "JSON": "application/json", "Parquet": "application/vnd.apache.parquet",
               "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# --- authentication, negotiation, errors --------------------------------------------------------------


class DeveloperKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Key zto_…` (or Bearer, or the bare key): request.user is the key's owner,
    request.auth the DeveloperKey. No header: anonymous (metadata needs no key)."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.strip():
            return None
        key = keys.key_authenticate(header)  # OpenDataError for a bad key: handled by OpenApi
        return key.owner, key

    def authenticate_header(self, request):
        return "Key"


class DeveloperKeyScheme(OpenApiAuthenticationExtension):
    """The developer-key header in the OpenAPI schema (drf-spectacular finds it by subclassing)."""

    target_class = "zhengtong.data.opendata.api.DeveloperKeyAuthentication"
    name = "DeveloperKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Key zto_<prefix>_<secret>`: a developer key from /opendata/developer/."}


class JsonOnly(BaseContentNegotiation):
    """JSON, always. DRF's default negotiation reads `?format=` as a renderer choice, but here
    `format` is a search facet (CSV, JSON, Parquet, XLSX)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_serializer(component_name="OpenDataError")
class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable machine code, e.g. dataset_unknown, field_unknown, rate_limited."))
    detail = serializers.CharField(help_text=_("Explanation in the request's language (Chinese unless Accept-Language asks for English)."))


class OpenApi(APIView):
    """Common to the open API: developer keys (optional unless the view needs one), JSON, our errors."""

    authentication_classes = [DeveloperKeyAuthentication]
    permission_classes: list = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnly
    key_required = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.auth if isinstance(request.auth, DeveloperKey) else None
        if key is None and self.key_required:
            raise OpenDataError("key_required")
        self.meter(request, key)

    def meter(self, request: Request, key: DeveloperKey | None) -> None:
        """Metadata calls: the rate limit only (per key, or per client address without one)."""
        if key is not None:
            keys.key_rate_check(key)
        else:
            keys.anonymous_rate_check(request.META.get("REMOTE_ADDR", ""))

    def handle_exception(self, exc):
        if isinstance(exc, OpenDataError):
            headers = {}
            if exc.status == 429:
                headers["Retry-After"] = str(exc.params.get("retry_after", 60))
            if exc.status == 401:
                headers["WWW-Authenticate"] = "Key"
            return Response(exc.as_dict(), status=exc.status, headers=headers)
        if isinstance(exc, exceptions.APIException):  # e.g. 405 for a POST: our shape, DRF's status
            error = OpenDataError("bad_request", detail=str(exc.detail))
            return Response(error.as_dict(), status=exc.status_code)
        return super().handle_exception(exc)


def _dataset(code: str) -> OpenDataset:
    """A public dataset by resource code (any case); dataset_unknown otherwise, the same for a
    dataset that does not exist and one the public may not see."""
    try:
        return selectors.open_dataset_get(name=code)
    except OpenDataset.DoesNotExist:
        raise OpenDataError("dataset_unknown", dataset=code[:64]) from None


def _single(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise OpenDataError("query_invalid", detail=_("“%(name)s” is given more than once.") % {"name": name})
    return values[0] if values else None


def _whole_number(text: str | None) -> int | None:
    if text is None or not re.fullmatch(r"\s*\d{1,9}\s*", text):
        return None
    return int(text)


def _unknown_params(request: Request, allowed: set[str], *, filters: bool = False) -> None:
    for name in request.query_params:
        if name in allowed or (filters and FILTER_PARAM.match(name)):
            continue
        if filters and name.startswith("filter"):
            raise OpenDataError("query_invalid", detail=_(
                "“%(name)s” is not a filter; write filter[<column>]=<value>.") % {"name": name[:80]})
        raise OpenDataError("query_invalid", detail=_("“%(name)s” is not a parameter of this call; its parameters: %(allowed)s.")
                            % {"name": name[:80], "allowed": "、".join(sorted(allowed | ({"filter[<column>]"} if filters else set())))})


# --- output ------------------------------------------------------------------------------------------


def _absolute(request: Request, path: str) -> str:
    return request.build_absolute_uri(path)


def _portal_url(request: Request, dataset: OpenDataset) -> str:
    try:
        return _absolute(request, reverse("opendata:dataset", kwargs={"code": dataset.resource_code}))
    except NoReverseMatch:
        return _absolute(request, f"/opendata/datasets/{dataset.resource_code}/")


def _download_url(request: Request, dataset: OpenDataset, fmt: str) -> str:
    try:
        return _absolute(request, reverse("opendata:download", kwargs={"code": dataset.resource_code, "fmt": fmt.lower()}))
    except NoReverseMatch:
        return _absolute(request, f"/opendata/datasets/{dataset.resource_code}/download.{fmt.lower()}")


def _summary(request: Request, dataset: OpenDataset) -> dict:
    return {
        "code": dataset.resource_code,
        "name": dataset.name,
        "id": str(dataset.public_id),
        "title": dataset.title,
        "title_en": dataset.title_en,
        "description": dataset.description,
        "keywords": list(dataset.keywords),
        "department": {"code": dataset.department_code, "name": dataset.department_name},
        "region": {"code": dataset.region_code, "name": dataset.region_name},
        "theme": dataset.theme,
        "tier": dataset.tier,
        "update_cycle": dataset.update_cycle,
        "licence": dataset.licence,
        "formats": dataset.format_list,
        "row_count": dataset.row_count if dataset.format_list else None,
        "quality_score": float(dataset.quality_score) if dataset.quality_score is not None else None,
        "openness_stars": dataset.openness_stars,
        "metadata_modified": dataset.metadata_modified.isoformat(),
        "data_modified": dataset.data_modified.isoformat() if dataset.data_modified else None,
        "url": _absolute(request, reverse("opendata-api-dataset", kwargs={"code": dataset.resource_code})),
        "portal_url": _portal_url(request, dataset),
    }


def _versions(dataset: OpenDataset) -> list[dict]:
    """The change history of the data: each ingest version, newest first, with its rows and the
    change against the version before it (the first one's change is all its rows)."""
    versions = sorted(version_list(dataset.dataset_id), key=lambda v: v.number)
    history, previous = [], 0
    for version in versions:
        history.append({"version": version.number, "row_count": version.row_count,
                        "row_count_delta": version.row_count - previous, "mode": version.mode,
                        "created_at": version.created_at.isoformat()})
        previous = version.row_count
    return history[::-1]


def _detail(request: Request, dataset: OpenDataset) -> dict:
    served = getattr(dataset, "served", None)
    formats = dataset.format_list
    body = _summary(request, dataset)
    body.update({
        "description_en": dataset.description_en,
        "spatial": {"code": dataset.spatial_code, "name": dataset.spatial_name} if dataset.spatial_code else None,
        "temporal": {"start": dataset.temporal_start.isoformat() if dataset.temporal_start else None,
                     "end": dataset.temporal_end.isoformat() if dataset.temporal_end else None},
        "contact": {"name": dataset.contact_name, "email": dataset.contact_email},
        "published_at": dataset.published_at.isoformat() if dataset.published_at else None,
        "schema": dataset.schema,
        "version": dataset.version,
        "versions": _versions(dataset),
        "served_version": served.version if served is not None and formats else None,
        "downloads": [{"format": fmt, "media_type": MEDIA_TYPES.get(fmt, "application/octet-stream"),
                       "url": _download_url(request, dataset, fmt)} for fmt in formats],
        "records_url": _absolute(request, reverse("opendata-api-records", kwargs={"code": dataset.resource_code}))
        if formats else None,
        "application_required": dataset.tier == OpenTier.ON_APPLICATION,
    })
    return body


def _facets(page) -> list[dict]:
    return [{"name": facet.name, "label": facet.label,
             "values": [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                        for v in facet.values]} for facet in page.facets]


# --- schema documentation -------------------------------------------------------------------------------


@extend_schema_serializer(component_name="OpenDepartment")
class NamedCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="OpenDatasetSummary")
class SummarySerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("The resource code, e.g. 330106-SJ-00101."))
    name = serializers.CharField(help_text=_("The resource code in lower case (CKAN's name)."))
    id = serializers.UUIDField()
    title = serializers.CharField()
    title_en = serializers.CharField()
    description = serializers.CharField()
    keywords = serializers.ListField(child=serializers.CharField())
    department = NamedCodeSerializer()
    region = NamedCodeSerializer()
    theme = serializers.CharField(help_text=_("An EU data-theme code; empty when none."))
    tier = serializers.ChoiceField(choices=OpenTier.choices)
    update_cycle = serializers.CharField()
    licence = serializers.CharField()
    formats = serializers.ListField(child=serializers.CharField(), help_text=_("Download formats; empty while there is no data."))
    row_count = serializers.IntegerField(allow_null=True)
    quality_score = serializers.FloatField(allow_null=True)
    openness_stars = serializers.IntegerField(help_text=_("0-5 on the 5-star openness scale."))
    metadata_modified = serializers.DateTimeField()
    data_modified = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField()
    portal_url = serializers.URLField()


@extend_schema_serializer(component_name="OpenFacetValue")
class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


@extend_schema_serializer(component_name="OpenFacet")
class FacetSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("The query parameter that selects a value, e.g. department."))
    label = serializers.CharField()
    values = FacetValueSerializer(many=True)


@extend_schema_serializer(component_name="OpenDatasetList")
class SearchSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = SummarySerializer(many=True)
    facets = FacetSerializer(many=True)


@extend_schema_serializer(component_name="OpenDatasetVersion")
class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    row_count = serializers.IntegerField()
    row_count_delta = serializers.IntegerField(help_text=_("Rows more (or fewer) than the version before."))
    mode = serializers.CharField()
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="OpenDownload")
class DownloadSerializer(serializers.Serializer):
    format = serializers.CharField()
    media_type = serializers.CharField()
    url = serializers.URLField()


@extend_schema_serializer(component_name="OpenDataset")
class DetailSerializer(SummarySerializer):
    description_en = serializers.CharField()
    spatial = NamedCodeSerializer(allow_null=True)
    temporal = serializers.DictField()
    contact = serializers.DictField()
    published_at = serializers.DateTimeField(allow_null=True)
    schema = serializers.DictField(allow_null=True, help_text=_("The Frictionless Table Schema; masked fields say so."))
    version = serializers.IntegerField(allow_null=True)
    versions = VersionSerializer(many=True)
    served_version = serializers.IntegerField(allow_null=True)
    downloads = DownloadSerializer(many=True)
    records_url = serializers.URLField(allow_null=True)
    application_required = serializers.BooleanField()


@extend_schema_serializer(component_name="OpenRecordsPage")
class RecordsSerializer(serializers.Serializer):
    fields = serializers.ListField(child=serializers.DictField(), help_text=_("[{id, type}], “_id” first."))
    records = serializers.ListField(child=serializers.DictField())
    next = serializers.URLField(allow_null=True, help_text=_("The next page's full URL; null on the last page."))
    next_cursor = serializers.CharField(allow_null=True, help_text=_("Pass as “after” for the next page."))
    total = serializers.IntegerField(allow_null=True)
    total_was_estimated = serializers.BooleanField()


@extend_schema_serializer(component_name="OpenKeyUsage")
class UsageSerializer(serializers.Serializer):
    key = serializers.DictField(help_text=_("The calling key: prefix, name, limits, calls today."))
    days = serializers.IntegerField()
    since = serializers.DateField()
    calls = serializers.IntegerField()
    rows = serializers.IntegerField()
    usage = serializers.ListField(child=serializers.DictField(), help_text=_(
        "Calls and rows per day and dataset, newest day first: [{day, resource_code, title, calls, rows}]."))


def _refusals(*codes_by_status: tuple[int, str]) -> dict:
    return {status: OpenApiResponse(ErrorSerializer, description=codes) for status, codes in codes_by_status}


CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH,
                        description=_("The dataset's resource code, e.g. 330106-SJ-00101."))
KEY_HEADER = OpenApiParameter("Authorization", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                              description=_("Key zto_<prefix>_<secret>"))


# --- views --------------------------------------------------------------------------------------------


class DatasetListApi(OpenApi):
    @extend_schema(
        tags=TAGS, operation_id="open_dataset_list", summary=_("Search the open datasets"),
        description=_("Full-text search (Chinese word segmentation) with facets. Each facet parameter may be "
                      "repeated: values of one facet are alternatives, facets combine. No key needed."),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description=_("Words to search for.")),
            *[OpenApiParameter(name, OpenApiTypes.STR, many=True, explode=True) for name in FACET_PARAMS],
            OpenApiParameter("sort", OpenApiTypes.STR, enum=list(selectors.SORTS)),
            OpenApiParameter("offset", OpenApiTypes.INT, description=_("Results to skip (default 0).")),
            OpenApiParameter("limit", OpenApiTypes.INT, description=_("Results a page, 1-100 (default 20).")),
        ],
        responses={200: SearchSerializer, **_refusals((400, "query_invalid, sort_invalid, limit_too_large, offset_invalid"),
                                                      (401, "key_invalid, key_expired, key_revoked"),
                                                      (429, "rate_limited"))},
    )
    def get(self, request: Request) -> Response:
        _unknown_params(request, SEARCH_PARAMS)
        params = request.query_params
        query = _single(request, "q") or ""
        sort = _single(request, "sort") or None
        if sort is not None and sort not in selectors.SORTS:
            raise OpenDataError("sort_invalid", sort=sort[:64], allowed=list(selectors.SORTS))
        offset_text, limit_text = _single(request, "offset"), _single(request, "limit")
        offset = _whole_number(offset_text) if offset_text is not None else 0
        if offset is None:
            raise OpenDataError("offset_invalid")
        limit = _whole_number(limit_text) if limit_text is not None else DEFAULT_SEARCH_LIMIT
        if limit is None or not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise OpenDataError("limit_too_large", max=MAX_SEARCH_LIMIT)
        filters = OpenFilters(**{name: tuple(v for v in params.getlist(name) if v != "" or name == "theme")
                                 for name in FACET_PARAMS})
        try:
            page = selectors.open_dataset_search(query=query, filters=filters, sort=sort, offset=offset, limit=limit)
        except ValueError as error:  # the checks above leave none; kept for a change of the selector
            raise OpenDataError("query_invalid", detail=str(error)) from None
        return Response({"count": page.total, "results": [_summary(request, d) for d in page.results],
                         "facets": _facets(page)})


class DatasetDetailApi(OpenApi):
    @extend_schema(
        tags=TAGS, operation_id="open_dataset_read", summary=_("One open dataset's metadata"),
        description=_("Schema, versions of the data with row-count changes, download formats, quality score "
                      "and openness stars. No key needed."),
        parameters=[CODE],
        responses={200: DetailSerializer, **_refusals((404, "dataset_unknown"), (401, "key_invalid, key_expired, key_revoked"),
                                                      (429, "rate_limited"))},
    )
    def get(self, request: Request, code: str) -> Response:
        _unknown_params(request, set())
        return Response(_detail(request, _dataset(code)))


class RecordsApi(OpenApi):
    key_required = True

    def meter(self, request: Request, key: DeveloperKey | None) -> None:
        keys.key_meter(key)  # the rate limit and the daily quota

    @extend_schema(
        tags=TAGS, operation_id="open_dataset_records", summary=_("Records of an open dataset"),
        description=_("Needs a developer key. Filters are equality on columns: filter[<column>]=<value>. Pages are "
                      "in row order; follow “next” (or pass “next_cursor” as “after”) for the next page. Data open "
                      "on application is served, masked, only to the key of an approved applicant."),
        parameters=[
            CODE, KEY_HEADER,
            OpenApiParameter("filter[<column>]", OpenApiTypes.STR, description=_("Equality filter on a column; repeat for several columns.")),
            OpenApiParameter("fields", OpenApiTypes.STR, description=_("Comma-separated columns (default: all).")),
            OpenApiParameter("limit", OpenApiTypes.INT, description=_("Records a page, 1-%(max)s (default %(default)s).")
                             % {"max": records.MAX_LIMIT, "default": records.DEFAULT_LIMIT}),
            OpenApiParameter("after", OpenApiTypes.STR, description=_("The previous page's next_cursor.")),
        ],
        responses={200: RecordsSerializer, **_refusals(
            (400, "field_unknown, filter_value_invalid, limit_too_large, cursor_invalid, query_invalid"),
            (401, "key_required, key_invalid, key_expired, key_revoked"),
            (403, "application_required, application_expired"),
            (404, "dataset_unknown"), (409, "no_data"), (429, "rate_limited, quota_exhausted (see Retry-After)"))},
    )
    def get(self, request: Request, code: str) -> Response:
        key: DeveloperKey = request.auth
        dataset = _dataset(code)
        _unknown_params(request, RECORD_PARAMS, filters=True)
        filters = {}
        for name in request.query_params:
            match = FILTER_PARAM.match(name)
            if match:
                filters[match.group(1)] = _single(request, name)
        limit_text = _single(request, "limit")
        limit = _whole_number(limit_text) if limit_text is not None else records.DEFAULT_LIMIT
        if limit is None or not 1 <= limit <= records.MAX_LIMIT:
            raise OpenDataError("limit_too_large", max=records.MAX_LIMIT)
        fields = [n.strip() for n in (_single(request, "fields") or "").split(",") if n.strip()]
        after = _single(request, "after") or None
        granted = access.data_access_check(open_dataset=dataset, user=key.owner, key=key)
        page = records.records_page(dataset, filters=filters, fields=fields, limit=limit, after=after)
        access.data_read_record(access=granted, channel="api", rows=len(page.records),
                                detail={"filters": sorted(filters), "fields": fields, "limit": limit})
        keys.key_meter_count(key)
        next_url = None
        if page.next_cursor:
            next_url = replace_query_param(request.build_absolute_uri(), "after", page.next_cursor)
        return Response({"fields": page.fields, "records": page.records, "next": next_url,
                         "next_cursor": page.next_cursor, "total": page.total,
                         "total_was_estimated": page.total_was_estimated})


class UsageApi(OpenApi):
    key_required = True

    @extend_schema(
        tags=TAGS, operation_id="open_key_usage", summary=_("The calling key's usage"),
        description=_("Calls and rows per day and dataset over the last 30 days, and today's count against the quota."),
        parameters=[KEY_HEADER],
        responses={200: UsageSerializer, **_refusals((401, "key_required, key_invalid, key_expired, key_revoked"),
                                                     (429, "rate_limited"))},
    )
    def get(self, request: Request) -> Response:
        _unknown_params(request, set())
        key: DeveloperKey = request.auth
        summary = usage.usage_key_summary(key.prefix, days=30)
        return Response({
            "key": {"prefix": key.prefix, "name": key.name, "rate_per_minute": key.rate_per_minute,
                    "daily_quota": key.daily_quota, "calls_today": keys.key_calls_today(key),
                    "created_at": key.created_at.isoformat(),
                    "expires_at": key.expires_at.isoformat() if key.expires_at else None},
            "days": summary.days,
            "since": summary.since.isoformat(),
            "calls": summary.calls,
            "rows": summary.rows,
            "usage": [{"day": line.day.isoformat(), "resource_code": line.resource_code, "title": line.title,
                       "calls": line.calls, "rows": line.rows} for line in summary.rows_by_dataset_day],
        })
