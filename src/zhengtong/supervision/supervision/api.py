"""REST API of 互联网+监管, under /api/v1/supervision/.

Staff: the law library and the supervision catalogue (read), items (write, the owning department),
plans (read, and publish/draw/reveal for the plan's department). Anyone: published plans with their
commitment, seed once revealed, drawn companies and results, and the check of a draw. Errors are
{"code", "detail", "fields"?}.
"""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengtong.kernel.identity.public import actor_from_user, django_error_response

from . import selectors, services
from .models import PlanState


def _error(exc: Exception) -> Response:
    return django_error_response(exc)


class SupervisionArticleVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    text = serializers.CharField()
    state = serializers.CharField()
    change = serializers.CharField()
    effective_on = serializers.DateField(allow_null=True)


class SupervisionArticleSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    number = serializers.CharField()
    text = serializers.CharField()
    state = serializers.CharField()
    version = serializers.IntegerField()
    versions = SupervisionArticleVersionSerializer(many=True, source="versions.all")


class SupervisionLawSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    issuing_authority = serializers.CharField()
    level = serializers.CharField()
    promulgated_on = serializers.DateField()
    effective_on = serializers.DateField()
    state = serializers.CharField()


class SupervisionLawDetailSerializer(SupervisionLawSerializer):
    articles = SupervisionArticleSerializer(many=True, source="articles.all")


class SupervisionItemSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    department = serializers.CharField(source="department.code")
    department_kind = serializers.CharField()
    articles = serializers.SerializerMethodField()
    checklist = serializers.ListField(child=serializers.CharField())
    is_key = serializers.BooleanField()
    needs_review = serializers.BooleanField(help_text=_("An article founding the item was amended or repealed."))
    review_state = serializers.CharField()

    def get_articles(self, item) -> list[str]:
        return [str(a.public_id) for a in item.articles.all()]


class SupervisionItemInput(serializers.Serializer):
    code = serializers.CharField(required=False, allow_blank=True, default="")
    name = serializers.CharField(required=False, allow_blank=True, default="")
    articles = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    checklist = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    is_key = serializers.BooleanField(required=False, default=False)


class SupervisionDrawnSerializer(serializers.Serializer):
    uscc = serializers.CharField()
    name = serializers.CharField()
    division_code = serializers.CharField()
    credit_class = serializers.CharField()
    inspectors = serializers.ListField(child=serializers.CharField(), help_text=_("Certificate numbers."))
    unassigned_reason = serializers.CharField()
    result = serializers.CharField()
    result_on = serializers.DateField(allow_null=True)


class SupervisionPlanSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    department = serializers.CharField(source="department.code")
    division = serializers.CharField(source="division.code")
    state = serializers.CharField()
    ratios_percent = serializers.DictField(source="ratio_percents", child=serializers.CharField())
    inspectors_per_inspection = serializers.IntegerField()
    commitment = serializers.CharField()
    candidates_digest = serializers.CharField()
    candidate_count = serializers.IntegerField()
    inspectors_digest = serializers.CharField()
    seed = serializers.SerializerMethodField()
    publish_due = serializers.DateField(allow_null=True)

    def get_seed(self, plan) -> str:
        return selectors.plan_seed_public(plan)


class PublicPlanDetailSerializer(serializers.Serializer):
    plan = SupervisionPlanSerializer()
    drawn = SupervisionDrawnSerializer(many=True)


class SupervisionCheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    ok = serializers.BooleanField()


class SupervisionVerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    checks = SupervisionCheckSerializer(many=True)
    drawn_recomputed = serializers.IntegerField()
    drawn_recorded = serializers.IntegerField()


class LawListApi(APIView):
    @extend_schema(responses=SupervisionLawSerializer(many=True), summary="The law library")
    def get(self, request):
        try:
            laws = selectors.law_list(actor=actor_from_user(request.user))
        except PermissionDenied as exc:
            return _error(exc)
        return Response(SupervisionLawSerializer(laws, many=True).data)


class LawDetailApi(APIView):
    @extend_schema(responses=SupervisionLawDetailSerializer, summary="A law with its articles and their versions")
    def get(self, request, public_id):
        try:
            law = selectors.access_law(actor=actor_from_user(request.user), public_id=public_id)
        except (PermissionDenied, ObjectDoesNotExist) as exc:
            return _error(exc)
        return Response(SupervisionLawDetailSerializer(law).data)


class ItemListCreateApi(APIView):
    @extend_schema(responses=SupervisionItemSerializer(many=True), summary="The supervision catalogue")
    def get(self, request):
        try:
            items = selectors.item_list(actor=actor_from_user(request.user))
        except PermissionDenied as exc:
            return _error(exc)
        return Response(SupervisionItemSerializer(items, many=True).data)

    @extend_schema(request=SupervisionItemInput, responses={201: SupervisionItemSerializer}, summary="Add an item of my department")
    def post(self, request):
        data = SupervisionItemInput(data=request.data)
        # The service checks every field, so the API and the page give the same messages.
        values = data.validated_data if data.is_valid() else {}
        try:
            item = services.item_create(actor=actor_from_user(request.user), code=values.get("code", ""),
                                        name=values.get("name", ""), article_ids=values.get("articles", []),
                                        checklist=values.get("checklist", []), is_key=values.get("is_key", False))
        except (ValidationError, PermissionDenied) as exc:
            return _error(exc)
        return Response(SupervisionItemSerializer(item).data, status=status.HTTP_201_CREATED)


class PlanListApi(APIView):
    @extend_schema(responses=SupervisionPlanSerializer(many=True), summary="Plans of my department")
    def get(self, request):
        try:
            plans = selectors.plan_list(actor=actor_from_user(request.user))
        except PermissionDenied as exc:
            return _error(exc)
        return Response(SupervisionPlanSerializer(plans, many=True).data)


PLAN_ACTIONS = {"commit": services.plan_commit, "draw": services.plan_draw, "reveal": services.plan_reveal}


class PlanActApi(APIView):
    @extend_schema(request=None, responses=SupervisionPlanSerializer,
                   summary="Publish (commit to the seed), draw once, or reveal the seed")
    def post(self, request, public_id, action):
        if action not in PLAN_ACTIONS:
            return _error(ObjectDoesNotExist())
        try:
            plan = PLAN_ACTIONS[action](actor=actor_from_user(request.user), plan_id=public_id)
        except (ValidationError, PermissionDenied, ObjectDoesNotExist) as exc:
            return _error(exc)
        return Response(SupervisionPlanSerializer(plan).data)


class PublicPlanListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=SupervisionPlanSerializer(many=True), summary="Published random-inspection plans")
    def get(self, request):
        return Response(SupervisionPlanSerializer(selectors.public_plan_list(), many=True).data)


class PublicPlanDetailApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=PublicPlanDetailSerializer, summary="A published plan and the entities it drew, with results")
    def get(self, request, public_id):
        try:
            plan = selectors.public_plan_get(public_id)
        except ObjectDoesNotExist as exc:
            return _error(exc)
        drawn = selectors.drawn_list(plan) if plan.state in (PlanState.DRAWN, PlanState.REVEALED) else []
        return Response(PublicPlanDetailSerializer({"plan": plan, "drawn": drawn}).data)


class PublicVerifyApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(parameters=[OpenApiParameter("seed", str, required=False)], responses=SupervisionVerifySerializer,
                   summary="Recompute a draw from the revealed (or a given) seed and compare")
    def get(self, request, public_id):
        try:
            plan = selectors.public_plan_get(public_id)
        except ObjectDoesNotExist as exc:
            return _error(exc)
        report = selectors.plan_verify(plan=plan, seed_hex=request.query_params.get("seed"))
        return Response(SupervisionVerifySerializer({"ok": report.ok, "checks": report.checks,
                                          "drawn_recomputed": report.drawn_recomputed,
                                          "drawn_recorded": report.drawn_recorded}).data)
