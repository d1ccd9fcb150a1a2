"""REST API of the catalog, scoped exactly like its pages: staff browse published entries and their
own department's drafts; data officers of the owner department and the big-data bureau change them."""

from dataclasses import asdict

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import permissions as drf_permissions
from rest_framework import renderers, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from zhengtong.kernel.identity.public import actor_from_user
from zhengtong.kernel.org.models import Department

from . import dcat, permissions, selectors, services
from .datapackage import dataset_datapackage
from .descriptors import SchemaInvalid
from .models import Dataset, Grade, Licence, OpenType, QualityRule, RuleKind, Sensitivity, ShareType, UpdateCycle
from .public import rules_for
from .selectors import DatasetFilters
from .vocabularies import Theme

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DATASET_ID = OpenApiParameter(
    "public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description=_("The dataset's identifier.")
)
TAGS = ["catalog"]


class CatalogBrowser(drf_permissions.BasePermission):
    """Staff members (and superusers) only: the catalog is the government's own ledger."""

    def has_permission(self, request, view) -> bool:
        return permissions.may_browse(actor_from_user(request.user))


class TurtleRenderer(renderers.BaseRenderer):
    media_type = "text/turtle"
    format = "ttl"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode("utf-8") if isinstance(data, str) else data


class JsonLdRenderer(TurtleRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


def _api_validation_error(error: DjangoValidationError, renames: dict[str, str] | None = None):
    """A service's ValidationError as DRF's 400 body: messages by field, or non_field_errors."""
    renames = renames or {}
    if hasattr(error, "error_dict"):
        detail = {renames.get(name, name): messages for name, messages in error.message_dict.items()}
    else:
        detail = {"non_field_errors": error.messages}
    return serializers.ValidationError(detail)


def _base_url(request: Request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _access(request: Request, public_id) -> Dataset:
    try:
        return selectors.access_dataset(actor=actor_from_user(request.user), public_id=public_id)
    except Dataset.DoesNotExist:
        raise NotFound from None


# --- serializers ----------------------------------------------------------------------------

@extend_schema_serializer(component_name="CatalogDepartment")
class DepartmentOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="CatalogContact")
class ContactOutputSerializer(serializers.Serializer):
    name = serializers.CharField(source="contact_name")
    email = serializers.CharField(source="contact_email")
    phone = serializers.CharField(source="contact_phone")


@extend_schema_serializer(component_name="CatalogDataset")
class DatasetOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(help_text=_("The dataset's identifier."))
    resource_code = serializers.CharField(help_text=_("The resource code, unique in the catalog."))
    title = serializers.CharField()
    title_en = serializers.CharField()
    description = serializers.CharField()
    description_en = serializers.CharField()
    owner_department = DepartmentOutputSerializer()
    contact = ContactOutputSerializer(source="*")
    keywords = serializers.ListField(child=serializers.CharField())
    theme = serializers.CharField(help_text=_("An EU data-theme code, such as GOVE; empty when none."))
    spatial_code = serializers.SerializerMethodField(help_text=_("The division code of the area covered."))
    temporal_start = serializers.DateField(allow_null=True)
    temporal_end = serializers.DateField(allow_null=True)
    share_type = serializers.ChoiceField(choices=ShareType.choices)
    open_type = serializers.ChoiceField(choices=OpenType.choices)
    update_cycle = serializers.ChoiceField(choices=UpdateCycle.choices)
    grade = serializers.ChoiceField(choices=Grade.choices)
    sensitivity = serializers.ChoiceField(choices=Sensitivity.choices)
    licence = serializers.ChoiceField(choices=Licence.choices)
    status = serializers.CharField()
    schema_version = serializers.SerializerMethodField(
        help_text=_("The newest table schema version; null when the dataset has none yet.")
    )
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_spatial_code(self, dataset: Dataset) -> str | None:
        return dataset.spatial.code if dataset.spatial_id else None

    def get_schema_version(self, dataset: Dataset) -> int | None:
        if hasattr(dataset, "schema_version"):
            return dataset.schema_version
        schema = selectors.schema_current(dataset=dataset)
        return schema.version if schema else None


@extend_schema_serializer(component_name="CatalogFacetValue")
class FacetValueOutputSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


@extend_schema_serializer(component_name="CatalogFacet")
class FacetOutputSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("The query parameter that selects a value, e.g. share_type."))
    label = serializers.CharField()
    values = FacetValueOutputSerializer(many=True)


@extend_schema_serializer(component_name="CatalogDatasetPage")
class DatasetPageOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DatasetOutputSerializer(many=True)
    facets = FacetOutputSerializer(many=True)


class MetadataInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    title_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description_en = serializers.CharField(required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    contact_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    keywords = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    theme = serializers.ChoiceField(choices=Theme.choices, required=False, allow_blank=True)
    spatial_code = serializers.CharField(max_length=12, required=False, allow_blank=True, allow_null=True)
    temporal_start = serializers.DateField(required=False, allow_null=True)
    temporal_end = serializers.DateField(required=False, allow_null=True)
    share_type = serializers.ChoiceField(choices=ShareType.choices)
    open_type = serializers.ChoiceField(choices=OpenType.choices)
    update_cycle = serializers.ChoiceField(choices=UpdateCycle.choices)
    grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    sensitivity = serializers.ChoiceField(choices=Sensitivity.choices)
    licence = serializers.ChoiceField(choices=Licence.choices, required=False)


@extend_schema_serializer(component_name="CatalogDatasetCreate")
class DatasetCreateInputSerializer(MetadataInputSerializer):
    resource_code = serializers.CharField(
        max_length=64, required=False, help_text=_("Leave out to have one generated, such as 330106-GA-00001.")
    )
    owner_department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), help_text=_("The providing department's code.")
    )


@extend_schema_serializer(component_name="CatalogDatasetUpdate")
class DatasetUpdateInputSerializer(MetadataInputSerializer):
    """Every field optional: only those sent change."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


@extend_schema_serializer(component_name="CatalogSchemaInput")
class SchemaInputSerializer(serializers.Serializer):
    descriptor = serializers.JSONField(help_text=_("A Frictionless Table Schema, with the platform's domainType and maskingKind."))


@extend_schema_serializer(component_name="CatalogSchema")
class SchemaOutputSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    descriptor = serializers.JSONField()
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="CatalogSchemaProblem")
class SchemaProblemSerializer(serializers.Serializer):
    path = serializers.CharField(help_text=_("Where in the descriptor, e.g. fields[2].constraints.pattern."))
    code = serializers.CharField(help_text=_("A stable machine code, e.g. pattern_invalid."))
    message = serializers.CharField(help_text=_("What is wrong, in the request's language."))


@extend_schema_serializer(component_name="CatalogRule")
class RuleOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    # Plain text here: one enum component per choice set keeps OpenAPI names free of clashes.
    kind = serializers.CharField(help_text=_("The kind of rule, as in CatalogRuleCreate."))
    field = serializers.CharField()
    params = serializers.JSONField()
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    derived = serializers.BooleanField(help_text=_("Implied by the table schema rather than declared."))


@extend_schema_serializer(component_name="CatalogRuleCreate")
class RuleInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    field = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    params = serializers.JSONField(required=False, default=dict)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="CatalogRetire")
class RetireInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


NOT_SIGNED_IN = OpenApiResponse(description=_("Not signed in."))
NOT_STAFF = OpenApiResponse(description=_("Only staff members may use the catalog, and only editors may change it."))
NO_DATASET = OpenApiResponse(description=_("No such dataset, or not one the caller may see."))


# --- datasets -------------------------------------------------------------------------------

class DatasetListApi(APIView):
    """The catalog as the caller may see it: search, facets, pages; and registration."""

    permission_classes = [drf_permissions.IsAuthenticated, CatalogBrowser]
    FILTERS = ("department", "theme", "share_type", "open_type", "grade", "sensitivity", "update_cycle", "status")

    @extend_schema(
        operation_id="catalog_dataset_list",
        summary=_("Datasets in the catalog"),
        tags=TAGS,
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description=_("Search words (Chinese is segmented), or a resource code.")),
            OpenApiParameter("department", OpenApiTypes.STR, description=_("A providing department's code.")),
            OpenApiParameter("theme", OpenApiTypes.STR, enum=Theme.values),
            OpenApiParameter("share_type", OpenApiTypes.STR, enum=ShareType.values),
            OpenApiParameter("open_type", OpenApiTypes.STR, enum=OpenType.values),
            OpenApiParameter("grade", OpenApiTypes.STR, enum=Grade.values),
            OpenApiParameter("sensitivity", OpenApiTypes.STR, enum=Sensitivity.values),
            OpenApiParameter("update_cycle", OpenApiTypes.STR, enum=UpdateCycle.values),
            OpenApiParameter("status", OpenApiTypes.STR, enum=["draft", "published", "retired"]),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=_("At most 200; 50 by default.")),
        ],
        responses={200: DatasetPageOutputSerializer, 401: NOT_SIGNED_IN, 403: NOT_STAFF},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        filters = DatasetFilters(**{name: params.get(name) or None for name in self.FILTERS})
        result = selectors.dataset_list(actor=actor_from_user(request.user), query=params.get("q"), filters=filters)
        try:
            size = min(max(int(params.get("page_size", DEFAULT_PAGE_SIZE)), 1), MAX_PAGE_SIZE)
        except ValueError:
            size = DEFAULT_PAGE_SIZE
        paginator = Paginator(result.datasets, size)
        paginator.count = result.total
        try:
            page = paginator.page(params.get("page", 1))
        except (EmptyPage, PageNotAnInteger):
            raise NotFound(_("There is no such page.")) from None
        url = request.build_absolute_uri()
        body = {
            "count": result.total,
            "next": replace_query_param(url, "page", page.next_page_number()) if page.has_next() else None,
            "previous": (
                (replace_query_param(url, "page", page.previous_page_number())
                 if page.previous_page_number() > 1 else remove_query_param(url, "page"))
                if page.has_previous() else None
            ),
            "results": list(page.object_list),
            "facets": [
                {"name": f.name, "label": f.label, "values": [asdict(v) for v in f.values]} for f in result.facets
            ],
        }
        return Response(DatasetPageOutputSerializer(body).data)

    @extend_schema(
        operation_id="catalog_dataset_create",
        summary=_("Register a dataset"),
        tags=TAGS,
        request=DatasetCreateInputSerializer,
        responses={201: DatasetOutputSerializer, 400: OpenApiResponse(description=_("What to correct, by field.")),
                   401: NOT_SIGNED_IN, 403: NOT_STAFF},
    )
    def post(self, request: Request) -> Response:
        payload = DatasetCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data["owner_department_id"] = data.pop("owner_department").id
        try:
            dataset = services.dataset_create(actor=actor_from_user(request.user), **data)
        except DjangoValidationError as error:
            raise _api_validation_error(error, {"owner_department_id": "owner_department"}) from None
        return Response(DatasetOutputSerializer(dataset).data, status=status.HTTP_201_CREATED)


class DatasetDetailApi(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, CatalogBrowser]

    @extend_schema(
        operation_id="catalog_dataset_detail",
        summary=_("One dataset's catalog entry"),
        tags=TAGS,
        parameters=[DATASET_ID],
        responses={200: DatasetOutputSerializer, 401: NOT_SIGNED_IN, 403: NOT_STAFF, 404: NO_DATASET},
    )
    def get(self, request: Request, public_id) -> Response:
        return Response(DatasetOutputSerializer(_access(request, public_id)).data)

    @extend_schema(
        operation_id="catalog_dataset_update",
        summary=_("Change a dataset's metadata"),
        tags=TAGS,
        parameters=[DATASET_ID],
        request=DatasetUpdateInputSerializer,
        responses={200: DatasetOutputSerializer, 400: OpenApiResponse(description=_("What to correct, by field.")),
                   401: NOT_SIGNED_IN, 403: NOT_STAFF, 404: NO_DATASET},
    )
    def patch(self, request: Request, public_id) -> Response:
        dataset = _access(request, public_id)
        payload = DatasetUpdateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            dataset = services.dataset_update(actor=actor_from_user(request.user), dataset=dataset,
                                              **payload.validated_data)
        except DjangoValidationError as error:
            raise _api_validation_error(error) from None
        return Response(DatasetOutputSerializer(dataset).data)


class _StateApi(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, CatalogBrowser]

    def _change(self, request, public_id, service, **kwargs) -> Response:
        dataset = _access(request, public_id)
        try:
            dataset = service(actor=actor_from_user(request.user), dataset=dataset, **kwargs)
        except DjangoValidationError as error:
            raise _api_validation_error(error) from None
        return Response(DatasetOutputSerializer(dataset).data)


class DatasetPublishApi(_StateApi):
    @extend_schema(
        operation_id="catalog_dataset_publish",
        summary=_("Publish a draft dataset"),
        tags=TAGS,
        parameters=[DATASET_ID],
        request=None,
        responses={200: DatasetOutputSerializer, 400: OpenApiResponse(description=_("Not a draft, or no table schema yet.")),
                   401: NOT_SIGNED_IN, 403: NOT_STAFF, 404: NO_DATASET},
    )
    def post(self, request: Request, public_id) -> Response:
        return self._change(request, public_id, services.dataset_publish)


class DatasetRetireApi(_StateApi):
    @extend_schema(
        operation_id="catalog_dataset_retire",
        summary=_("Retire a dataset"),
        tags=TAGS,
        parameters=[DATASET_ID],
        request=RetireInputSerializer,
        responses={200: DatasetOutputSerializer, 400: OpenApiResponse(description=_("Already retired.")),
                   401: NOT_SIGNED_IN, 403: NOT_STAFF, 404: NO_DATASET},
    )
    def post(self, request: Request, public_id) -> Response:
        payload = RetireInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._change(request, public_id, services.dataset_retire, reason=payload.validated_data["reason"])


class SchemaApi(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, CatalogBrowser]

    @extend_schema(
        operation_id="catalog_dataset_schema_create",
        summary=_("Save a new table schema version"),
        tags=TAGS,
        parameters=[DATASET_ID],
        request=SchemaInputSerializer,
        responses={
            201: SchemaOutputSerializer,
            400: inline_serializer("CatalogSchemaErrors", {"problems": SchemaProblemSerializer(many=True)}),
            401: NOT_SIGNED_IN, 403: NOT_STAFF, 404: NO_DATASET,
        },
    )
    def post(self, request: Request, public_id) -> Response:
        dataset = _access(request, public_id)
        payload = SchemaInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            schema = services.schema_version_create(
                actor=actor_from_user(request.user), dataset=dataset, descriptor=payload.validated_data["descriptor"]
            )
        except SchemaInvalid as error:
            return Response({"problems": [asdict(p) for p in error.problems]}, status=status.HTTP_400_BAD_REQUEST)
        except DjangoValidationError as error:
            raise _api_validation_error(error) from None
        return Response(SchemaOutputSerializer(schema).data, status=status.HTTP_201_CREATED)


class RuleListApi(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, CatalogBrowser]

    @extend_schema(
        operation_id="catalog_dataset_rule_list",
        summary=_("A dataset's quality rules"),
        description=_("The rules the table schema implies (derived) and the declared ones, active or not."),
        tags=TAGS,
        parameters=[DATASET_ID],
        responses={200: RuleOutputSerializer(many=True), 401: NOT_SIGNED_IN, 403: NOT_STAFF, 404: NO_DATASET},
    )
    def get(self, request: Request, public_id) -> Response:
        dataset = _access(request, public_id)
        rows = [
            {"code": r.code, "kind": r.kind, "field": r.field, "params": dict(r.params), "description": r.description,
             "is_active": True, "derived": True}
            for r in rules_for(dataset.id) if r.derived
        ] + [
            {"code": r.code, "kind": r.kind, "field": r.field, "params": r.params, "description": r.description,
             "is_active": r.is_active, "derived": False}
            for r in selectors.dataset_rules(dataset=dataset)
        ]
        return Response(RuleOutputSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="catalog_dataset_rule_create",
        summary=_("Declare a quality rule"),
        tags=TAGS,
        parameters=[DATASET_ID],
        request=RuleInputSerializer,
        responses={201: RuleOutputSerializer, 400: OpenApiResponse(description=_("What to correct, by field.")),
                   401: NOT_SIGNED_IN, 403: NOT_STAFF, 404: NO_DATASET},
    )
    def post(self, request: Request, public_id) -> Response:
        dataset = _access(request, public_id)
        payload = RuleInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            rule: QualityRule = services.rule_create(actor=actor_from_user(request.user), dataset=dataset,
                                                     **payload.validated_data)
        except DjangoValidationError as error:
            raise _api_validation_error(error) from None
        body = {"code": rule.code, "kind": rule.kind, "field": rule.field, "params": rule.params,
                "description": rule.description, "is_active": rule.is_active, "derived": False}
        return Response(RuleOutputSerializer(body).data, status=status.HTTP_201_CREATED)


# --- exports --------------------------------------------------------------------------------

DCAT_FORMAT = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["ttl", "jsonld"],
    description=_("ttl (Turtle) or jsonld (JSON-LD); without it, the Accept header decides (Turtle by default)."),
)
DCAT_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.STR, description=_("DCAT-AP 3 RDF, as text/turtle or application/ld+json.")
)


class _DcatApi(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, CatalogBrowser]
    renderer_classes = [TurtleRenderer, JsonLdRenderer]

    def _respond(self, request: Request, graph) -> Response:
        fmt = request.accepted_renderer.format
        return Response(dcat.serialize(graph, fmt), content_type=f"{dcat.MEDIA_TYPES[fmt]}; charset=utf-8")


class DatasetDcatApi(_DcatApi):
    @extend_schema(
        operation_id="catalog_dataset_dcat",
        summary=_("A dataset's DCAT-AP metadata"),
        tags=TAGS,
        parameters=[DATASET_ID, DCAT_FORMAT],
        responses={(200, "text/turtle"): DCAT_RESPONSE, (200, "application/ld+json"): DCAT_RESPONSE,
                   401: NOT_SIGNED_IN, 403: NOT_STAFF, 404: NO_DATASET},
    )
    def get(self, request: Request, public_id) -> Response:
        dataset = _access(request, public_id)
        return self._respond(request, dcat.dataset_graph(dataset, base_url=_base_url(request)))


class CatalogDcatApi(_DcatApi):
    @extend_schema(
        operation_id="catalog_dcat",
        summary=_("The whole catalog as DCAT-AP"),
        description=_("Every published dataset the caller may see."),
        tags=TAGS,
        parameters=[DCAT_FORMAT],
        responses={(200, "text/turtle"): DCAT_RESPONSE, (200, "application/ld+json"): DCAT_RESPONSE,
                   401: NOT_SIGNED_IN, 403: NOT_STAFF},
    )
    def get(self, request: Request) -> Response:
        datasets = selectors.catalog_export_datasets(actor=actor_from_user(request.user))
        return self._respond(request, dcat.catalog_graph(datasets, base_url=_base_url(request)))


class DatasetDatapackageApi(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, CatalogBrowser]

    @extend_schema(
        operation_id="catalog_dataset_datapackage",
        summary=_("A dataset as a Frictionless Data Package"),
        tags=TAGS,
        parameters=[DATASET_ID],
        responses={200: OpenApiResponse(response=OpenApiTypes.OBJECT, description=_("datapackage.json")),
                   401: NOT_SIGNED_IN, 403: NOT_STAFF, 404: NO_DATASET},
    )
    def get(self, request: Request, public_id) -> Response:
        dataset = _access(request, public_id)
        package = dataset_datapackage(dataset, base_url=_base_url(request), schema=selectors.schema_current(dataset=dataset))
        return Response(package)
