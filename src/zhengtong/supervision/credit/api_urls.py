"""/api/v1/credit/…"""

from django.urls import path

from . import api

urlpatterns = [
    path("credit/measures/", api.MeasureListApi.as_view(), name="credit-api-measures"),
    path("credit/mine/", api.MyCreditApi.as_view(), name="credit-api-mine"),
    path("credit/records/", api.RecordFileApi.as_view(), name="credit-api-records"),
    path("credit/eligibility/", api.EligibilityApi.as_view(), name="credit-api-eligibility"),
]
