"""Loads make immutable versions: full replace, append, upsert by primary key; problem rows are
loaded and counted; who may load; the events other modules react to."""

import duckdb
import pytest
from django.core.exceptions import PermissionDenied

from zhengtong.data.ingest import lake as lake_module
from zhengtong.data.ingest.models import DatasetVersion, Load
from zhengtong.data.ingest.public import (
    IngestError,
    load_get,
    load_run,
    version_current,
    version_list,
    version_relation_sql,
)
from zhengtong.kernel.events.models import OutboxEvent

from .conftest import PERSON_HEADER, SYSTEM, dataset_make, lake_snapshot, rid, rid_bad, write

pytestmark = pytest.mark.django_db

A = rid("330106", "19900101", "011")
B = rid("330106", "19850505", "022")
C = rid("330106", "19700707", "033")
D = rid_bad("330106", "19600606", "044")


def csv(tmp_path, name: str, *rows: str):
    return write(tmp_path / name, PERSON_HEADER + "\n" + "\n".join(rows) + "\n")


def rows_of(dataset, version=None) -> list[tuple]:
    return duckdb.sql(f"SELECT resident_id, name, amount FROM {version_relation_sql(dataset.id, version)} "
                      "ORDER BY resident_id NULLS LAST, amount").fetchall()


def events(name: str) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(name=name).order_by("occurred_at")]


def test_a_full_load_makes_version_1_with_problem_rows_loaded_and_counted(persons, tmp_path, lake):
    source = csv(tmp_path, "people.csv",
                 f"{A},张三,1990年1月1日,男,13800138000,10",
                 f"{D},赵六,1960年6月6日,男,13800138001,20",  # a wrong check character
                 f"{A},张三,1990年1月1日,男,1380013800,-5")  # duplicate key, bad mobile, out of range
    result = load_run(actor=SYSTEM, resource_code=persons.resource_code, source=source)

    assert (result.status, result.rows_read, result.problem_rows) == ("succeeded", 3, 3)
    assert result.version.number == 1 and result.version.row_count == 3
    assert result.version.path == str(lake / str(persons.public_id) / "v1" / "data.parquet")
    assert result.version.url == (lake / str(persons.public_id) / "v1" / "data.parquet").as_uri()
    assert {code: entry["failed"] for code, entry in result.report.items()} == {
        "required:resident_id": 0, "unique:resident_id": 2, "resident_id:resident_id": 1, "required:name": 0,
        "date:birth_date": 0, "enum:gender": 0, "mobile:mobile": 1, "range:amount": 1,
    }
    assert result.report["unique:resident_id"]["samples"] == [
        {"row": 2, "values": {"resident_id": A}}, {"row": 4, "values": {"resident_id": A}},
    ]
    # Problem data is kept, typed by the schema: the number column is a DOUBLE.
    assert rows_of(persons) == [(D, "赵六", 20.0), (A, "张三", -5.0), (A, "张三", 10.0)]
    assert duckdb.sql(f"SELECT typeof(amount), typeof(birth_date) FROM {version_relation_sql(persons.id)} "
                      "LIMIT 1").fetchall() == [("DOUBLE", "VARCHAR")]
    assert sorted(lake_snapshot(lake)) == [f"{persons.public_id}/v1/data.parquet"]  # no work left behind

    assert events("ingest.load_succeeded") == [{
        "load_id": str(result.load_id), "dataset_id": persons.id, "dataset_public_id": str(persons.public_id),
        "version": 1, "rows": 3, "problem_rows": 3,
        "rules": {code: {"kind": entry["kind"], "field": entry["field"], "failed": entry["failed"]}
                  for code, entry in result.report.items()},
    }]
    assert load_get(result.load_id) == result
    assert load_get("not-a-uuid") is None


def test_each_load_makes_a_new_version_and_leaves_the_earlier_ones_as_they_were(persons, tmp_path, lake):
    first = load_run(actor=SYSTEM, resource_code=persons.resource_code,
                     source=csv(tmp_path, "1.csv", f"{A},张三,,,,1", f"{B},李四,,,,2"))
    v1 = lake_snapshot(lake)
    second = load_run(actor=SYSTEM, resource_code=persons.resource_code, source=csv(tmp_path, "2.csv", f"{C},王五,,,,3"))
    assert second.version.number == 2
    assert rows_of(persons) == [(C, "王五", 3.0)]
    assert rows_of(persons, 1) == [(B, "李四", 2.0), (A, "张三", 1.0)]
    assert {k: v for k, v in lake_snapshot(lake).items() if "/v1/" in k} == v1
    assert [v.number for v in version_list(persons.id)] == [2, 1]
    assert version_current(persons.id).load_id == second.load_id
    assert first.version.number == 1
    with pytest.raises(LookupError):
        version_relation_sql(persons.id, 3)


def test_append_adds_rows_to_the_previous_version(persons, tmp_path):
    load_run(actor=SYSTEM, resource_code=persons.resource_code, source=csv(tmp_path, "1.csv", f"{A},张三,,,,1"))
    result = load_run(actor=SYSTEM, resource_code=persons.resource_code, mode="append",
                      source=csv(tmp_path, "2.csv", f"{B},李四,,,,2", f"{A},张三,,,,9"))
    assert (result.rows_read, result.version.row_count, result.version.mode) == (2, 3, "append")
    assert rows_of(persons) == [(B, "李四", 2.0), (A, "张三", 1.0), (A, "张三", 9.0)]
    # The new rows are checked on their own; duplicates across versions are quality's to follow.
    assert result.report["unique:resident_id"]["failed"] == 0


def test_upsert_replaces_rows_by_primary_key_and_keeps_the_others(persons, tmp_path):
    load_run(actor=SYSTEM, resource_code=persons.resource_code,
             source=csv(tmp_path, "1.csv", f"{A},张三,,,,1", f"{B},李四,,,,2", ",无名,,,,3"))
    result = load_run(actor=SYSTEM, resource_code=persons.resource_code, mode="upsert",
                      source=csv(tmp_path, "2.csv", f"{B},李四（改名）,,,,20", f"{C},王五,,,,30", ",又无名,,,,4"))
    assert (result.rows_read, result.version.row_count) == (3, 5)
    # The new row wins for B; A stays; rows without a key can match nothing and are all kept.
    assert rows_of(persons) == [(C, "王五", 30.0), (B, "李四（改名）", 20.0), (A, "张三", 1.0),
                                (None, "无名", 3.0), (None, "又无名", 4.0)]


def test_upsert_by_a_composite_key_and_a_schema_that_gained_a_field(small_province, tmp_path):
    from zhengtong.data.catalog.models import TableSchema

    schema = {"fields": [{"name": "region", "type": "string"}, {"name": "year", "type": "integer"},
                         {"name": "count", "type": "integer"}], "primaryKey": ["region", "year"]}
    dataset = dataset_make("330106-GA-00010", schema)
    load_run(actor=SYSTEM, resource_code=dataset.resource_code,
             source=write(tmp_path / "1.csv", "region,year,count\n西湖,2023,1\n西湖,2024,2\n滨江,2024,3\n"))
    schema["fields"].append({"name": "note", "type": "string"})
    TableSchema.objects.create(dataset=dataset, version=2, descriptor=schema)
    result = load_run(actor=SYSTEM, resource_code=dataset.resource_code, mode="upsert",
                      source=write(tmp_path / "2.csv", "region,year,count,note\n西湖,2024,20,更正\n滨江,2025,5,新增\n"))
    assert result.version.schema_version == 2
    assert result.report["unique:region+year"]["failed"] == 0
    assert duckdb.sql(f"SELECT * FROM {version_relation_sql(dataset.id)} ORDER BY region, year").fetchall() == [
        ("滨江", 2024, 3, None), ("滨江", 2025, 5, "新增"), ("西湖", 2023, 1, None), ("西湖", 2024, 20, "更正"),
    ]


def test_who_may_load(persons, people, tmp_path):
    source = csv(tmp_path, "people.csv", f"{A},张三,,,,1")
    assert load_run(actor=people.actor("ga_officer"), resource_code=persons.resource_code, source=source).status == "succeeded"
    assert load_run(actor=people.actor("superuser"), resource_code=persons.resource_code, source=source).status == "succeeded"
    loads = Load.objects.count()
    for name in ("ga_clerk", "binjiang_ga_officer"):  # not a data officer; another department's
        with pytest.raises(PermissionDenied):
            load_run(actor=people.actor(name), resource_code=persons.resource_code, source=source)
    with pytest.raises(PermissionDenied):
        load_run(actor=people.actor("ga_officer"), resource_code="330106-GA-99999", source=source)
    assert Load.objects.count() == loads  # a refused caller leaves no trace but the log
    with pytest.raises(IngestError) as caught:
        load_run(actor=SYSTEM, resource_code=persons.resource_code, source=source, mode="merge")
    assert str(caught.value) == "“merge” is not a load mode: use full, append or upsert."


def test_a_reference_to_a_dataset_without_a_version_fails_every_value(small_province, tmp_path):
    codes = dataset_make("330106-GA-00020", {"fields": [{"name": "code", "type": "string"}]})
    rules = ({"code": "known_code", "kind": "reference", "field": "code",
              "params": {"dataset": codes.resource_code, "field": "code"}},)
    users = dataset_make("330106-GA-00021", {"fields": [{"name": "code", "type": "string"}]}, rules=rules)
    source = write(tmp_path / "u.csv", "code\nA\nB\n\n")
    result = load_run(actor=SYSTEM, resource_code=users.resource_code, source=source)
    assert result.report["known_code"]["failed"] == 2
    assert result.report["known_code"]["note"] == "reference_has_no_version"
    load_run(actor=SYSTEM, resource_code=codes.resource_code, source=write(tmp_path / "c.csv", "code\nA\nC\n"))
    result = load_run(actor=SYSTEM, resource_code=users.resource_code, source=source)
    assert result.report["known_code"]["failed"] == 1
    assert result.report["known_code"]["samples"] == [{"row": 3, "values": {"code": "B"}}]


def test_a_load_left_running_by_a_dead_process_is_marked_and_its_leftovers_removed(persons, tmp_path, lake):
    load_run(actor=SYSTEM, resource_code=persons.resource_code, source=csv(tmp_path, "1.csv", f"{A},张三,,,,1"))
    before = lake_snapshot(lake)
    dead = Load.objects.create(dataset=persons, actor_kind="system", source_name="dead.csv", status="running")
    leftover = lake_module.work_dir(persons.public_id, dead.public_id)
    (leftover / "staging.parquet").write_bytes(b"half")
    orphan = lake_module.version_dir(persons.public_id, 2)  # renamed, but its row never committed
    orphan.mkdir()
    (orphan / "data.parquet").write_bytes(b"orphan")
    result = load_run(actor=SYSTEM, resource_code=persons.resource_code, source=csv(tmp_path, "2.csv", f"{B},李四,,,,2"))
    dead.refresh_from_db()
    assert (dead.status, dead.error_code) == ("failed", "interrupted")
    assert result.version.number == 2 and rows_of(persons) == [(B, "李四", 2.0)]
    assert not leftover.exists()
    after = lake_snapshot(lake)
    assert {k: v for k, v in after.items() if "/v1/" in k} == before
    assert sorted(after) == [f"{persons.public_id}/v1/data.parquet", f"{persons.public_id}/v2/data.parquet"]
    assert DatasetVersion.objects.filter(dataset=persons).count() == 2
    assert [e["error_code"] for e in events("ingest.load_failed")] == ["interrupted"]


def test_progress_is_reported_by_phase(persons, tmp_path):
    seen = []
    load_run(actor=SYSTEM, resource_code=persons.resource_code, source=csv(tmp_path, "p.csv", f"{A},张三,,,,1"),
             progress=lambda phase, done, total: seen.append(phase))
    assert [p for i, p in enumerate(seen) if i == 0 or seen[i - 1] != p] == ["read", "validate", "write"]
    load = Load.objects.get()
    assert (load.progress_phase, load.progress_done, load.progress_total, load.progress_percent) == ("done", 1, 1, 100)
