"""REST API: working-day deadlines, for anyone (the rules are public)."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .public import provisional_notice, working_deadline

# Ten years or so of working days: beyond this a caller has a bug, and the day-by-day count would
# only burn the server's time.
MAX_DAYS = 2500
# format_lazy keeps them lazy: they are put in the request's language when an error is raised.
DAYS_REQUIRED = format_lazy(_("Give days, the number of working days (0 to {max})."), max=MAX_DAYS)
DAYS_INVALID = format_lazy(_("days must be a whole number from 0 to {max}."), max=MAX_DAYS)


class WorkingDeadlineApi(APIView):
    """The due date a number of Chinese working days after a start date."""

    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        start = serializers.DateField(
            input_formats=["%Y-%m-%d"],
            help_text=_("The day the period starts (the day itself is not counted), as YYYY-MM-DD."),
            error_messages={
                "required": _("Give start, the day the period starts, as YYYY-MM-DD."),
                "invalid": _("start must be a date written as YYYY-MM-DD, e.g. 2026-11-23."),
            },
        )
        days = serializers.IntegerField(
            min_value=0,
            max_value=MAX_DAYS,
            help_text=_(
                "How many working days the period lasts. 0 means the start day itself if it is a "
                "working day, else the next working day."
            ),
            error_messages={
                "required": DAYS_REQUIRED,
                "invalid": DAYS_INVALID,
                "min_value": DAYS_INVALID,
                "max_value": DAYS_INVALID,
            },
        )

    # Named for the schema: every API's nested serializer is called Output.
    @extend_schema_serializer(component_name="WorkingDeadline")
    class OutputSerializer(serializers.Serializer):
        due = serializers.DateField(help_text=_("The due date: the last working day of the period."))
        provisional = serializers.BooleanField(
            help_text=_("True when a year in the period has no known holiday schedule yet.")
        )
        unknown_years = serializers.ListField(
            child=serializers.IntegerField(),
            help_text=_("The years in the period whose holidays are not known; counted as weekends only."),
        )
        notice = serializers.CharField(
            help_text=_("The sentence to show with a provisional deadline, in the request's language; empty otherwise.")
        )

    @extend_schema(
        operation_id="calendar_working_deadline",
        summary=_("Working-day deadline"),
        tags=["calendar"],
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(description=_("start or days is missing or not valid; the body names the problem.")),
        },
        examples=[
            OpenApiExample(
                "Into a year whose schedule is not loaded",
                response_only=True,
                value={
                    "due": "2027-01-07",
                    "provisional": True,
                    "unknown_years": [2027],
                    "notice": "2027年节假日安排尚未载入，该期限暂按周末计算，可能变化",
                },
            )
        ],
    )
    def get(self, request):
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            deadline = working_deadline(query.validated_data["start"], query.validated_data["days"])
        except OverflowError:
            raise ValidationError({"days": [_("The deadline would fall after the year 9999.")]}) from None
        return Response(self.OutputSerializer({
            "due": deadline.due,
            "provisional": deadline.provisional,
            "unknown_years": list(deadline.unknown_years),
            "notice": provisional_notice(deadline),
        }).data)
