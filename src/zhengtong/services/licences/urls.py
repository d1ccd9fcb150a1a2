"""Pages of licences."""

from django.urls import path

from . import views

app_name = "licences"
urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("verify/", views.verify, name="verify"),
    path("requests/<uuid:public_id>/<slug:action>/", views.request_decide, name="request-decide"),
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/<uuid:public_id>/<slug:action>/", views.workspace_act, name="workspace-act"),
    path("<uuid:public_id>/", views.licence_detail, name="detail"),
    path("<uuid:public_id>/show/", views.licence_show, name="show"),
    path("<uuid:public_id>/pdf/", views.licence_pdf, name="pdf"),
]
