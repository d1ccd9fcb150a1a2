"""Normalisation of each kind of dirt, through the engine's own SQL."""

from pathlib import Path

import duckdb
import pytest

from zhengtong.data.registry.linkage.normalise import (
    company_names_fold,
    date_query,
    mobile_sql,
    names_fold,
    records_build,
    registration_no_query,
    resident_id_query,
    uscc_query,
)
from zhengtong.data.registry.linkage.spec import LinkageConfig, SourceSpec

from .conftest import write_csv


def resident(value):
    return duckdb.execute(f"SELECT resident_id, id_valid, id_converted FROM ({resident_id_query('(SELECT CAST($1 AS VARCHAR) AS v)')})",
                          [value]).fetchone()


@pytest.mark.parametrize("value, expected", [
    ("11010519491231002X", ("11010519491231002X", True, False)),
    ("11010519491231002x", ("11010519491231002X", True, False)),
    ("１１０１０５ １９４９１２３１ ００２Ｘ", ("11010519491231002X", True, False)),
    ("110105-19491231-002X", ("11010519491231002X", True, False)),
    ("110105491231002", ("11010519491231002X", True, True)),  # legacy 15 digits: century and check added
    ("110105194912310021", ("110105194912310021", False, False)),  # wrong check character
    ("110105194913310025", ("110105194913310025", False, False)),  # month 13
    ("12345", ("12345", False, False)),
    (None, (None, False, False)),
])
def test_resident_ids_are_normalised_converted_and_checked(value, expected):
    assert resident(value) == expected


def test_uscc_check_character_agrees_with_kernel_ids():
    from zhengtong.kernel.ids.public import uscc_check_char

    body = "91330106MA27XL0E2"
    good = body + uscc_check_char(body)
    wrong = body + ("0" if good[-1] != "0" else "1")
    sql = f"SELECT uscc, uscc_valid FROM ({uscc_query('(SELECT CAST($1 AS VARCHAR) AS v)')})"
    assert duckdb.execute(sql, [good]).fetchone() == (good, True)
    assert duckdb.execute(sql, [" " + good[:9].lower() + " " + good[9:]]).fetchone() == (good, True)
    assert duckdb.execute(sql, [wrong]).fetchone() == (wrong, False)
    assert duckdb.execute(sql, ["91330106MA27XL0E2I"]).fetchone() == ("91330106MA27XL0E2I", False)  # I is not used


def test_registration_number_check_digit_is_iso_7064_mod_11_10():
    def check(body14):
        p = 10
        for d in body14:
            s = p % 11 + int(d)
            p = (s % 10 or 10) * 2
        return (11 - p % 11) % 10

    body = "33010640000123"
    good = body + str(check(body))
    bad = body + str((check(body) + 1) % 10)
    sql = f"SELECT registration_no_valid FROM ({registration_no_query('(SELECT CAST($1 AS VARCHAR) AS v)')})"
    assert duckdb.execute(sql, [good]).fetchone() == (True,)
    assert duckdb.execute(sql, [bad]).fetchone() == (False,)


@pytest.mark.parametrize("value", ["1990-01-02", "1990-1-2", "19900102", "1990年1月2日", "1990/1/2", "1990.01.02",
                                   "１９９０－０１－０２", "1990-01-02 08:00:00"])
def test_dates_in_every_usual_form(value):
    from datetime import date

    assert duckdb.execute(f"SELECT d FROM ({date_query('(SELECT CAST($1 AS VARCHAR) AS v)')})", [value]).fetchone() == (date(1990, 1, 2),)


@pytest.mark.parametrize("value", ["1990-02-30", "not a date", "", None])
def test_bad_dates_are_null(value):
    assert duckdb.execute(f"SELECT d FROM ({date_query('(SELECT CAST($1 AS VARCHAR) AS v)')})", [value]).fetchone() == (None,)


@pytest.mark.parametrize("value, expected", [
    ("13800001111", "13800001111"), ("+86 138-0000-1111", "13800001111"), ("0086 13800001111", "13800001111"),
    ("(138) 0000 1111", "13800001111"), ("１３８００００１１１１", "13800001111"), ("12345", None), ("0571-88886666", None),
])
def test_phones(value, expected):
    assert duckdb.execute(f"SELECT {mobile_sql('v')} FROM (SELECT CAST($1 AS VARCHAR) AS v)", [value]).fetchone() == (expected,)


def test_names_fold_traditional_pinyin_full_width_and_dots():
    names, keys = names_fold(["陳麗華", "陈丽华", "Chen Lihua", "CHEN LI HUA", "chen li-hua", "陈 丽华", "ＣＨＥＮ　ＬＩＨＵＡ",
                              "买买提·艾力", "曾志伟"])
    assert names == ["陈丽华", "陈丽华", "chenlihua", "chenlihua", "chenlihua", "陈丽华", "chenlihua", "买买提艾力", "曾志伟"]
    assert keys[:7] == ["chenlihua"] * 7
    assert keys[8] == "zengzhiwei"  # 曾 as a surname is Zeng


def test_company_names_fold_legal_forms_and_brackets():
    names, _ = company_names_fold(["杭州西湖（集团）有限责任公司", "杭州西湖集团有限公司", "杭州西湖集團有限公司"])
    assert names == ["杭州西湖集团有限公司"] * 3


def test_addresses_by_division(tmp_path):
    path = write_csv(tmp_path / "a.csv", "k,dz",
                     "1,浙江省杭州市西湖区文三路12号3幢201室",
                     "2,杭州西湖文三路12號3棟201室",
                     "3,杭州市西湖区文三路12#3-201",
                     "4,西湖区文三路12号3幢201室",
                     "5,宁波市海曙区中山路1号",
                     "6,西湖大道1号",
                     "7,浙江省温州市鹿城区人民路9弄2号")
    config = LinkageConfig(kind="person", sources=(SourceSpec(name="a", key="k", columns={"address": "dz"}, path=path),),
                           output=tmp_path / "out")
    con = duckdb.connect()
    records_build(con, config)
    rows = dict((k, (code, key)) for k, code, key in con.execute(
        "SELECT source_key, division_code, address_key FROM records").fetchall())
    assert rows["1"] == ("330106", "文三路12号3幢201")
    assert rows["2"] == ("330106", "文三路12号3幢201")
    assert rows["3"] == ("330106", "文三路12号3幢201")
    assert rows["4"] == ("330106", "文三路12号3幢201")
    assert rows["5"] == ("330203", "中山路1号")
    assert rows["6"] == (None, "西湖大道1号")  # a road named after a district is not the district
    assert rows["7"] == ("330302", "人民路9弄2号")


def test_gender_and_birth_date_fall_back_to_a_valid_id(tmp_path):
    path = write_csv(tmp_path / "a.csv", "k,sfzh,xb,csrq", "1,11010519491231002X,,", "2,110105194912310021,,")
    config = LinkageConfig(kind="person", output=tmp_path / "o", sources=(
        SourceSpec(name="a", key="k", columns={"resident_id": "sfzh", "gender": "xb", "birth_date": "csrq"}, path=path),))
    con = duckdb.connect()
    records_build(con, config)
    rows = con.execute("SELECT source_key, gender, CAST(birth_date AS VARCHAR) FROM records ORDER BY 1").fetchall()
    assert rows == [("1", "F", "1949-12-31"), ("2", None, None)]  # an invalid ID is not trusted
