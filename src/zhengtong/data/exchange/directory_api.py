"""The sharing directory as an API: the list of services, and the OpenAPI description of each
(the gateway's endpoints for it, with its record schema). For staff and API clients, never for
anonymous callers; describing a service reveals no data."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import permissions as drf_permissions
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengtong.kernel.identity.public import actor_from_user

from . import permissions, selectors
from .models import ServiceKind, SharingService
from .openapi import service_openapi

TAGS = ["exchange"]
CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH,
                        description=_("The service code, e.g. ds-330100-sj-00001 or registry-person."))


class DirectoryReader(drf_permissions.BasePermission):
    """Staff members and API clients."""

    def has_permission(self, request, view) -> bool:
        return permissions.may_browse(actor_from_user(request.user))


@extend_schema_serializer(component_name="SharingServiceField")
class FieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    type = serializers.CharField(help_text=_("The Frictionless type: string, integer, number, boolean, date…"))
    masking_kind = serializers.CharField(help_text=_("How the value is masked unless the grant gives it unmasked "
                                                     "(plain: shown as it is)."))


@extend_schema_serializer(component_name="SharingService")
class ServiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=ServiceKind.choices)
    name = serializers.CharField()
    description = serializers.CharField()
    owner_department = serializers.CharField(source="owner_department.name")
    owner_department_code = serializers.CharField(source="owner_department.code")
    share_type = serializers.CharField(help_text=_("unconditional, or conditional (the big-data bureau approves too)."))
    grade = serializers.CharField()
    sensitivity = serializers.CharField()
    key_field = serializers.CharField()
    subject_kind = serializers.CharField(help_text=_("person or company: whom a record concerns; empty if no one."))
    division_field = serializers.CharField()
    fields = FieldSerializer(many=True)
    filter_fields = serializers.ListField(child=serializers.CharField())
    group_fields = serializers.ListField(child=serializers.CharField())
    measure_fields = serializers.ListField(child=serializers.CharField())
    published_version = serializers.IntegerField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    record_count = serializers.IntegerField()
    openapi = serializers.SerializerMethodField(help_text=_("The service's OpenAPI description."))

    def get_openapi(self, service: SharingService) -> str:
        return self.context["request"].build_absolute_uri(reverse("exchange-service-openapi",
                                                                  kwargs={"code": service.code}))


@extend_schema_serializer(component_name="SharingServiceList")
class ServiceListSerializer(serializers.Serializer):
    results = ServiceSerializer(many=True)


class ServiceListApi(APIView):
    """GET the directory: every active sharing service, with its fields and how each is masked."""

    permission_classes = [drf_permissions.IsAuthenticated, DirectoryReader]

    @extend_schema(
        tags=TAGS, operation_id="exchange_service_list", summary=_("The sharing service directory"),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description=_("Words from the name, description or fields.")),
            OpenApiParameter("share_type", OpenApiTypes.STR, enum=["unconditional", "conditional"]),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=ServiceKind.values),
        ],
        responses={200: ServiceListSerializer, 403: OpenApiResponse(description=_("Not staff or an API client."))},
    )
    def get(self, request: Request) -> Response:
        actor = actor_from_user(request.user)
        params = request.query_params
        try:
            services = selectors.service_list(actor=actor, q=params.get("q", "")[:200],
                                              share_type=params.get("share_type", ""), kind=params.get("kind", ""))
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        return Response(ServiceListSerializer({"results": list(services)}, context={"request": request}).data)


class ServiceOpenApiApi(APIView):
    """GET one service's OpenAPI 3.0 description (JSON)."""

    permission_classes = [drf_permissions.IsAuthenticated, DirectoryReader]

    @extend_schema(
        tags=TAGS, operation_id="exchange_service_openapi", parameters=[CODE],
        summary=_("A sharing service's OpenAPI description"),
        responses={200: OpenApiResponse(response=OpenApiTypes.OBJECT, description=_("An OpenAPI 3.0 document.")),
                   403: None, 404: None},
    )
    def get(self, request: Request, code: str) -> Response:
        actor = actor_from_user(request.user)
        try:
            service = selectors.access_service(actor=actor, code=code)
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        except SharingService.DoesNotExist:
            raise NotFound from None
        return Response(service_openapi(service, server_url=request.build_absolute_uri("/").rstrip("/") or "/"))


urlpatterns = [
    path("share/services", ServiceListApi.as_view(), name="exchange-service-list"),
    path("share/<slug:code>/openapi.json", ServiceOpenApiApi.as_view(), name="exchange-service-openapi"),
]
