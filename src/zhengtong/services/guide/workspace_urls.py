"""Staff pages of the guide under /workspace/guide/ (namespace "guide_workspace")."""

from django.urls import path

from . import workspace_views as views

app_name = "guide_workspace"

urlpatterns = [
    path("", views.implementation_list, name="list"),
    path("implementations/new/", views.implementation_new, name="new"),
    path("implementations/<uuid:public_id>/", views.implementation_edit, name="edit"),
    path("implementations/<uuid:public_id>/publish/", views.implementation_publish, name="publish"),
    path("implementations/<uuid:public_id>/suspend/", views.implementation_suspend, name="suspend"),
    path("export.xlsx", views.guide_export_download, name="export"),
    path("import/", views.guide_import_upload, name="import"),
]
