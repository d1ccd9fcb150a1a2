"""DCAT-AP and Frictionless descriptions under /opendata/ (namespace "opendata", names "interop-…")."""

from django.urls import path, re_path

from . import interop_views

urlpatterns = [
    re_path(r"^catalog\.(?P<fmt>ttl|jsonld|rdf)$", interop_views.catalog_dcat, name="interop-catalog"),
    re_path(r"^datasets/(?P<code>[^/.]+)\.(?P<fmt>ttl|jsonld|rdf)$", interop_views.dataset_dcat,
            name="interop-dataset"),
    path("datasets/<str:code>/datapackage.json", interop_views.dataset_datapackage, name="interop-datapackage"),
]
