"""Workspace pages of the exchange, under /workspace/exchange/."""

from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("services/<slug:code>/", views.service_detail, name="service"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request-new"),
    path("requests/<uuid:public_id>/", views.request_detail, name="request"),
    path("grants/", views.grant_list, name="grants"),
    path("grants/<uuid:public_id>/", views.grant_detail, name="grant"),
    path("meter/", views.meter, name="meter"),
]
