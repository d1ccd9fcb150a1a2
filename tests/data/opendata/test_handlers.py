"""The portal follows the catalog, loads and quality scores through events, delivered as the worker
delivers them (every handler of every module, in the order the outbox holds them)."""

from zhengtong.data.catalog import services as catalog_services
from zhengtong.data.catalog.models import Dataset
from zhengtong.data.opendata.models import OpenDataset
from zhengtong.data.quality.public import dataset_overall_score
from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.events.registry import handlers_for
from zhengtong.kernel.events.services import event_deliver

from .conftest import SYSTEM, Codes, world_build


def deliver_all() -> int:
    """Deliver every event so far, oldest first, until none is left (handlers publish more)."""
    delivered_ids: set = set()
    while True:
        pending = [e.id for e in OutboxEvent.objects.order_by("occurred_at") if e.id not in delivered_ids]
        if not pending:
            return len(delivered_ids)
        for event_id in pending:
            event_deliver(event_id=event_id)
            delivered_ids.add(event_id)


def test_the_handlers_are_registered():
    for name in ("catalog.dataset_created", "catalog.dataset_updated", "catalog.dataset_published",
                 "catalog.dataset_retired", "catalog.schema_version_created", "ingest.load_succeeded",
                 "quality.dataset_scored"):
        assert "zhengtong.data.opendata.handlers.on_catalog_changed" in handlers_for(name), name


def test_events_alone_build_the_portal_with_served_data_and_quality_scores(departments, tmp_path):
    # The fixture's helper also syncs directly; clearing its rows leaves the events to rebuild them.
    world_build(departments, tmp_path, serve=False)
    OpenDataset.objects.all().delete()
    assert deliver_all() > 0
    row = OpenDataset.objects.select_related("served").get(resource_code=Codes.OPEN)
    assert row.served.version == row.version == 1
    assert row.formats == "CSV,JSON,Parquet,XLSX"
    score = dataset_overall_score(row.dataset_id)
    assert score is not None and row.quality_score == score
    assert set(OpenDataset.objects.values_list("resource_code", flat=True)) == {Codes.OPEN, Codes.APPLY, Codes.NINGBO}


def test_retiring_a_dataset_takes_it_off_the_portal_through_its_event(open_world):
    deliver_all()
    dataset = Dataset.objects.get(resource_code=Codes.OPEN)
    catalog_services.dataset_retire(actor=SYSTEM, dataset=dataset, reason="停止公示")
    deliver_all()
    assert not OpenDataset.objects.filter(resource_code=Codes.OPEN).exists()
