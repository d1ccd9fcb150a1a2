"""The guide's documents in kernel.search: one per service item, public while it is published.

An item is found by its name (title), its keywords, code and theme (tags) and, in its text, its
legal basis and what its published implementations say: conditions, results and materials. An
item with no published implementation anywhere is taken out of the index (the public cannot apply
for it). The document is written in the caller's transaction, so the index never disagrees with
the rows it describes.
"""

from django.utils import translation

from zhengtong.kernel.search.public import Visibility, index_document, remove_document

from .models import ImplementationStatus, ItemImplementation, ItemType, Material, ServiceItem, ServingSubject

SEARCH_KIND = "service_item"


def item_document_parts(item: ServiceItem) -> dict | None:
    """Title, text and tags of the item's document, or None when nothing of it is published."""
    implementations = list(
        ItemImplementation.objects.filter(item=item, status=ImplementationStatus.PUBLISHED).values(
            "id", "conditions", "result_name"
        )
    )
    if not implementations:
        return None
    materials = (
        Material.objects.filter(implementation_id__in=[i["id"] for i in implementations])
        .values_list("name", flat=True)
        .distinct()
    )
    with translation.override("zh-hans"):
        type_label = str(ItemType(item.item_type).label) if item.item_type in ItemType.values else item.item_type
        serving_label = str(ServingSubject(item.serving).label) if item.serving in ServingSubject.values else ""
    texts: dict[str, None] = {}
    for part in (
        item.basis,
        *(i["conditions"] for i in implementations),
        *(i["result_name"] for i in implementations),
        *sorted(materials),
    ):
        part = (part or "").strip()
        if part:
            texts.setdefault(part, None)
    tags = [*item.keywords, item.code, type_label, serving_label]
    if item.theme:
        tags.append(item.theme)
    return {"title": item.name, "body": "\n".join(texts), "tags": [tag for tag in tags if tag]}


def item_index(item: ServiceItem) -> bool:
    """Write (or remove) the item's search document; True when it is indexed."""
    parts = item_document_parts(item)
    if parts is None:
        remove_document(SEARCH_KIND, item.code)
        return False
    index_document(kind=SEARCH_KIND, key=item.code, visibility=Visibility.PUBLIC, updated_at=item.updated_at, **parts)
    return True
