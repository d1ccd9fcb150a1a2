"""Linkage runs with the real engine over loaded datasets: one master per person, golden values
from the source of truth, stable ids, history and events."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhengtong.data.registry import services
from zhengtong.data.registry.models import (
    AttributeHistory,
    GoldenAttribute,
    LinkageRun,
    MasterRecord,
    MasterStatus,
    RunStatus,
    SourceRecord,
)
from zhengtong.data.registry.public import master_get, registry_lookup
from zhengtong.kernel.events.models import WebhookDelivery
from zhengtong.kernel.events.public import webhook_subscription_create
from zhengtong.kernel.identity.public import Actor

from .conftest import CHEN, HUKOU_ROWS, LI, SHEBAO_ROWS, ZHAO, events, run

pytestmark = pytest.mark.django_db


def golden(resident_id: str) -> dict[str, GoldenAttribute]:
    master = registry_lookup(kind="person", resident_id=resident_id)
    assert master is not None, resident_id
    return {a.attribute: a for a in GoldenAttribute.objects.filter(master__registry_id=master.registry_id)}


def test_records_sharing_a_valid_id_become_one_master_valued_from_the_source_of_truth(sources):
    result = run()
    assert result.status == RunStatus.SUCCEEDED
    assert (result.records, result.clusters, result.masters_created) == (6, 4, 4)
    assert MasterRecord.objects.filter(kind="person", status=MasterStatus.ACTIVE).count() == 4

    chen = golden(CHEN)
    # Identity from the household register (the source of truth), not social insurance's 陳梅.
    assert chen["name"].value == "陈梅"
    assert (chen["name"].resource_code, chen["name"].dataset_version) == ("330106-GA-00001", 1)
    assert chen["name"].verified and chen["name"].authoritative
    assert chen["address"].value == "浙江省杭州市西湖区文三路90号1幢101室"
    # Nobody is the source of truth for the mobile: the most recent delivery wins, self-declared.
    assert chen["mobile"].value == "15900002222"
    assert chen["mobile"].resource_code == "330106-RS-00001"
    assert not chen["mobile"].verified and not chen["mobile"].authoritative
    master = MasterRecord.objects.get(registry_id=registry_lookup(kind="person", resident_id=CHEN).registry_id)
    assert master.record_count == 2
    assert master.registry_id.startswith("ZJP") and len(master.registry_id) == 15
    assert master.masked_label == "陈*"

    # Zhao only works here: her master is built from social insurance alone.
    zhao = golden(ZHAO)
    assert zhao["name"].value == "赵敏" and zhao["name"].resource_code == "330106-RS-00001"
    assert zhao["name"].verified and not zhao["name"].authoritative
    assert "address" not in zhao


def test_a_legacy_15_digit_id_joins_its_person_under_the_18_digit_id(sources):
    run()
    li = golden(LI)
    assert li["resident_id"].value == LI
    master = MasterRecord.objects.get(registry_id=registry_lookup(kind="person", resident_id=LI).registry_id)
    assert master.record_count == 2
    assert set(SourceRecord.objects.filter(master=master).values_list("source__name", flat=True)) == {
        "hukou", "shebao"}


def test_reruns_keep_every_id_and_change_nothing(sources):
    run()
    ids = dict(MasterRecord.objects.values_list("registry_id", "record_count"))
    history, published = AttributeHistory.objects.count(), len(events())
    second = run()
    assert second.status == RunStatus.SUCCEEDED
    assert (second.masters_created, second.masters_merged, second.masters_split, second.masters_changed) == (0, 0, 0, 0)
    assert dict(MasterRecord.objects.values_list("registry_id", "record_count")) == ids
    assert AttributeHistory.objects.count() == history
    assert len(events()) == published


def test_every_change_is_in_the_history_and_announced_once_without_values(sources):
    first = run()
    announced = events()
    # One event per new master, naming its attributes, never their values.
    assert len(announced) == 4
    chen_id = registry_lookup(kind="person", resident_id=CHEN).registry_id
    chen_event = next(e for e in announced if e["registry_id"] == chen_id)
    assert chen_event == {"registry_id": chen_id, "kind": "person", "run": str(first.public_id),
                          "attributes": ["resident_id", "name", "birth_date", "gender", "mobile", "address"]}
    assert "陈梅" not in str(announced)

    moved = [dict(row) for row in HUKOU_ROWS]
    moved[0]["address"] = "浙江省杭州市西湖区学院路28号3幢201室"
    sources.load("hukou", moved)
    second = run()
    assert second.masters_changed == 1
    assert events()[len(announced):] == [
        {"registry_id": chen_id, "kind": "person", "attributes": ["address"], "run": str(second.public_id)}
    ]
    change = AttributeHistory.objects.filter(master__registry_id=chen_id, attribute="address").order_by("-id").first()
    assert change.old_value == "浙江省杭州市西湖区文三路90号1幢101室"
    assert change.new_value == "浙江省杭州市西湖区学院路28号3幢201室"
    assert (change.resource_code, change.dataset_version, change.verified, change.run_id) == (
        "330106-GA-00001", 2, True, second.pk)
    address = golden(CHEN)["address"]
    assert address.value == "浙江省杭州市西湖区学院路28号3幢201室" and address.dataset_version == 2
    # Other values stay as they were, now confirmed by version 2.
    assert golden(CHEN)["name"].dataset_version == 2


def test_a_person_gone_from_every_source_is_retired_and_their_id_still_answers(sources):
    run()
    zhao_id = registry_lookup(kind="person", resident_id=ZHAO).registry_id
    sources.load("shebao", [row for row in SHEBAO_ROWS if row["resident_id"] != ZHAO])
    second = run()
    assert second.masters_retired == 1
    assert MasterRecord.objects.get(registry_id=zhao_id).status == MasterStatus.RETIRED
    assert master_get(zhao_id).status == MasterStatus.RETIRED
    assert registry_lookup(kind="person", resident_id=ZHAO) is None
    # Back in a later version: the same id, active again.
    sources.load("shebao", SHEBAO_ROWS)
    run()
    assert registry_lookup(kind="person", resident_id=ZHAO).registry_id == zhao_id
    assert MasterRecord.objects.get(registry_id=zhao_id).status == MasterStatus.ACTIVE


def test_the_company_registry_links_the_market_register(sources):
    result = run("company")
    assert result.status == RunStatus.SUCCEEDED, result.error
    assert MasterRecord.objects.filter(kind="company").count() == 2
    company = registry_lookup(kind="company", uscc="91330106MA2B0R9X4K")
    assert company.registry_id.startswith("ZJC")
    values = {a.attribute: a.value for a in GoldenAttribute.objects.filter(master__registry_id=company.registry_id)}
    assert values["name"] == "杭州西湖数据有限公司" and values["legal_representative"] == "陈梅"


def test_only_the_bureau_or_the_platform_may_run_and_nothing_is_recorded_otherwise(sources, people):
    with pytest.raises(PermissionDenied):
        services.registry_run(actor=people.actor("ga_officer"), kind="person")
    with pytest.raises(ValidationError):
        services.registry_run(actor=people.actor("xihu_dsj_admin"), kind="animal")
    assert LinkageRun.objects.count() == 0
    assert services.registry_run(actor=people.actor("xihu_dsj_admin"), kind="person").status == RunStatus.SUCCEEDED


def test_a_failing_engine_marks_the_run_failed_and_changes_nothing(sources, monkeypatch):
    def broken(config, *, decisions=(), progress=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "linkage_run", broken)
    with pytest.raises(RuntimeError):
        run()
    failed = LinkageRun.objects.get()
    assert failed.status == RunStatus.FAILED and failed.error == "RuntimeError: disk full"
    assert MasterRecord.objects.count() == 0 and events() == []


def test_source_registration_keeps_one_source_of_truth_per_attribute(sources):
    with pytest.raises(ValidationError) as error:
        services.source_register(
            actor=services.SYSTEM, kind="person", resource_code="330106-RS-00001", name="shebao",
            key_column="resident_id", columns={"name": "name"}, authoritative_for=["name"],
        )
    assert "hukou" in str(error.value)
    with pytest.raises(ValidationError):
        services.source_register(
            actor=services.SYSTEM, kind="person", resource_code="330106-RS-00001", name="shebao",
            key_column="resident_id", columns={"name": "no_such_column"},
        )


def test_the_command_runs_a_registry(sources, capsys):
    from django.core.management import call_command

    call_command("registry_run", "person", no_progress=True)
    assert "person: 6 records → 4 clusters; 4 new" in capsys.readouterr().out
    assert SHEBAO_ROWS  # the fixture's rows, unchanged


def test_a_subscribed_department_gets_each_change_as_a_signed_webhook_delivery(sources, departments):
    # 一处变更、全网同步: the civil-affairs bureau's system subscribes to the registries' changes.
    subscriber = departments["330106-MZ"]
    webhook_subscription_create(actor=Actor(kind="system"), department_id=subscriber.id, events=["registry."],
                                url="https://mz.example.gov.cn/hooks")
    run()
    changed = events()
    deliveries = WebhookDelivery.objects.filter(event__name=services.GOLDEN_RECORD_CHANGED)
    assert len(changed) == 4
    assert sorted(d.event.payload["registry_id"] for d in deliveries) == sorted(e["registry_id"] for e in changed)
    assert all(d.status == "pending" for d in deliveries)
    # A rerun that changes nothing announces nothing.
    run()
    assert WebhookDelivery.objects.filter(event__name=services.GOLDEN_RECORD_CHANGED).count() == 4
