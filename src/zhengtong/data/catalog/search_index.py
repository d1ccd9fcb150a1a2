"""A dataset as a kernel.search document: kind "dataset", keyed by its resource code (which never
changes), findable by its titles, description, keywords, department and the names and titles of
its fields. Drafts are visible to the owner department only (and to whoever sees every
department); published and retired entries to all staff."""

from django.db import transaction

from zhengtong.kernel.search.public import Visibility, index_document

from .models import Dataset, DatasetStatus, TableSchema
from .vocabularies import Theme

KIND = "dataset"


def _body(dataset: Dataset, descriptor: dict | None) -> str:
    parts = [dataset.description, dataset.title_en, dataset.description_en, dataset.owner_department.name]
    if dataset.theme in Theme.values:
        parts.append(str(Theme(dataset.theme).label))
    for field in (descriptor or {}).get("fields", []):
        parts.append(" ".join(str(field.get(key, "")) for key in ("name", "title", "description")))
    return "\n".join(part for part in parts if part)


def dataset_index(dataset_id: int) -> None:
    dataset = Dataset.objects.select_related("owner_department").filter(id=dataset_id).first()
    if dataset is None:
        return
    schema = TableSchema.objects.filter(dataset_id=dataset_id).order_by("-version").first()
    index_document(
        kind=KIND,
        key=dataset.resource_code,
        title=dataset.title,
        body=_body(dataset, schema.descriptor if schema else None),
        tags=[*dataset.keywords, dataset.resource_code],
        department_id=dataset.owner_department_id,
        visibility=Visibility.DEPARTMENT if dataset.status == DatasetStatus.DRAFT else Visibility.STAFF,
        updated_at=dataset.updated_at,
    )


def datasets_reindex() -> int:
    count = 0
    for dataset_id in Dataset.objects.order_by("id").values_list("id", flat=True).iterator():
        with transaction.atomic():
            dataset_index(dataset_id)
        count += 1
    return count
