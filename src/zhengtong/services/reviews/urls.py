"""Pages of reviews."""

from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("statistics/", views.statistics, name="statistics"),
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/<uuid:public_id>/<slug:action>/", views.workspace_act, name="workspace-act"),
    path("applications/<uuid:application_id>/", views.review_new, name="new"),
    path("<uuid:public_id>/rate-fix/", views.rate_fix, name="rate-fix"),
]
