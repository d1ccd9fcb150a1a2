"""The officers' workspace for applications (mounted at /workspace/applications/)."""

from django.urls import path

from . import workspace_views as views

app_name = "applications_workspace"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("measures/", views.measures, name="measures"),
    path("tasks/<uuid:public_id>/", views.task, name="task"),
    path("<uuid:public_id>/", views.application, name="application"),
    path("<uuid:public_id>/materials/<slug:code>/", views.material_file, name="material-file"),
]
