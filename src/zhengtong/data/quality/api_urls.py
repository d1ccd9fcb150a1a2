from django.urls import path

from . import api

urlpatterns = [
    path("quality/datasets/<uuid:public_id>/", api.DatasetQualityApi.as_view(), name="quality-dataset"),
    path("quality/departments/<int:department_id>/", api.DepartmentQualityApi.as_view(), name="quality-department"),
]
