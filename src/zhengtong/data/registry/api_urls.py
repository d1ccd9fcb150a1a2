from django.urls import path

from . import api

urlpatterns = [
    path("registry/<str:kind>/records", api.RecordSearchApi.as_view(), name="registry-record-search"),
    path("registry/<str:kind>/records/exists", api.RecordExistsApi.as_view(), name="registry-record-exists"),
    path("registry/<str:kind>/records/<str:registry_id>", api.RecordReadApi.as_view(), name="registry-record"),
]
