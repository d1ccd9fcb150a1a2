"""The open-data portal under /opendata/ (no login for open data). Each part keeps its own URL
module; all share the "opendata" namespace, so names carry a part prefix where they could clash."""

from django.urls import include, path

app_name = "opendata"

urlpatterns = [
    path("", include("zhengtong.data.opendata.portal_urls")),  # search, dataset pages, downloads
    path("", include("zhengtong.data.opendata.interop_urls")),  # DCAT-AP, datapackage.json
    path("developer/", include("zhengtong.data.opendata.developer_urls")),  # keys and usage
    path("", include("zhengtong.data.opendata.community_urls")),  # requests, showcases, index, applications
]
