"""The guide's open API (no sign-in: published service guides are public):

    GET /api/v1/guide/items?q=…&division=…&serving=citizen|company&theme=…&type=…&page=1
    GET /api/v1/guide/items/{code}
    GET /api/v1/guide/implementations/{public_id}

Only published implementation lists are shown; an unknown item and one published nowhere are
both 404, as are drafts and suspended lists.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors
from .models import ImplementationStatus, ItemImplementation, ItemType, ServingSubject
from .public import implementation_get

TAGS = ["service guide"]


class ImplementationSummarySerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    division_code = serializers.CharField()
    division_name = serializers.CharField()
    department_name = serializers.CharField()
    promised_days = serializers.IntegerField(help_text=_("Promised time limit, working days."))
    legal_days = serializers.IntegerField(help_text=_("Statutory time limit, working days."))
    visits = serializers.IntegerField(help_text=_("Visits on site; 0 is zero visits (跑零次)."))
    online = serializers.BooleanField()
    mobile = serializers.BooleanField()
    instant = serializers.BooleanField()
    free = serializers.BooleanField()


class ItemSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    serving = serializers.ChoiceField(choices=ServingSubject.choices)
    basis = serializers.CharField()
    theme = serializers.CharField()


class ItemResultSerializer(serializers.Serializer):
    item = ItemSerializer()
    implementation = ImplementationSummarySerializer(allow_null=True, help_text=_(
        "The implementation serving the division asked for (its own or the nearest level above); without a "
        "division, the highest level's."))


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class FacetSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    values = FacetValueSerializer(many=True)


class ItemSearchSerializer(serializers.Serializer):
    query = serializers.CharField()
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    division_code = serializers.CharField(allow_null=True)
    results = ItemResultSerializer(many=True)
    facets = FacetSerializer(many=True)


class FormFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField(help_text=_("In the request's language."))
    kind = serializers.CharField()
    required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    prefill = serializers.CharField()
    help = serializers.CharField()
    max_length = serializers.IntegerField(allow_null=True)


class MaterialSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    copies = serializers.IntegerField()
    required = serializers.BooleanField()
    source = serializers.CharField(help_text=_("upload, shared (fetched from shared data), licence (an e-licence) or "
                                               "produced (by an earlier step of a bundle)."))
    source_ref = serializers.CharField()
    accepted_types = serializers.ListField(child=serializers.CharField())
    max_bytes = serializers.IntegerField()
    form = serializers.CharField()


class FeeSerializer(serializers.Serializer):
    name = serializers.CharField()
    amount_fen = serializers.IntegerField()
    basis = serializers.CharField()


class ImplementationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    item_code = serializers.CharField()
    item_name = serializers.CharField()
    item_type = serializers.CharField()
    serving = serializers.CharField()
    handling_kind = serializers.CharField()
    division_code = serializers.CharField()
    department_code = serializers.CharField()
    department_name = serializers.CharField()
    conditions = serializers.CharField()
    legal_days = serializers.IntegerField()
    promised_days = serializers.IntegerField()
    fees = FeeSerializer(many=True)
    result_name = serializers.CharField()
    result_licence_type = serializers.CharField()
    visits = serializers.IntegerField()
    online = serializers.BooleanField()
    mobile = serializers.BooleanField()
    instant = serializers.BooleanField()
    process = serializers.CharField()
    place = serializers.CharField()
    hours = serializers.CharField()
    consultation = serializers.CharField()
    complaints = serializers.CharField()
    special_steps = serializers.CharField()
    form_fields = FormFieldSerializer(many=True)
    materials = MaterialSerializer(many=True)


class ItemDetailSerializer(ItemSerializer):
    handling_kind = serializers.CharField()
    keywords = serializers.ListField(child=serializers.CharField())
    parent_code = serializers.CharField(allow_null=True)
    implementations = ImplementationSummarySerializer(many=True)


class GuideApi(APIView):
    permission_classes = [AllowAny]


# The names the responses carry, read once: building a serializer's fields deep-copies every
# declared field, which cost more than the rest of the response when it was done for each row.
SUMMARY_FIELDS = tuple(ImplementationSummarySerializer().fields)
ITEM_FIELDS = tuple(ItemSerializer().fields)


def _summary_dict(summary) -> dict:
    return {field: getattr(summary, field) for field in SUMMARY_FIELDS}


def _item_dict(item) -> dict:
    return {field: getattr(item, field) for field in ITEM_FIELDS}


class ItemListApi(GuideApi):
    @extend_schema(
        tags=TAGS,
        operation_id="guide_items_search",
        summary="Search service items",
        description=str(_("Published service items matching the words (Chinese is segmented), best first, 20 a page, "
                          "with facet counts by theme, type and who applies.")),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Words or an item code."),
            OpenApiParameter("division", OpenApiTypes.STR,
                             description="A division code: only items served there, with the implementation serving it."),
            OpenApiParameter("serving", OpenApiTypes.STR, enum=["citizen", "company"]),
            OpenApiParameter("theme", OpenApiTypes.STR),
            OpenApiParameter("type", OpenApiTypes.STR, enum=ItemType.values),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses=ItemSearchSerializer,
    )
    def get(self, request):
        params = request.query_params
        serving = params.get("serving") if params.get("serving") in ("citizen", "company") else None
        item_type = params.get("type") if params.get("type") in ItemType.values else None
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            page = 1
        result = selectors.item_search(query=params.get("q", ""), division_code=params.get("division") or None,
                                       serving=serving, theme=params.get("theme") or None, item_type=item_type,
                                       page=page)
        return Response({
            "query": result.query,
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "division_code": result.division_code,
            "results": [{"item": _item_dict(r.item),
                         "implementation": _summary_dict(r.implementation) if r.implementation else None}
                        for r in result.results],
            "facets": [{"name": f.name, "label": f.label,
                        "values": [{"value": str(v.value), "label": v.label, "count": v.count, "selected": v.selected}
                                   for v in f.values]} for f in result.facets],
        })


class ItemDetailApi(GuideApi):
    @extend_schema(tags=TAGS, operation_id="guide_item_get", summary="A service item and where it is published",
                   responses=ItemDetailSerializer)
    def get(self, request, code):
        detail = selectors.item_public_detail(code=code)
        if detail is None:
            raise Http404
        item, summaries = detail
        return Response({
            **_item_dict(selectors.item_ref(item)),
            "handling_kind": item.handling_kind,
            "keywords": list(item.keywords or ()),
            "parent_code": item.parent.code if item.parent_id else None,
            "implementations": [_summary_dict(s) for s in summaries],
        })


class ImplementationDetailApi(GuideApi):
    @extend_schema(tags=TAGS, operation_id="guide_implementation_get",
                   summary="A published implementation list (办事指南) in full",
                   responses=ImplementationSerializer)
    def get(self, request, public_id):
        ref = implementation_get(public_id=public_id)
        if ref is None or ref.status != ImplementationStatus.PUBLISHED:
            raise Http404
        row = ItemImplementation.objects.select_related("department").get(id=ref.id)
        return Response({
            **{name: getattr(ref, name) for name in (
                "public_id", "item_code", "item_name", "item_type", "serving", "handling_kind", "division_code",
                "conditions", "legal_days", "promised_days", "result_name", "result_licence_type", "visits", "online",
                "mobile", "instant", "process")},
            "fees": [dict(fee) for fee in ref.fees],
            "department_code": row.department.code,
            "department_name": row.department.name,
            "place": row.place, "hours": row.hours, "consultation": row.consultation, "complaints": row.complaints,
            "special_steps": row.special_steps,
            "form_fields": [{"name": f.name, "label": f.label, "kind": f.kind, "required": f.required,
                             "choices": [list(c) for c in f.choices], "prefill": f.prefill, "help": f.help,
                             "max_length": f.max_length} for f in ref.form_fields],
            "materials": [{"code": m.code, "name": m.name, "copies": m.copies, "required": m.required,
                           "source": m.source, "source_ref": m.source_ref, "accepted_types": list(m.accepted_types),
                           "max_bytes": m.max_bytes, "form": m.form} for m in ref.materials],
        })
