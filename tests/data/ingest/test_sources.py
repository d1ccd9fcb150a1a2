"""Every input format loads into the same version: CSV in UTF-8, GBK/GB18030 and UTF-16, Excel,
Parquet, JSON lines and a database table; each row's number is where it is in the source."""

import datetime as dt
import json
import sqlite3
import uuid

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import connection
from openpyxl import Workbook

from zhengtong.data.ingest import readers
from zhengtong.data.ingest.public import DatabaseSource, load_run, version_relation_sql

from .conftest import PERSON_HEADER, SYSTEM, rid, rid_bad, write

pytestmark = pytest.mark.django_db

GOOD = rid("330106", "19900101", "011")
BAD = rid_bad("330106", "19850505", "022")
OTHER = rid("330106", "19700707", "033")
# The same three people in every format: one good row, one with a bad ID and mobile, one with an
# impossible date and an amount out of range.
ROWS = [
    [GOOD, "张三", "1990年1月1日", "男", "13800138000", "12.5"],
    [BAD, "李四", "1985年5月5日", "女", "1380013800", "0"],
    [OTHER, "王五", "1970年2月30日", "男", "", "1200"],
]
EXPECTED = {"resident_id:resident_id": [3], "mobile:mobile": [3], "date:birth_date": [4], "range:amount": [4]}
STORED = [
    (GOOD, "张三", "1990年1月1日", "男", "13800138000", 12.5),
    (BAD, "李四", "1985年5月5日", "女", "1380013800", 0.0),
    (OTHER, "王五", "1970年2月30日", "男", None, 1200.0),
]


def csv_text(rows=ROWS, header=PERSON_HEADER, newline="\n") -> str:
    return header + newline + newline.join(",".join(r) for r in rows) + newline


def failing(result) -> dict[str, list[int]]:
    return {code: [s["row"] for s in entry["samples"]] for code, entry in result.report.items() if entry["failed"]}


def stored(dataset) -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM {version_relation_sql(dataset.id)}").fetchall()


def loaded(persons, source, **kwargs):
    result = load_run(actor=SYSTEM, resource_code=persons.resource_code, source=source, **kwargs)
    assert result.status == "succeeded"
    return result


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16", "utf-16")],
)
def test_csv_in_each_encoding_is_detected(persons, tmp_path, encoding, expected):
    result = loaded(persons, write(tmp_path / "people.csv", csv_text(newline="\r\n"), encoding))
    assert (result.source_format, result.encoding) == ("csv", expected)
    assert result.rows_read == 3 and result.problem_rows == 2
    assert failing(result) == EXPECTED
    assert stored(persons) == STORED


def test_gb18030_characters_beyond_gbk_survive(persons, tmp_path):
    rows = [[GOOD, "𠀀𪚥", "1990年1月1日", "男", "13800138000", "1"]]  # four-byte GB18030 characters
    result = loaded(persons, write(tmp_path / "rare.csv", csv_text(rows), "gb18030"), encoding="GBK")
    assert result.encoding == "gb18030"
    assert stored(persons)[0][1] == "𠀀𪚥"


def test_a_file_mostly_ascii_that_is_gbk_further_on_is_read_again_as_gbk(persons, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "PROBE_BYTES", 64)  # the probe sees only the ASCII header
    rows = [[GOOD, "Zhang", "1990年1月1日", "男", "13800138000", "1"], [OTHER, "王五", "1970年7月7日", "男", "", "2"]]
    result = loaded(persons, write(tmp_path / "late.csv", csv_text(rows), "gbk"))
    assert result.encoding == "gb18030"
    assert [r[1] for r in stored(persons)] == ["Zhang", "王五"]


def test_csv_with_chinese_titles_columns_in_any_order_quotes_and_other_delimiters(persons, tmp_path):
    text = (
        "姓名\t公民身份号码\t出生日期\t性别\t手机号码\t补贴金额\n"
        f'"张\t三"\t{GOOD}\t1990年1月1日\t男\t13800138000\t"1"\n'
        f'"李\n四"\t{OTHER}\t1970年7月7日\t女\t\t2\n'
    )
    result = loaded(persons, write(tmp_path / "people.tsv", text))
    assert stored(persons) == [
        (GOOD, "张\t三", "1990年1月1日", "男", "13800138000", 1.0),
        (OTHER, "李\n四", "1970年7月7日", "女", None, 2.0),
    ]
    assert result.report["enum:gender"]["failed"] == 0


def test_declared_missing_values_become_empty(small_province, tmp_path):
    from .conftest import dataset_make

    schema = {"fields": [{"name": "a", "type": "string", "constraints": {"required": True}},
                         {"name": "b", "type": "integer"}], "missingValues": ["", "NA", "-"]}
    dataset = dataset_make("330106-GA-00002", schema)
    result = load_run(actor=SYSTEM, resource_code=dataset.resource_code,
                      source=write(tmp_path / "m.csv", "a,b\nx,1\nNA,-\n-,\ny,NA\n"))
    assert result.report["required:a"]["failed"] == 2
    assert stored(dataset) == [("x", 1), (None, None), (None, None), ("y", None)]


def test_excel_workbooks(persons, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(PERSON_HEADER.split(","))
    sheet.append([GOOD, "张三", dt.date(1990, 1, 1), "男", 13800138000, 12.5])  # a date cell, numbers
    sheet.append([BAD, "李四", "1985年5月5日", "女", "1380013800", 0])
    sheet.append([None] * 6)  # Excel keeps formatted empty rows: they carry nothing
    sheet.append([OTHER, "王五", "1970年2月30日", "男", None, 1200])
    workbook.save(tmp_path / "people.xlsx")
    result = loaded(persons, tmp_path / "people.xlsx")
    assert result.source_format == "xlsx"
    assert failing(result) == {**EXPECTED, "date:birth_date": [5], "range:amount": [5]}  # Excel's row numbers
    # A date cell is written in the field's format.
    assert stored(persons) == [(GOOD, "张三", "1990年01月01日", "男", "13800138000", 12.5), *STORED[1:]]


def test_parquet_files_with_typed_columns(persons, tmp_path):
    table = pa.table({
        "resident_id": [GOOD, BAD, OTHER],
        "name": ["张三", "李四", "王五"],
        "birth_date": [dt.date(1990, 1, 1), dt.date(1985, 5, 5), None],  # rendered in the field's format
        "gender": ["男", "女", "男"],
        "mobile": ["13800138000", "1380013800", None],
        "amount": pa.array([12.5, 0, 1200], type=pa.float64()),
    })
    pq.write_table(table, tmp_path / "people.parquet")
    result = loaded(persons, tmp_path / "people.parquet")
    assert result.source_format == "parquet"
    assert failing(result) == {"resident_id:resident_id": [2], "mobile:mobile": [2], "range:amount": [3]}
    assert stored(persons)[0][2] == "1990年01月01日"


def test_json_lines(persons, tmp_path):
    lines = [
        {"resident_id": GOOD, "name": "张三", "birth_date": "1990年1月1日", "gender": "男", "mobile": "13800138000",
         "amount": 12.5},
        {"resident_id": BAD, "name": "李四", "birth_date": "1985年5月5日", "gender": "女", "mobile": "1380013800",
         "amount": 0},
        {"resident_id": OTHER, "name": "王五", "birth_date": "1970年2月30日", "gender": "男", "mobile": None,
         "amount": 1200},
    ]
    path = write(tmp_path / "people.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    result = loaded(persons, path)
    assert result.source_format == "jsonl"
    assert failing(result) == {"resident_id:resident_id": [2], "mobile:mobile": [2], "date:birth_date": [3],
                               "range:amount": [3]}
    assert stored(persons) == STORED


def test_a_file_without_an_extension_is_recognised_by_its_content(persons, tmp_path):
    result = loaded(persons, write(tmp_path / "export", csv_text()))
    assert result.source_format == "csv"


def test_a_sqlite_table_or_query(persons, tmp_path):
    path = tmp_path / "hj.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE people (resident_id TEXT, name TEXT, birth_date TEXT, gender TEXT, mobile TEXT, "
                   "amount REAL)")
        db.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)",
                       [r[:4] + [r[4] or None, float(r[5])] for r in ROWS])
    result = loaded(persons, f"sqlite:///{path}?table=people")
    assert result.source_format == "database"
    assert failing(result) == {"resident_id:resident_id": [2], "mobile:mobile": [2], "date:birth_date": [3],
                               "range:amount": [3]}
    assert stored(persons) == STORED
    query = DatabaseSource(url=f"sqlite:///{path}", query="SELECT * FROM people WHERE amount < 100")
    result = loaded(persons, query, mode="full")
    assert result.rows_read == 2
    assert result.source_name == f"sqlite:///{path} (query)"


def test_a_postgresql_table_when_the_platform_runs_on_postgresql(persons, tmp_path):
    """On PostgreSQL, a table of a real PostgreSQL server; on SQLite, a SQLite file (above) is the pull."""
    if connection.vendor != "postgresql":
        assert readers.source_parse("postgres://u:secret@db/x?table=t").display_name == "postgres://u:***@db/x (t)"
        return
    import psycopg

    settings = connection.settings_dict
    url = (f"postgresql://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST'] or 'localhost'}:"
           f"{settings['PORT'] or 5432}/{settings['NAME']}")
    table = f"ingest_pull_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE TABLE {table} (resident_id text, name text, birth_date text, gender text, mobile text, "
                   "amount numeric)")
        with db.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s)",
                               [r[:4] + [r[4] or None, r[5]] for r in ROWS])
    try:
        result = loaded(persons, f"{url}?table={table}")
        assert failing(result) == {"resident_id:resident_id": [2], "mobile:mobile": [2], "date:birth_date": [3],
                                   "range:amount": [3]}
        assert stored(persons) == STORED
    finally:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(f"DROP TABLE {table}")
