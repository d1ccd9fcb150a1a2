"""What other modules may use of the catalog: frozen references, not ORM rows.

ingest validates loads against `schema_current()` and `rules_for()`; quality and the sharing and
open-data modules read datasets through `dataset_get()`. Who may load data into a dataset is
decided by `access_dataset_for_load()`.
"""

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Mapping
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.utils.text import slugify

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import Role

from . import services
from .models import Dataset, QualityRule, RuleKind, TableSchema, UpdateCycle
from .vocabularies import Theme

__all__ = [
    "DCAT_FORMATS",
    "DatasetDescription",
    "DatasetRef",
    "FieldSpec",
    "RuleKind",
    "RuleSpec",
    "SchemaSpec",
    "Theme",
    "UpdateCycle",
    "access_dataset_for_load",
    "datapackage_export",
    "dataset_create",
    "dataset_describe",
    "dataset_get",
    "dataset_ids_all",
    "dcat_catalog_export",
    "dcat_dataset_export",
    "dataset_publish",
    "open_data_download_path",
    "rule_create",
    "rules_for",
    "schema_current",
    "schema_version_create",
    "sharing_api_path",
    "sharing_service_code",
]

# Domain types a schema field may declare, and the validity rule each implies.
DOMAIN_TYPE_RULES = {
    "resident_id": RuleKind.RESIDENT_ID,
    "uscc": RuleKind.USCC,
    "mobile": RuleKind.MOBILE,
    "division_code": RuleKind.DIVISION_CODE,
    "cn_date": RuleKind.DATE,
}


# Where a dataset's data is served: the open-data module serves downloads at this path (format
# "csv" or "parquet") and the exchange module the sharing API. The catalog's DCAT-AP and Data
# Package exports point at them.
OPEN_DATA_DOWNLOAD_PATH = "/opendata/datasets/{resource_code}/download.{format}"
SHARING_API_PATH = "/api/v1/share/{service_code}/records"


def open_data_download_path(resource_code: str, format: str) -> str:
    return OPEN_DATA_DOWNLOAD_PATH.format(resource_code=resource_code, format=format)


def sharing_service_code(resource_code: str) -> str:
    """The exchange's service code for a dataset: "ds-" and the resource code, lower case."""
    return "ds-" + slugify(resource_code.lower())


def sharing_api_path(resource_code: str) -> str:
    return SHARING_API_PATH.format(service_code=sharing_service_code(resource_code))


@dataclass(frozen=True)
class DatasetRef:
    id: int
    public_id: UUID
    resource_code: str
    title: str
    owner_department_id: int
    update_cycle: str
    grade: str
    sensitivity: str
    share_type: str
    open_type: str
    status: str


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # Frictionless type: string, integer, number, boolean, date, datetime…
    title: str = ""
    required: bool = False
    unique: bool = False
    pattern: str | None = None
    enum: tuple[Any, ...] | None = None
    minimum: Any = None
    maximum: Any = None
    format: str | None = None  # e.g. a date format "%Y年%m月%d日"
    domain_type: str | None = None  # resident_id, uscc, division_code, mobile, cn_date
    masking_kind: str | None = None  # a kernel.masking FieldKind


@dataclass(frozen=True)
class SchemaSpec:
    dataset_id: int
    version: int
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...] = ()
    missing_values: tuple[str, ...] = ("",)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class RuleSpec:
    code: str
    kind: str  # a RuleKind value
    field: str = ""
    # dataclasses.field, spelled out: the "field" attribute above shadows the bare name here.
    params: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    description: str = ""
    derived: bool = False  # implied by the schema rather than declared


@dataclass(frozen=True)
class DatasetDescription:
    """Everything the catalog says about a dataset, for modules that show it (the open-data
    portal): the reference plus the descriptive metadata. Not access-checked: the caller decides
    whether it may be shown."""

    ref: DatasetRef
    title_en: str
    description: str
    description_en: str
    keywords: tuple[str, ...]
    theme: str  # an EU data-theme code, or ""
    licence: str
    contact_name: str
    contact_email: str
    owner_department_code: str
    owner_department_name: str
    owner_division_code: str
    spatial_code: str  # a division code, or ""
    spatial_name: str
    temporal_start: date | None
    temporal_end: date | None
    published_at: datetime | None
    updated_at: datetime
    schema_descriptor: Mapping[str, Any] | None  # the current Frictionless Table Schema


def _dataset_ref(dataset: Dataset) -> DatasetRef:
    return DatasetRef(
        dataset.id, dataset.public_id, dataset.resource_code, dataset.title, dataset.owner_department_id,
        dataset.update_cycle, dataset.grade, dataset.sensitivity, dataset.share_type, dataset.open_type,
        dataset.status,
    )


def dataset_get(*, resource_code: str | None = None, public_id: UUID | str | None = None,
                dataset_id: int | None = None) -> DatasetRef | None:
    """A dataset by one of its identifiers, without an access check (for module-internal use)."""
    lookup = {"resource_code": resource_code, "public_id": public_id, "id": dataset_id}
    lookup = {k: v for k, v in lookup.items() if v is not None}
    dataset = Dataset.objects.filter(**lookup).first() if lookup else None
    return _dataset_ref(dataset) if dataset else None


def dataset_ids_all() -> list[int]:
    """Every dataset's id, in id order (for modules that re-derive their view of the catalog)."""
    return list(Dataset.objects.order_by("id").values_list("id", flat=True))


def dataset_describe(dataset_id: int) -> DatasetDescription | None:
    """The dataset's descriptive metadata, without an access check (for module-internal use)."""
    dataset = (Dataset.objects.select_related("owner_department__division", "spatial")
               .filter(id=dataset_id).first())
    if dataset is None:
        return None
    schema = TableSchema.objects.filter(dataset_id=dataset_id).order_by("-version").first()
    department = dataset.owner_department
    return DatasetDescription(
        ref=_dataset_ref(dataset), title_en=dataset.title_en, description=dataset.description,
        description_en=dataset.description_en, keywords=tuple(dataset.keywords), theme=dataset.theme,
        licence=dataset.licence, contact_name=dataset.contact_name, contact_email=dataset.contact_email,
        owner_department_code=department.code, owner_department_name=department.name,
        owner_division_code=department.division.code,
        spatial_code=dataset.spatial.code if dataset.spatial_id else "",
        spatial_name=dataset.spatial.name if dataset.spatial_id else "",
        temporal_start=dataset.temporal_start, temporal_end=dataset.temporal_end,
        published_at=dataset.published_at, updated_at=dataset.updated_at,
        schema_descriptor=MappingProxyType(schema.descriptor) if schema else None,
    )


# DCAT-AP 3 serializations: "ttl" (Turtle), "jsonld" (JSON-LD), "rdf" (RDF/XML).
DCAT_FORMATS = ("ttl", "jsonld", "rdf")


def _export_rows(dataset_ids: Iterable[int]):
    return (Dataset.objects.select_related("owner_department__division", "spatial")
            .filter(id__in=list(dataset_ids)).order_by("resource_code"))


def dcat_catalog_export(*, dataset_ids: Iterable[int], base_url: str, fmt: str,
                        public_downloads: Iterable[int] | None = None) -> str:
    """The DCAT-AP catalog of exactly these datasets (the caller decides which may be shown).
    `public_downloads`: a public record — download distributions only for these dataset ids (those
    with data), and none for the departments' sharing API."""
    from . import dcat

    downloads = frozenset(public_downloads) if public_downloads is not None else None
    return dcat.serialize(dcat.catalog_graph(_export_rows(dataset_ids), base_url=base_url,
                                             public_downloads=downloads), fmt)


def dcat_dataset_export(*, dataset_id: int, base_url: str, fmt: str, public_downloads: Iterable[int] | None = None) -> str:
    from . import dcat

    downloads = frozenset(public_downloads) if public_downloads is not None else None
    return dcat.serialize(dcat.dataset_graph(_export_rows([dataset_id]).get(), base_url=base_url,
                                             public_downloads=downloads), fmt)


def datapackage_export(*, dataset_id: int, base_url: str) -> dict[str, Any]:
    """The dataset's Frictionless Data Package descriptor (datapackage.json)."""
    from .datapackage import dataset_datapackage

    dataset = _export_rows([dataset_id]).get()
    schema = TableSchema.objects.filter(dataset_id=dataset_id).order_by("-version").first()
    return dataset_datapackage(dataset, base_url=base_url, schema=schema)


def access_dataset_for_load(*, actor: Actor, resource_code: str) -> DatasetRef:
    """The dataset, if the actor may load data into it: a data officer of the owner department,
    a system actor (the platform's own jobs, the demo) or a superuser. PermissionDenied otherwise,
    also when the dataset does not exist (so the answer tells nothing about other departments)."""
    dataset = dataset_get(resource_code=resource_code)
    allowed = dataset is not None and (
        actor.is_superuser
        or actor.kind == "system"
        or (actor.is_staff_member and actor.department_id == dataset.owner_department_id
            and actor.has_role(Role.DATA_OFFICER))
        or (actor.kind == "api_client" and actor.department_id == dataset.owner_department_id
            and "ingest:write" in actor.roles)
    )
    if not allowed:
        raise PermissionDenied(f"may not load data into {resource_code}")
    return dataset


def _field_spec(descriptor: Mapping[str, Any]) -> FieldSpec:
    constraints = descriptor.get("constraints", {})
    enum = constraints.get("enum")
    return FieldSpec(
        name=descriptor["name"],
        type=descriptor.get("type", "string"),
        title=descriptor.get("title", ""),
        required=bool(constraints.get("required", False)),
        unique=bool(constraints.get("unique", False)),
        pattern=constraints.get("pattern"),
        enum=tuple(enum) if enum is not None else None,
        minimum=constraints.get("minimum"),
        maximum=constraints.get("maximum"),
        format=descriptor.get("format"),
        domain_type=descriptor.get("domainType"),
        masking_kind=descriptor.get("maskingKind"),
    )


def schema_spec(schema: TableSchema) -> SchemaSpec:
    descriptor = schema.descriptor
    primary_key = descriptor.get("primaryKey") or ()
    if isinstance(primary_key, str):
        primary_key = (primary_key,)
    return SchemaSpec(
        dataset_id=schema.dataset_id,
        version=schema.version,
        fields=tuple(_field_spec(f) for f in descriptor.get("fields", [])),
        primary_key=tuple(primary_key),
        missing_values=tuple(descriptor.get("missingValues", [""])),
    )


def schema_current(dataset_id: int) -> SchemaSpec | None:
    """The newest schema version of the dataset; None if it has none yet."""
    schema = TableSchema.objects.filter(dataset_id=dataset_id).order_by("-version").first()
    return schema_spec(schema) if schema else None


def rules_for(dataset_id: int) -> list[RuleSpec]:
    """Every rule a load of the dataset is checked against: derived from the schema, then declared.

    Derived codes are "<kind>:<field>" (e.g. "required:name", "resident_id:id_number").
    """
    rules: list[RuleSpec] = []
    schema = schema_current(dataset_id)
    for f in schema.fields if schema else ():
        if f.required:
            rules.append(RuleSpec(f"required:{f.name}", RuleKind.REQUIRED, f.name, derived=True))
        if f.unique or (schema.primary_key == (f.name,)):
            rules.append(RuleSpec(f"unique:{f.name}", RuleKind.UNIQUE, f.name, derived=True))
        if f.pattern:
            rules.append(RuleSpec(f"pattern:{f.name}", RuleKind.PATTERN, f.name,
                                  MappingProxyType({"regex": f.pattern}), derived=True))
        if f.enum is not None:
            rules.append(RuleSpec(f"enum:{f.name}", RuleKind.ENUM, f.name,
                                  MappingProxyType({"values": list(f.enum)}), derived=True))
        if f.minimum is not None or f.maximum is not None:
            rules.append(RuleSpec(f"range:{f.name}", RuleKind.RANGE, f.name,
                                  MappingProxyType({"minimum": f.minimum, "maximum": f.maximum}), derived=True))
        if f.type in ("date", "datetime") or f.domain_type == "cn_date":
            rules.append(RuleSpec(f"date:{f.name}", RuleKind.DATE, f.name,
                                  MappingProxyType({"format": f.format}), derived=True))
        if f.domain_type in DOMAIN_TYPE_RULES and DOMAIN_TYPE_RULES[f.domain_type] != RuleKind.DATE:
            kind = DOMAIN_TYPE_RULES[f.domain_type]
            rules.append(RuleSpec(f"{kind}:{f.name}", kind, f.name, derived=True))
    if len(schema.primary_key if schema else ()) > 1:
        rules.append(RuleSpec("unique:" + "+".join(schema.primary_key), RuleKind.UNIQUE, "",
                              MappingProxyType({"fields": list(schema.primary_key)}), derived=True))
    for rule in QualityRule.objects.filter(dataset_id=dataset_id, is_active=True).order_by("code"):
        rules.append(RuleSpec(rule.code, rule.kind, rule.field, MappingProxyType(dict(rule.params)),
                              rule.description))
    return rules


# --- writes, for modules and tools that register datasets (the demo, benchmarks) -------------
# Thin wrappers over services.py that take and return references, not ORM rows. Each raises
# PermissionDenied or ValidationError exactly as the service does.

def _dataset_row(resource_code: str) -> Dataset:
    return Dataset.objects.get(resource_code=resource_code)


def dataset_create(*, actor: Actor, **fields: Any) -> DatasetRef:
    """Register a dataset (a draft); fields as services.dataset_create takes them."""
    return _dataset_ref(services.dataset_create(actor=actor, **fields))


def dataset_publish(*, actor: Actor, resource_code: str) -> DatasetRef:
    return _dataset_ref(services.dataset_publish(actor=actor, dataset=_dataset_row(resource_code)))


def schema_version_create(*, actor: Actor, resource_code: str, descriptor: Mapping[str, Any]) -> SchemaSpec:
    """A new table schema version; raises catalog.descriptors.SchemaInvalid listing every problem."""
    return schema_spec(services.schema_version_create(actor=actor, dataset=_dataset_row(resource_code),
                                                      descriptor=descriptor))


def rule_create(*, actor: Actor, resource_code: str, code: str, kind: str, field: str = "",
                params: Mapping[str, Any] | None = None, description: str = "") -> RuleSpec:
    rule = services.rule_create(actor=actor, dataset=_dataset_row(resource_code), code=code, kind=kind,
                                field=field, params=dict(params or {}), description=description)
    return RuleSpec(rule.code, rule.kind, rule.field, MappingProxyType(dict(rule.params)), rule.description)
