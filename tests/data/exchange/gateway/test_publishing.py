"""Publishing a dataset version to the serving index: atomic, encrypted at rest, announced."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from zhengtong.data.exchange import publishing
from zhengtong.data.exchange.handlers import on_golden_record_changed, on_load_succeeded, on_master_merged
from zhengtong.data.exchange.models import ServiceKind, ShareRecord, SharingService
from zhengtong.data.exchange.publishing import service_event_name, service_publish
from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.events.registry import Event, handlers_for

from .conftest import BY_ID, CITIZEN_ID, CODE, PEOPLE, ref

pytestmark = pytest.mark.django_db


def records(service) -> dict[str, tuple[str, str, dict, int]]:
    return {r.key: (r.subject_ref, r.division, json.loads(r.payload), r.version)
            for r in ShareRecord.objects.filter(service=service)}


def events(name: str) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(name=name).order_by("occurred_at", "id")]


def test_a_version_becomes_one_record_per_key_with_subject_and_division(unpublished):
    service = unpublished.service
    assert service_publish(service_id=service.pk) == len(PEOPLE) == 22
    service.refresh_from_db()
    assert (service.published_version, service.record_count) == (1, 22)
    assert service.published_at is not None
    published = records(service)
    assert set(published) == set(BY_ID)
    subject, division, payload, version = published[CITIZEN_ID]
    assert (subject, division, version) == (ref(CITIZEN_ID), "330106004", 1)
    # Every field of the service, typed as the lake holds it (the amount is an integer).
    assert payload == {"resident_id": CITIZEN_ID, "name": "陈一明", "gender": "男", "division_code": "330106004",
                       "category": "低保", "amount": 100, "mobile": "13812340000",
                       "address": "浙江省杭州市西湖区北山街道保俶路1号3幢201室"}
    # Encrypted at rest: the column holds no plain value.
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM exchange_sharerecord")
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert "陈一明" not in stored and CITIZEN_ID not in stored and "13812340000" not in stored


def test_publishing_announces_the_change_with_counts_only(unpublished):
    service_publish(service_id=unpublished.service.pk)
    name = service_event_name(CODE)
    assert name == "share.ds_330106_mz_00001.changed"
    assert events(name) == [{"service": CODE, "version": 1, "records": 22}]


def test_a_new_version_replaces_the_records(shared):
    rows = [dict(BY_ID[CITIZEN_ID], amount=999), dict(PEOPLE[5], name="陈新名")]
    shared.load(rows)
    assert service_publish(service_id=shared.service.pk) == 2
    shared.service.refresh_from_db()
    assert (shared.service.published_version, shared.service.record_count) == (2, 2)
    published = records(shared.service)
    assert set(published) == {CITIZEN_ID, PEOPLE[5]["resident_id"]}
    assert published[CITIZEN_ID][2]["amount"] == 999 and published[CITIZEN_ID][3] == 2
    # An older version can be served again.
    assert service_publish(service_id=shared.service.pk, version=1) == 22


def test_a_failing_publish_leaves_the_old_version_served(shared, monkeypatch):
    before = sorted(ShareRecord.objects.values_list("id", "key", "payload", "version"))
    shared.load([dict(BY_ID[CITIZEN_ID], amount=1)] + PEOPLE[1:])
    inserted = []
    real_insert = publishing._records_insert

    def failing_insert(rows):
        real_insert(rows)
        inserted.append(len(rows))
        raise OSError("disk full")

    monkeypatch.setattr(publishing, "_records_insert", failing_insert)
    with pytest.raises(OSError):
        service_publish(service_id=shared.service.pk)
    assert inserted == [22]  # the new rows were written, then rolled back with the delete
    assert sorted(ShareRecord.objects.values_list("id", "key", "payload", "version")) == before
    shared.service.refresh_from_db()
    assert (shared.service.published_version, shared.service.record_count) == (1, 22)
    assert len(events(service_event_name(CODE))) == 1  # only the first publish was announced


def test_publishing_streams_in_batches(unpublished, monkeypatch):
    monkeypatch.setattr(publishing, "BATCH_ROWS", 5)
    sizes = []
    real_insert = publishing._records_insert
    monkeypatch.setattr(publishing, "_records_insert", lambda rows: (sizes.append(len(rows)), real_insert(rows)))
    assert service_publish(service_id=unpublished.service.pk) == 22
    assert sum(sizes) == 22 and max(sizes) < 10 and len(sizes) >= 3


def test_repeated_or_empty_keys_are_served_once_or_left_out(shared):
    twice = dict(PEOPLE[3], name="重复的人")
    shared.load([*PEOPLE[:5], twice, dict(PEOPLE[6], resident_id="")])
    assert service_publish(service_id=shared.service.pk) == 5
    assert set(records(shared.service)) == {p["resident_id"] for p in PEOPLE[:5]}


def test_registry_services_and_missing_versions_are_refused(shared, departments):
    registry = SharingService.objects.create(
        code="registry-person", kind=ServiceKind.REGISTRY, registry_kind="person", name="人口库",
        owner_department=departments["330000-DSJ"], share_type="conditional", key_field="registry_id")
    with pytest.raises(ValueError, match="not a dataset service"):
        service_publish(service_id=registry.pk)
    with pytest.raises(ValueError, match="no version 7"):
        service_publish(service_id=shared.service.pk, version=7)
    assert shared.service.records.count() == 22


def test_the_command_publishes_one_service_or_all(unpublished):
    out = StringIO()
    call_command("share_publish", CODE, "--no-progress", stdout=out, stderr=StringIO())
    assert out.getvalue().strip() == f"{CODE}: version 1, 22 records"
    out = StringIO()
    call_command("share_publish", "--all", "--no-progress", stdout=out, stderr=StringIO())
    assert out.getvalue().strip() == f"{CODE}: version 1, 22 records"
    with pytest.raises(CommandError, match="No sharing service ds-nope"):
        call_command("share_publish", "ds-nope", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError):
        call_command("share_publish", stdout=StringIO(), stderr=StringIO())


# --- handlers ---------------------------------------------------------------------------------


def _event(name: str, payload: dict) -> Event:
    import uuid

    from django.utils import timezone

    return Event(id=uuid.uuid4(), name=name, payload=payload, occurred_at=timezone.now())


def test_the_handlers_are_registered():
    assert "zhengtong.data.exchange.handlers.on_load_succeeded" in handlers_for("ingest.load_succeeded")
    assert "zhengtong.data.exchange.handlers.on_golden_record_changed" in handlers_for("registry.golden_record_changed")
    assert "zhengtong.data.exchange.handlers.on_master_merged" in handlers_for("registry.master_merged")


def test_a_successful_load_publishes_the_dataset_s_active_service_once(unpublished):
    service = unpublished.service
    payload = {"dataset_id": service.dataset_id, "version": 1, "rows": 22}
    on_load_succeeded(_event("ingest.load_succeeded", payload))
    service.refresh_from_db()
    assert (service.published_version, service.record_count) == (1, 22)
    # Delivered again: nothing is published again.
    on_load_succeeded(_event("ingest.load_succeeded", payload))
    assert len(events(service_event_name(CODE))) == 1
    # Another dataset's load, or an inactive service: nothing.
    on_load_succeeded(_event("ingest.load_succeeded", {"dataset_id": service.dataset_id + 1000, "version": 1}))
    unpublished.load(PEOPLE[:3])
    SharingService.objects.filter(pk=service.pk).update(is_active=False)
    on_load_succeeded(_event("ingest.load_succeeded", {"dataset_id": service.dataset_id, "version": 2}))
    service.refresh_from_db()
    assert (service.published_version, service.record_count) == (1, 22)


@pytest.mark.django_db(transaction=True)
def test_the_load_event_reaches_the_service_through_the_worker(unpublished):
    """A real commit, then the real worker, as production runs it."""
    from django.db import transaction

    from zhengtong.kernel.events.public import publish

    with transaction.atomic():
        publish("ingest.load_succeeded", {"dataset_id": unpublished.service.dataset_id, "version": 1})
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    unpublished.service.refresh_from_db()
    assert (unpublished.service.published_version, unpublished.service.record_count) == (1, 22)


def test_registry_changes_reach_the_registry_service_s_subscribers(departments):
    SharingService.objects.create(
        code="registry-person", kind=ServiceKind.REGISTRY, registry_kind="person", name="人口库",
        owner_department=departments["330000-DSJ"], share_type="conditional", key_field="registry_id")
    on_golden_record_changed(_event("registry.golden_record_changed", {
        "registry_id": "ZJP0000000000AB", "kind": "person", "attributes": ["mobile"], "run": "r"}))
    on_master_merged(_event("registry.master_merged", {
        "registry_id": "ZJP0000000000CD", "kind": "person", "merged_into": "ZJP0000000000AB", "run": "r"}))
    # No company service: nothing to announce.
    on_golden_record_changed(_event("registry.golden_record_changed", {
        "registry_id": "ZJC0000000000AB", "kind": "company", "attributes": ["name"], "run": "r"}))
    assert events("share.registry_person.changed") == [
        {"service": "registry-person", "registry_id": "ZJP0000000000AB"},
        {"service": "registry-person", "registry_id": "ZJP0000000000CD", "merged_into": "ZJP0000000000AB"},
    ]
    assert events("share.registry_company.changed") == []
