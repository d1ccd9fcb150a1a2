"""Downloads of the served copy in the four formats, parsed back and compared with the served rows."""

import csv
import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest
from django.conf import settings

from zhengtong.data.opendata import records
from zhengtong.data.opendata.errors import OpenDataError
from zhengtong.data.opendata.models import OpenDataset
from zhengtong.data.opendata.records import download_stream, served_file
from zhengtong.kernel.masking.public import mask_value

from .conftest import Codes, _rows

COLUMNS = ["licence_no", "company_name", "uscc", "category", "division_code", "issued_on", "seats", "contact_mobile"]


@pytest.fixture(params=[records.DOWNLOAD_BATCH_ROWS, 7], ids=["one-batch", "batches-of-7"])
def batch_rows(request, monkeypatch):
    monkeypatch.setattr(records, "DOWNLOAD_BATCH_ROWS", request.param)
    return request.param


def _open() -> OpenDataset:
    return OpenDataset.objects.select_related("served").get(resource_code=Codes.OPEN)


def _served(resource_code: str = Codes.OPEN) -> list[dict]:
    """The served rows without `_id`, as Python values, in `_id` order."""
    served = OpenDataset.objects.get(resource_code=resource_code).served
    relation = duckdb.sql(f"SELECT * EXCLUDE (_id) FROM read_parquet('{served_file(served)}') ORDER BY _id")
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def _body(fmt: str, resource_code: str = Codes.OPEN) -> tuple[bytes, str, int | None]:
    chunks, content_type, length = download_stream(
        OpenDataset.objects.select_related("served").get(resource_code=resource_code), fmt)
    return b"".join(chunks), content_type, length


def test_csv_has_a_bom_a_header_and_every_row(open_world, batch_rows):
    body, content_type, length = _body("csv")
    assert content_type == "text/csv; charset=utf-8" and length is None
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == COLUMNS
    expected = [["" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v) for v in row.values()]
                for row in _served()]
    assert rows[1:] == expected
    assert len(rows) == 31
    assert rows[1][7] == "138****0001"
    assert "13805710001" not in body.decode("utf-8-sig")


def test_json_is_an_array_of_the_rows(open_world, batch_rows):
    body, content_type, length = _body("json")
    assert (content_type, length) == ("application/json", None)
    data = json.loads(body)
    expected = [{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()} for row in _served()]
    assert data == expected
    assert list(data[0]) == COLUMNS
    assert data[0] == {**_rows(Codes.OPEN)[0], "seats": 10, "contact_mobile": "138****0001"}


def test_parquet_is_the_served_rows_without_the_id(open_world):
    body, content_type, length = _body("parquet")
    assert (content_type, length) == ("application/vnd.apache.parquet", len(body))
    table = pq.read_table(io.BytesIO(body))
    assert table.column_names == COLUMNS
    assert table.to_pylist() == _served()


def test_xlsx_has_a_header_and_every_row(open_world, batch_rows):
    body, content_type, length = _body("xlsx")
    assert content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" and length is None
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == COLUMNS
    expected = [[dt.datetime.combine(v, dt.time()) if isinstance(v, dt.date) else v for v in row.values()]
                for row in _served()]
    assert rows[1:] == expected


def test_on_application_downloads_are_masked(open_world):
    body, _type, _length = _body("csv", Codes.APPLY)
    text = body.decode("utf-8-sig")
    names = [row["operator_name"] for row in _rows(Codes.APPLY)]
    assert [row[1] for row in list(csv.reader(io.StringIO(text)))[1:]] == [mask_value("name", n) for n in names]
    assert not any(name in text for name in names)


def test_formats_are_named_in_any_case(open_world):
    assert json.loads(_body("JSON")[0]) == json.loads(_body("json")[0])


def _scratch_files() -> set[str]:
    folder = Path(settings.HOME_DIR) / "tmp"
    return {p.name for p in folder.glob("zt-xlsx-*")} if folder.exists() else set()


def test_xlsx_is_refused_above_a_sheets_rows(open_world, monkeypatch):
    monkeypatch.setattr(records, "XLSX_MAX_ROWS", 29)
    before = _scratch_files()
    with pytest.raises(OpenDataError) as caught:
        download_stream(_open(), "xlsx")
    assert (caught.value.code, caught.value.status, caught.value.params) == ("format_too_large", 409, {"rows": 30})
    assert _scratch_files() == before
    assert json.loads(_body("json")[0])[0]["licence_no"] == "JY333010600001"  # the others still go


def test_an_unknown_format_is_refused(open_world):
    with pytest.raises(OpenDataError) as caught:
        download_stream(_open(), "pdf")
    assert (caught.value.code, caught.value.status) == ("format_unknown", 404)
    assert caught.value.params == {"format": "pdf", "allowed": ["CSV", "JSON", "Parquet", "XLSX"]}


def test_a_dataset_without_data_has_nothing_to_download(open_world):
    ningbo = OpenDataset.objects.get(resource_code=Codes.NINGBO)
    for fmt in ("csv", "json", "parquet", "xlsx"):
        with pytest.raises(OpenDataError) as caught:
            download_stream(ningbo, fmt)
        assert (caught.value.code, caught.value.params) == ("no_data", {"dataset": Codes.NINGBO})


def test_a_download_started_before_a_rebuild_streams_whole(open_world, django_capture_on_commit_callbacks):
    chunks, _type, _length = download_stream(_open(), "parquet")
    with django_capture_on_commit_callbacks(execute=True):
        records.served_table_build(_open().id)  # removes the files the download was opened on
    table = pq.read_table(io.BytesIO(b"".join(chunks)))
    assert table.num_rows == 30


def test_the_file_name_names_the_code_and_version(open_world):
    assert records.download_filename(_open(), "CSV") == f"{Codes.OPEN}-v1.csv"


def test_the_csv_is_rendered_once_and_its_gzip_file_is_what_gzip_clients_get(open_world, client):
    import gzip

    open_dataset = _open()
    served = open_dataset.served
    rendered = gzip.decompress(records.csv_gzip_file(served).read_bytes())
    fresh = b"".join(records._csv_chunks(served, [c["name"] for c in served.columns]))
    assert rendered == fresh  # the file holds exactly what the writer makes from the rows
    streamed, _content_type, _length = download_stream(open_dataset, "csv")
    assert b"".join(streamed) == fresh  # without gzip, the same bytes, decompressed on the fly

    packed = client.get(f"/opendata/datasets/{Codes.OPEN}/download.csv", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    body = b"".join(packed.streaming_content)
    assert int(packed["Content-Length"]) == len(body) and gzip.decompress(body) == fresh
    plain = client.get(f"/opendata/datasets/{Codes.OPEN}/download.csv", HTTP_ACCEPT_ENCODING="gzip;q=0, br")
    assert "Content-Encoding" not in plain and b"".join(plain.streaming_content) == fresh


def test_a_build_without_the_rendered_csv_still_serves_it(open_world):
    open_dataset = _open()
    served = open_dataset.served
    expected = b"".join(records._csv_chunks(served, [c["name"] for c in served.columns]))
    records.csv_gzip_file(served).unlink()  # a copy made before the CSV was rendered at build time
    assert records.download_csv_gzip(open_dataset) is None
    streamed, _content_type, _length = download_stream(open_dataset, "csv")
    assert b"".join(streamed) == expected
