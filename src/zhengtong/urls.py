"""Root URL configuration: each app mounts its own pages and API under a prefix."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from zhengtong.data.opendata import ckan_urls

# The sharing gateway first: it takes most API calls, and URL resolution tries patterns in order.
api_v1 = [
    path("", include("zhengtong.data.exchange.api_urls")),
    path("", include("zhengtong.kernel.org.api_urls")),
    path("", include("zhengtong.kernel.ids.api_urls")),
    path("", include("zhengtong.kernel.calendar.api_urls")),
    path("", include("zhengtong.kernel.loops.api_urls")),
    path("", include("zhengtong.kernel.identity.api_urls")),
    path("", include("zhengtong.kernel.ledger.api_urls")),
    path("", include("zhengtong.data.catalog.api_urls")),
    path("", include("zhengtong.data.ingest.api_urls")),
    path("", include("zhengtong.data.quality.api_urls")),
    path("", include("zhengtong.data.registry.api_urls")),
    path("", include("zhengtong.data.opendata.api_urls")),
    path("", include("zhengtong.services.guide.api_urls")),
    path("", include("zhengtong.services.applications.api_urls")),
    path("", include("zhengtong.services.onething.api_urls")),
    path("", include("zhengtong.services.licences.api_urls")),
    path("", include("zhengtong.services.reviews.api_urls")),
    path("", include("zhengtong.supervision.credit.api_urls")),
    path("", include("zhengtong.supervision.supervision.api_urls")),
]

urlpatterns = [
    # The API before the pages, for the same reason (its prefix is its own, so the order changes
    # nothing else).
    path("api/v1/", include(api_v1)),
    # CKAN's Action API, so ckanapi and CKAN harvesters work against the open-data portal unchanged.
    path("api/3/action/", include("zhengtong.data.opendata.ckan_urls")),
    # ckanapi's RemoteCKAN calls the unversioned path, which CKAN answers too.
    path("api/action/", include(ckan_urls.unversioned_urlpatterns)),
    path("", include("zhengtong.web.urls")),
    path("account/", include("zhengtong.kernel.identity.urls")),
    path("workspace/calendar/", include("zhengtong.kernel.calendar.urls")),
    path("workspace/loops/", include("zhengtong.kernel.loops.urls")),
    path("workspace/catalog/", include("zhengtong.data.catalog.urls")),
    path("workspace/ingest/", include("zhengtong.data.ingest.urls")),
    path("workspace/quality/", include("zhengtong.data.quality.urls")),
    path("workspace/registry/", include("zhengtong.data.registry.urls")),
    path("workspace/exchange/", include("zhengtong.data.exchange.urls")),
    path("workspace/opendata/", include("zhengtong.data.opendata.workspace_urls")),
    path("mydata/", include("zhengtong.data.mydata.urls")),
    path("opendata/", include("zhengtong.data.opendata.urls")),
    # The service portal (一网通办): bundles first, then the application journey, then the guide.
    path("services/onething/", include("zhengtong.services.onething.urls")),
    path("services/licences/", include("zhengtong.services.licences.urls")),
    path("services/reviews/", include("zhengtong.services.reviews.urls")),
    path("credit/", include("zhengtong.supervision.credit.urls")),
    path("supervision/", include("zhengtong.supervision.supervision.urls")),
    path("services/", include("zhengtong.services.applications.urls")),
    path("services/", include("zhengtong.services.guide.urls")),
    path("workspace/guide/", include("zhengtong.services.guide.workspace_urls")),
    path("workspace/applications/", include("zhengtong.services.applications.workspace_urls")),
    path("sitemap.xml", include("zhengtong.data.opendata.sitemap_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

if settings.DEBUG:
    # Development only: "log in as a demo user" (the view refuses too when DEBUG is off).
    urlpatterns.append(path("dev/", include("zhengtong.kernel.identity.dev_urls")))
