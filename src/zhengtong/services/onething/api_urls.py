"""/api/v1/onething/…: one-thing bundles and my bundle applications (api.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("onething/bundles/", api.BundleListApi.as_view(), name="onething-api-bundles"),
    path("onething/bundles/<slug:code>/", api.BundleDetailApi.as_view(), name="onething-api-bundle"),
    path("onething/bundles/<slug:code>/submit/", api.BundleSubmitApi.as_view(), name="onething-api-submit"),
    path("onething/applications/", api.BundleApplicationListApi.as_view(), name="onething-api-mine"),
    path("onething/applications/<uuid:public_id>/", api.BundleApplicationDetailApi.as_view(),
         name="onething-api-application"),
]
