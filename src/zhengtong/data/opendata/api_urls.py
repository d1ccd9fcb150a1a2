"""The open API, mounted under /api/v1/ (the root URLconf): /api/v1/open/…"""

from django.urls import path

from . import api

urlpatterns = [
    path("open/datasets", api.DatasetListApi.as_view(), name="opendata-api-datasets"),
    path("open/datasets/<str:code>", api.DatasetDetailApi.as_view(), name="opendata-api-dataset"),
    path("open/datasets/<str:code>/records", api.RecordsApi.as_view(), name="opendata-api-records"),
    path("open/usage", api.UsageApi.as_view(), name="opendata-api-usage"),
]
