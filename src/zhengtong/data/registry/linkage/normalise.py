"""Chinese-aware normalisation of every source into the canonical columns of its kind, in DuckDB.

Everything that can be SQL is SQL (identifiers, check characters, phones, dates, the division
parse of addresses), so it runs vectorised over millions of rows. Two steps need Python libraries:
folding traditional to simplified Chinese (OpenCC, C++) and the pinyin key (pypinyin). They run once
per DISTINCT name or address, on one batch: OpenCC converts the distinct values joined by newlines
in one call, and the pinyin key is built from a per-character table (a few thousand characters),
so the cost follows the number of distinct values and characters, not rows.

Columns of the `records` table this module builds (persons):
    record_id, source, source_key, resident_id, name, birth_date (DATE), gender ('M'/'F'), mobile,
    address, division_code, id_valid, id_converted, and the helpers the passes use:
    name_pinyin (the name's pinyin, lower case, no spaces: 陈丽华, 陳麗華, "CHEN Li-hua" -> chenlihua),
    address_key (the address without province/city/county, standardised), id_body (the first 17
    characters of a well-formed resident ID, valid or not), birth_year;
and for companies: uscc, registration_no, name, legal_representative, established_on, address,
division_code, mobile, id_valid (a valid USCC or registration number), id_converted (always false),
uscc_valid, registration_no_valid, name_pinyin, address_key.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from importlib import resources

from .spec import COMPANY_ATTRIBUTES, PERSON_ATTRIBUTES, LinkageConfig, SourceSpec

# Full-width ASCII (U+FF01-U+FF5E) and the ideographic space, to their half-width forms.
FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF_WIDTH = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)) + " "

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB/T 2260 province codes (and 71/81/82 for Taiwan, Hong Kong, Macao; 83 for their residence permits).
PROVINCES = (
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83",
)

# Surnames whose reading as a surname differs from the character's most common reading: pypinyin
# reads 曾 as "ceng" on its own, but as a surname it is Zeng, and a pinyin-typed record says so.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao", "查": "zha", "盖": "ge",
    "缪": "miao", "尉": "yu", "乐": "yue", "覃": "qin", "翟": "zhai", "长": "chang", "重": "chong", "种": "chong",
    "折": "she", "秘": "bi", "召": "shao", "繁": "po", "员": "yun", "沈": "shen", "沙": "sha", "祭": "zhai",
    "句": "gou", "薄": "bo", "卜": "bu", "叶": "ye", "石": "shi", "万": "wan", "柏": "bai", "任": "ren",
}
# Characters dropped from names: spaces, middle dots of transliterated names, hyphens.
NAME_DROP = re.compile(r"[ \t\u3000·•・‧∙．.\-_'’,，]")
ADDRESS_DROP = re.compile(r"[ \t\u3000,，。、()（）]")
LATIN_NAME = re.compile(r"^[a-z]+$")


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def fullwidth_sql(expression: str) -> str:
    """`expression` with full-width ASCII and ideographic spaces made half-width. translate() with a
    95-character alphabet is slow, so it runs only on the rare values that hold such a character."""
    return (f"CASE WHEN regexp_matches({expression}, '[\uff01-\uff5e\u3000]') "
            f"THEN translate({expression}, {sql_text(FULL_WIDTH)}, {sql_text(HALF_WIDTH)}) ELSE {expression} END")


def trimmed_sql(expression: str) -> str:
    """Text, trimmed of spaces (ideographic too), NULL when empty. Full-width folding is left to
    each attribute's own normalisation, which runs on distinct values (and so does this trim:
    trimming every row of every column cost more than the rest of building `_raw`)."""
    return f"nullif(trim(CAST({expression} AS VARCHAR), ' \t\r\n\u3000'), '')"


# --- identifiers --------------------------------------------------------------------------------


def resident_id_check_sql(body: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of a 17-digit body, as SQL."""
    total = " + ".join(f"{w} * CAST(substr({body}, {k + 1}, 1) AS INTEGER)" for k, w in enumerate(ID_WEIGHTS))
    return f"substr('{ID_CHECK_CHARS}', (({total}) % 11) + 1, 1)"


def resident_id_query(source: str) -> str:
    """A query over `source` (a relation with a text column v) giving v, resident_id, id_body,
    id_valid and id_converted.

    Spaces, dashes and full-width digits are removed, x is X; a legacy 15-digit number becomes 18 by
    inserting the century "19" after the division code and appending its check character. An ID is
    valid when it is 18 characters, its province is a GB/T 2260 province, its birth date a real date
    from 1900 on, and its check character right (a converted legacy ID: all but the last, which
    the conversion computes). Each step is its own subquery so DuckDB computes it once per value
    (lateral aliases would be copied into every use)."""
    provinces = ", ".join(sql_text(p) for p in PROVINCES)
    return f"""
    SELECT v, resident_id, id_body, id_valid, coalesce(_legacy AND id_valid, false) AS id_converted FROM (
      SELECT v, _legacy, id_body,
             CASE WHEN _legacy THEN id_body || _check ELSE nullif(_id0, '') END AS resident_id,
             coalesce(id_body IS NOT NULL
                      AND (_legacy OR substr(_id0, 18, 1) = _check)
                      AND substr(id_body, 1, 2) IN ({provinces})
                      AND try_strptime(substr(id_body, 7, 8), '%Y%m%d') IS NOT NULL
                      AND substr(id_body, 7, 4) >= '1900', false) AS id_valid
      FROM (
        SELECT *, CASE WHEN id_body IS NULL THEN NULL ELSE {resident_id_check_sql('id_body')} END AS _check FROM (
          SELECT *, CASE WHEN _legacy THEN substr(_id0, 1, 6) || '19' || substr(_id0, 7, 9)
                         WHEN regexp_full_match(_id0, '[0-9]{{17}}[0-9X]') THEN substr(_id0, 1, 17) END AS id_body
          FROM (
            SELECT v, _id0, regexp_full_match(_id0, '[0-9]{{15}}') AS _legacy FROM (
              SELECT v, upper(regexp_replace({fullwidth_sql('CAST(v AS VARCHAR)')}, '[\\s\\-]', '', 'g')) AS _id0
              FROM {source}
            )))))"""


def uscc_query(source: str) -> str:
    """v, uscc, uscc_valid over `source`(v): GB 32100, 18 characters from 31, the last a MOD 31
    check character."""
    total = " + ".join(
        f"{w} * (instr('{USCC_CHARS}', substr(uscc, {k + 1}, 1)) - 1)" for k, w in enumerate(USCC_WEIGHTS)
    )
    return f"""
    SELECT v, uscc,
           coalesce(regexp_full_match(uscc, '[0-9A-HJ-NPQRTUWXY]{{2}}[0-9]{{6}}[0-9A-HJ-NPQRTUWXY]{{10}}')
                    AND substr('{USCC_CHARS}', ((31 - ({total}) % 31) % 31) + 1, 1) = substr(uscc, 18, 1), false)
               AS uscc_valid
    FROM (SELECT v, nullif(upper(regexp_replace({fullwidth_sql('CAST(v AS VARCHAR)')}, '[\\s\\-]', '', 'g')), '') AS uscc
          FROM {source})"""


def registration_no_query(source: str) -> str:
    """v, registration_no, registration_no_valid over `source`(v): the legacy 15-digit 工商注册号,
    whose last digit is an ISO 7064 MOD 11,10 check digit (list_reduce, one pass per value)."""
    return f"""
    SELECT v, registration_no,
      CASE WHEN regexp_full_match(registration_no, '[0-9]{{15}}') THEN
        (11 - list_reduce(
                list_transform(string_split(substr(registration_no, 1, 14), ''), lambda d: TRY_CAST(d AS INTEGER)),
                lambda p, d: (CASE WHEN ((p % 11) + d) % 10 = 0 THEN 10 ELSE ((p % 11) + d) % 10 END) * 2,
                10) % 11) % 10 = TRY_CAST(substr(registration_no, 15, 1) AS INTEGER)
      ELSE false END AS registration_no_valid
    FROM (SELECT v, nullif(regexp_replace({fullwidth_sql('CAST(v AS VARCHAR)')}, '[\\s\\-]', '', 'g'), '')
                    AS registration_no FROM {source})"""


def distinct_of(table: str, column: str) -> str:
    return f"(SELECT DISTINCT {column} AS v FROM {table} WHERE {column} IS NOT NULL)"


# --- phones, dates, gender ---------------------------------------------------------------------


def mobile_sql(raw: str) -> str:
    """An 11-digit mainland mobile number, or NULL: +86/0086, spaces, dashes and brackets dropped.
    A value that already is one (most) skips the rewriting."""
    digits = f"regexp_replace({fullwidth_sql(f'CAST({raw} AS VARCHAR)')}, '[^0-9]', '', 'g')"
    stripped = f"regexp_replace({digits}, '^(0086|86)(1[0-9]{{10}})$', '\\2')"
    slow = f"CASE WHEN regexp_full_match({stripped}, '1[3-9][0-9]{{9}}') THEN {stripped} END"
    return f"CASE WHEN regexp_full_match({raw}, '1[3-9][0-9]{{9}}') THEN {raw} ELSE {slow} END"


def date_query(source: str) -> str:
    """A query over `source` (a relation with a text column v) giving v and d, the DATE of
    2024-01-02, 2024-1-2, 20240102, 2024年1月2日, 2024/1/2, 2024.1.2 (or a timestamp's date); d is
    NULL when v is none of them or not a real date."""
    return f"""
    SELECT v, CAST(try_strptime(CASE WHEN regexp_full_match(t, '[0-9]{{8}}')
                                     THEN substr(t, 1, 4) || '-' || substr(t, 5, 2) || '-' || substr(t, 7, 2)
                                     ELSE t END, '%Y-%m-%d') AS DATE) AS d
    FROM (
      SELECT v, regexp_replace(regexp_replace(regexp_replace(trim({fullwidth_sql('CAST(v AS VARCHAR)')}, ' \t\r\n'),
                                                                 '[ T].*$', ''),
                                              '[年月/.]', '-', 'g'), '[日号]$', '') AS t
      FROM {source}
    )"""


def gender_sql(raw: str) -> str:
    value = f"lower(trim({fullwidth_sql(f'CAST({raw} AS VARCHAR)')}, ' \t\r\n'))"
    slow = (f"CASE WHEN {value} IN ('男', 'm', 'male', '1', '男性') THEN 'M' "
            f"WHEN {value} IN ('女', 'f', 'female', '2', '0', '女性') THEN 'F' END")
    return (f"CASE {raw} WHEN '男' THEN 'M' WHEN '女' THEN 'F' WHEN 'M' THEN 'M' WHEN 'F' THEN 'F' "
            f"WHEN '1' THEN 'M' WHEN '2' THEN 'F' ELSE {slow} END")


# --- names --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _fold_batch(values: list[str]) -> list[str]:
    """NFKC (full-width to half-width) and traditional to simplified, in one OpenCC call for all."""
    if not values:
        return []
    # Newlines inside values would break the split; they are spaces in a name or address anyway.
    joined = "\n".join(v.replace("\n", " ").replace("\r", " ") for v in values)
    folded = _t2s().convert(unicodedata.normalize("NFKC", joined)).split("\n")
    if len(folded) != len(values):  # OpenCC never merges lines; keep the batch honest anyway
        folded = [_t2s().convert(unicodedata.normalize("NFKC", v)) for v in values]
    return folded


@lru_cache(maxsize=1)
def traditional_chars() -> str:
    """Every character OpenCC's t2s changes on its own (one call over the CJK blocks): a value
    without any of them needs no conversion."""
    blocks = [chr(c) for c in range(0x3400, 0x4DC0)] + [chr(c) for c in range(0x4E00, 0xA000)]
    converted = _t2s().convert("".join(blocks))
    if len(converted) != len(blocks):
        converted = "".join(_t2s().convert(c) for c in blocks)
    return "".join(a for a, b in zip(blocks, converted) if a != b)


_PINYIN_CACHE: dict[str, str] = {}


def _pinyin_of_chars(chars) -> None:
    from pypinyin import Style, lazy_pinyin

    missing = [c for c in chars if c not in _PINYIN_CACHE]
    for char in missing:
        if "\u3400" <= char <= "\u9fff" or "\U00020000" <= char <= "\U0002ffff":
            _PINYIN_CACHE[char] = "".join(lazy_pinyin(char, style=Style.NORMAL, errors="ignore")).lower()
        elif char.isascii() and char.isalnum():
            _PINYIN_CACHE[char] = char.lower()
        else:
            _PINYIN_CACHE[char] = ""


def names_fold(values: list[str]) -> tuple[list[str | None], list[str | None]]:
    """(folded names, pinyin keys) for distinct raw names.

    陳麗華 -> 陈丽华 / chenlihua; "CHEN LI HUA" and "Chen Li-hua" -> chenlihua / chenlihua;
    "买买提·艾力" -> 买买提艾力. A name in Latin letters is kept lower case without spaces, so
    its pinyin key is itself."""
    folded = _fold_batch(values)
    cleaned = [NAME_DROP.sub("", v).lower() if v is not None else "" for v in folded]
    _pinyin_of_chars({c for name in cleaned for c in name})
    pinyin = []
    for name in cleaned:
        if not name:
            pinyin.append(None)
        elif LATIN_NAME.match(name):
            pinyin.append(name)
        else:
            first = SURNAME_READINGS.get(name[0]) or _PINYIN_CACHE[name[0]]
            pinyin.append(first + "".join(_PINYIN_CACHE[c] for c in name[1:]) or None)
    return [c or None for c in cleaned], pinyin


COMPANY_FORMS = (
    ("有限责任公司", "有限公司"),
    ("股份有限公司", "股份公司"),
    ("(", ""), (")", ""), ("（", ""), ("）", ""),
)


def company_names_fold(values: list[str]) -> tuple[list[str | None], list[str | None]]:
    """Company names: folded like person names, then the legal form standardised (有限责任公司
    and 有限公司 are one form here) and brackets dropped, so 杭州西湖（集团）有限责任公司 and
    杭州西湖集团有限公司 compare equal."""
    names, _ = names_fold(values)
    out = []
    for name in names:
        if name is None:
            out.append(None)
            continue
        for old, new in COMPANY_FORMS:
            name = name.replace(old, new)
        out.append(name or None)
    _pinyin_of_chars({c for name in out if name for c in name})
    return out, [("".join(_PINYIN_CACHE.get(c, "") for c in n) or None) if n else None for n in out]


# --- addresses ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def divisions() -> list[dict]:
    """The GB/T 2260 divisions the platform bundles (kernel.org's data, read as a file)."""
    text = resources.files("zhengtong.kernel.org").joinpath("data", "zhejiang-divisions.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


SUFFIXES = ("自治县", "区", "县", "市")


def _short(name: str) -> str | None:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            short = name[: -len(suffix)]
            return re.sub(r"(畲族)$", "", short) if len(short) > 3 else short
    return None


def division_alias_rows() -> list[tuple[str, str, str, str, bool]]:
    """(code, level, parent_code, alias, is_short) for every city and county: its full name and the
    name without 市/区/县 (杭州市 -> 杭州, 西湖区 -> 西湖, 景宁畲族自治县 -> 景宁)."""
    rows = []
    for row in divisions():
        if row["level"] not in ("city", "county") or row["name"] in ("市辖区", "县"):
            continue
        rows.append((row["code"], row["level"], row["parent_code"] or "", row["name"], False))
        short = _short(row["name"])
        if short and short != row["name"]:
            rows.append((row["code"], row["level"], row["parent_code"] or "", short, True))
    return rows


def address_key_query(source: str) -> str:
    """Over `source`(raw, address, division_code, rest): the street part standardised as
    address_key. 號 is 号 already (OpenCC); # is 号; 号楼/栋/座 are 幢; "12号3-201" is
    "12号3幢201"; a final 室 is dropped; 衖 is 弄. Fixed strings use replace(), several times
    cheaper than a regular expression; each step is its own subquery, computed once."""
    return f"""
    SELECT raw, address, division_code, nullif(CASE WHEN ends_with(k2, '室') THEN left(k2, -1) ELSE k2 END, '') AS address_key
    FROM (
      SELECT raw, address, division_code,
             CASE WHEN contains(k1, '-') THEN regexp_replace(k1, '号([0-9]+)-([0-9]+)', '号\\1幢\\2', 'g') ELSE k1 END AS k2
      FROM (
        SELECT raw, address, division_code,
               replace(replace(replace(replace(replace(rest, '#', '号'), '号楼', '幢'), '栋', '幢'), '座', '幢'), '衖', '弄') AS k1
        FROM {source}))"""


def addresses_table(con, source_table: str, column: str, target: str) -> None:
    """`target`(raw, address, address_key, division_code) for the distinct values of `column`.

    The division parse: the province prefix is dropped; the longest city name (full or short) the
    rest starts with gives the city; then the longest county name of that city (full or short; a
    short county name only after a city, so 西湖大道 alone is not 西湖区) gives the county. The
    key is what follows; the code is the county's, else the city's."""
    import pyarrow as pa

    # Only the addresses holding a traditional character go through OpenCC (in one batch); the
    # rest, nearly all, stay in SQL.
    # Keyed by the value as written (untrimmed: see trimmed_sql), normalised from its trimmed form.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _addr_distinct AS
                    SELECT raw, {trimmed_sql('raw')} AS t
                    FROM (SELECT DISTINCT {column} AS raw FROM {source_table} WHERE {column} IS NOT NULL)""")
    traditional_class = sql_text("[" + traditional_chars() + "]")
    raw = [r[0] for r in con.execute(
        f"SELECT t FROM _addr_distinct WHERE regexp_matches(t, {traditional_class})").fetchall()]
    folded = _fold_batch(raw)
    con.execute("SELECT 1").fetchall()  # finish any open result first (DuckDB 2)
    con.register("_addr_folded", pa.table({"t": pa.array(raw, pa.string()), "a": pa.array(folded, pa.string())}))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _addr_batch AS
                    SELECT d.raw,
                           CASE WHEN f.a IS NOT NULL OR regexp_matches(d.t, '[ \\t,，。、()（）\uff01-\uff5e\u3000]')
                                THEN regexp_replace({fullwidth_sql('coalesce(f.a, d.t)')}, '[ \\t,，。、()（）]', '', 'g')
                                ELSE d.t END AS a
                    FROM _addr_distinct d LEFT JOIN (SELECT DISTINCT t, a FROM _addr_folded) f USING (t)
                    WHERE d.t IS NOT NULL""")
    con.unregister("_addr_folded")
    aliases = division_alias_rows()
    con.execute("SELECT 1").fetchall()  # finish any open result first (DuckDB 2)
    con.register(
        "_div_alias",
        pa.table({
            "code": [r[0] for r in aliases], "level": [r[1] for r in aliases], "parent": [r[2] for r in aliases],
            "alias": [r[3] for r in aliases], "short": [r[4] for r in aliases],
            "p2": [r[3][:2] for r in aliases],
        }),
    )
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE {target} AS
    WITH s AS (SELECT raw, a, regexp_replace(a, '^(浙江省|浙江)', '') AS s1 FROM _addr_batch),
    city_best AS (
      SELECT s.raw, arg_max(d.code, length(d.alias)) AS code, max(length(d.alias)) AS len
      FROM s JOIN _div_alias d ON d.level = 'city' AND substr(s.s1, 1, 2) = d.p2 AND starts_with(s.s1, d.alias)
      GROUP BY s.raw
    ),
    s2 AS (
      SELECT s.raw, s.a, c.code AS city_code,
             CASE WHEN c.code IS NULL THEN s.s1 ELSE substr(s.s1, c.len + 1) END AS s2
      FROM s LEFT JOIN city_best c USING (raw)
    ),
    county_best AS (
      SELECT s2.raw, arg_max(d.code, length(d.alias)) AS code, max(length(d.alias)) AS len
      FROM s2 JOIN _div_alias d ON d.level = 'county' AND substr(s2.s2, 1, 2) = d.p2 AND starts_with(s2.s2, d.alias)
        AND (s2.city_code IS NULL OR d.parent = s2.city_code) AND (NOT d.short OR s2.city_code IS NOT NULL)
      GROUP BY s2.raw
    )
    SELECT raw, address, address_key, division_code FROM ({address_key_query('''(
      SELECT s2.raw, nullif(s2.a, '') AS address, coalesce(k.code, s2.city_code) AS division_code,
             CASE WHEN k.code IS NULL THEN s2.s2 ELSE substr(s2.s2, k.len + 1) END AS rest
      FROM s2 LEFT JOIN county_best k USING (raw))''')})
    """)
    con.execute("DROP TABLE _addr_batch")
    con.execute("DROP TABLE _addr_distinct")
    con.unregister("_div_alias")


def names_table(con, source_table: str, column: str, target: str, *, company: bool = False) -> None:
    """`target`(raw, name, name_pinyin) for the distinct values of `column`."""
    import pyarrow as pa

    raw = [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {source_table} WHERE {column} IS NOT NULL").fetchall()]
    names, pinyin = (company_names_fold if company else names_fold)(raw)
    con.execute("SELECT 1").fetchall()  # finish any open result first (DuckDB 2)
    con.register("_name_batch", pa.table({
        "raw": pa.array(raw, pa.string()), "name": pa.array(names, pa.string()),
        "name_pinyin": pa.array(pinyin, pa.string()),
    }))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT * FROM _name_batch")
    con.unregister("_name_batch")


# --- sources ------------------------------------------------------------------------------------


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def source_from_sql(source: SourceSpec) -> str:
    if source.relation_sql:
        return f"({source.relation_sql})"
    path = str(source.path)
    suffix = source.path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return f"read_parquet({sql_text(path)})"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return f"read_json_auto({sql_text(path)}, format='newline_delimited')"
    return f"read_csv({sql_text(path)}, all_varchar=true, header=true)"


def source_columns(con, source: SourceSpec) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source_from_sql(source)}").fetchall()]


def raw_table(con, config: LinkageConfig) -> list[str]:
    """`_raw`: every source's rows with the mapped columns under their canonical names (as text),
    plus record_id, source, source_key and the carried columns. Returns the carried column names."""
    attributes = PERSON_ATTRIBUTES if config.kind == "person" else COMPANY_ATTRIBUTES
    carried: list[str] = []
    for source in config.sources:
        for column in source.carry:
            if column not in carried:
                carried.append(column)
    selects = []
    for source in config.sources:
        items = [
            f"{sql_text(source.name + ':')} || CAST({quote_ident(source.key)} AS VARCHAR) AS record_id",
            f"{sql_text(source.name)} AS source",
            f"CAST({quote_ident(source.key)} AS VARCHAR) AS source_key",
        ]
        for attribute in attributes:
            column = source.columns.get(attribute)
            # As written: each attribute's normalisation trims, most of them once per distinct value.
            if not column:
                items.append(f"CAST(NULL AS VARCHAR) AS {attribute}")
            elif attribute == "division_code":  # checked per row
                items.append(f"{trimmed_sql(quote_ident(column))} AS {attribute}")
            else:
                items.append(f"CAST({quote_ident(column)} AS VARCHAR) AS {attribute}")
        for column in carried:
            value = f"CAST({quote_ident(column)} AS VARCHAR)" if column in source.carry else "CAST(NULL AS VARCHAR)"
            items.append(f"{value} AS {quote_ident(column)}")
        selects.append(f"SELECT {', '.join(items)} FROM {source_from_sql(source)}")
    con.execute("CREATE OR REPLACE TEMP TABLE _raw AS " + " UNION ALL ".join(selects))
    return carried


def records_build(con, config: LinkageConfig) -> list[str]:
    """The `records` table: every source normalised (see the module's docstring). Returns the
    carried column names."""
    carried = raw_table(con, config)
    carry_sql = "".join(f", r.{quote_ident(c)}" for c in carried)
    if config.kind == "person":
        names_table(con, "_raw", "name", "_names")
        addresses_table(con, "_raw", "address", "_addresses")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _ids AS {resident_id_query(distinct_of('_raw', 'resident_id'))}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _dates AS {date_query(distinct_of('_raw', 'birth_date'))}")
        # A handful of distinct codes: a join to them is several times cheaper than the CASE per row.
        con.execute(f"CREATE OR REPLACE TEMP TABLE _genders AS SELECT v, {gender_sql('v')} AS g "
                    f"FROM {distinct_of('_raw', 'gender')}")
        con.execute(f"""
        CREATE OR REPLACE TEMP TABLE records AS
        SELECT *, year(birth_date) AS birth_year FROM (
        SELECT record_id, source, source_key, resident_id, name, name_pinyin,
               coalesce(birth_date, CASE WHEN id_valid THEN CAST(strptime(substr(id_body, 7, 8), '%Y%m%d') AS DATE) END)
                   AS birth_date,
               coalesce(gender, CASE WHEN id_valid THEN
                   CASE WHEN CAST(substr(id_body, 17, 1) AS INTEGER) % 2 = 1 THEN 'M' ELSE 'F' END END) AS gender,
               mobile, address, division_code, id_valid, id_converted, id_body, address_key
               {''.join(f', {quote_ident(c)}' for c in carried)}
        FROM (
          SELECT r.record_id, r.source, r.source_key,
                 i.resident_id, i.id_body, coalesce(i.id_valid, false) AS id_valid,
                 coalesce(i.id_converted, false) AS id_converted,
                 n.name, n.name_pinyin,
                 d.d AS birth_date,
                 s.g AS gender,
                 {mobile_sql('r.mobile')} AS mobile,
                 a.address, a.address_key,
                 coalesce(CASE WHEN regexp_full_match(r.division_code, '[0-9]{{6}}') THEN r.division_code END,
                          a.division_code) AS division_code
                 {carry_sql}
          FROM _raw r
          LEFT JOIN _ids i ON i.v = r.resident_id
          LEFT JOIN _dates d ON d.v = r.birth_date
          LEFT JOIN _genders s ON s.v = r.gender
          LEFT JOIN _names n ON n.raw = r.name
          LEFT JOIN _addresses a ON a.raw = r.address
        ))
        """)
    else:
        names_table(con, "_raw", "name", "_names", company=True)
        names_table(con, "_raw", "legal_representative", "_reps")
        addresses_table(con, "_raw", "address", "_addresses")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _uscc AS {uscc_query(distinct_of('_raw', 'uscc'))}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _regno AS {registration_no_query(distinct_of('_raw', 'registration_no'))}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _dates AS {date_query(distinct_of('_raw', 'established_on'))}")
        con.execute(f"""
        CREATE OR REPLACE TEMP TABLE records AS
        SELECT r.record_id, r.source, r.source_key, u.uscc, g.registration_no, n.name, n.name_pinyin,
               p.name AS legal_representative, d.d AS established_on, a.address,
               coalesce(CASE WHEN regexp_full_match(r.division_code, '[0-9]{{6}}') THEN r.division_code END,
                        a.division_code) AS division_code,
               {mobile_sql('r.mobile')} AS mobile,
               coalesce(u.uscc_valid, false) OR coalesce(g.registration_no_valid, false) AS id_valid,
               false AS id_converted,
               coalesce(u.uscc_valid, false) AS uscc_valid,
               coalesce(g.registration_no_valid, false) AS registration_no_valid,
               a.address_key {carry_sql}
        FROM _raw r
        LEFT JOIN _uscc u ON u.v = r.uscc
        LEFT JOIN _regno g ON g.v = r.registration_no
        LEFT JOIN _dates d ON d.v = r.established_on
        LEFT JOIN _names n ON n.raw = r.name
        LEFT JOIN _reps p ON p.raw = r.legal_representative
        LEFT JOIN _addresses a ON a.raw = r.address
        """)
    return carried
