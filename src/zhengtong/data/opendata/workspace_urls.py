"""Staff pages of the open-data community under /workspace/opendata/ (namespace
"opendata_workspace", names prefixed "workspace-"): deciding applications, answering data
requests, reviewing showcases."""

from django.urls import path

from . import workspace_views as views

app_name = "opendata_workspace"

urlpatterns = [
    path("", views.workspace_home, name="workspace-home"),
    path("applications/", views.application_list, name="workspace-applications"),
    path("applications/<uuid:public_id>/", views.application_decide, name="workspace-application"),
    path("requests/", views.data_request_list, name="workspace-requests"),
    path("requests/<uuid:public_id>/", views.data_request_answer, name="workspace-request"),
    path("showcases/", views.showcase_list, name="workspace-showcases"),
    path("showcases/<uuid:public_id>/", views.showcase_review, name="workspace-showcase"),
]
