"""REST API of 公共信用, under /api/v1/credit/.

Anyone: the joint measure list. A company or citizen: its own credit. Staff: file a record for their
department. API clients with the "credit:eligibility" scope (and staff): the public-resource-trading
eligibility check, logged under the company. Errors are {"code", "detail", "fields"?}.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengtong.kernel.identity.public import actor_from_user, django_error_response

from . import measures, selectors, services
from .models import PenaltyDomain, RecordCategory, SubjectKind


def _error(exc: Exception) -> Response:
    return django_error_response(exc)


class MeasureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    grades = serializers.CharField()
    lists = serializers.CharField()
    scenes = serializers.CharField()
    legal_basis = serializers.CharField()
    description = serializers.CharField()


class MeasureListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=MeasureSerializer(many=True), summary="The joint reward and punishment measures")
    def get(self, request):
        return Response(MeasureSerializer(selectors.measure_list(), many=True).data)


class RecordSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    category = serializers.CharField()
    serious = serializers.BooleanField()
    title = serializers.CharField()
    decision_number = serializers.CharField()
    legal_basis = serializers.CharField()
    decided_on = serializers.DateField()
    published_on = serializers.DateField()
    publish_min_until = serializers.DateField(allow_null=True)
    publish_max_until = serializers.DateField(allow_null=True)
    state = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    count = serializers.IntegerField()
    points = serializers.IntegerField()
    text = serializers.CharField()


class AppliedSerializer(serializers.Serializer):
    measure = serializers.CharField(source="measure.name")
    legal_basis = serializers.CharField(source="measure.legal_basis")
    scene = serializers.CharField()
    reference = serializers.CharField()
    at = serializers.DateTimeField()


class CreditSerializer(serializers.Serializer):
    grade = serializers.CharField()
    score = serializers.IntegerField(allow_null=True)
    manual = serializers.BooleanField()
    lists = serializers.ListField(child=serializers.CharField())
    reasons = ReasonSerializer(many=True)
    records = RecordSerializer(many=True)
    measures = AppliedSerializer(many=True)


class MyCreditApi(APIView):
    @extend_schema(responses=CreditSerializer, summary="My credit: grade, reasons, records and measures")
    def get(self, request):
        try:
            view = services.credit_mine(actor=actor_from_user(request.user))
        except PermissionDenied as exc:
            return _error(exc)
        return Response(CreditSerializer(view).data)


class RecordFileApi(APIView):
    class InputSerializer(serializers.Serializer):
        subject_kind = serializers.ChoiceField(choices=SubjectKind.choices)
        identifier = serializers.CharField(max_length=32)
        name = serializers.CharField(max_length=200)
        category = serializers.ChoiceField(choices=RecordCategory.choices)
        title = serializers.CharField(max_length=300)
        legal_basis = serializers.CharField(max_length=500, allow_blank=True)
        decided_on = serializers.DateField()
        serious = serializers.BooleanField(default=False)
        domain = serializers.ChoiceField(choices=PenaltyDomain.choices, default="", allow_blank=True)
        level = serializers.CharField(max_length=2, default="", allow_blank=True)
        decision_number = serializers.CharField(max_length=100, default="", allow_blank=True)

    @extend_schema(request=InputSerializer, responses={201: RecordSerializer}, summary="File a credit record")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        if not data.is_valid():
            fields = {name: [str(m) for m in messages] for name, messages in data.errors.items()}
            return Response({"code": "invalid", "detail": next(iter(fields.values()))[0], "fields": fields},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            record = services.credit_record_file(actor=actor_from_user(request.user), **data.validated_data)
        except (ValidationError, PermissionDenied) as exc:
            return _error(exc)
        return Response(RecordSerializer(record).data, status=status.HTTP_201_CREATED)


class EligibilitySerializer(serializers.Serializer):
    uscc = serializers.CharField()
    grade = serializers.CharField()
    eligible = serializers.BooleanField()
    measures = serializers.ListField(child=serializers.DictField())


class EligibilityApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("uscc", str, required=True),
                               OpenApiParameter("reference", str, required=False)],
                   responses=EligibilitySerializer, summary="Public-resource-trading eligibility of a company")
    def get(self, request):
        try:
            result = measures.eligibility_check(actor=actor_from_user(request.user),
                                                uscc=request.query_params.get("uscc", ""),
                                                reference=request.query_params.get("reference", "")[:100])
        except (ValidationError, PermissionDenied) as exc:
            return _error(exc)
        return Response(EligibilitySerializer(result).data)
