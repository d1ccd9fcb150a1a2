"""REST API: a dataset's and a department's data quality, for those who may see them."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengtong.kernel.identity.public import actor_from_user

from . import selectors


def _score(**kwargs):
    return serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, allow_null=True, **kwargs)


def _ratio(**kwargs):
    return serializers.FloatField(allow_null=True, **kwargs)


@extend_schema_serializer(component_name="QualityDepartmentRef")
class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    division_code = serializers.CharField()


@extend_schema_serializer(component_name="QualitySnapshot")
class SnapshotSerializer(serializers.Serializer):
    load_id = serializers.CharField(help_text=_("The load's identifier in ingest."))
    version = serializers.IntegerField(allow_null=True, help_text=_("The dataset version the load made."))
    rows = serializers.IntegerField()
    problem_rows = serializers.IntegerField(help_text=_("Rows failing at least one rule."))
    problem_ratio = _ratio(help_text=_("Problem rows over rows (0-1); null for an empty load."))
    completeness = _score(help_text=_("0-100; null when no rule measures it."))
    validity = _score()
    consistency = _score()
    uniqueness = _score()
    timeliness = _score(help_text=_("100 when the load came within the update cycle, 0 when late; null for irregular datasets."))
    overall = _score(help_text=_("The mean of the dimensions measured."))
    on_time = serializers.BooleanField(allow_null=True)
    loaded_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="QualityRuleFailure")
class RuleFailureSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField(help_text=_("The rule kind, e.g. resident_id."))
    kind_label = serializers.CharField()
    dimension = serializers.CharField()
    field = serializers.CharField()
    failed = serializers.IntegerField(help_text=_("Rows of the latest load failing the rule."))
    failed_ratio = _ratio()


@extend_schema_serializer(component_name="QualityProblem")
class ProblemSerializer(serializers.Serializer):
    case = serializers.UUIDField(source="case_id", help_text=_("The problem loop's case, see /api/v1/loops/cases/{id}/."))
    dataset = serializers.UUIDField(source="dataset_public_id")
    dataset_title = serializers.CharField()
    rule_code = serializers.CharField(help_text=_("The failing rule's code, or “timeliness” for a late dataset."))
    rule_kind = serializers.CharField()
    field = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Failing rows in the latest load; for timeliness, days since the last load."))
    rows = serializers.IntegerField(allow_null=True)
    opened_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="QualityDataset")
class DatasetQualitySerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    resource_code = serializers.CharField()
    title = serializers.CharField()
    owner_department = DepartmentRefSerializer()
    update_cycle = serializers.CharField()
    allowed_days = serializers.IntegerField(allow_null=True, help_text=_("Days a load may be apart; null for irregular."))
    latest = SnapshotSerializer(allow_null=True)
    rules = RuleFailureSerializer(many=True)
    trend = SnapshotSerializer(many=True, help_text=_("The latest loads, oldest first."))
    open_problems = ProblemSerializer(many=True)


@extend_schema_serializer(component_name="QualityLoopMetrics")
class LoopMetricsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    open = serializers.IntegerField()
    closed = serializers.IntegerField()
    overdue = serializers.IntegerField()
    on_time_rate = _ratio(help_text=_("Closed problem loops whose every step met its deadline, over closed ones (0-1)."))


@extend_schema_serializer(component_name="QualityDatasetScore")
class DatasetScoreSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    resource_code = serializers.CharField()
    title = serializers.CharField()
    latest = SnapshotSerializer(allow_null=True)
    open_problems = serializers.IntegerField()


@extend_schema_serializer(component_name="QualityDepartment")
class DepartmentQualitySerializer(serializers.Serializer):
    department = DepartmentRefSerializer()
    rows = serializers.IntegerField()
    problem_rows = serializers.IntegerField()
    problem_ratio = _ratio(help_text=_("Row-weighted over the datasets' latest loads (0-1)."))
    score = _score(help_text=_("The mean of the datasets' latest overall scores."))
    loops = LoopMetricsSerializer()
    datasets = DatasetScoreSerializer(many=True)
    open_problems = ProblemSerializer(many=True)


REFUSED = {
    401: OpenApiResponse(description=_("Not signed in.")),
    403: OpenApiResponse(description=_("Not the caller's to see.")),
    404: OpenApiResponse(description=_("No such record.")),
}


class DatasetQualityApi(APIView):
    """A dataset's data quality: its latest load per rule, the trend and its open problems."""

    @extend_schema(
        operation_id="quality_dataset",
        summary=_("Dataset quality"),
        tags=["quality"],
        parameters=[OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                                     description=_("The dataset's identifier."))],
        responses={200: DatasetQualitySerializer, **REFUSED},
    )
    def get(self, request, public_id):
        try:
            quality = selectors.dataset_quality(actor=actor_from_user(request.user), public_id=public_id)
        except LookupError:
            raise NotFound from None
        return Response(DatasetQualitySerializer(quality).data)


class DepartmentQualityApi(APIView):
    """A department's data quality: its datasets, problem-data ratio and on-time rectification rate."""

    @extend_schema(
        operation_id="quality_department",
        summary=_("Department quality"),
        tags=["quality"],
        parameters=[OpenApiParameter("department_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description=_("The department's id."))],
        responses={200: DepartmentQualitySerializer, **REFUSED},
    )
    def get(self, request, department_id):
        try:
            quality = selectors.department_quality(actor=actor_from_user(request.user), department_id=department_id)
        except LookupError:
            raise NotFound from None
        return Response(DepartmentQualitySerializer(quality).data)
