from django.urls import path

from . import api

urlpatterns = [
    path("loops/cases/", api.CaseListApi.as_view(), name="loops-case-list"),
    path("loops/cases/<uuid:public_id>/", api.CaseDetailApi.as_view(), name="loops-case-detail"),
]
