"""`zhengtong ingest DATASET FILE|URL`: the report and the new version, or the reason and a
non-zero exit."""

import sqlite3
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zhengtong.data.ingest.models import DatasetVersion

from .conftest import PERSON_HEADER, rid, rid_bad, write

pytestmark = pytest.mark.django_db

A = rid("330106", "19900101", "011")
BAD = rid_bad("330106", "19850505", "022")


def ingest(*args) -> str:
    out = StringIO()
    call_command("ingest", *[str(a) for a in args], "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_load_prints_the_report_and_the_version(persons, tmp_path, lake):
    source = write(tmp_path / "people.csv", f"{PERSON_HEADER}\n{A},张三,,,,1\n{BAD},李四,,,,2\n{A},王五,,,,3\n", "gbk")
    output = ingest(persons.resource_code, source)
    lines = output.splitlines()
    assert lines[0] == f"Loaded 3 rows from people.csv (csv, gb18030) into {persons.resource_code}."
    assert "  unique:resident_id                2 (rows 2, 4…)" in lines
    assert "  resident_id:resident_id           1 (rows 3…)" in lines
    assert "  required:name                     0" in lines
    assert lines[-2] == "Rows with problems: 3"
    assert lines[-1] == f"Version 1: 3 rows, {lake / str(persons.public_id) / 'v1' / 'data.parquet'}"

    output = ingest(persons.resource_code, source, "--mode", "append")
    assert output.splitlines()[-1].startswith("Version 2: 6 rows, ")


def test_a_database_table_with_table_given_as_an_option(persons, tmp_path):
    path = tmp_path / "hj.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE people (resident_id, name, birth_date, gender, mobile, amount)")
        db.execute("INSERT INTO people VALUES (?, '张三', NULL, '男', NULL, 1)", [A])
    output = ingest(persons.resource_code, f"sqlite:///{path}", "--table", "people")
    assert output.splitlines()[0] == (f"Loaded 1 rows from sqlite:///{path} (people) (database, -) into "
                                      f"{persons.resource_code}.")


def test_a_refused_file_exits_with_the_reason(persons, tmp_path):
    source = write(tmp_path / "ragged.csv", f"{PERSON_HEADER}\n{A},张三,,,,1\n{A},张三\n")
    with pytest.raises(CommandError, match="^Row 3 of ragged.csv has 2 columns; the header has 6.$"):
        ingest(persons.resource_code, source)
    with pytest.raises(CommandError, match="^There is no dataset with the resource code 330106-GA-09999.$"):
        ingest("330106-GA-09999", source)
    assert not DatasetVersion.objects.exists()


def test_the_command_line_exits_non_zero():
    result = subprocess.run([sys.executable, "-m", "zhengtong.cli", "ingest", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--mode {full,append,upsert}" in result.stdout
    result = subprocess.run([sys.executable, "-m", "zhengtong.cli", "ingest", "X", "y.csv", "--mode", "merge"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice: 'merge'" in result.stderr
