"""Stable identity through merges and splits, with the engine's clusters scripted exactly."""

import pytest
from django.urls import reverse

from zhengtong.data.registry import selectors
from zhengtong.data.registry.models import AttributeHistory, GoldenAttribute, MasterRecord, MasterStatus, SourceRecord
from zhengtong.data.registry.public import master_get

from .conftest import events, person, run

pytestmark = pytest.mark.django_db

A, B, C = "hukou:330106197712116792", "shebao:330106197712116792", "shebao:330106197712119999"


def master_of(record_id: str) -> MasterRecord:
    from zhengtong.data.registry.services import record_index

    return SourceRecord.objects.get(record_index=record_index(record_id)).master


def test_a_cluster_joining_two_masters_merges_them_into_the_older(sources, engine, people):
    engine.script(records={A: person("陈梅", "330106197712116792", address="文三路90号"),
                           B: person("陈梅", "330106197712116792", mobile="15900002222")},
                  clusters=[[A], [B]])
    run()
    older, younger = master_of(A), master_of(B)
    assert older.pk < younger.pk and older.registry_id != younger.registry_id

    engine.script(records=engine.records, clusters=[[A, B]])
    merged_run = run()
    assert (merged_run.masters_merged, merged_run.masters_created) == (1, 0)
    survivor = MasterRecord.objects.get(pk=older.pk)
    gone = MasterRecord.objects.get(pk=younger.pk)
    assert (survivor.status, survivor.record_count) == (MasterStatus.ACTIVE, 2)
    assert (gone.status, gone.merged_into_id) == (MasterStatus.MERGED, survivor.pk)
    assert master_of(B) == survivor
    # The survivor's golden record now holds the mobile the other brought, and says so.
    mobile = GoldenAttribute.objects.get(master=survivor, attribute="mobile")
    assert mobile.value == "15900002222"
    assert AttributeHistory.objects.filter(master=survivor, attribute="mobile", old_value__isnull=True).count() == 1
    assert events("registry.master_merged") == [
        {"registry_id": gone.registry_id, "kind": "person", "merged_into": survivor.registry_id,
         "run": str(merged_run.public_id)}]

    # The merged id redirects: in public.py, in the selector, in the API and on the page.
    assert master_get(gone.registry_id).registry_id == survivor.registry_id
    with pytest.raises(selectors.MasterMerged) as redirect:
        selectors.golden_record_read(actor=people.actor("xihu_dsj_admin"), registry_id=gone.registry_id)
    assert redirect.value.survivor_id == survivor.registry_id


def test_a_master_split_keeps_its_id_for_the_bigger_part(sources, engine):
    engine.script(records={A: person("陈梅", "330106197712116792"), B: person("陈梅", "330106197712116792"),
                           C: person("陈美", "330106197712119999")},
                  clusters=[[A, B, C]])
    run()
    original = master_of(A)
    assert master_of(C) == original and original.record_count == 3

    engine.script(records=engine.records, clusters=[[A, B], [C]])
    split_run = run()
    assert (split_run.masters_split, split_run.masters_created, split_run.masters_merged) == (1, 1, 0)
    assert master_of(A).pk == master_of(B).pk == original.pk
    assert MasterRecord.objects.get(pk=original.pk).record_count == 2
    new = master_of(C)
    assert new.pk != original.pk and new.status == MasterStatus.ACTIVE
    assert GoldenAttribute.objects.get(master=new, attribute="name").value == "陈美"
    # A rerun of the same clusters changes nothing.
    again = run()
    assert (again.masters_created, again.masters_split, again.masters_changed) == (0, 0, 0)


def test_an_even_split_keeps_the_id_with_the_smallest_cluster(sources, engine):
    engine.script(records={A: person("陈梅", "330106197712116792"), C: person("陈美", "330106197712119999")},
                  clusters=[[A, C]])
    run()
    original = master_of(A)
    engine.script(records=engine.records, clusters=[[A], [C]])
    run()
    assert master_of(A).pk == original.pk  # "hukou:…" sorts before "shebao:…"
    assert master_of(C).pk != original.pk


def test_merged_ids_answer_the_api_with_a_redirect(sources, engine, client, people):
    engine.script(records={A: person("陈梅", "330106197712116792"), B: person("陈梅", "330106197712116792")},
                  clusters=[[A], [B]])
    run()
    gone = master_of(B)
    engine.script(records=engine.records, clusters=[[A, B]])
    run()
    survivor = master_of(A)
    client.force_login(people.users["xihu_dsj_admin"])
    response = client.get(reverse("registry-record", kwargs={"kind": "person", "registry_id": gone.registry_id}))
    assert response.status_code == 301
    assert response["Location"].endswith(f"/api/v1/registry/person/records/{survivor.registry_id}")
    assert response.json() == {"merged_into": survivor.registry_id}
    page = client.get(reverse("registry:record", kwargs={"registry_id": gone.registry_id}))
    assert page.status_code == 302 and page["Location"] == f"/workspace/registry/records/{survivor.registry_id}/"
