"""REST API of one-thing bundles (一件事), under /api/v1/onething/.

    GET  /api/v1/onething/bundles/                  the published bundles (no sign-in needed)
    GET  /api/v1/onething/bundles/{code}/           one bundle: its parts, the merged form, the materials
    POST /api/v1/onething/bundles/{code}/submit/    apply in one call: {"answers": {...}}, header
                                                    Idempotency-Key; every fetchable material is fetched
                                                    and used, one application per part is submitted
    GET  /api/v1/onething/applications/             my bundle applications
    GET  /api/v1/onething/applications/{id}/        one of them, with its parts (state, department, due date)

Thin views: parse, call one service or selector, answer. Errors are {"code", "detail", "fields"?}
in the request's language, as the applications API answers them.
"""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengtong.kernel.identity.public import actor_from_user

from . import selectors, services
from .models import BundleApplication

ERROR_MESSAGES = {
    "invalid": _("The request has errors: see “fields”."),
    "forbidden": _("You may not do this."),
    "not_found": _("There is no such one-thing service or application."),
    "idempotency_key_required": _("Send the header Idempotency-Key (1 to 120 characters) so a retry cannot submit "
                                  "twice."),
    "not_authenticated": _("Sign in first."),
}


def error_body(code: str, detail=None, fields: dict | None = None) -> dict:
    body = {"code": code, "detail": str(detail if detail is not None else ERROR_MESSAGES.get(code, code))}
    if fields:
        body["fields"] = fields
    return body


# --- output -------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="OnethingError")
class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable machine code: invalid, forbidden, not_found, "
                                             "idempotency_key_required, not_authenticated."))
    detail = serializers.CharField(help_text=_("Explanation in the request's language."))
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text=_("Bad input: messages by merged field name (materials as "
                                               "materials.<key>); each names the part it comes from."))


class BundlePartSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    item_code = serializers.CharField()
    item_name = serializers.CharField()
    implementation = serializers.UUIDField(source="implementation_id")
    department = serializers.CharField(source="department_name")
    promised_days = serializers.IntegerField(help_text=_("Working days."))
    result_name = serializers.CharField()


class MergedFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField(source="field.label")
    kind = serializers.CharField(source="field.kind")
    required = serializers.BooleanField(source="field.required")
    choices = serializers.ListField(child=serializers.ListField(child=serializers.CharField()),
                                    source="field.choices")
    prefill = serializers.CharField(source="field.prefill", help_text=_("The registry attribute it is pre-filled "
                                                                        "from, or empty."))
    read_only = serializers.BooleanField(help_text=_("An identifier of the applicant's account: not an answer."))
    parts = serializers.SerializerMethodField(help_text=_("The positions of the parts that ask it (asked once)."))

    def get_parts(self, merged) -> list[int]:
        return [position for position, _name in merged.uses]


class MergedMaterialSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    source = serializers.CharField(help_text=_("upload, shared, licence or produced."))
    required = serializers.BooleanField()
    asked = serializers.BooleanField(help_text=_("False when another part of the bundle produces it."))
    fetched = serializers.BooleanField(help_text=_("Fetched from shared data or an e-licence (免提交)."))
    produced_by = serializers.IntegerField(allow_null=True, help_text=_("The position of the part producing it."))
    parts = serializers.SerializerMethodField()

    def get_parts(self, material) -> list[int]:
        return [position for position, _code in material.uses]


@extend_schema_serializer(component_name="OnethingBundle")
class BundleSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    serving = serializers.CharField(help_text=_("citizen, company or both."))
    division = serializers.CharField(source="division.code")
    result_name = serializers.CharField(help_text=_("The one result when every part is approved."))
    parts = serializers.SerializerMethodField()

    def get_parts(self, bundle) -> list[str]:
        return [part.item.code for part in bundle.parts.all()]


@extend_schema_serializer(component_name="OnethingBundleDetail")
class BundleDetailSerializer(serializers.Serializer):
    bundle = BundleSerializer()
    parts = BundlePartSerializer(many=True)
    fields = MergedFieldSerializer(many=True, source="form.fields")
    materials = MergedMaterialSerializer(many=True, source="form.materials")
    promised_days = serializers.IntegerField(help_text=_("The longest part's: the parts run at the same time."))


class PartStatusSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    item_code = serializers.CharField()
    item_name = serializers.CharField()
    department = serializers.CharField(source="department_name")
    application = serializers.UUIDField(source="application_id")
    reference = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    state_label = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    concluded_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


@extend_schema_serializer(component_name="OnethingApplicationSummary")
class BundleApplicationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    reference = serializers.CharField(allow_null=True, help_text=_("一件事编号, given at submission."))
    bundle = serializers.CharField(source="bundle.code")
    bundle_name = serializers.CharField(source="bundle.name")
    state = serializers.CharField(help_text=_("draft, in_progress, correction, completed or rejected."))
    submitted_at = serializers.DateTimeField(allow_null=True)
    concluded_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="OnethingApplication")
class BundleProgressSerializer(serializers.Serializer):
    application = BundleApplicationSerializer(source="bundle_application")
    state = serializers.CharField(help_text=_("Derived from the parts now: in_progress, correction, completed or "
                                              "rejected."))
    due_on = serializers.DateField(allow_null=True)
    result_name = serializers.CharField(source="bundle_application.bundle.result_name")
    result_note = serializers.CharField(source="bundle_application.result_note")
    parts = PartStatusSerializer(many=True)


class SubmitInput(serializers.Serializer):
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True, trim_whitespace=False),
                                    required=False, default=dict)
    # Checked by the applications services (web, mobile); a plain string keeps the schema's enum
    # names to the applications API's Channel.
    channel = serializers.CharField(default="web", help_text=_("web or mobile."))


ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("The bundle's code."))
PUBLIC_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
IDEMPOTENCY_KEY = OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                                   description=_("Any unique text (1 to 120 characters): a retry with the same key "
                                                 "returns the first bundle application."))


# --- views --------------------------------------------------------------------------------------


class OnethingApi(APIView):
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]

    @property
    def actor(self):
        return actor_from_user(self.request.user)

    def handle_exception(self, exc):
        if isinstance(exc, ValidationError):
            fields = (exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages})
            fields = {key: [str(m) for m in messages] for key, messages in fields.items()}
            first = next(iter(fields.values()))[0] if fields else None
            return Response(error_body("invalid", first, fields), status=400)
        if isinstance(exc, PermissionDenied):
            return Response(error_body("forbidden", str(exc) or None), status=403)
        if isinstance(exc, (ObjectDoesNotExist, exceptions.NotFound)):
            return Response(error_body("not_found"), status=404)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            return Response(error_body("not_authenticated", str(exc.detail)), status=exc.status_code)
        if isinstance(exc, exceptions.APIException):
            return Response(error_body(getattr(exc, "default_code", "bad_request"), str(exc.detail)),
                            status=exc.status_code)
        return super().handle_exception(exc)


class BundleListApi(OnethingApi):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="onething_bundles", summary=_("The one-thing services offered"),
                   parameters=[OpenApiParameter("for", OpenApiTypes.STR, description=_("citizen or company."))],
                   responses={200: BundleSerializer(many=True)})
    def get(self, request):
        bundles = selectors.bundle_list(serving=request.query_params.get("for") or None)
        return Response(BundleSerializer(bundles, many=True).data)


class BundleDetailApi(OnethingApi):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="onething_bundle", summary=_("One one-thing service: parts, merged form, materials"),
                   parameters=[CODE], responses={200: BundleDetailSerializer, **ERRORS})
    def get(self, request, code):
        guide = selectors.bundle_guide(actor=self.actor, code=code)
        return Response(BundleDetailSerializer(guide).data)


class BundleSubmitApi(OnethingApi):
    @extend_schema(operation_id="onething_submit",
                   summary=_("Apply for a one-thing service in one call (one application per part)"),
                   parameters=[CODE, IDEMPOTENCY_KEY], request=SubmitInput,
                   responses={201: BundleProgressSerializer, 200: BundleProgressSerializer, **ERRORS})
    def post(self, request, code):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return Response(error_body("idempotency_key_required"), status=400)
        serializer = SubmitInput(data=request.data)
        if not serializer.is_valid():
            fields = {name: [str(m) for m in messages] for name, messages in serializer.errors.items()}
            return Response(error_body("invalid", next(iter(fields.values()))[0], fields), status=400)
        known = selectors.bundle_application_by_key(actor=self.actor, idempotency_key=key)
        bundle_application = services.bundle_application_start_submitted(
            actor=self.actor, bundle_code=code, answers=serializer.validated_data["answers"], idempotency_key=key,
            channel=serializer.validated_data["channel"])
        progress = selectors.bundle_progress(actor=self.actor, bundle_application_id=bundle_application.public_id)
        return Response(BundleProgressSerializer(progress).data,
                        status=status.HTTP_200_OK if known is not None else status.HTTP_201_CREATED)


class BundleApplicationListApi(OnethingApi):
    @extend_schema(operation_id="onething_applications_mine", summary=_("My one-thing applications, newest first"),
                   responses={200: BundleApplicationSerializer(many=True), **ERRORS})
    def get(self, request):
        rows = selectors.bundle_application_list_mine(actor=self.actor)[:200]
        return Response(BundleApplicationSerializer(rows, many=True).data)


class BundleApplicationDetailApi(OnethingApi):
    @extend_schema(operation_id="onething_application", summary=_("One of my one-thing applications, with its parts"),
                   parameters=[PUBLIC_ID], responses={200: BundleProgressSerializer, **ERRORS})
    def get(self, request, public_id):
        try:
            progress = selectors.bundle_progress(actor=self.actor, bundle_application_id=public_id)
        except BundleApplication.DoesNotExist:
            raise exceptions.NotFound from None
        return Response(BundleProgressSerializer(progress).data)
