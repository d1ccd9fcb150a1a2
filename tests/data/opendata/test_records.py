"""The served copy (masked, key order, `_id`) and pages of records over it."""

import datetime as dt
import random
from pathlib import Path

import duckdb
import pytest
from django.test import override_settings

from zhengtong.data.catalog.public import dataset_get, schema_version_create
from zhengtong.data.ingest.public import load_run
from zhengtong.data.opendata import records
from zhengtong.data.opendata.errors import OpenDataError
from zhengtong.data.opendata.models import OpenDataset, ServedTable
from zhengtong.data.opendata.records import (
    MAX_LIMIT,
    cursor_encode,
    mask_sql,
    records_page,
    records_preview,
    served_file,
    served_table_build,
)
from zhengtong.kernel.masking.public import FieldKind, mask_value

from .conftest import DATASETS, SYSTEM, Codes, _rows, write_csv

OPEN_COLUMNS = ["licence_no", "company_name", "uscc", "category", "division_code", "issued_on", "seats",
                "contact_mobile"]


def _served_rows(served: ServedTable) -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{served_file(served)}') ORDER BY _id").fetchall()


def _open() -> OpenDataset:
    return OpenDataset.objects.select_related("served").get(resource_code=Codes.OPEN)


def _expected_open_row(i: int) -> dict:
    row = _rows(Codes.OPEN)[i - 1]
    return {
        **row, "_id": i, "issued_on": row["issued_on"], "seats": int(row["seats"]),
        "contact_mobile": mask_value("mobile", row["contact_mobile"]),
    }


# --- the served copy -------------------------------------------------------------------------

def test_the_served_copy_holds_every_row_masked_in_key_order_with_an_id(open_world):
    open_dataset = _open()
    served = open_dataset.served
    assert (served.version, served.row_count) == (1, 30)
    assert served.columns == [
        {"name": "licence_no", "masked": False, "type": "text"},
        {"name": "company_name", "masked": False, "type": "text"},
        {"name": "uscc", "masked": False, "type": "text"},
        {"name": "category", "masked": False, "type": "text"},
        {"name": "division_code", "masked": False, "type": "text"},
        {"name": "issued_on", "masked": False, "type": "date"},
        {"name": "seats", "masked": False, "type": "int"},
        {"name": "contact_mobile", "masked": True, "type": "text"},
    ]
    path = served_file(served)
    assert served.path.startswith(f"opendata/{open_dataset.public_id}/v1-") and served.path.endswith("/data.parquet")
    assert served.byte_size == path.stat().st_size
    names = [d[0] for d in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
    assert names == ["_id", *OPEN_COLUMNS]
    rows = _served_rows(served)
    source = _rows(Codes.OPEN)
    assert [r[0] for r in rows] == list(range(1, 31))
    assert [r[1] for r in rows] == sorted(s["licence_no"] for s in source)
    assert [r[8] for r in rows] == [mask_value("mobile", s["contact_mobile"]) for s in source]
    assert rows[0][6] == dt.date(2026, 2, 11)  # typed as a date: every value reads as one
    # The dataset now offers its downloads and earns its stars.
    assert (open_dataset.formats, open_dataset.openness_stars) == ("CSV,JSON,Parquet,XLSX", 5)


def test_the_on_application_copy_masks_the_names(open_world):
    served = OpenDataset.objects.get(resource_code=Codes.APPLY).served
    rows = _served_rows(served)
    assert [r[2] for r in rows] == [mask_value("name", s["operator_name"]) for s in _rows(Codes.APPLY)]
    assert rows[0][2] == "张**"  # 张四1
    assert [c["name"] for c in served.columns if c["masked"]] == ["operator_name"]


def test_hidden_and_dataless_datasets_have_no_served_copy(open_world):
    assert set(ServedTable.objects.values_list("open_dataset__resource_code", flat=True)) == {Codes.OPEN, Codes.APPLY}
    ningbo = OpenDataset.objects.get(resource_code=Codes.NINGBO)
    assert served_table_build(ningbo.id) is None
    assert not ServedTable.objects.filter(open_dataset=ningbo).exists()


MASK_SAMPLES = [
    None, "", "a", "张", "段誉", "欧阳修", "13805710001", "180", "1234567", "12345678",
    "110101199003070011", "11010119900307001X", "浙江省杭州市西湖区文三路90号", "文三路", "12345678",
    "zhang.san@example.com", "@example.com", "a@b@c.org", "no-at-sign", "z@", "6222021234567890123",
    "12", "😀😀😀😀😀😀😀😀😀", "👨‍👩‍👧 family", "line\nbreak@x.cn", "O'Brien", "  ",
]


@pytest.mark.parametrize("kind", [k.value for k in FieldKind])
@pytest.mark.parametrize("style", ["1+2", "6+4"])
def test_masking_in_sql_equals_mask_value(kind, style):
    with override_settings(MASKING_RESIDENT_ID_STYLE=style):
        con = duckdb.connect()
        con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(MASK_SAMPLES)))
        got = [r[0] for r in con.execute(f"SELECT {mask_sql(kind, 'v')} FROM t ORDER BY i").fetchall()]
        assert got == [mask_value(kind, v) for v in MASK_SAMPLES]


def test_masking_a_number_column_masks_its_text():
    got = duckdb.sql(f"SELECT {mask_sql('bank_account', 'x')} FROM (SELECT 6222021234567890 AS x)").fetchall()[0][0]
    assert got == mask_value("bank_account", "6222021234567890") == "************7890"


def test_an_unknown_masking_kind_fails_closed():
    assert duckdb.sql(f"SELECT {mask_sql('shoe_size', 'x')} FROM (SELECT '42' AS x)").fetchall()[0][0] == "***"


def test_a_new_version_replaces_the_copy_and_removes_the_old_files(open_world, tmp_path,
                                                                    django_capture_on_commit_callbacks):
    open_dataset = _open()
    old = open_dataset.served
    old_folder = served_file(old).parent
    assert old_folder.exists()
    # Version 2: the first ten rows, delivered in reverse order, one of them changed.
    rows = _rows(Codes.OPEN)[:10][::-1]
    rows[0] = {**rows[0], "company_name": "西湖新店"}
    load_run(actor=SYSTEM, resource_code=Codes.OPEN, source=write_csv(tmp_path / "v2.csv", rows))
    with django_capture_on_commit_callbacks(execute=True):
        served = served_table_build(open_dataset.id)
    assert (served.version, served.row_count) == (2, 10)
    assert served.path != old.path
    assert not old_folder.exists()
    assert ServedTable.objects.filter(open_dataset=open_dataset).count() == 1
    page = records_page(OpenDataset.objects.get(id=open_dataset.id), limit=100)
    assert page.total == 10
    assert [r["licence_no"] for r in page.records] == [f"JY3330106{i:05d}" for i in range(1, 11)]
    assert page.records[9]["company_name"] == "西湖新店"
    assert OpenDataset.objects.get(id=open_dataset.id).version == 2


def test_rebuilding_the_same_version_keeps_one_copy(open_world, django_capture_on_commit_callbacks):
    open_dataset = _open()
    before = open_dataset.served
    with django_capture_on_commit_callbacks(execute=True):
        again = served_table_build(open_dataset.id)
    assert again.version == before.version and again.path != before.path
    assert served_file(again).exists() and not served_file(before).parent.exists()
    folders = sorted(p.name for p in served_file(again).parent.parent.iterdir())
    assert folders == [served_file(again).parent.name]


def test_without_a_primary_key_the_copy_keeps_the_file_order(open_world, tmp_path):
    spec = DATASETS[Codes.NINGBO]
    descriptor = {**spec["descriptor"], "primaryKey": []}
    descriptor.pop("primaryKey")
    schema_version_create(actor=SYSTEM, resource_code=Codes.NINGBO, descriptor=descriptor)
    windows = [{"window_name": name, "address": f"宁波市{name}路"} for name in ("鄞州", "海曙", "北仑", "江北")]
    load_run(actor=SYSTEM, resource_code=Codes.NINGBO, source=write_csv(tmp_path / "nb.csv", windows))
    from zhengtong.data.opendata.visibility import open_dataset_sync

    open_dataset = open_dataset_sync(dataset_get(resource_code=Codes.NINGBO).id)
    served = served_table_build(open_dataset.id)
    assert [r[:2] for r in _served_rows(served)] == [(1, "鄞州"), (2, "海曙"), (3, "北仑"), (4, "江北")]


# --- pages -----------------------------------------------------------------------------------

def test_a_page_has_typed_json_ready_values_and_the_fields(open_world):
    page = records_page(_open(), limit=2)
    assert page.fields == [{"id": "_id", "type": "int"}, {"id": "licence_no", "type": "text"},
                           {"id": "company_name", "type": "text"}, {"id": "uscc", "type": "text"},
                           {"id": "category", "type": "text"}, {"id": "division_code", "type": "text"},
                           {"id": "issued_on", "type": "date"}, {"id": "seats", "type": "int"},
                           {"id": "contact_mobile", "type": "text"}]
    assert page.records == [_expected_open_row(1), _expected_open_row(2)]
    assert page.records[0]["contact_mobile"] == "138****0001"
    assert (page.total, page.total_was_estimated, page.next_cursor) == (30, False, cursor_encode(2))


def test_keyset_pages_cover_every_row_exactly_once(open_world):
    open_dataset = _open()
    seen, cursor, pages = [], None, 0
    while True:
        page = records_page(open_dataset, limit=7, after=cursor)
        seen += [r["_id"] for r in page.records]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(range(1, 31)) and pages == 5


def test_filtered_keyset_pages_cover_every_match_exactly_once(open_world, monkeypatch):
    # Small windows, so the page is filled across several of them.
    monkeypatch.setattr(records, "KEYSET_FIRST_WINDOW", 2)
    open_dataset = _open()
    seen, cursor = [], None
    while True:
        page = records_page(open_dataset, limit=3, after=cursor, filters={"category": "热食类食品制售"})
        seen += [r["_id"] for r in page.records]
        assert {r["category"] for r in page.records} == {"热食类食品制售"}
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(range(1, 31, 3))


def test_offset_pages(open_world):
    open_dataset = _open()
    page = records_page(open_dataset, offset=25, limit=10)
    assert [r["_id"] for r in page.records] == [26, 27, 28, 29, 30]
    assert (page.total, page.next_cursor) == (30, None)
    middle = records_page(open_dataset, offset=10, limit=5)
    assert [r["_id"] for r in middle.records] == [11, 12, 13, 14, 15]
    assert middle.next_cursor == cursor_encode(15)
    filtered = records_page(open_dataset, offset=2, limit=3, filters={"category": "热食类食品制售"})
    assert [r["_id"] for r in filtered.records] == [7, 10, 13]
    assert (filtered.total, filtered.total_was_estimated) == (10, False)
    assert records_page(open_dataset, offset=30, limit=5).records == []


def test_sorting_with_offset(open_world):
    open_dataset = _open()
    page = records_page(open_dataset, sort="seats desc", limit=3)
    assert [r["seats"] for r in page.records] == [300, 290, 280]
    assert page.next_cursor is None  # a cursor continues _id order only
    second = records_page(open_dataset, sort="seats desc", limit=3, offset=3)
    assert [r["seats"] for r in second.records] == [270, 260, 250]
    by_two = records_page(open_dataset, sort="category, seats desc", limit=2, fields=["category", "seats"])
    assert [(r["category"], r["seats"]) for r in by_two.records] == [("热食类食品制售", 280), ("热食类食品制售", 250)]


def test_filters_are_typed_by_the_schema(open_world):
    open_dataset = _open()
    assert [r["_id"] for r in records_page(open_dataset, filters={"seats": "100"}).records] == [10]
    assert [r["_id"] for r in records_page(open_dataset, filters={"seats": 100}).records] == [10]
    assert [r["_id"] for r in records_page(open_dataset, filters={"seats": [10, "20"]}).records] == [1, 2]
    assert [r["_id"] for r in records_page(open_dataset, filters={"issued_on": "2026-02-11"}).records] == [1]
    two = records_page(open_dataset, filters={"category": "糕点类食品制售", "uscc": "91330106MA27XT6N0J"})
    assert [r["_id"] for r in two.records] == [2, 8, 14, 20, 26]
    assert records_page(open_dataset, filters={"licence_no": "nothing"}).records == []
    assert records_page(open_dataset, filters={"licence_no": None}).total == 0
    masked = records_page(open_dataset, filters={"contact_mobile": "138****0001"})
    assert [r["_id"] for r in masked.records] == [1]  # filters see the masked values only
    assert records_page(open_dataset, filters={"contact_mobile": "13805710001"}).records == []


def test_fields_selects_columns_in_the_order_asked(open_world):
    page = records_page(_open(), fields=["seats", "licence_no"], limit=1)
    assert page.fields == [{"id": "_id", "type": "int"}, {"id": "seats", "type": "int"},
                           {"id": "licence_no", "type": "text"}]
    assert page.records == [{"_id": 1, "seats": 10, "licence_no": "JY333010600001"}]
    assert records_page(_open(), fields=["_id"], limit=1).records == [{"_id": 1}]


def test_records_preview_is_the_first_twenty_rows(open_world):
    page = records_preview(_open())
    assert [r["_id"] for r in page.records] == list(range(1, 21))
    assert (page.total, page.next_cursor) == (30, cursor_encode(20))


def test_the_estimate_flag(open_world, monkeypatch):
    open_dataset = _open()
    exact = records_page(open_dataset, limit=3, filters={"category": "热食类食品制售"})
    assert (exact.total, exact.total_was_estimated) == (10, False)
    assert records_page(open_dataset, limit=3, filters={"category": "热食类食品制售"}, count=False).total is None
    # Above the exact-count size the count is taken over SAMPLE_RANGES ranges and scaled: here
    # 8 ranges of 3 rows (_id 1-24) hold 8 matches, scaled to 30 rows: 10.
    monkeypatch.setattr(records, "EXACT_COUNT_MAX_ROWS", 10)
    estimated = records_page(open_dataset, limit=3, filters={"category": "热食类食品制售"})
    assert (estimated.total, estimated.total_was_estimated) == (10, True)
    sparse = records_page(open_dataset, limit=3, filters={"seats": [10, 250, 300]})
    assert (sparse.total, sparse.total_was_estimated) == (3, False)  # all on the page: counted exactly
    unfiltered = records_page(open_dataset, limit=3)
    assert (unfiltered.total, unfiltered.total_was_estimated) == (30, False)


# --- refusals --------------------------------------------------------------------------------

def _refused(open_dataset, **kwargs) -> OpenDataError:
    before = ServedTable.objects.get(open_dataset=open_dataset)
    with pytest.raises(OpenDataError) as caught:
        records_page(open_dataset, **kwargs)
    after = ServedTable.objects.get(open_dataset=open_dataset)
    assert (after.path, after.version, after.row_count, after.columns) == (
        before.path, before.version, before.row_count, before.columns)
    return caught.value


@pytest.mark.parametrize("kwargs, code", [
    ({"limit": 0}, "limit_too_large"),
    ({"limit": MAX_LIMIT + 1}, "limit_too_large"),
    ({"limit": "10"}, "limit_too_large"),
    ({"limit": True}, "limit_too_large"),
    ({"offset": -1}, "offset_invalid"),
    ({"offset": "5"}, "offset_invalid"),
    ({"after": "!!not-base64!!"}, "cursor_invalid"),
    ({"after": "LTE"}, "cursor_invalid"),  # base64 of "-1"
    ({"after": "YWJj"}, "cursor_invalid"),  # base64 of "abc"
    ({"after": cursor_encode(3), "sort": "seats"}, "sort_invalid"),
    ({"sort": "seats sideways"}, "sort_invalid"),
    ({"sort": "height"}, "sort_invalid"),
    ({"fields": ["height"]}, "field_unknown"),
    ({"filters": {"height": "1"}}, "field_unknown"),
    ({"filters": {"seats": "many"}}, "filter_value_invalid"),
    ({"filters": {"seats": "1.5"}}, "filter_value_invalid"),
    ({"filters": {"seats": True}}, "filter_value_invalid"),
    ({"filters": {"issued_on": "2026-13-01"}}, "filter_value_invalid"),
    ({"filters": {"category": {"$gt": 1}}}, "filter_value_invalid"),
])
def test_refusals_have_their_code_and_change_nothing(open_world, kwargs, code):
    error = _refused(_open(), **kwargs)
    assert error.code == code


def test_an_unknown_column_is_named_with_the_columns_there_are(open_world):
    error = _refused(_open(), filters={"height": "1"})
    assert error.status == 400
    assert error.params["field"] == "height"
    assert error.params["columns"] == OPEN_COLUMNS
    assert "licence_no、company_name" in error.message


def test_a_bad_filter_value_says_what_was_expected(open_world):
    error = _refused(_open(), filters={"seats": "many"})
    assert (error.params["value"], error.params["field"]) == ("many", "seats")
    assert str(error.params["type"]) == str(records.TYPE_LABELS["int"])


def test_a_dataset_without_data_has_none_to_serve(open_world):
    ningbo = OpenDataset.objects.get(resource_code=Codes.NINGBO)
    with pytest.raises(OpenDataError) as caught:
        records_page(ningbo)
    assert (caught.value.code, caught.value.params) == ("no_data", {"dataset": Codes.NINGBO})


def test_cursors_round_trip(open_world):
    for value in (0, 1, 7, 4_999_999, random.Random(3).randrange(10**12)):
        assert records.cursor_decode(cursor_encode(value)) == value


def test_the_served_files_live_under_the_lake(open_world):
    served = _open().served
    assert Path(served_file(served)).is_relative_to(records.served_root())


def test_a_build_sweeps_what_dead_builds_left_behind(open_world, monkeypatch):
    import os

    open_dataset = _open()
    current = served_file(open_dataset.served).parent
    dead = [current.parent / ".tmp-dead", current.parent / "v1-dead", current.parent / ".tmp-fresh"]
    for folder in dead:
        folder.mkdir()
        (folder / "data.parquet").write_bytes(b"x")
    for folder in dead[:2]:
        os.utime(folder, (0, 0))
    os.utime(current, (0, 0))  # old, but the copy the row names
    served = served_table_build(open_dataset.id)
    left = {p.name for p in current.parent.iterdir()}
    assert left == {current.name, ".tmp-fresh", served_file(served).parent.name}
