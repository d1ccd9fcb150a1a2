"""REST API: the cases the caller may see, one by one with their history."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import CursorPagination

from zhengtong.kernel.calendar.public import provisional_notice
from zhengtong.kernel.identity.public import actor_from_user

from . import selectors
from .models import Case, CaseState


@extend_schema_serializer(component_name="LoopDepartment")
class DepartmentField(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="LoopCase")
class CaseOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(help_text=_("The case's identifier."))
    kind = serializers.CharField(help_text=_("The loop kind's code, e.g. assistance."))
    kind_name = serializers.CharField(help_text=_("The loop kind's name, in the request's language."))
    title = serializers.CharField()
    subject_ref = serializers.CharField(help_text=_("What the case is about, as the owning module names it."))
    state = serializers.ChoiceField(choices=CaseState.choices)
    state_label = serializers.CharField(source="get_state_display")
    step = serializers.CharField(help_text=_("The step now running (assign, accept, handle, verify, appeal); empty when none."))
    step_due = serializers.DateField(allow_null=True, help_text=_("The running step's due date, in working days."))
    step_due_provisional = serializers.BooleanField(
        help_text=_("True when the due date counts a year whose holidays are not loaded yet.")
    )
    step_due_notice = serializers.SerializerMethodField(
        help_text=_("The sentence to show with a provisional due date, in the request's language; empty otherwise.")
    )
    overdue = serializers.BooleanField(source="is_overdue")
    assignee_department = DepartmentField(allow_null=True)
    escalation_level = serializers.IntegerField()
    escalated_to = DepartmentField(allow_null=True)
    outcome = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    def get_step_due_notice(self, case: Case) -> str:
        return provisional_notice(case.step_deadline) if case.step_deadline else ""


class TransitionOutputSerializer(serializers.Serializer):
    action = serializers.CharField()
    action_label = serializers.CharField(source="get_action_display")
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    department = DepartmentField(source="actor_department", allow_null=True)
    note = serializers.CharField()
    at = serializers.DateTimeField()
    step_due_before = serializers.DateField(allow_null=True)
    step_due_after = serializers.DateField(allow_null=True)
    on_time = serializers.BooleanField(allow_null=True)


@extend_schema_serializer(component_name="LoopCaseDetail")
class CaseDetailOutputSerializer(CaseOutputSerializer):
    description = serializers.CharField()
    response = serializers.CharField()
    history = serializers.SerializerMethodField()

    @extend_schema_field(TransitionOutputSerializer(many=True))
    def get_history(self, case: Case) -> list[dict]:
        return TransitionOutputSerializer(selectors.case_history(case=case), many=True).data


class CaseCursorPagination(CursorPagination):
    ordering = ("-opened_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CaseListApi(ListAPIView):
    """Closed-loop cases the caller may see: their department's, or a citizen's own."""

    serializer_class = CaseOutputSerializer
    pagination_class = CaseCursorPagination

    def get_queryset(self):
        return selectors.case_list(actor=actor_from_user(self.request.user))

    @extend_schema(
        operation_id="loops_case_list",
        summary=_("Cases"),
        tags=["loops"],
        responses={200: CaseOutputSerializer(many=True), 401: OpenApiResponse(description=_("Not signed in."))},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CaseDetailApi(RetrieveAPIView):
    """One case with its full history, if the caller may see it."""

    serializer_class = CaseDetailOutputSerializer

    def get_object(self):
        try:
            return selectors.access_case(
                actor=actor_from_user(self.request.user), public_id=self.kwargs["public_id"]
            )
        except (Case.DoesNotExist, DjangoValidationError):
            raise NotFound from None

    @extend_schema(
        operation_id="loops_case_detail",
        summary=_("Case"),
        tags=["loops"],
        parameters=[
            OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description=_("The case's identifier."))
        ],
        responses={
            200: CaseDetailOutputSerializer,
            401: OpenApiResponse(description=_("Not signed in.")),
            403: OpenApiResponse(description=_("The case exists but is not the caller's to see.")),
            404: OpenApiResponse(description=_("No such case.")),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
