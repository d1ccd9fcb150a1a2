"""REST API of 好差评, under /api/v1/reviews/.

Applicants: create a review of their application, list their own reviews. Anyone: the published
statistics. Staff: their department's open bad reviews, nearest deadline first (without the
reviewer). Errors are {"code", "detail", "fields"?}.
"""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengtong.kernel.identity.public import actor_from_user, django_error_response

from . import selectors, services
from .models import ReviewChannel


def _error(exc: Exception) -> Response:
    return django_error_response(exc, not_found=_("There is no such review."))


class StatisticsRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()
    satisfied = serializers.IntegerField(help_text=_("Reviews at level 4 or 5."))
    bad = serializers.IntegerField(help_text=_("Reviews at level 1 or 2 (差评)."))
    rectified = serializers.IntegerField()
    rectified_on_time = serializers.IntegerField()
    satisfaction = serializers.FloatField(allow_null=True)
    bad_rate = serializers.FloatField(allow_null=True)
    on_time_rectification = serializers.FloatField(allow_null=True)


class OwnReviewSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    application = serializers.UUIDField(source="application_id")
    reference = serializers.CharField(source="application_reference", allow_null=True)
    item_name = serializers.CharField()
    department_name = serializers.CharField()
    level = serializers.IntegerField()
    level_label = serializers.CharField()
    channel = serializers.CharField()
    indicators = serializers.DictField(child=serializers.IntegerField())
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    loop_state = serializers.CharField(help_text=_("The bad-review loop's state; empty for levels 3-5."))
    loop_step_due = serializers.DateField(allow_null=True)
    callback_note = serializers.CharField()
    rectification = serializers.CharField()
    fix_accepted = serializers.BooleanField(allow_null=True)


class StaffReviewSerializer(serializers.Serializer):
    """No reviewer: officers never learn who gave the review."""

    public_id = serializers.UUIDField()
    item_name = serializers.CharField()
    reference = serializers.CharField(source="application_reference", allow_null=True)
    level = serializers.IntegerField()
    level_label = serializers.CharField()
    channel = serializers.CharField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    loop_state = serializers.CharField()
    loop_step = serializers.CharField()
    loop_step_due = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()
    callback_note = serializers.CharField()
    rectification = serializers.CharField()


class ReviewCreateInput(serializers.Serializer):
    application = serializers.UUIDField()
    # The level is checked by the service, so the API and the page give the same message.
    level = serializers.JSONField()
    channel = serializers.ChoiceField(choices=ReviewChannel.choices, default=ReviewChannel.ONLINE)
    indicators = serializers.DictField(required=False, default=dict)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewListCreateApi(APIView):
    @extend_schema(responses=OwnReviewSerializer(many=True), summary="My reviews")
    def get(self, request):
        rows = selectors.own_review_list(actor=actor_from_user(request.user))
        return Response(OwnReviewSerializer(rows, many=True).data)

    @extend_schema(request=ReviewCreateInput, responses={201: OwnReviewSerializer}, summary="Review an application")
    def post(self, request):
        data = ReviewCreateInput(data=request.data)
        if not data.is_valid():
            fields = {name: [str(m) for m in messages] for name, messages in data.errors.items()}
            return Response({"code": "invalid", "detail": next(iter(fields.values()))[0], "fields": fields},
                            status=status.HTTP_400_BAD_REQUEST)
        actor = actor_from_user(request.user)
        try:
            review = services.review_create(actor=actor, application_id=data.validated_data["application"],
                                            **{k: v for k, v in data.validated_data.items() if k != "application"})
        except (ValidationError, PermissionDenied, ObjectDoesNotExist) as exc:
            return _error(exc)
        row = next(r for r in selectors.own_review_list(actor=actor) if r.public_id == review.public_id)
        return Response(OwnReviewSerializer(row).data, status=status.HTTP_201_CREATED)


class StatisticsApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(parameters=[OpenApiParameter("by", str, enum=list(selectors.GROUPINGS))],
                   responses=StatisticsRowSerializer(many=True), summary="Published review statistics")
    def get(self, request):
        by = request.query_params.get("by", "department")
        if by not in selectors.GROUPINGS:
            return Response({"code": "invalid", "detail": str(_("Group by department or division.")),
                             "fields": {"by": [str(_("Group by department or division."))]}},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(StatisticsRowSerializer(selectors.review_statistics(by=by), many=True).data)


class OpenBadReviewsApi(APIView):
    @extend_schema(responses=StaffReviewSerializer(many=True), summary="Open bad reviews of my department")
    def get(self, request):
        try:
            rows = selectors.open_bad_review_list(actor=actor_from_user(request.user),
                                                  today=timezone.localdate(timezone=services.CHINA))
        except PermissionDenied as exc:
            return _error(exc)
        return Response(StaffReviewSerializer(rows, many=True).data)
