"""Bad input: each is refused with a message naming file, row and column, and changes nothing - not
the catalog, not the versions, not a byte of the lake. The failed load is recorded and announced."""

import io
import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.utils import translation
from openpyxl import Workbook

from zhengtong.data.catalog.models import Dataset, QualityRule, TableSchema
from zhengtong.data.ingest import readers
from zhengtong.data.ingest.models import DatasetVersion, Load
from zhengtong.data.ingest.public import IngestError, load_run, validate_source
from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.org.models import Department

from .conftest import PERSON_HEADER, SYSTEM, dataset_make, lake_snapshot, rid, spec_of, write

pytestmark = pytest.mark.django_db

GOOD = rid("330106", "19900101", "011")
ROW = f"{GOOD},张三,1990年1月1日,男,13800138000,12.5"
LATIN_OFFSET = len(f"{PERSON_HEADER}\n{ROW}\n".encode()) + 1  # the ü of Müller
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40)


def zip_bytes(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def loaded_once(persons, tmp_path, lake):
    """A dataset with one version already, so there is something a bad load could harm."""
    load_run(actor=SYSTEM, resource_code=persons.resource_code, source=write(tmp_path / "first.csv",
                                                                              f"{PERSON_HEADER}\n{ROW}\n"))
    return persons


def state(lake):
    return (
        lake_snapshot(lake),
        list(DatasetVersion.objects.values_list("dataset_id", "number", "lake_path", "row_count")),
        list(Dataset.objects.values()), list(TableSchema.objects.values()), list(QualityRule.objects.values()),
    )


def refused(dataset, lake, source, **kwargs) -> IngestError:
    before = state(lake)
    loads, events = Load.objects.count(), set(OutboxEvent.objects.values_list("id", flat=True))
    with pytest.raises(IngestError) as caught:
        load_run(actor=SYSTEM, resource_code=dataset.resource_code, source=source, **kwargs)
    assert state(lake) == before
    assert Load.objects.count() == loads + 1
    failed = Load.objects.get(public_id=caught.value.load_id)
    assert (failed.status, failed.error_code) == ("failed", caught.value.code)
    new_events = [(e.name, e.payload) for e in OutboxEvent.objects.exclude(id__in=events)]
    assert new_events == [("ingest.load_failed", {
        "load_id": str(failed.public_id), "dataset_id": dataset.id, "error_code": caught.value.code,
    })]
    return caught.value


CASES = [
    # (file name, content, code, English message)
    ("empty.csv", b"", "empty_file", "The file empty.csv is empty (0 bytes)."),
    ("blank.csv", b"\n\r\n  \n", "empty_file", "The file blank.csv is empty (0 bytes)."),
    ("header.csv", f"{PERSON_HEADER}\n".encode(), "no_data_rows", "The file header.csv has no data rows, only a header."),
    ("photo.csv", PNG, "not_format", "The file photo.csv is not a CSV file: its content is a PNG image."),
    ("table.xlsx", zip_bytes({"readme.txt": b"hello"}), "xlsx_not_workbook",
     "The file table.xlsx is a ZIP archive but not an Excel workbook (.xlsx)."),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "xls_legacy",
     "The file old.xlsx is an Excel 97-2003 workbook (.xls): save it as an Excel workbook (.xlsx) and load it again."),
    ("people.parquet", f"{PERSON_HEADER}\n{ROW}\n".encode(), "not_format",
     "The file people.parquet is not a Parquet file: its content is text."),
    ("broken.parquet", b"PAR1" + bytes(64) + b"PAR1", "parquet_unreadable", None),
    ("binary.csv", f"{PERSON_HEADER}\n{ROW}\n".encode() + b"\x00\x01\x02", "binary_content", None),
    ("latin.csv", f"{PERSON_HEADER}\n{ROW}\n".encode() + "Müller,é\n".encode("latin-1"), "encoding_undecodable",
     f"The file latin.csv is neither UTF-8 nor GBK/GB18030 text: the bytes at offset {LATIN_OFFSET} (row 3) "
     "cannot be decoded."),
    ("ragged.csv", f"{PERSON_HEADER}\n{ROW}\n{ROW},extra\n{ROW}\n".encode(), "ragged_row",
     "Row 3 of ragged.csv has 7 columns; the header has 6."),
    ("short.csv", f"{PERSON_HEADER}\n{ROW}\n{ROW}\n{GOOD},李四\n".encode(), "ragged_row",
     "Row 4 of short.csv has 2 columns; the header has 6."),
    ("unknown.csv", f"{PERSON_HEADER},remark\n{ROW},x\n".encode(), "header_unknown",
     "Column 7 of unknown.csv (“remark”) is not a field of the dataset's schema; the schema's fields are "
     "resident_id, name, birth_date, gender, mobile, amount."),
    ("missing.csv", "resident_id,name,birth_date,gender,amount\n1,2,3,4,5\n".encode(), "header_missing",
     "The file missing.csv has no column for the schema's field(s) mobile."),
    ("twice.csv", "resident_id,name,姓名,birth_date,gender,mobile,amount\n".encode(), "header_duplicate",
     "Column 3 of twice.csv (“姓名”) repeats the name of an earlier column."),
    ("noname.csv", "resident_id,,name\n".encode(), "header_empty_column",
     "Column 2 of the header row of noname.csv has no name."),
    ("amount.csv", f"{PERSON_HEADER}\n{ROW}\n{GOOD},李四,,,,12元\n{GOOD},王五,,,,1.5.\n".encode(), "type_invalid",
     "Row 3 of amount.csv, column “amount”: “12元” is not a number (2 such values in the column)."),
    ("quote.csv", f'{PERSON_HEADER}\n{ROW}\n{GOOD},"张三,,,,1\n{ROW}\n'.encode(), "unquoted_value",
     "Row 3 of quote.csv, column 2: a quote that is not closed, or a quote inside a value that is not quoted."),
    ("bad.jsonl", b'{"resident_id": "1"}\n{"resident_id": \n', "json_invalid", "Line 2 of bad.jsonl is not a JSON object."),
    ("list.jsonl", b'{"resident_id": "1"}\n[1, 2]\n', "json_invalid", "Line 2 of list.jsonl is not a JSON object."),
    ("extra.jsonl", b'{"resident_id": "1", "name": "x", "birth_date": null, "gender": null, "mobile": null, '
                    b'"amount": 1, "colour": "red"}\n', "json_key_unknown",
     "Line 1 of extra.jsonl has the key “colour”, which is not a field of the dataset's schema; the schema's "
     "fields are resident_id, name, birth_date, gender, mobile, amount."),
]


@pytest.mark.parametrize(("name", "content", "code", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_files_are_refused_and_change_nothing(loaded_once, lake, tmp_path, name, content, code, message):
    path = tmp_path / name
    path.write_bytes(content)
    error = refused(loaded_once, lake, path)
    assert error.code == code
    if message:
        assert str(error.message) == message
    assert name in str(error.message)


def test_the_message_is_chinese_by_default_and_follows_the_language_shown_in(loaded_once, lake, tmp_path):
    error = refused(loaded_once, lake, write(tmp_path / "ragged.csv", f"{PERSON_HEADER}\n{ROW},1\n"))
    with translation.override("zh-hans"):
        assert str(error.message) == "ragged.csv 第 2 行有 7 列，而表头有 6 列。"
        assert str(Load.objects.get(public_id=error.load_id).error_message) == "ragged.csv 第 2 行有 7 列，而表头有 6 列。"
    assert str(error.message) == "Row 2 of ragged.csv has 7 columns; the header has 6."


def test_an_excel_row_with_values_beyond_the_header(loaded_once, lake, tmp_path):
    workbook = Workbook()
    workbook.active.append(PERSON_HEADER.split(","))
    workbook.active.append(ROW.split(","))
    workbook.active.append(ROW.split(",") + ["多出来的"])
    workbook.save(tmp_path / "wide.xlsx")
    error = refused(loaded_once, lake, tmp_path / "wide.xlsx")
    assert str(error.message) == "Row 3 of wide.xlsx has a value in column 7, beyond the header's 6 columns."


def test_a_parquet_file_with_other_columns(loaded_once, lake, tmp_path):
    pq.write_table(pa.table({"resident_id": [GOOD], "nickname": ["三"]}), tmp_path / "other.parquet")
    error = refused(loaded_once, lake, tmp_path / "other.parquet")
    assert error.code == "header_unknown" and error.params["name"] == "nickname"


def test_a_file_of_another_encoding_than_declared(loaded_once, lake, tmp_path):
    path = write(tmp_path / "people.csv", f"{PERSON_HEADER}\n{ROW}\n", "utf-8")
    error = refused(loaded_once, lake, path, encoding="utf-16")
    assert str(error.message) == (
        "The file people.csv is neither UTF-8 nor GBK/GB18030 text: the bytes at offset 0 (row 1) cannot be decoded.")


def test_gbk_bytes_after_the_probe_in_a_file_that_is_neither(loaded_once, lake, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "PROBE_BYTES", 64)
    content = f"{PERSON_HEADER}\n{ROW}\n".encode() + "张三".encode("gbk") + "李四,1\n".encode()
    error = refused(loaded_once, lake, write_bytes(tmp_path / "mixed.csv", content))
    assert error.code == "encoding_undecodable"
    assert error.params["row"] == 3


def write_bytes(path, content: bytes):
    path.write_bytes(content)
    return path


def test_a_missing_file_an_unknown_format_and_an_unknown_encoding(loaded_once, lake, tmp_path):
    assert refused(loaded_once, lake, tmp_path / "nowhere.csv").code == "source_missing"
    path = write(tmp_path / "people.csv", f"{PERSON_HEADER}\n{ROW}\n")
    assert refused(loaded_once, lake, path, source_format="dbf").code == "format_unsupported"
    assert refused(loaded_once, lake, path, encoding="klingon").code == "encoding_unknown"
    assert refused(loaded_once, lake, write_bytes(tmp_path / "blob", PNG)).code == "format_unknown"


def test_a_dataset_without_a_schema_and_an_upsert_without_a_primary_key(small_province, lake, tmp_path):
    bare = Dataset.objects.create(
        resource_code="330106-GA-00003", title="无结构", description="-",
        owner_department=Department.objects.get(code="330106-GA"), share_type="conditional", open_type="not_open",
        update_cycle="daily", sensitivity="L3",
    )
    path = write(tmp_path / "people.csv", f"{PERSON_HEADER}\n{ROW}\n")
    assert refused(bare, lake, path).code == "schema_missing"
    keyless = dataset_make("330106-GA-00004", {"fields": [{"name": "a", "type": "string"}]})
    error = refused(keyless, lake, write(tmp_path / "a.csv", "a\n1\n"), mode="upsert")
    assert str(error.message) == "An upsert needs a primary key in the schema of 330106-GA-00004."


def test_a_rule_that_cannot_be_checked(small_province, lake, tmp_path):
    dataset = dataset_make("330106-GA-00005", {"fields": [{"name": "a", "type": "string"}]},
                           rules=({"code": "bad_regex", "kind": "pattern", "field": "a", "params": {"regex": "(("}},))
    error = refused(dataset, lake, write(tmp_path / "a.csv", "a\n1\n"))
    assert error.code == "rule_invalid" and error.params["rule"] == "bad_regex"


def test_validation_alone_refuses_the_same_way(persons, tmp_path):
    schema, rules = spec_of(persons)
    path = write(tmp_path / "ragged.csv", f"{PERSON_HEADER}\n{ROW}\n{ROW},1\n")
    with pytest.raises(IngestError) as caught:
        validate_source(schema=schema, rules=rules, source=path)
    assert str(caught.value) == "Row 3 of ragged.csv has 7 columns; the header has 6."
    path = write(tmp_path / "amount.csv", f"{PERSON_HEADER}\n{ROW}\n{ROW}\n{GOOD},李四,,,,abc\n")
    with pytest.raises(IngestError) as caught:
        validate_source(schema=schema, rules=rules, source=path)
    assert (caught.value.code, caught.value.params["row"], caught.value.params["value"]) == ("type_invalid", 4, "abc")
    assert json.dumps(caught.value.params)  # plain data, storable as it is
