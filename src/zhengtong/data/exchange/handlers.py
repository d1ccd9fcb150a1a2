"""Event handlers of the exchange (registered when the app is ready).

Each runs in the transaction that marks its delivery done, and each is idempotent, because an
event may be delivered more than once:
- ingest.load_succeeded: the new version of a dataset is published to its sharing service (if the
  dataset has an active one), unless that version or a later one is already published;
- registry.golden_record_changed / registry.master_merged: "share.registry_<kind>.changed" reaches
  the subscribers of the registry service (一处变更、全网同步), with the registry id only.
"""

import logging

from zhengtong.kernel.events.public import Event, publish, register_handler

from .models import ServiceKind, SharingService
from .publishing import service_event_name, service_publish

logger = logging.getLogger(__name__)


def on_load_succeeded(event: Event) -> None:
    dataset_id, version = event.payload.get("dataset_id"), event.payload.get("version")
    if dataset_id is None:
        return
    service = SharingService.objects.filter(kind=ServiceKind.DATASET, dataset_id=dataset_id, is_active=True).first()
    if service is None:
        return
    if version is not None and service.published_version is not None and service.published_version >= version:
        return  # already published (a repeated delivery), or overtaken by a later version
    service_publish(service_id=service.pk, version=version)


def _registry_changed(event: Event, extra: dict) -> None:
    kind = event.payload.get("kind")
    registry_id = event.payload.get("registry_id")
    if not kind or not registry_id:
        return
    service = SharingService.objects.filter(kind=ServiceKind.REGISTRY, registry_kind=kind, is_active=True).first()
    if service is None:
        service = SharingService.objects.filter(code=f"registry-{kind}", is_active=True).first()
    if service is None:
        return
    publish(service_event_name(service.code), {"service": service.code, "registry_id": registry_id, **extra})


def on_golden_record_changed(event: Event) -> None:
    _registry_changed(event, {})


def on_master_merged(event: Event) -> None:
    merged_into = event.payload.get("merged_into")
    _registry_changed(event, {"merged_into": merged_into} if merged_into else {})


HANDLERS = {
    "ingest.load_succeeded": on_load_succeeded,
    "registry.golden_record_changed": on_golden_record_changed,
    "registry.master_merged": on_master_merged,
}

for _name, _func in HANDLERS.items():
    register_handler(_name, _func)
