"""The rules engine: each rule kind compiled to SQL, counted exactly; the check digits computed in
SQL agree with kernel.ids on thousands of generated identifiers."""

import random
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from django.utils import timezone

from zhengtong.data.catalog.public import FieldSpec, RuleSpec, SchemaSpec
from zhengtong.data.ingest.public import validate_source
from zhengtong.data.ingest.readers import FileSource, SourceReader
from zhengtong.data.ingest.rules_sql import (
    USCC_ALPHABET,
    failing_rows_sql,
    rule_compile,
    validation_sql,
)
from zhengtong.kernel.ids.public import (
    IdValidationError,
    organization_code_check_char,
    resident_id_check_char,
    resident_id_parse,
    uscc_check_char,
    uscc_parse,
)

from .conftest import rid, rid_bad


def schema_of(*fields: FieldSpec, primary_key=(), missing=("",)) -> SchemaSpec:
    return SchemaSpec(dataset_id=0, version=1, fields=tuple(fields), primary_key=tuple(primary_key),
                      missing_values=tuple(missing))


def csv_file(tmp_path: Path, schema: SchemaSpec, rows: list[list[str]], name="t.csv") -> Path:
    import csv

    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(schema.field_names)
        writer.writerows(rows)
    return path


def counts(tmp_path, schema, rules, rows) -> dict[str, int]:
    summary = validate_source(schema=schema, rules=rules, source=csv_file(tmp_path, schema, rows))
    assert summary.rows == len(rows)
    return summary.per_rule


def failing_rows(tmp_path, schema, rule, rows, *, today=None) -> list[int]:
    """The file rows (header = row 1) breaking one rule."""
    path = csv_file(tmp_path, schema, rows, name=f"{rule.code.replace(':', '_')}.csv")
    con = duckdb.connect()
    reader = SourceReader(con, FileSource(path), schema, work_dir=tmp_path)
    compiled = rule_compile(rule, schema, index=0, today=today or timezone.localdate())
    return [r[0] for r in con.execute(failing_rows_sql(reader.relation(with_rows=True), compiled)).fetchall()]


def column(values):
    return [[v] for v in values]


def test_required_counts_missing_values_as_declared(tmp_path):
    schema = schema_of(FieldSpec("name", "string", required=True), missing=("", "NA", "-"))
    rule = RuleSpec("required:name", "required", "name")
    assert failing_rows(tmp_path, schema, rule, column(["张三", "", "NA", "-", "na", " "])) == [3, 4, 5]


def test_pattern_must_match_the_whole_value(tmp_path):
    schema = schema_of(FieldSpec("code", "string"))
    rule = RuleSpec("pattern:code", "pattern", "code", {"regex": "[A-Z]{2}[0-9]{3}"})
    assert failing_rows(tmp_path, schema, rule, column(["AB123", "AB1234", "ab123", "", "XAB123", "ZZ000"])) == [3, 4, 6]


def test_enum_values_are_compared_exactly(tmp_path):
    schema = schema_of(FieldSpec("gender", "string"))
    rule = RuleSpec("enum:gender", "enum", "gender", {"values": ["男", "女"]})
    assert failing_rows(tmp_path, schema, rule, column(["男", "女", "男 ", "M", "", "未知"])) == [4, 5, 7]


def test_range_of_numbers_and_of_dates(tmp_path):
    numbers = schema_of(FieldSpec("amount", "number"))
    rule = RuleSpec("range:amount", "range", "amount", {"minimum": 0, "maximum": 100})
    # A value that is not a number is the type check's business, not the range's.
    assert failing_rows(tmp_path, numbers, rule, column(["0", "100", "-0.01", "100.5", "1e3", "", "50"])) == [4, 5, 6]
    one_sided = RuleSpec("range:amount", "range", "amount", {"minimum": 10})
    assert failing_rows(tmp_path, numbers, one_sided, column(["9.99", "10", "1000000"])) == [2]
    dates = schema_of(FieldSpec("issued", "date", format="%Y年%m月%d日"))
    rule = RuleSpec("range:issued", "range", "issued", {"minimum": "2020-01-01", "maximum": "2024-12-31"})
    values = ["2019年12月31日", "2020年1月1日", "2024年12月31日", "2025年1月1日", "不是日期"]
    assert failing_rows(tmp_path, dates, rule, column(values)) == [2, 5]


@pytest.mark.parametrize(
    ("fmt", "domain", "values", "failing"),
    [
        # ISO 8601 by default, two-digit month and day, a real date.
        (None, None, ["2024-02-29", "2023-02-29", "2024-2-9", " 2024-02-01", "2024-13-01", "24-01-01"], [3, 4, 5, 6, 7]),
        ("%Y年%m月%d日", None, ["2024年3月5日", "2024年03月05日", "2024年2月30日", "2024-03-05", "2024年3月5"], [4, 5, 6]),
        ("%Y%m%d", None, ["20240305", "2024035", "20240230", "2024-03-05", "202403051"], [3, 4, 5, 6]),
        ("%Y/%m/%d", None, ["2024/3/5", "2024/03/05", "2024/3/32"], [4]),
        # A Chinese date field without a format takes what offices write.
        (None, "cn_date", ["2024-03-05", "20240305", "2024年3月5日", "2024/3/5", "2024.3.5", "5/3/2024", "2024年2月30日"], [7, 8]),
    ],
)
def test_dates_in_their_declared_format(tmp_path, fmt, domain, values, failing):
    schema = schema_of(FieldSpec("day", "date", format=fmt, domain_type=domain))
    assert failing_rows(tmp_path, schema, RuleSpec("date:day", "date", "day", {"format": fmt}), column(values)) == failing


def test_resident_ids(tmp_path):
    today = date(2025, 6, 1)
    schema = schema_of(FieldSpec("id", "string"))
    rule = RuleSpec("resident_id:id", "resident_id", "id")
    valid_x = next(v for v in (rid("330106", "19900101", f"{n:03d}") for n in range(200)) if v.endswith("X"))
    values = [
        rid("330106", "19900101", "001"),  # 2 valid
        rid_bad("330106", "19900101", "002"),  # 3 wrong check character
        valid_x,  # 4 valid, check character X
        valid_x[:-1] + "x",  # 5 valid, lower-case x
        "330106900101001",  # 6 an old 15-digit number: not valid any more
        rid("990106", "19900101", "003"),  # 7 no province 99
        rid("330106", "20250602", "004"),  # 8 born tomorrow
        rid("330106", "20230229", "005"),  # 9 29 February of a common year
        rid("330106", "20240229", "006"),  # 10 valid, leap year
        rid("330106", "18991231", "007"),  # 11 before 1900
        "33010619900101001A",  # 12 a letter in the body
        "",  # 13 empty: the required rule's business
        rid("810000", "19900101", "008"),  # 14 valid, Hong Kong
        rid("830000", "19900101", "009"),  # 15 valid, a Taiwan resident's permit
    ]
    assert failing_rows(tmp_path, schema, rule, column(values), today=today) == [3, 6, 7, 8, 9, 11, 12]


def uscc(prefix: str, division: str, org_body: str, *, org_ok=True, final_ok=True) -> str:
    org_check = organization_code_check_char(org_body)
    if not org_ok:
        org_check = "0" if org_check != "0" else "1"
    body = f"{prefix}{division}{org_body}{org_check}"
    check = uscc_check_char(body)
    if not final_ok:
        check = USCC_ALPHABET[(USCC_ALPHABET.index(check) + 1) % 31]
    return body + check


def test_credit_codes(tmp_path):
    schema = schema_of(FieldSpec("code", "string"))
    rule = RuleSpec("uscc:code", "uscc", "code")
    values = [
        uscc("91", "330106", "MA2CD3EF"),  # 2 valid
        uscc("91", "330106", "MA2CD3EF", final_ok=False),  # 3 final check character
        uscc("91", "330106", "MA2CD3EF", org_ok=False),  # 4 the organization code's check character
        uscc("14", "330106", "MA2CD3EF"),  # 5 no category 4 under authority 1
        uscc("92", "990000", "L3456789"),  # 6 no province 99
        uscc("11", "100000", "00001234"),  # 7 valid: a central organ
        uscc("91", "330106", "MA2CD3EF").lower(),  # 8 valid (upper-cased)
        "91330106MA2CD3EF0",  # 9 17 characters
        "9133010IMA2CD3EF0X",  # 10 I is not in the alphabet
    ]
    assert failing_rows(tmp_path, schema, rule, column(values)) == [3, 4, 5, 6, 9, 10]


def test_mobiles_and_division_codes(tmp_path):
    mobile = schema_of(FieldSpec("m", "string"))
    values = ["13800138000", "12800138000", "1380013800", "+8613800138000", "19912345678", "138-0013-8000"]
    assert failing_rows(tmp_path, mobile, RuleSpec("mobile:m", "mobile", "m"), column(values)) == [3, 4, 5, 7]
    division = schema_of(FieldSpec("d", "string"))
    values = ["330106", "330106004", "990000", "33010", "3301060041", "33010A"]
    assert failing_rows(tmp_path, division, RuleSpec("division_code:d", "division_code", "d"), column(values)) == [4, 5, 6, 7]


def test_unique_counts_every_copy_and_ignores_missing_values(tmp_path):
    schema = schema_of(FieldSpec("a", "string"), FieldSpec("b", "string"))
    single = RuleSpec("unique:a", "unique", "a")
    rows = [["1", "x"], ["2", "x"], ["1", "y"], ["", "y"], ["", "x"], ["3", "x"], ["1", "x"]]
    assert failing_rows(tmp_path, schema, single, rows) == [2, 4, 8]
    composite = RuleSpec("unique:a+b", "unique", "", {"fields": ["a", "b"]})
    assert failing_rows(tmp_path, schema, composite, rows) == [2, 8]


def test_consistency_of_birth_date_and_gender_with_the_resident_id(tmp_path):
    schema = schema_of(FieldSpec("id", "string"), FieldSpec("born", "date", format="%Y年%m月%d日"),
                       FieldSpec("gender", "string"))
    man = rid("330106", "19900101", "011")  # 17th digit 1: a man
    woman = rid("330106", "19850505", "022")  # 17th digit 2: a woman
    rows = [
        [man, "1990年1月1日", "男"],  # 2 consistent
        [man, "1990年1月2日", "女"],  # 3 both wrong
        [woman, "1985年5月5日", "男"],  # 4 gender wrong
        [woman, "不详", "女"],  # 5 no date to compare: not this rule's business
        ["33010619900101", "1990年1月1日", "男"],  # 6 not an ID: the ID rule's business
        [woman, "1985年05月05日", "F"],  # 7 consistent, gender as F
        [man, "", ""],  # 8 nothing to compare
    ]
    birth = RuleSpec("birth_matches_id", "consistency", "id",
                     {"check": "birth_date_matches_resident_id", "fields": {"resident_id": "id", "birth_date": "born"}})
    gender = RuleSpec("gender_matches_id", "consistency", "id",
                      {"check": "gender_matches_resident_id", "fields": {"resident_id": "id", "gender": "gender"}})
    assert failing_rows(tmp_path, schema, birth, rows) == [3]
    assert failing_rows(tmp_path, schema, gender, rows) == [3, 4]


def test_all_rules_run_in_one_pass_with_problem_rows_counted_once(tmp_path):
    schema = schema_of(
        FieldSpec("id", "string", required=True), FieldSpec("name", "string", required=True),
        FieldSpec("status", "string"), FieldSpec("amount", "number"),
    )
    rules = [
        RuleSpec("required:id", "required", "id"), RuleSpec("unique:id", "unique", "id"),
        RuleSpec("resident_id:id", "resident_id", "id"), RuleSpec("required:name", "required", "name"),
        RuleSpec("enum:status", "enum", "status", {"values": ["A", "B"]}),
        RuleSpec("range:amount", "range", "amount", {"minimum": 0}),
        RuleSpec("fresh", "timeliness"),  # not about rows: left to quality
    ]
    good = rid("330106", "19900101", "001")
    rows = [
        [good, "甲", "A", "1"],
        [good, "", "C", "-1"],  # duplicate, no name, bad status, out of range: one problem row
        ["", "丙", "A", "2"],
        [rid_bad("330106", "19900101", "002"), "丁", "B", "3"],
        [rid("330106", "19900101", "003"), "戊", "B", "4"],
    ]
    summary = validate_source(schema=schema, rules=rules, source=csv_file(tmp_path, schema, rows))
    assert summary.rows == 5
    assert summary.per_rule == {
        "required:id": 1, "unique:id": 2, "resident_id:id": 1, "required:name": 1, "enum:status": 1,
        "range:amount": 1,
    }
    assert summary.problem_rows == 4
    query = validation_sql("t", [rule_compile(r, schema, index=i, today=date(2025, 1, 1))
                                 for i, r in enumerate(rules[:-1])])
    assert query.sql.count(" FROM __flags") == 1  # one aggregate over one scan of the flags


# ---- the SQL check digits against kernel.ids ---------------------------------------------------

def _verdicts(tmp_path, kind: str, values: list[str], today: date) -> list[bool]:
    """True for each value the SQL rule accepts, in order."""
    schema = schema_of(FieldSpec("v", "string"))
    failing = set(failing_rows(tmp_path, schema, RuleSpec(f"{kind}:v", kind, "v"), column(values), today=today))
    return [(index + 2) not in failing for index in range(len(values))]


def _kernel_accepts(parse, value: str) -> bool:
    try:
        parse(value)
    except IdValidationError:
        return False
    return True


def test_resident_id_check_digits_in_sql_agree_with_kernel_ids(tmp_path):
    generator = random.Random(11643)
    today = timezone.localdate()
    divisions = ["330106", "110102", "440305", "810000", "830000", "990101", "000000", "650000"]
    values = []
    for _ in range(4000):
        born = date(1890, 1, 1) + timedelta(days=generator.randrange(0, 140 * 366))
        text = born.strftime("%Y%m%d")
        roll = generator.random()
        if roll < 0.05:
            text = f"{born.year}0229"  # real in leap years only
        elif roll < 0.08:
            text = f"{born.year}{generator.randrange(0, 14):02d}{generator.randrange(0, 33):02d}"
        body = generator.choice(divisions) + text + f"{generator.randrange(1000):03d}"
        check = resident_id_check_char(body)
        roll = generator.random()
        if roll < 0.3:
            check = generator.choice("0123456789X")
        elif roll < 0.35 and check == "X":
            check = "x"
        value = body + check
        if generator.random() < 0.02:
            value = value[:10] + generator.choice("ABO ") + value[11:]
        values.append(value)
    assert sum(_kernel_accepts(resident_id_parse, v) for v in values) > 1500  # a fair share of both
    expected = [_kernel_accepts(resident_id_parse, v) for v in values]
    assert _verdicts(tmp_path, "resident_id", values, today) == expected


def test_credit_code_check_characters_in_sql_agree_with_kernel_ids(tmp_path):
    generator = random.Random(32100)
    prefixes = ["11", "12", "13", "19", "14", "21", "31", "35", "51", "52", "53", "59", "61", "71", "81",
                "91", "92", "93", "94", "A1", "N2", "N3", "Y1", "Y2", "00", "5A"]
    divisions = ["330106", "100000", "110000", "990000", "810000"]
    org_alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    values = []
    for _ in range(4000):
        org_body = "".join(generator.choice(org_alphabet) for _ in range(8))
        value = uscc(generator.choice(prefixes), generator.choice(divisions), org_body,
                     org_ok=generator.random() > 0.15, final_ok=generator.random() > 0.2)
        if generator.random() < 0.02:
            value = value[:5] + generator.choice("IOZSV") + value[6:]
        values.append(value)
    assert sum(_kernel_accepts(uscc_parse, v) for v in values) > 1500
    expected = [_kernel_accepts(uscc_parse, v) for v in values]
    assert _verdicts(tmp_path, "uscc", values, timezone.localdate()) == expected
