"""Past one machine: a load's rule SQL, transpiled by SQLGlot, runs on Apache Spark (local mode) and
finds exactly the failures DuckDB found."""

import csv
import logging
import random

import pytest

from zhengtong.data.catalog.public import rules_for, schema_current
from zhengtong.data.ingest.public import load_run, rules_validation_sql, to_spark_sql, version_relation_sql
from zhengtong.data.ingest.rules_sql import java_date_format

from .conftest import SYSTEM, dataset_make, rid, rid_bad
from .test_rules import uscc

pytestmark = pytest.mark.django_db

SCHEMA = {
    "fields": [
        {"name": "resident_id", "type": "string", "domainType": "resident_id", "constraints": {"required": True}},
        {"name": "name", "type": "string", "constraints": {"required": True}},
        {"name": "birth_date", "type": "date", "format": "%Y年%m月%d日"},
        {"name": "registered", "type": "date", "format": "%Y%m%d",
         "constraints": {"minimum": "2000-01-01", "maximum": "2024-12-31"}},
        {"name": "gender", "type": "string", "constraints": {"enum": ["男", "女"]}},
        {"name": "mobile", "type": "string", "domainType": "mobile"},
        {"name": "employer", "type": "string", "domainType": "uscc"},
        {"name": "division", "type": "string", "domainType": "division_code"},
        {"name": "status", "type": "string"},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0, "maximum": 1000}},
        {"name": "card", "type": "string", "constraints": {"pattern": "[A-Z]{2}[0-9]{4}"}},
    ],
    "primaryKey": "resident_id",
}
RULES = (
    {"code": "birth_matches_id", "kind": "consistency", "field": "resident_id",
     "params": {"check": "birth_date_matches_resident_id",
                "fields": {"resident_id": "resident_id", "birth_date": "birth_date"}}},
    {"code": "gender_matches_id", "kind": "consistency", "field": "resident_id",
     "params": {"check": "gender_matches_resident_id", "fields": {"resident_id": "resident_id", "gender": "gender"}}},
    {"code": "status_known", "kind": "reference", "field": "status",
     "params": {"dataset": "330106-GA-09999", "field": "code"}},
)


@pytest.fixture(scope="session")
def spark():
    """One local Spark for the whole test session (the JVM takes seconds to start)."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    session = (
        SparkSession.builder.master("local[1]")
        .appName("zhengtong-ingest-tests")
        .config("spark.ui.enabled", "false")
        # One JVM per process: the registry's linkage tests may get this same session from
        # getOrCreate, and Splink's comparisons need its UDF jar on the class path from the start.
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.sql.codegen.wholeStage", "false")  # small data: compiling code costs more than it saves
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # A short-lived JVM: the quick compiler only and a simple collector start it much faster.
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    logging.getLogger("py4j").setLevel(logging.WARNING)  # py4j logs to closed streams at exit otherwise


def people_csv(path, rows: int = 400):
    generator = random.Random(2350)
    previous = ""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([f["name"] for f in SCHEMA["fields"]])
        for n in range(rows):
            born = f"{generator.randrange(1950, 2010)}{generator.randrange(1, 13):02d}{generator.randrange(1, 29):02d}"
            sequence = f"{generator.randrange(1000):03d}"
            resident_id = (rid_bad if generator.random() < 0.05 else rid)("330106", born, sequence)
            if generator.random() < 0.02:
                resident_id = ""
            if n % 97 == 96:
                resident_id = previous  # a duplicate
            previous = resident_id
            man = int(resident_id[16]) % 2 == 1 if resident_id else True
            y, m, d = born[:4], int(born[4:6]), int(born[6:])
            birth = f"{y}年{m}月{d}日" if generator.random() > 0.05 else f"{y}年{m}月{d + 1}日"
            if generator.random() < 0.03:
                birth = f"{y}年2月30日"
            gender = ("男" if man else "女") if generator.random() > 0.05 else generator.choice(["女", "男", "未知"])
            registered = f"{generator.randrange(1995, 2027)}{generator.randrange(1, 13):02d}{generator.randrange(1, 31):02d}"
            mobile = f"1{generator.choice('3456789')}{generator.randrange(10**9):09d}"
            if generator.random() < 0.05:
                mobile = mobile[:-1]
            org = "".join(generator.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
            employer = uscc("91", "330106", org, org_ok=generator.random() > 0.05, final_ok=generator.random() > 0.05)
            division = generator.choice(["330106", "330106004", "990000", "33010"])
            status = generator.choice(["A", "B", "C", "Z", ""])
            amount = generator.choice(["12.5", "0", "1000", "1000.01", "-3", ""])
            card = generator.choice(["AB1234", "ab1234", "AB123", ""])
            writer.writerow([resident_id, "" if n % 50 == 0 else f"人{n}", birth, registered, gender, mobile,
                             employer, division, status, amount, card])
    return path


def test_java_date_patterns():
    assert java_date_format("%Y年%m月%d日") == "yyyy年M月d日"
    assert java_date_format("%Y%m%d") == "yyyyMMdd"
    assert java_date_format("%Y-%m-%dT%H:%M:%S") == "yyyy-M-d'T'H:m:s"


def test_regexp_and_dates_are_carried_to_spark():
    sql = to_spark_sql("SELECT regexp_full_match(a, '[0-9]{3}'), try_strptime(b, '%Y%m%d'), x // 10 FROM t")
    assert sql == "SELECT a RLIKE '^(?:[0-9]{3})$', TRY_TO_TIMESTAMP(b, 'yyyyMMdd'), x DIV 10 FROM t"
    assert to_spark_sql("WITH s AS NOT MATERIALIZED (SELECT 1 AS a) SELECT a FROM s") == (
        "WITH s AS (SELECT 1 AS a) SELECT a FROM s")


def test_a_loads_rules_find_the_same_failures_on_spark_as_on_duckdb(spark, small_province, tmp_path):
    statuses = dataset_make("330106-GA-09999", {"fields": [{"name": "code", "type": "string"}]})
    (tmp_path / "statuses.csv").write_text("code\nA\nB\n", encoding="utf-8")
    load_run(actor=SYSTEM, resource_code=statuses.resource_code, source=tmp_path / "statuses.csv")
    people = dataset_make("330106-GA-00100", SCHEMA, rules=RULES)
    source = people_csv(tmp_path / "people.csv")

    loaded = load_run(actor=SYSTEM, resource_code=people.resource_code, source=source)
    duckdb_counts = {code: entry["failed"] for code, entry in loaded.report.items()}
    assert all(duckdb_counts[code] > 0 for code in duckdb_counts), duckdb_counts  # every rule has work to do
    assert len(duckdb_counts) == 16

    # The same file, read by Spark itself (every column a string), checked with the same rule SQL.
    from pyspark.sql.types import StringType, StructField, StructType

    columns = StructType([StructField(f["name"], StringType()) for f in SCHEMA["fields"]])
    spark.read.csv(str(source), header=True, schema=columns, encoding="utf-8").createOrReplaceTempView("people_source")
    query = rules_validation_sql(schema=schema_current(people.id), rules=rules_for(people.id),
                                 relation="people_source", dialect="spark")
    assert "parquet.`" in query.sql and version_relation_sql(statuses.id)  # the reference reads the lake
    row = spark.sql(query.sql).collect()[0].asDict()
    spark_counts = {code: row[column] for code, column in query.rule_columns.items()}
    assert spark_counts == duckdb_counts
    assert row[query.rows_column] == loaded.rows_read == 400
    assert row[query.problem_column] == loaded.problem_rows
