"""The portal's pages of one-thing bundles (mounted at /services/onething/)."""

from django.urls import path

from . import views

app_name = "onething"
urlpatterns = [
    path("", views.bundle_list, name="list"),
    # "my/" before "<code>/": a bundle may not be called "my" (services.RESERVED_CODES).
    path("my/", views.mine, name="mine"),
    path("my/<uuid:public_id>/", views.detail, name="detail"),
    path("my/<uuid:public_id>/q/<slug:name>/", views.question, name="question"),
    path("my/<uuid:public_id>/materials/", views.materials, name="materials"),
    path("my/<uuid:public_id>/materials/<slug:key>/", views.material, name="material"),
    path("my/<uuid:public_id>/check/", views.check, name="check"),
    path("my/<uuid:public_id>/confirmation/", views.confirmation, name="confirmation"),
    path("<slug:code>/", views.bundle_detail, name="bundle"),
    path("<slug:code>/start/", views.start, name="start"),
]
