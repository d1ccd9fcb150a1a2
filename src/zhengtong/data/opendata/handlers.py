"""Event handlers of the open-data portal (registered when the app is ready).

Each is idempotent, because an event may be delivered more than once:
- catalog.dataset_* (created, updated, published, retired, schema version created): the dataset's public
  face is re-synced — created, updated, or removed when the public may no longer see it;
- ingest.load_succeeded: the same, and the served copy of the new version is made;
- quality.dataset_scored: the same (the quality score shown comes from the load's scoring, which
  may be handled before or after this module's handling of the load itself).
"""

from zhengtong.kernel.events.public import Event, register_handler

from .visibility import open_dataset_sync


def _dataset_id(event: Event) -> int | None:
    if event.payload.get("dataset_id") is not None:
        return int(event.payload["dataset_id"])
    from zhengtong.data.catalog.public import dataset_get

    ref = None
    if event.payload.get("resource_code"):
        ref = dataset_get(resource_code=event.payload["resource_code"])
    elif event.payload.get("dataset"):
        ref = dataset_get(public_id=event.payload["dataset"])
    return ref.id if ref else None


def on_catalog_changed(event: Event) -> None:
    dataset_id = _dataset_id(event)
    if dataset_id is None:
        return
    open_dataset = open_dataset_sync(dataset_id)
    if open_dataset is not None and open_dataset.version is not None:
        served = getattr(open_dataset, "served", None)
        if served is None or served.version != open_dataset.version:
            from .records import served_table_build

            served_table_build(open_dataset.id)


HANDLERS = {
    "catalog.dataset_created": on_catalog_changed,
    "catalog.dataset_updated": on_catalog_changed,
    "catalog.dataset_published": on_catalog_changed,
    "catalog.dataset_retired": on_catalog_changed,
    "catalog.schema_version_created": on_catalog_changed,
    "ingest.load_succeeded": on_catalog_changed,
    "quality.dataset_scored": on_catalog_changed,
}

for _name, _func in HANDLERS.items():
    register_handler(_name, _func)
