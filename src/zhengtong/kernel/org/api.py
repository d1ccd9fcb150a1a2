"""Divisions and departments: public reference data, readable without login."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.pagination import LimitOffsetPagination

from .models import Department, Division
from .selectors import department_list, division_list


class ReferencePagination(LimitOffsetPagination):
    # Reference lists are small (about 1,500 divisions) and ordered by code: offset paging is fine.
    default_limit = 200
    max_limit = 2000


class DivisionListApi(generics.ListAPIView):
    class DivisionOutputSerializer(serializers.ModelSerializer):
        parent_code = serializers.CharField(source="parent.code", default=None)

        class Meta:
            model = Division
            fields = ["code", "name", "level", "parent_code"]

    serializer_class = DivisionOutputSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = ReferencePagination

    @extend_schema(
        summary="行政区划 Administrative divisions (GB/T 2260)",
        tags=["org"],
        parameters=[
            OpenApiParameter("parent", OpenApiTypes.STR, description="only the children of this division code"),
            OpenApiParameter("level", OpenApiTypes.STR, enum=["province", "city", "county", "township"]),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return division_list(parent_code=self.request.query_params.get("parent"),
                             level=self.request.query_params.get("level"))


class DepartmentListApi(generics.ListAPIView):
    class DepartmentOutputSerializer(serializers.ModelSerializer):
        id = serializers.UUIDField(source="public_id")
        division_code = serializers.CharField(source="division.code")

        class Meta:
            model = Department
            fields = ["id", "code", "name", "kind", "division_code"]

    serializer_class = DepartmentOutputSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = ReferencePagination

    @extend_schema(
        summary="部门 Departments",
        tags=["org"],
        parameters=[
            OpenApiParameter("division", OpenApiTypes.STR, description="division code"),
            OpenApiParameter("kind", OpenApiTypes.STR),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return department_list(division_code=self.request.query_params.get("division"),
                               kind=self.request.query_params.get("kind"))
