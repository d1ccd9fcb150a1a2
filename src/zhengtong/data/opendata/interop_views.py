"""Machine-readable descriptions of the open data: the DCAT-AP 3 catalog and each dataset's DCAT-AP
record (Turtle, JSON-LD, RDF/XML), each dataset's Frictionless datapackage.json, and the sitemap.

All of them list only what OpenDataset holds, so a dataset the public may not see is in none of
them; asking for one by code gets the same 404 as a code that never existed. Responses carry an
ETag and Last-Modified from the datasets' metadata_modified, so harvesters that poll (ckanext-dcat,
data.europa.eu, search engines) get 304 Not Modified until something changes.
"""

import hashlib
from datetime import datetime
from pathlib import Path

import django.contrib.sitemaps
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.utils.http import http_date
from django.views.decorators.http import condition, require_GET

from zhengtong.data.catalog.public import datapackage_export, dcat_catalog_export, dcat_dataset_export

from .models import OpenDataset
from .selectors import open_dataset_get, open_dataset_queryset

MEDIA_TYPES = {"ttl": "text/turtle", "jsonld": "application/ld+json", "rdf": "application/rdf+xml"}
CACHE_CONTROL = "public, max-age=300"


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _dataset(code: str) -> OpenDataset:
    try:
        return open_dataset_get(resource_code=code)
    except OpenDataset.DoesNotExist:
        raise Http404 from None


# --- validators --------------------------------------------------------------------------------

def _catalog_state() -> dict:
    return open_dataset_queryset().aggregate(n=Count("id"), modified=Max("metadata_modified"), synced=Max("synced_at"))


def _catalog_etag(request: HttpRequest, fmt: str = "") -> str:
    state = _catalog_state()
    # The count catches a dataset leaving the portal; synced_at one joining or changing.
    text = f"{fmt}|{state['n']}|{state['modified']}|{state['synced']}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _catalog_last_modified(request: HttpRequest, fmt: str = "") -> datetime | None:
    return _catalog_state()["modified"]


def _dataset_etag(request: HttpRequest, code: str, fmt: str = "json") -> str | None:
    try:
        dataset = open_dataset_get(resource_code=code)
    except OpenDataset.DoesNotExist:
        return None
    text = f"{fmt}|{dataset.public_id}|{dataset.metadata_modified.isoformat()}|{dataset.synced_at.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _dataset_last_modified(request: HttpRequest, code: str, fmt: str = "json") -> datetime | None:
    try:
        return open_dataset_get(resource_code=code).metadata_modified
    except OpenDataset.DoesNotExist:
        return None


def _cacheable(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = CACHE_CONTROL
    return response


# --- views -------------------------------------------------------------------------------------

@require_GET
@condition(etag_func=_catalog_etag, last_modified_func=_catalog_last_modified)
def catalog_dcat(request: HttpRequest, fmt: str) -> HttpResponse:
    """The DCAT-AP catalog of every public dataset."""
    rows = list(open_dataset_queryset().values_list("dataset_id", "formats"))
    # The public record: downloads only where there is data, no sharing-API distribution.
    body = dcat_catalog_export(dataset_ids=[i for i, _f in rows], base_url=_base_url(request), fmt=fmt,
                               public_downloads=[i for i, formats in rows if formats])
    return _cacheable(HttpResponse(body, content_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8"))


@require_GET
@condition(etag_func=_dataset_etag, last_modified_func=_dataset_last_modified)
def dataset_dcat(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """One public dataset's DCAT-AP record."""
    dataset = _dataset(code)
    body = dcat_dataset_export(dataset_id=dataset.dataset_id, base_url=_base_url(request), fmt=fmt,
                               public_downloads=[dataset.dataset_id] if dataset.formats else [])
    return _cacheable(HttpResponse(body, content_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8"))


def _public_schema(schema: dict) -> dict:
    """The Table Schema of the data as downloaded: a masked column keeps its name, type and title,
    but not the constraints its raw values met (a masked mobile number matches no mobile pattern)."""
    fields = []
    for field in schema.get("fields", []):
        field = dict(field)
        if field.get("masked"):
            field.pop("constraints", None)
            field["type"] = "string"
        fields.append(field)
    return {**schema, "fields": fields}


@require_GET
@condition(etag_func=_dataset_etag, last_modified_func=_dataset_last_modified)
def dataset_datapackage(request: HttpRequest, code: str) -> HttpResponse:
    """One public dataset's Frictionless Data Package descriptor (datapackage.json): its metadata,
    and its CSV download as a tabular resource with the schema of the data as served."""
    dataset = _dataset(code)
    package = datapackage_export(dataset_id=dataset.dataset_id, base_url=_base_url(request))
    for resource in package.get("resources", []):
        if dataset.schema is not None and "schema" in resource:
            resource["schema"] = _public_schema(dataset.schema)
    package["homepage"] = request.build_absolute_uri(f"/opendata/datasets/{dataset.resource_code}/")
    response = JsonResponse(package, json_dumps_params={"ensure_ascii": False, "indent": 2})
    return _cacheable(response)


# --- the sitemap -------------------------------------------------------------------------------

class PortalSitemap(Sitemap):
    """The portal's front page."""

    changefreq = "daily"
    priority = 0.8

    def items(self):
        return ["/opendata/"]

    def location(self, item: str) -> str:
        return item

    def lastmod(self, item: str) -> datetime | None:
        return _catalog_state()["modified"]


class OpenDatasetSitemap(Sitemap):
    """Every public dataset's page."""

    changefreq = "weekly"
    priority = 0.6
    limit = 50_000  # the sitemap protocol's maximum per file

    def items(self):
        return open_dataset_queryset().order_by("resource_code").only("resource_code", "metadata_modified")

    def location(self, item: OpenDataset) -> str:
        return f"/opendata/datasets/{item.resource_code}/"

    def lastmod(self, item: OpenDataset) -> datetime:
        return item.metadata_modified


SITEMAPS = {"portal": PortalSitemap, "datasets": OpenDatasetSitemap}
# django.contrib.sitemaps is not an installed app (it has no models, and installing it would only
# add its template directory), so its template is loaded from the package itself.
_SITEMAP_TEMPLATE = Path(django.contrib.sitemaps.__file__).parent / "templates" / "sitemap.xml"


def sitemap(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string(_SITEMAP_TEMPLATE.read_text(encoding="utf-8"))
    response = sitemap_view(request, sitemaps=SITEMAPS, template_name=template)
    response.render()
    if not response.has_header("Last-Modified"):
        modified = _catalog_state()["modified"]
        if modified is not None:
            response["Last-Modified"] = http_date(modified.timestamp())
    return _cacheable(response)
