"""REST API of applications (办件), under /api/v1/applications/.

Applicants (a citizen's or company's session): start a draft, answer, preview and accept a
fetched material, upload one, submit (header Idempotency-Key), correct, withdraw, list their
applications and read one with its timeline and decisions. Officers: their task queue, and acting
on a task. Thin views: parse, call one service or selector, answer; errors are
{"code", "detail", "fields"?} (errors.py).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengtong.kernel.identity.public import actor_from_user

from . import selectors, services
from .errors import error_body, exception_body
from .models import Channel, TaskState

# --- output -------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ApplicationError")
class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable machine code: invalid, forbidden, not_found, "
                                             "idempotency_key_required, not_authenticated."))
    detail = serializers.CharField(help_text=_("Explanation in the request's language."))
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text=_("Bad input: messages by field (materials as materials.<code>)."))


class ItemField(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DepartmentField(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="ApplicationSummary")
class ApplicationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    reference = serializers.CharField(allow_null=True, help_text=_("办件编号, given at submission."))
    item = ItemField()
    department = DepartmentField()
    state = serializers.CharField(help_text=_("draft, submitted, in_progress, correction, approved, rejected or "
                                              "withdrawn."))
    state_label = serializers.CharField(source="get_state_display")
    channel = serializers.ChoiceField(choices=Channel.choices)
    submitted_at = serializers.DateTimeField(allow_null=True)
    due_on = serializers.DateField(allow_null=True, help_text=_("The promised date (working days)."))
    concluded_at = serializers.DateTimeField(allow_null=True)
    outcome_reason = serializers.CharField()
    instant = serializers.BooleanField(help_text=_("Decided by a decision table without a person (秒办)."))
    implementation = serializers.UUIDField(source="implementation.public_id")


@extend_schema_serializer(component_name="ApplicationMaterial")
class MaterialSerializer(serializers.Serializer):
    code = serializers.CharField(source="material.code")
    name = serializers.CharField(source="material.name")
    source = serializers.CharField(help_text=_("upload, shared, licence or produced."))
    waived = serializers.BooleanField(help_text=_("Not submitted by the applicant (免提交)."))
    evidence = serializers.JSONField(allow_null=True, help_text=_("What was fetched, as shown to the applicant."))
    file_name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class TimelineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    note = serializers.CharField()
    actor_label = serializers.CharField()
    at = serializers.DateTimeField()


@extend_schema_serializer(component_name="ApplicationDecision")
class DecisionSerializer(serializers.Serializer):
    source = serializers.CharField(help_text=_("dmn:<table> or hook:<name>."))
    inputs = serializers.JSONField()
    outputs = serializers.JSONField()
    matched_rules = serializers.ListField(child=serializers.CharField())
    outcome = serializers.CharField()
    explanation = serializers.CharField()
    decided_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="ApplicationTask")
class TaskSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    application = serializers.UUIDField(source="application.public_id")
    reference = serializers.CharField(source="application.reference", allow_null=True)
    item = ItemField(source="application.item")
    spec_id = serializers.CharField(help_text=_("The step of the process (intake, review, approve…)."))
    name = serializers.CharField()
    role = serializers.CharField()
    department = DepartmentField()
    state = serializers.CharField(help_text=_("open, done or cancelled."))
    due_on = serializers.DateField(allow_null=True)
    escalated_to = DepartmentField(allow_null=True)
    outcome = serializers.CharField()
    note = serializers.CharField()


@extend_schema_serializer(component_name="ApplicationDetail")
class ApplicationDetailSerializer(ApplicationSerializer):
    answers = serializers.JSONField()
    provenance = serializers.JSONField(help_text=_("Where each answer came from: source, label, at, changed."))
    draft_step = serializers.CharField()
    corrections = serializers.IntegerField()
    materials = MaterialSerializer(many=True)
    timeline = TimelineSerializer(many=True)
    decisions = DecisionSerializer(many=True)


def _detail(actor, application) -> dict:
    detail = selectors.application_detail(actor=actor, application_id=application.public_id)
    application = detail.application  # with its item, department and implementation selected
    data = dict(ApplicationSerializer(application).data)
    data.update({
        "answers": application.answers, "provenance": application.provenance, "draft_step": application.draft_step,
        "corrections": application.corrections,
        "materials": MaterialSerializer(detail.materials, many=True).data,
        "timeline": TimelineSerializer(detail.timeline, many=True).data,
        "decisions": DecisionSerializer(detail.decisions, many=True).data,
    })
    return data


# --- input --------------------------------------------------------------------------------------


class DraftInput(serializers.Serializer):
    implementation = serializers.UUIDField(help_text=_("The implementation list's public id (办事指南)."))
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.WEB)


class AnswersInput(serializers.Serializer):
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True, trim_whitespace=False))
    step = serializers.CharField(required=False, allow_blank=True, default="")


class UploadInput(serializers.Serializer):
    file = serializers.FileField()


class CorrectInput(serializers.Serializer):
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True, trim_whitespace=False),
                                    required=False, default=dict)


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ActInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["approve", "reject", "correct", "done"])
    note = serializers.CharField(required=False, allow_blank=True, default="")


ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
APPLICATION_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
MATERIAL_CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("The material's code."))


# --- views --------------------------------------------------------------------------------------


class _Invalid(Exception):
    """A request body the input serializer refused, answered in our error shape."""

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields
        super().__init__(next(iter(fields.values()))[0])


class ApplicationsApi(APIView):
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @property
    def actor(self):
        return actor_from_user(self.request.user)

    def handle_exception(self, exc):
        if isinstance(exc, _Invalid):
            return Response(error_body("invalid", str(exc), exc.fields), status=400)
        mapped = exception_body(exc)
        if mapped is not None:
            status_code, body = mapped
            return Response(body, status=status_code)
        return super().handle_exception(exc)

    def parsed(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        if not serializer.is_valid():
            raise _Invalid({name: [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
                            for name, messages in serializer.errors.items()})
        return serializer.validated_data


class ApplicationListApi(ApplicationsApi):
    @extend_schema(operation_id="applications_mine", summary=_("My applications, newest first"),
                   parameters=[OpenApiParameter("state", OpenApiTypes.STR, description=_("Only this state."))],
                   responses={200: ApplicationSerializer(many=True), **ERRORS})
    def get(self, request):
        state = request.query_params.get("state")
        rows = selectors.application_list_mine(actor=self.actor, states=[state] if state else None)[:200]
        return Response(ApplicationSerializer(rows, many=True).data)


class DraftStartApi(ApplicationsApi):
    @extend_schema(operation_id="applications_draft_start", summary=_("Start an application (a draft, pre-filled)"),
                   request=DraftInput, responses={201: ApplicationDetailSerializer, **ERRORS})
    def post(self, request):
        data = self.parsed(DraftInput)
        application = services.draft_start(actor=self.actor, implementation_id=data["implementation"],
                                           channel=data["channel"])
        return Response(_detail(self.actor, application), status=status.HTTP_201_CREATED)


class ApplicationDetailApi(ApplicationsApi):
    @extend_schema(operation_id="applications_get", summary=_("One application with its timeline and decisions"),
                   parameters=[APPLICATION_ID], responses={200: ApplicationDetailSerializer, **ERRORS})
    def get(self, request, public_id):
        application = selectors.access_application(actor=self.actor, application_id=public_id)
        return Response(_detail(self.actor, application))


class AnswersApi(ApplicationsApi):
    @extend_schema(operation_id="applications_answer", summary=_("Save answers of a draft"),
                   parameters=[APPLICATION_ID], request=AnswersInput,
                   responses={200: ApplicationDetailSerializer, **ERRORS})
    def post(self, request, public_id):
        data = self.parsed(AnswersInput)
        application = services.draft_answer(actor=self.actor, application_id=public_id, answers=data["answers"],
                                            step=data["step"])
        return Response(_detail(self.actor, application))


class MaterialPreviewApi(ApplicationsApi):
    @extend_schema(operation_id="applications_material_preview",
                   summary=_("Fetch a material from shared data or an e-licence, to look at"),
                   parameters=[APPLICATION_ID, MATERIAL_CODE], request=None,
                   responses={200: MaterialSerializer, **ERRORS})
    def post(self, request, public_id, code):
        row = services.material_preview(actor=self.actor, application_id=public_id, material_code=code)
        return Response(MaterialSerializer(row).data)


class MaterialAcceptApi(ApplicationsApi):
    @extend_schema(operation_id="applications_material_accept", summary=_("Accept the fetched material (免提交)"),
                   parameters=[APPLICATION_ID, MATERIAL_CODE], request=None,
                   responses={200: MaterialSerializer, **ERRORS})
    def post(self, request, public_id, code):
        row = services.material_accept(actor=self.actor, application_id=public_id, material_code=code)
        return Response(MaterialSerializer(row).data)


class MaterialUploadApi(ApplicationsApi):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="applications_material_upload", summary=_("Upload a material"),
                   parameters=[APPLICATION_ID, MATERIAL_CODE], request={"multipart/form-data": UploadInput},
                   responses={201: MaterialSerializer, **ERRORS})
    def post(self, request, public_id, code):
        row = services.material_upload(actor=self.actor, application_id=public_id, material_code=code,
                                       upload=request.FILES.get("file"))
        return Response(MaterialSerializer(row).data, status=status.HTTP_201_CREATED)


class SubmitApi(ApplicationsApi):
    @extend_schema(
        operation_id="applications_submit", summary=_("Submit (idempotent: the same Idempotency-Key answers the same)"),
        parameters=[APPLICATION_ID, OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                                     required=True, description=_("1 to 128 characters."))],
        request=None, responses={201: ApplicationDetailSerializer, 200: ApplicationDetailSerializer, **ERRORS})
    def post(self, request, public_id):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > services.IDEMPOTENCY_KEY_MAX_LENGTH:
            return Response(error_body("idempotency_key_required"), status=400)
        actor = self.actor
        replay = actor.user_id is not None and selectors.application_key_used(actor=actor, idempotency_key=key)
        application = services.application_submit(actor=actor, application_id=public_id, idempotency_key=key)
        return Response(_detail(actor, application), status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)


class SubmissionInput(serializers.Serializer):
    implementation = serializers.UUIDField(help_text=_("The implementation list's public id (办事指南)."))
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True, trim_whitespace=False),
                                    required=False, default=dict,
                                    help_text=_("Answers to the questions not pre-filled (none for 秒办 items)."))
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.WEB)


class SubmissionApi(ApplicationsApi):
    @extend_schema(
        operation_id="applications_submission", summary=_("Apply in one call: draft, pre-fill, fetched materials "
                                                           "accepted, submit (for items that ask nothing else)"),
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                                     description=_("1 to 128 characters."))],
        request=SubmissionInput, responses={201: ApplicationDetailSerializer, 200: ApplicationDetailSerializer,
                                            **ERRORS})
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > services.IDEMPOTENCY_KEY_MAX_LENGTH:
            return Response(error_body("idempotency_key_required"), status=400)
        data = self.parsed(SubmissionInput)
        actor = self.actor
        application = services.application_start_submitted(
            actor=actor, implementation_id=data["implementation"], answers=data["answers"], idempotency_key=key,
            channel=data["channel"])
        replay = getattr(application, "replayed", False)
        return Response(_detail(actor, application), status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)


class CorrectApi(ApplicationsApi):
    @extend_schema(operation_id="applications_correct", summary=_("Resubmit after a correction request (补正)"),
                   parameters=[APPLICATION_ID], request=CorrectInput,
                   responses={200: ApplicationDetailSerializer, **ERRORS})
    def post(self, request, public_id):
        data = self.parsed(CorrectInput)
        application = services.application_correct(actor=self.actor, application_id=public_id,
                                                   answers=data["answers"])
        return Response(_detail(self.actor, application))


class WithdrawApi(ApplicationsApi):
    @extend_schema(operation_id="applications_withdraw", summary=_("Withdraw an application"),
                   parameters=[APPLICATION_ID], request=WithdrawInput,
                   responses={200: ApplicationDetailSerializer, **ERRORS})
    def post(self, request, public_id):
        data = self.parsed(WithdrawInput)
        application = services.application_withdraw(actor=self.actor, application_id=public_id,
                                                    reason=data["reason"])
        return Response(_detail(self.actor, application))


class TaskQueueApi(ApplicationsApi):
    @extend_schema(operation_id="applications_task_queue", summary=_("My task queue (officers)"),
                   parameters=[OpenApiParameter("state", OpenApiTypes.STR, enum=TaskState.values,
                                                description=_("open (default), done or cancelled."))],
                   responses={200: TaskSerializer(many=True), **ERRORS})
    def get(self, request):
        state = request.query_params.get("state") or TaskState.OPEN
        if state not in TaskState.values:
            return Response(error_body("invalid", _("“state” is one of open, done, cancelled."),
                                       {"state": [str(_("“state” is one of open, done, cancelled."))]}), status=400)
        rows = selectors.task_queue(actor=self.actor, state=state)[:200]
        return Response(TaskSerializer(rows, many=True).data)


class TaskActApi(ApplicationsApi):
    @extend_schema(operation_id="applications_task_act", summary=_("Act on a task: approve, reject, correct or done"),
                   parameters=[OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
                   request=ActInput, responses={200: TaskSerializer, **ERRORS})
    def post(self, request, public_id):
        data = self.parsed(ActInput)
        task = services.task_act(actor=self.actor, task_id=public_id, outcome=data["outcome"], note=data["note"])
        return Response(TaskSerializer(task).data)


