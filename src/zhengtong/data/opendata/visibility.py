"""Which catalog datasets the public may see, and their public face (OpenDataset) kept in step.

The rule, in one place (DB33/T 2350 levels, GB/T 43697 grades, the catalog's open type):
- published, open type "open" and L1: open to everyone (无条件开放);
- published, open type "open" or "conditional", L2-L3, not core data: its metadata is public and
  its data is delivered, masked, on an approved application (有条件开放);
- anything else — a draft, a retired dataset, L4, core data, the negative list (不予开放) — has no
  OpenDataset row, so no public channel can show it, count it or name it in an error.
"""

import logging

from django.db import transaction
from django.utils import timezone

from zhengtong.data.catalog.public import DatasetDescription, DatasetRef, dataset_describe
from zhengtong.data.ingest.public import version_current
from zhengtong.data.quality.public import dataset_overall_score
from zhengtong.kernel.org.public import division_get
from zhengtong.kernel.search.public import Visibility, index_document, remove_document

from .models import OpenDataset, OpenDatasetTag, OpenTier

logger = logging.getLogger(__name__)

SEARCH_KIND = "open_dataset"
# Excel's sheet holds 1,048,576 rows, one of them the header.
XLSX_MAX_ROWS = 1_048_575
DOWNLOAD_FORMATS = ("CSV", "JSON", "Parquet", "XLSX")
# Schema domain types whose values are codes of shared registers (GB/T 2260 divisions, GB 32100
# credit codes): data that uses them links to other data, the fifth star.
LINKED_DOMAIN_TYPES = {"division_code", "uscc"}


def open_tier(ref: DatasetRef) -> str | None:
    """The dataset's tier on the portal, or None when the public may not see it at all."""
    if ref.status != "published" or ref.grade == "core" or ref.sensitivity not in ("L1", "L2", "L3"):
        return None
    if ref.open_type == "open" and ref.sensitivity == "L1":
        return OpenTier.OPEN
    if ref.open_type in ("open", "conditional"):
        return OpenTier.ON_APPLICATION
    return None


def region_of(division_code: str) -> str:
    """The city (地市) a division belongs to, or the province itself: the region facet's value."""
    if len(division_code) < 6 or division_code[2:4] == "00":
        return division_code[:2] + "0000"
    return division_code[:4] + "00"


def download_formats(row_count: int | None) -> list[str]:
    if row_count is None:
        return []
    return [f for f in DOWNLOAD_FORMATS if f != "XLSX" or row_count <= XLSX_MAX_ROWS]


def openness_stars(*, tier: str, has_data: bool, schema: dict | None) -> int:
    """Tim Berners-Lee's 5-star scale, as this portal delivers the data: ★ on the web under an open
    licence, ★★ structured (XLSX), ★★★ a non-proprietary format (CSV, JSON, Parquet), ★★★★ described
    with IRIs (DCAT-AP and a Table Schema), ★★★★★ linked (fields that are codes of shared registers).
    Data open only on application, or not loaded yet, has no star."""
    if tier != OpenTier.OPEN or not has_data:
        return 0
    linked = any(f.get("domainType") in LINKED_DOMAIN_TYPES or f.get("domain_type") in LINKED_DOMAIN_TYPES
                 for f in (schema or {}).get("fields", []))
    return 5 if linked else 4


def _public_schema(descriptor) -> dict | None:
    """The schema as the public sees it: names, types, titles, descriptions and constraints; a
    field the served copy masks says so."""
    if descriptor is None:
        return None
    fields = []
    for field in descriptor.get("fields", []):
        public = {k: v for k, v in field.items() if k in ("name", "type", "title", "description", "format",
                                                            "constraints", "domainType", "domain_type")}
        masking = field.get("maskingKind") or field.get("masking_kind") or field.get("masking")
        if masking:
            public["masked"] = True
        fields.append(public)
    schema = {"fields": fields}
    if descriptor.get("primaryKey"):
        schema["primaryKey"] = descriptor["primaryKey"]
    return schema


def _index(open_dataset: OpenDataset) -> None:
    body = "\n".join(part for part in (
        open_dataset.description, open_dataset.title_en, open_dataset.description_en,
        open_dataset.department_name, open_dataset.region_name,
        *(" ".join(str(f.get(k, "")) for k in ("name", "title", "description"))
          for f in (open_dataset.schema or {}).get("fields", [])),
    ) if part)
    index_document(
        kind=SEARCH_KIND, key=open_dataset.resource_code, title=open_dataset.title, body=body,
        tags=[*open_dataset.keywords, open_dataset.resource_code], department_id=open_dataset.department_id,
        visibility=Visibility.PUBLIC, updated_at=open_dataset.metadata_modified,
    )


def _remove(dataset_id: int) -> bool:
    row = OpenDataset.objects.filter(dataset_id=dataset_id).first()
    if row is None:
        return False
    resource_code = row.resource_code
    served_path = getattr(getattr(row, "served", None), "path", None)
    row.delete()  # its tags and served-table row go with it
    remove_document(SEARCH_KIND, resource_code)
    if served_path:
        from .records import served_files_remove

        transaction.on_commit(lambda: served_files_remove(served_path), robust=True)
    return True


def _fields(description: DatasetDescription, tier: str) -> dict:
    ref = description.ref
    region = region_of(description.owner_division_code)
    region_division = division_get(region)
    current = version_current(ref.id)
    schema = _public_schema(description.schema_descriptor)
    score = dataset_overall_score(ref.id)
    return {
        "public_id": ref.public_id, "name": ref.resource_code.lower(), "resource_code": ref.resource_code,
        "title": ref.title, "title_en": description.title_en, "description": description.description,
        "description_en": description.description_en, "keywords": list(description.keywords),
        "theme": description.theme, "tier": tier, "update_cycle": ref.update_cycle,
        "licence": description.licence, "sensitivity": ref.sensitivity,
        "department_id": ref.owner_department_id, "department_code": description.owner_department_code,
        "department_name": description.owner_department_name, "region_code": region,
        "region_name": region_division.name if region_division else region,
        "spatial_code": description.spatial_code, "spatial_name": description.spatial_name,
        "temporal_start": description.temporal_start, "temporal_end": description.temporal_end,
        "contact_name": description.contact_name, "contact_email": description.contact_email,
        "schema": schema, "version": current.number if current else None,
        "row_count": current.row_count if current else None,
        "quality_score": score, "published_at": description.published_at,
        "metadata_modified": description.updated_at,
        "data_modified": current.created_at if current else None,
    }


def open_dataset_sync(dataset_id: int) -> OpenDataset | None:
    """Bring the dataset's public face in line with the catalog, the lake and quality: create or
    update its OpenDataset (and search document), or remove them when the public may not see it.
    Idempotent. The served copy is made separately (records.served_table_build), because it reads
    the data; until it exists for the current version the dataset offers no downloads."""
    description = dataset_describe(dataset_id)
    tier = open_tier(description.ref) if description else None
    with transaction.atomic():
        if tier is None:
            _remove(dataset_id)
            return None
        fields = _fields(description, tier)
        open_dataset, _created = OpenDataset.objects.select_for_update().update_or_create(
            dataset_id=dataset_id, defaults=fields)
        served = getattr(open_dataset, "served", None) if not _created else None
        served_current = served is not None and served.version == open_dataset.version
        open_dataset.formats = ",".join(download_formats(served.row_count if served_current else None))
        open_dataset.openness_stars = openness_stars(tier=tier, has_data=served_current, schema=open_dataset.schema)
        open_dataset.save(update_fields=["formats", "openness_stars", "synced_at"])
        wanted = set(open_dataset.keywords)
        OpenDatasetTag.objects.filter(open_dataset=open_dataset).exclude(name__in=wanted).delete()
        have = set(OpenDatasetTag.objects.filter(open_dataset=open_dataset).values_list("name", flat=True))
        OpenDatasetTag.objects.bulk_create([OpenDatasetTag(open_dataset=open_dataset, name=name)
                                            for name in sorted(wanted - have) if name])
        _index(open_dataset)
    return open_dataset


def open_datasets_resync() -> int:
    """Re-sync every dataset of the catalog (after a change of the rule, or to repair); returns
    how many are public."""
    from zhengtong.data.catalog.public import dataset_ids_all

    public = 0
    for dataset_id in dataset_ids_all():
        if open_dataset_sync(dataset_id) is not None:
            public += 1
    return public
