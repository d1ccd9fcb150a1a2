"""开发者中心 under /opendata/developer/ (namespace "opendata", names prefixed "developer-")."""

from django.urls import path

from . import developer_views as views

urlpatterns = [
    path("", views.developer_home, name="developer-home"),
    path("keys/new/", views.developer_key_create, name="developer-key-create"),
    path("keys/<uuid:key_id>/revoke/", views.developer_key_revoke, name="developer-key-revoke"),
    path("keys/<uuid:key_id>/usage/", views.developer_key_usage, name="developer-key-usage"),
]
