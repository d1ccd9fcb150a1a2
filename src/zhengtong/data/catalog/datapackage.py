"""Frictionless Data Package export of a dataset: its metadata and table schema, with one tabular
resource at the open-data download URL (the pattern catalog.public names for the open-data module)."""

import copy
import re
from typing import Any

from .models import Dataset, TableSchema
from .public import open_data_download_path
from .vocabularies import CSV, LICENCES

PROFILE = "tabular-data-package"


def package_name(resource_code: str) -> str:
    """A Data Package name: lower case letters, digits, "-", "_", "."."""
    return re.sub(r"[^a-z0-9._-]", "-", resource_code.lower())


def dataset_datapackage(dataset: Dataset, *, base_url: str, schema: TableSchema | None) -> dict[str, Any]:
    licence = LICENCES[dataset.licence]
    name = package_name(dataset.resource_code)
    resource: dict[str, Any] = {
        "name": name,
        "path": base_url.rstrip("/") + open_data_download_path(dataset.resource_code, CSV.code),
        "format": CSV.code,
        "mediatype": CSV.media_type,
        "encoding": "utf-8",
        "title": dataset.title,
    }
    if schema is not None:
        resource["profile"] = "tabular-data-resource"
        resource["schema"] = copy.deepcopy(schema.descriptor)
    package: dict[str, Any] = {
        "profile": PROFILE if schema is not None else "data-package",
        "name": name,
        "id": f"urn:uuid:{dataset.public_id}",
        "title": dataset.title,
        "description": dataset.description,
        "keywords": list(dataset.keywords),
        "licenses": [{"name": dataset.licence, "path": licence.url, "title": str(dataset.get_licence_display())}],
        "contributors": [{"title": dataset.owner_department.name, "role": "publisher"}],
        "created": (dataset.published_at or dataset.created_at).isoformat(timespec="seconds"),
        "resources": [resource],
    }
    if schema is not None:
        package["version"] = f"{schema.version}.0.0"
    return package
