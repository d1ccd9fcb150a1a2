"""/sitemap.xml (the root URLconf mounts this module at that path): the portal's front page and
every public dataset page, with lastmod."""

from django.urls import path

from . import interop_views

urlpatterns = [
    path("", interop_views.sitemap, name="opendata-sitemap"),
]
