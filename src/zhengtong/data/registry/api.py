"""Registry API, after GovStack's Digital Registries building block: read a record, search, and
answer "exists" without disclosing anything else. For staff: scoped by the staff member's
department (the big-data bureau sees every master), masked by kernel.masking, and every read
written to the ledger. Systems (API clients) are refused here with the address of the sharing
gateway, where they read the registries under a grant: /api/v1/share/registry-<kind>/records/{id}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengtong.kernel.identity.public import actor_from_user

from . import selectors
from .models import Kind, MasterRecord

TAGS = ["registry"]
KIND = OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Kind.values,
                        description=_("The registry: person (人口库) or company (法人库)."))
REGISTRY_ID = OpenApiParameter("registry_id", OpenApiTypes.STR, OpenApiParameter.PATH,
                               description=_("The registry id, e.g. ZJP7K3M9Q2X4T8RB."))


@extend_schema_serializer(component_name="RegistryAttribute")
class AttributeSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField(help_text=_("Masked (staff see graded values masked)."))
    masked = serializers.BooleanField()
    source_dataset = serializers.CharField(source="resource_code", help_text=_("The source dataset's resource code."))
    source_department = serializers.CharField(source="department_name")
    dataset_version = serializers.IntegerField()
    verified = serializers.BooleanField(help_text=_("Verified by the government (true) or self-declared (false)."))
    authoritative = serializers.BooleanField(help_text=_("From the attribute's source of truth (一数一源)."))
    source_updated_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(help_text=_("When the registry last changed the value."))


@extend_schema_serializer(component_name="RegistryRecord")
class RecordSerializer(serializers.Serializer):
    registry_id = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    attributes = AttributeSerializer(many=True)
    merged_ids = serializers.ListField(child=serializers.CharField(),
                                       help_text=_("Ids merged into this record; they redirect here."))


@extend_schema_serializer(component_name="RegistryCriteria")
class CriteriaSerializer(serializers.Serializer):
    resident_id = serializers.CharField(required=False, allow_blank=True, max_length=32)
    uscc = serializers.CharField(required=False, allow_blank=True, max_length=32)
    mobile = serializers.CharField(required=False, allow_blank=True, max_length=32)
    name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    birth_date = serializers.DateField(required=False, allow_null=True)

    def validate(self, data):
        criteria = selectors.Criteria(
            resident_id=data.get("resident_id") or "", uscc=data.get("uscc") or "", mobile=data.get("mobile") or "",
            name=data.get("name") or "", birth_date=data["birth_date"].isoformat() if data.get("birth_date") else "",
        )
        if criteria.is_empty():
            raise serializers.ValidationError(
                _("Give a resident ID, a credit code, a mobile number, or a name with a date of birth."))
        return criteria


@extend_schema_serializer(component_name="RegistrySearchResult")
class SearchResultSerializer(serializers.Serializer):
    results = RecordSerializer(many=True)


@extend_schema_serializer(component_name="RegistryExistsInput")
class ExistsInputSerializer(serializers.Serializer):
    query = CriteriaSerializer()


@extend_schema_serializer(component_name="RegistryExistsAnswer")
class ExistsOutputSerializer(serializers.Serializer):
    exists = serializers.BooleanField()


def _kind(kind: str) -> str:
    if kind not in Kind.values:
        raise NotFound
    return kind


GATEWAY_PATH = "/api/v1/share/registry-{kind}/records/{{registry_id}}"


def _actor(request: Request, kind: str):
    """The staff actor; a system is sent to the sharing gateway (registry grants live there now)."""
    actor = actor_from_user(request.user)
    if actor.kind == "api_client":
        raise PermissionDenied(_(
            "Systems read the registries through the sharing gateway, under a sharing grant: "
            "GET %(path)s") % {"path": GATEWAY_PATH.format(kind=kind)})
    return actor


def _record_data(record: selectors.GoldenRecord) -> dict:
    return RecordSerializer(record).data


class RecordReadApi(APIView):
    """GET a golden record; a merged id answers 301 with the survivor's address."""

    @extend_schema(
        tags=TAGS, operation_id="registry_record_read", parameters=[KIND, REGISTRY_ID],
        summary=_("Read a golden record"),
        responses={200: RecordSerializer, 301: OpenApiResponse(description=_("Merged: see Location.")),
                   403: OpenApiResponse(description=_("Not for you: systems read the registries through the sharing gateway.")), 404: None},
    )
    def get(self, request: Request, kind: str, registry_id: str) -> Response:
        _kind(kind)
        actor = _actor(request, kind)
        try:
            record = selectors.golden_record_read(actor=actor, registry_id=registry_id, via="api", kind=kind)
        except selectors.MasterMerged as merged:
            location = reverse("registry-record", kwargs={"kind": kind, "registry_id": merged.survivor_id})
            return Response({"merged_into": merged.survivor_id}, status=status.HTTP_301_MOVED_PERMANENTLY,
                            headers={"Location": request.build_absolute_uri(location)})
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        except MasterRecord.DoesNotExist:
            raise NotFound from None
        return Response(_record_data(record))


class RecordSearchApi(APIView):
    """GET matching records by an identifier (exact, through blind indexes) or name + date of birth."""

    @extend_schema(
        tags=TAGS, operation_id="registry_record_search", parameters=[
            KIND,
            OpenApiParameter("resident_id", OpenApiTypes.STR),
            OpenApiParameter("uscc", OpenApiTypes.STR),
            OpenApiParameter("mobile", OpenApiTypes.STR),
            OpenApiParameter("name", OpenApiTypes.STR),
            OpenApiParameter("birth_date", OpenApiTypes.DATE),
        ],
        summary=_("Search a registry"),
        responses={200: SearchResultSerializer, 400: None, 403: None},
    )
    def get(self, request: Request, kind: str) -> Response:
        _kind(kind)
        actor = _actor(request, kind)
        try:
            selectors.registry_scope(actor=actor, kind=kind)
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        serializer = CriteriaSerializer(data={k: v for k, v in request.query_params.items() if v != ""})
        serializer.is_valid(raise_exception=True)
        records = selectors.registry_search(actor=actor, kind=kind, criteria=serializer.validated_data, via="api")
        return Response({"results": [_record_data(r) for r in records]})


class RecordExistsApi(APIView):
    """POST a query; the answer is yes or no, and nothing about the record."""

    @extend_schema(
        tags=TAGS, operation_id="registry_record_exists", parameters=[KIND], request=ExistsInputSerializer,
        summary=_("Does a record exist?"), responses={200: ExistsOutputSerializer, 400: None, 403: None},
    )
    def post(self, request: Request, kind: str) -> Response:
        _kind(kind)
        actor = _actor(request, kind)
        try:
            selectors.registry_scope(actor=actor, kind=kind)
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        serializer = ExistsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = selectors.registry_exists(actor=actor, kind=kind, criteria=serializer.validated_data["query"])
        return Response({"exists": answer})
