"""The sharing gateway's REST API (X-Road's security server, as one Django app): /api/v1/share/…

    GET  /api/v1/share/{service}/records/{key}?fields=a,b&plain=a
    POST /api/v1/share/{service}/records:batch   {"keys": [...], "fields": [...], "plain": [...]}
    GET  /api/v1/share/{service}/records?<filter field>=<value>&after=<cursor>&limit=50&fields=…&plain=…
    GET  /api/v1/share/{service}/aggregate?op=count|sum|avg&measure=…&group_by=a,b&<filter field>=<value>

Systems only: `Authorization: ApiKey zt_…` of a registered API client. Optional headers:
X-Correlation-Id (1-64 characters of A-Z a-z 0-9 . _ -, echoed back; one is made when absent or
malformed) and X-Officer (who in the consuming system the call is for, at most 64 characters).
Refusals answer {"code", "detail", "correlation_id"} with the status of exchange.errors, the detail
in Chinese unless Accept-Language asks for English. Every call is logged (gateway.py).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django.urls import path

from zhengtong.kernel.identity.authentication import ApiKeyAuthentication
from zhengtong.kernel.identity.public import actor_from_user

from . import gateway
from .errors import ShareError
from .models import CallOperation

TAGS = ["share"]
RESERVED_QUERY = {"after", "limit", "fields", "plain"}
RESERVED_AGGREGATE = {"op", "measure", "group_by"}


@extend_schema_serializer(component_name="ShareError")
class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable machine code, e.g. grant_expired, out_of_scope, rate_limited."))
    detail = serializers.CharField(help_text=_("Explanation in the request's language (Accept-Language)."))
    correlation_id = serializers.CharField()


@extend_schema_serializer(component_name="SharedRecord")
class RecordSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("The record's key (for a merged registry id: the survivor's id)."))
    values = serializers.DictField(help_text=_("Field → value; masked unless plain was asked for and granted."))
    masked = serializers.ListField(child=serializers.CharField(), help_text=_("The fields whose values are masked."))


@extend_schema_serializer(component_name="ShareBatchInput")
class BatchInputSerializer(serializers.Serializer):
    keys = serializers.ListField(child=serializers.CharField(max_length=gateway.KEY_MAX_LENGTH, trim_whitespace=False),
                                 min_length=1, max_length=gateway.MAX_BATCH)
    fields = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    plain = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)


@extend_schema_serializer(component_name="ShareBatchResult")
class BatchResultSerializer(serializers.Serializer):
    results = serializers.ListField(child=RecordSerializer(allow_null=True),
                                    help_text=_("Aligned with the keys; null where no record is given."))
    status = serializers.ListField(
        child=serializers.ChoiceField(choices=["ok", "unknown_key", "out_of_scope"]),
        help_text=_("Aligned with the keys: ok, unknown_key, or out_of_scope (the record exists but is outside "
                    "the rows your grant covers)."))


@extend_schema_serializer(component_name="ShareQueryPage")
class QueryPageSerializer(serializers.Serializer):
    results = RecordSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text=_("Pass as “after” for the next page; null on the last."))
    estimated_total = serializers.IntegerField(allow_null=True, help_text=_("Matching records (first page only)."))


@extend_schema_serializer(component_name="ShareAggregateGroup")
class AggregateGroupSerializer(serializers.Serializer):
    group = serializers.DictField()
    count = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text=_("The sum or average; null for count."))


@extend_schema_serializer(component_name="ShareAggregateAnswer")
class AggregateSerializer(serializers.Serializer):
    op = serializers.CharField()
    measure = serializers.CharField(allow_blank=True)
    group_by = serializers.ListField(child=serializers.CharField())
    k = serializers.IntegerField(help_text=_("Groups of fewer records than this are left out."))
    groups = AggregateGroupSerializer(many=True)
    suppressed_groups = serializers.IntegerField(help_text=_("How many groups were left out for having under k records."))


SERVICE = OpenApiParameter("service", OpenApiTypes.STR, OpenApiParameter.PATH,
                           description=_("The service code, e.g. ds-330106-ga-00001 or registry-person."))
KEY = OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH,
                       description=_("The record's key (for registry services, the registry id)."))
FIELDS = OpenApiParameter("fields", OpenApiTypes.STR, description=_("Comma-separated fields (default: the grant's)."))
PLAIN = OpenApiParameter("plain", OpenApiTypes.STR, description=_("Comma-separated fields wanted unmasked."))
CORRELATION = OpenApiParameter("X-Correlation-Id", OpenApiTypes.STR, OpenApiParameter.HEADER,
                               description=_("Your id for the call (1-64 of A-Z a-z 0-9 . _ -); echoed back."))
OFFICER = OpenApiParameter("X-Officer", OpenApiTypes.STR, OpenApiParameter.HEADER,
                           description=_("Who in your system the call is for (at most 64 characters)."))
REFUSALS = {
    400: OpenApiResponse(ErrorSerializer, description=_("bad_request, filter_not_allowed, aggregate_not_allowed.")),
    401: OpenApiResponse(ErrorSerializer, description=_("api_client_required, authentication_failed.")),
    403: OpenApiResponse(ErrorSerializer, description=_(
        "grant_missing, grant_expired, grant_revoked, field_not_granted, plain_not_granted, out_of_scope, "
        "consent_required, consent_revoked, consent_expired.")),
    404: OpenApiResponse(ErrorSerializer, description=_("service_unknown, unknown_key.")),
    409: OpenApiResponse(ErrorSerializer, description=_("service_unpublished.")),
    429: OpenApiResponse(ErrorSerializer, description=_("rate_limited (see Retry-After).")),
}


def _names(text: str | None) -> list[str]:
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def _record_data(record: gateway.SharedRecord) -> dict:
    return {"key": record.key, "values": dict(record.values), "masked": list(record.masked)}


class GatewayApi(APIView):
    """Common to the gateway's endpoints: API keys only, JSON only, correlation ids, our errors."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes: list = []
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    operation = CallOperation.RECORD

    def correlation_id(self, request) -> str:
        django_request = getattr(request, "_request", request)
        cid = getattr(django_request, "_zt_correlation_id", None)
        if cid is None:
            cid = gateway.correlation_id_accept(django_request.headers.get("X-Correlation-Id"))
            django_request._zt_correlation_id = cid
        return cid

    def caller(self, request: Request) -> gateway.Caller:
        client = request.auth
        return gateway.Caller(
            actor=actor_from_user(request.user), correlation_id=self.correlation_id(request),
            officer=request.headers.get("X-Officer", "").strip(),
            client_public_id=str(client.public_id) if client is not None else "",
            client_name=client.name if client is not None else "",
        )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user or not request.user.is_authenticated:
            raise ShareError("api_client_required")

    def error_response(self, request, error: ShareError) -> Response:
        headers = {}
        if error.code == "rate_limited":
            headers["Retry-After"] = str(error.params.get("retry_after", 60))
        if error.status == 401:
            headers["WWW-Authenticate"] = ApiKeyAuthentication().authenticate_header(request)
        return Response({"code": error.code, "detail": error.message, "correlation_id": self.correlation_id(request)},
                        status=error.status, headers=headers)

    def refuse(self, request: Request, error: ShareError, service: str) -> Response:
        """A refusal before the operation ran (a malformed body): logged like the rest."""
        gateway.share_refuse(caller=self.caller(request), service_code=service, operation=self.operation, error=error)
        return self.error_response(request, error)

    def handle_exception(self, exc):
        if isinstance(exc, ShareError):
            return self.error_response(self.request, exc)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            code = "api_client_required" if isinstance(exc, exceptions.NotAuthenticated) else "authentication_failed"
            return self.error_response(self.request, ShareError(code, detail=str(exc.detail)))
        if isinstance(exc, exceptions.ParseError):
            service = (self.kwargs or {}).get("service", "")
            return self.refuse(self.request, ShareError("bad_request", detail=str(exc.detail)), service)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["X-Correlation-Id"] = self.correlation_id(request)
        return response


class RecordApi(GatewayApi):
    @extend_schema(
        tags=TAGS, operation_id="share_record", summary=_("Read one record by its key"),
        parameters=[SERVICE, KEY, FIELDS, PLAIN, CORRELATION, OFFICER],
        responses={200: RecordSerializer, **REFUSALS},
    )
    def get(self, request: Request, service: str, key: str) -> Response:
        record = gateway.share_record(caller=self.caller(request), service_code=service, key=key,
                                      fields=_names(request.query_params.get("fields")),
                                      plain=_names(request.query_params.get("plain")))
        return Response(_record_data(record))


class BatchApi(GatewayApi):
    operation = CallOperation.BATCH

    @extend_schema(
        tags=TAGS, operation_id="share_batch", summary=_("Read up to 100 records by their keys"),
        parameters=[SERVICE, CORRELATION, OFFICER], request=BatchInputSerializer,
        responses={200: BatchResultSerializer, **REFUSALS},
    )
    def post(self, request: Request, service: str) -> Response:
        serializer = BatchInputSerializer(data=request.data)
        if not serializer.is_valid():
            return self.refuse(request, ShareError("bad_request", detail=_flatten(serializer.errors)), service)
        data = serializer.validated_data
        results = gateway.share_batch(caller=self.caller(request), service_code=service, keys=data["keys"],
                                      fields=data["fields"], plain=data["plain"])
        body = {"results": [], "status": []}
        for result in results:
            if isinstance(result, gateway.SharedRecord):
                body["results"].append(_record_data(result))
                body["status"].append("ok")
            else:
                body["results"].append(None)
                body["status"].append(result.code if isinstance(result, gateway.Withheld) else "unknown_key")
        return Response(body)


def _flatten(errors) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"{name}: {_flatten(value)}" for name, value in errors.items())
    if isinstance(errors, list):
        return " ".join(_flatten(e) for e in errors)
    return str(errors)


def _filters(request: Request, reserved: set[str]) -> dict[str, str]:
    filters = {}
    for name in request.query_params:
        if name in reserved:
            continue
        values = request.query_params.getlist(name)
        if len(values) != 1:
            raise ShareError("bad_request", detail=_("The filter “%(name)s” is given more than once.")
                             % {"name": name[:64]})
        filters[name] = values[0]
    return filters


class QueryApi(GatewayApi):
    operation = CallOperation.QUERY

    @extend_schema(
        tags=TAGS, operation_id="share_query", summary=_("Find records by the service's filter fields"),
        description=_("Every other query parameter is a filter: <field>=<value>, equality, on the fields the "
                      "service allows as filters. Pages are in key order; pass “next” as “after”."),
        parameters=[
            SERVICE, FIELDS, PLAIN, CORRELATION, OFFICER,
            OpenApiParameter("after", OpenApiTypes.STR, description=_("The previous page's “next”.")),
            OpenApiParameter("limit", OpenApiTypes.INT, description=_("Records a page, 1-100 (default 100).")),
        ],
        responses={200: QueryPageSerializer, **REFUSALS},
    )
    def get(self, request: Request, service: str) -> Response:
        params = request.query_params
        try:
            filters = _filters(request, RESERVED_QUERY)
            limit = int(params["limit"]) if params.get("limit", "").strip() else gateway.MAX_PAGE
        except ValueError:
            return self.refuse(request, ShareError("bad_request", detail=_(
                "“limit” must be a whole number from 1 to %(max)s.") % {"max": gateway.MAX_PAGE}), service)
        except ShareError as error:
            return self.refuse(request, error, service)
        page = gateway.share_query(caller=self.caller(request), service_code=service, filters=filters,
                                   after=params.get("after") or None, limit=limit,
                                   fields=_names(params.get("fields")), plain=_names(params.get("plain")))
        return Response({"results": [_record_data(r) for r in page.records], "next": page.next_cursor,
                         "estimated_total": page.estimated_total})


class AggregateApi(GatewayApi):
    operation = CallOperation.AGGREGATE

    @extend_schema(
        tags=TAGS, operation_id="share_aggregate", summary=_("Count, sum or average without seeing rows"),
        description=_("Usable but not visible (可用不可见): only groups of at least k records are answered, "
                      "never rows. Other query parameters are filters, as for queries."),
        parameters=[
            SERVICE, CORRELATION, OFFICER,
            OpenApiParameter("op", OpenApiTypes.STR, enum=list(gateway.AGGREGATE_OPS), required=True),
            OpenApiParameter("measure", OpenApiTypes.STR, description=_("The numeric field summed or averaged.")),
            OpenApiParameter("group_by", OpenApiTypes.STR, description=_("Comma-separated fields to group by.")),
        ],
        responses={200: AggregateSerializer, **REFUSALS},
    )
    def get(self, request: Request, service: str) -> Response:
        params = request.query_params
        try:
            filters = _filters(request, RESERVED_AGGREGATE)
        except ShareError as error:
            return self.refuse(request, error, service)
        op, measure, group_by = params.get("op", ""), params.get("measure", ""), _names(params.get("group_by"))
        answer = gateway.share_aggregate(caller=self.caller(request), service_code=service, op=op, measure=measure,
                                         group_by=group_by, filters=filters)
        return Response({
            "op": op, "measure": measure, "group_by": group_by, "k": answer.k,
            "groups": [{"group": dict(g.group), "count": g.count, "value": g.value} for g in answer.groups],
            "suppressed_groups": answer.suppressed_groups,
        })


urlpatterns = [
    path("share/<slug:service>/records:batch", BatchApi.as_view(), name="share-batch"),
    path("share/<slug:service>/records/<str:key>", RecordApi.as_view(), name="share-record"),
    path("share/<slug:service>/records", QueryApi.as_view(), name="share-query"),
    path("share/<slug:service>/aggregate", AggregateApi.as_view(), name="share-aggregate"),
]
