"""A synthetic population and its departmental copies, with known truth and controlled dirt.

`population_write(outdir, persons=N, seed=S)` writes one Parquet (or CSV) file per department and
`truth.parquet` (record_id -> person_id), all generated in DuckDB SQL (vectorised: 1,000,000
persons take seconds); Python touches only the distinct names that need a traditional or pinyin
form. The same seed gives the same files.

The population: surnames drawn by their real frequency (the 60 commonest cover ~75% of people),
one or two given-name characters from common ones, birth dates 1940-2005, Zhejiang counties from
the GB/T 2260 list the platform bundles, a valid 18-character resident ID (division, birth date,
sequence unique within county and day, gender parity, check character), a mobile, an address.

Each department holds a share of the population (DEPARTMENTS: coverage) in its own column names
and its own date and gender conventions, and each record is dirtied independently at the rates in
`Corruption` (stated in meta.json next to the files).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .normalise import ID_CHECK_CHARS, ID_WEIGHTS, divisions, sql_text

# Surname and relative frequency (per mille, roughly the 2020 census order).
SURNAMES = (
    ("王", 74), ("李", 72), ("张", 69), ("刘", 54), ("陈", 46), ("杨", 32), ("黄", 24), ("赵", 22), ("吴", 21),
    ("周", 20), ("徐", 17), ("孙", 15), ("马", 15), ("朱", 14), ("胡", 13), ("郭", 13), ("何", 12), ("林", 12),
    ("高", 12), ("罗", 11), ("郑", 10), ("梁", 9), ("谢", 8), ("宋", 7), ("唐", 7), ("许", 7), ("韩", 7), ("邓", 6),
    ("冯", 6), ("曹", 6), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 5), ("董", 5), ("潘", 5), ("袁", 5), ("蔡", 5),
    ("蒋", 5), ("余", 5), ("于", 5), ("杜", 5), ("叶", 4), ("程", 4), ("魏", 4), ("苏", 4), ("吕", 4), ("丁", 4),
    ("任", 4), ("卢", 4), ("姚", 4), ("沈", 4), ("钟", 4), ("姜", 4), ("崔", 4), ("谭", 4), ("陆", 3), ("范", 3),
    ("汪", 3), ("廖", 3), ("石", 3), ("金", 3), ("韦", 3), ("贾", 3), ("夏", 3), ("付", 3), ("方", 3), ("邹", 3),
    ("熊", 3), ("白", 3), ("孟", 3), ("秦", 3), ("邱", 3), ("侯", 3), ("江", 3), ("尹", 2), ("薛", 2), ("闫", 2),
    ("段", 2), ("雷", 2), ("龙", 2), ("黎", 2), ("史", 2), ("陶", 2), ("贺", 2), ("毛", 2), ("郝", 2), ("顾", 2),
    ("龚", 2), ("邵", 2), ("万", 2), ("覃", 2), ("武", 2), ("钱", 2), ("戴", 2), ("严", 2), ("欧阳", 1), ("诸葛", 1),
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉玲婷浩宇轩子涵欣怡梓晨思雨佳琪俊杭越"
    "红梅鹏飞志永春雪燕小海波斌林云凤东晓宁亮峰丹萍颖琳慧鑫博宏瑞嘉诗雅婉欢乐天成龙凯晶新丽娇玉珍"
)
ROADS = ("人民路", "解放路", "建设路", "中山路", "文化路", "延安路", "凤起路", "文三路", "滨江大道", "钱江路",
         "湖滨路", "江南大道", "世纪大道", "学院路", "体育场路", "环城北路", "新华路", "胜利路", "和平路", "青年路")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "157",
                   "158", "159", "177", "180", "181", "186", "187", "188", "189", "199")
FIRST_BIRTH_DAY = "1940-01-01"
BIRTH_DAYS = 24_107  # to 2005-12-31


@dataclass(frozen=True)
class Corruption:
    """Per-record rates of each kind of dirt (independent draws; a record may carry several)."""

    id_missing: float = 0.05
    id_wrong_check: float = 0.03
    id_legacy15: float = 0.04  # of those born before 2000
    name_traditional: float = 0.05
    name_pinyin: float = 0.03
    name_typo: float = 0.03
    address_abbreviated: float = 0.25
    address_missing: float = 0.05
    mobile_other: float = 0.10  # stale or another number
    mobile_missing: float = 0.10
    date_other_format: float = 0.20  # written in another of the four formats than the department's own
    date_swapped: float = 0.02  # day and month swapped (when the day is 12 or less)
    date_missing: float = 0.03


@dataclass(frozen=True)
class Department:
    name: str
    coverage: float  # share of the population it holds
    columns: dict[str, str]  # canonical attribute -> its column name
    key: str
    date_format: str  # one of DATE_FORMATS
    gender_style: str  # "zh" (男/女) or "en" (M/F) or "code" (1/2)


DATE_FORMATS = {"iso": "%Y-%m-%d", "compact": "%Y%m%d", "zh": "%Y年%-m月%-d日", "slash": "%Y/%-m/%-d"}
DEPARTMENTS = (
    Department("police", 0.95, {"resident_id": "gmsfhm", "name": "xm", "birth_date": "csrq", "gender": "xb",
                                "mobile": "lxdh", "address": "zz"}, "jlbh", "compact", "zh"),
    Department("hrss", 0.75, {"resident_id": "id_number", "name": "full_name", "birth_date": "birthday",
                              "gender": "sex", "mobile": "phone", "address": "address"}, "record_no", "iso", "en"),
    Department("health", 0.80, {"resident_id": "zjhm", "name": "hzxm", "birth_date": "csrq", "gender": "xb",
                                "mobile": "sjhm", "address": "jzdz"}, "bh", "zh", "code"),
    Department("civil", 0.50, {"resident_id": "sfzh", "name": "xm", "birth_date": "chusheng", "gender": "xingbie",
                               "mobile": "shouji", "address": "dizhi"}, "id", "slash", "zh"),
)


@dataclass(frozen=True)
class Population:
    folder: Path
    persons: int
    files: dict[str, Path]  # department -> file
    truth: Path
    departments: tuple[Department, ...] = DEPARTMENTS
    corruption: Corruption = field(default_factory=Corruption)
    records: int = 0


def _list(values) -> str:
    return "[" + ", ".join(sql_text(v) for v in values) + "]"


def _pick(values, expression: str) -> str:
    return f"{_list(values)}[CAST((({expression}) % {len(values)}) + 1 AS BIGINT)]"


def _u(seed: int, salt: str, *parts: str) -> str:
    """A uniform number in [0, 1) from a hash of the seed, a salt and the parts."""
    return f"((hash({seed}, {sql_text(salt)}, {', '.join(parts)}) % 1000003) / 1000003.0)"


def _counties() -> list[tuple[str, str, str]]:
    rows = divisions()
    names = {row["code"]: row["name"] for row in rows}
    return [(r["code"], names.get(r["parent_code"], ""), r["name"]) for r in rows
            if r["level"] == "county" and r["name"] != "市辖区"]


def persons_sql(persons: int, seed: int) -> str:
    counties = _counties()
    county_rows = ", ".join(f"({n}, {sql_text(c)}, {sql_text(city)}, {sql_text(name)})" for n, (c, city, name) in enumerate(counties))
    total = sum(w for _, w in SURNAMES)
    cumulative, acc = [], 0
    for surname, weight in SURNAMES:
        acc += weight
        cumulative.append((surname, acc))
    surname_case = "CASE " + " ".join(f"WHEN sr < {acc} THEN {sql_text(s)}" for s, acc in cumulative) + " END"
    digit_sum = " + ".join(f"{w} * CAST(substr(body, {k + 1}, 1) AS INTEGER)" for k, w in enumerate(ID_WEIGHTS))
    return f"""
    WITH counties(n, code, city, county) AS (VALUES {county_rows}),
    base AS (
      SELECT i AS person_id, hash({seed}, 'p', i) AS h,
             CAST(hash({seed}, 's', i) % {total} AS INTEGER) AS sr,
             DATE '{FIRST_BIRTH_DAY}' + CAST(hash({seed}, 'b', i) % {BIRTH_DAYS} AS INTEGER) AS birth,
             CAST(hash({seed}, 'c', i) % {len(counties)} AS INTEGER) AS cn,
             CASE WHEN hash({seed}, 'g', i) % 2 = 0 THEN 'M' ELSE 'F' END AS gender
      FROM range({persons}) t(i)
    ),
    seqd AS (
      SELECT b.*, c.code, c.city, c.county,
             row_number() OVER (PARTITION BY b.cn, b.birth, b.gender ORDER BY b.person_id) - 1 AS k
      FROM base b JOIN counties c ON c.n = b.cn
    ),
    bodies AS (
      SELECT *, code || strftime(birth, '%Y%m%d') || lpad(CAST(((k * 2) + CASE WHEN gender = 'M' THEN 1 ELSE 0 END) % 1000
                AS VARCHAR), 3, '0') AS body
      FROM seqd
    )
    SELECT person_id, {surname_case} AS surname,
           {_pick(GIVEN, "h // 7")} || CASE WHEN h // 11 % 4 = 0 THEN '' ELSE {_pick(GIVEN, "h // 13")} END AS given,
           birth, gender, code AS county_code, city, county,
           body || substr('{ID_CHECK_CHARS}', (({digit_sum}) % 11) + 1, 1) AS resident_id,
           {_pick(MOBILE_PREFIXES, "h // 17")} || lpad(CAST(h // 19 % 100000000 AS VARCHAR), 8, '0') AS mobile,
           {_pick(ROADS, "h // 23")} AS road, CAST(h // 29 % 399 + 1 AS VARCHAR) AS house,
           CAST(h // 31 % 29 + 1 AS VARCHAR) AS building, CAST(h // 37 % 1700 + 101 AS VARCHAR) AS room
    FROM bodies
    WHERE k < 500
    """


def _name_variants(con, seed: int) -> None:
    """_variants(name, traditional, pinyin_a, pinyin_b, pinyin_c) for the distinct full names."""
    import opencc
    import pyarrow as pa
    from pypinyin import Style, lazy_pinyin

    from .normalise import SURNAME_READINGS

    rows = con.execute("SELECT DISTINCT surname, given FROM _persons").fetchall()
    converter = opencc.OpenCC("s2t")
    names = [s + g for s, g in rows]
    traditional = converter.convert("\n".join(names)).split("\n")
    chars = {c for n in names for c in n}
    reading = {c: lazy_pinyin(c, style=Style.NORMAL)[0] for c in chars}
    a, b, c = [], [], []
    for surname, given in rows:
        sp = SURNAME_READINGS.get(surname[0], reading[surname[0]]) + "".join(reading[x] for x in surname[1:])
        gp = [reading[x] for x in given]
        a.append(f"{sp.capitalize()} {''.join(gp).capitalize()}")  # Chen Lihua
        b.append(" ".join([sp.upper()] + [g.upper() for g in gp]))  # CHEN LI HUA
        c.append(f"{sp} {'-'.join(gp)}")  # chen li-hua
    con.execute("SELECT 1").fetchall()  # finish any open result first (DuckDB 2)
    con.register("_variants_batch", pa.table({"name": names, "traditional": traditional, "pinyin_a": a,
                                              "pinyin_b": b, "pinyin_c": c}))
    con.execute("CREATE OR REPLACE TEMP TABLE _variants AS SELECT * FROM _variants_batch")
    con.unregister("_variants_batch")


def _date_sql(column: str, fmt_expr: str) -> str:
    return (f"CASE {fmt_expr} WHEN 'iso' THEN strftime({column}, '%Y-%m-%d') WHEN 'compact' THEN strftime({column}, '%Y%m%d') "
            f"WHEN 'zh' THEN CAST(year({column}) AS VARCHAR) || '年' || CAST(month({column}) AS VARCHAR) || '月' || "
            f"CAST(day({column}) AS VARCHAR) || '日' ELSE CAST(year({column}) AS VARCHAR) || '/' || "
            f"CAST(month({column}) AS VARCHAR) || '/' || CAST(day({column}) AS VARCHAR) END")


def department_sql(dept: Department, seed: int, rates: Corruption, index: int) -> str:
    r = rates
    u = lambda salt: _u(seed, f"{dept.name}:{salt}", "p.person_id")  # noqa: E731
    cols = dept.columns
    formats = list(DATE_FORMATS)
    other_format = _pick(formats, f"hash({seed}, '{dept.name}:fmt', p.person_id)")
    gender = {"zh": "CASE p.gender WHEN 'M' THEN '男' ELSE '女' END", "en": "p.gender",
              "code": "CASE p.gender WHEN 'M' THEN '1' ELSE '2' END"}[dept.gender_style]
    swapped = "make_date(year(p.birth), day(p.birth), month(p.birth))"
    legacy = "substr(p.resident_id, 1, 6) || substr(p.resident_id, 9, 9)"
    wrong_check = ("substr(p.resident_id, 1, 17) || substr('10X98765432', (instr('10X98765432', substr(p.resident_id, 18, 1)) "
                   "+ CAST(hash(p.person_id) % 9 AS INTEGER)) % 11 + 1, 1)")
    typo = (f"CASE WHEN length(p.given) = 1 THEN p.surname || {_pick(GIVEN, f'hash({seed}, {sql_text(dept.name)}, p.person_id) // 3')} "
            f"ELSE p.surname || substr(p.given, 1, 1) || {_pick(GIVEN, f'hash({seed}, {sql_text(dept.name)}, p.person_id) // 3')} END")
    full_address = "'浙江省' || p.city || p.county || p.road || p.house || '号' || p.building || '幢' || p.room || '室'"
    short_city = "regexp_replace(p.city, '市$', '')"
    short_county = "CASE WHEN length(p.county) > 2 THEN regexp_replace(p.county, '(区|县|市)$', '') ELSE p.county END"
    abbreviated = (f"CASE WHEN {u('abbr-kind')} < 0.5 THEN {short_city} || {short_county} || p.road || p.house || '号' || "
                   f"p.building || '栋' || p.room ELSE p.city || p.county || p.road || p.house || '#' || p.building || '-' || p.room END")
    other_mobile = (f"{_pick(MOBILE_PREFIXES, f'hash({seed}, {sql_text(dept.name)}, 7, p.person_id)')} || "
                    f"lpad(CAST(hash({seed}, {sql_text(dept.name)}, 8, p.person_id) % 100000000 AS VARCHAR), 8, '0')")
    return f"""
    SELECT
      -- a bijective scramble of the person number (4294967291 is prime), so keys are unique and unordered
      CAST((p.person_id * 2654435761 + {97 * (index + 1) + seed}) % 4294967291 AS VARCHAR) AS {dept.key},
      p.person_id AS _person_id,
      CASE WHEN {u('idm')} < {r.id_missing} THEN NULL
           WHEN {u('idc')} < {r.id_wrong_check} THEN {wrong_check}
           WHEN year(p.birth) < 2000 AND {u('idl')} < {r.id_legacy15} THEN {legacy}
           ELSE p.resident_id END AS {cols['resident_id']},
      CASE WHEN {u('nt')} < {r.name_traditional} THEN v.traditional
           WHEN {u('np')} < {r.name_pinyin} THEN
             CASE WHEN {u('npk')} < 0.4 THEN v.pinyin_a WHEN {u('npk')} < 0.7 THEN v.pinyin_b ELSE v.pinyin_c END
           WHEN {u('ny')} < {r.name_typo} THEN {typo}
           ELSE p.surname || p.given END AS {cols['name']},
      CASE WHEN {u('dm')} < {r.date_missing} THEN NULL
           ELSE {_date_sql(f"CASE WHEN {u('ds')} < {r.date_swapped} AND day(p.birth) <= 12 AND day(p.birth) <> month(p.birth) THEN {swapped} ELSE p.birth END",
                           f"CASE WHEN {u('df')} < {r.date_other_format} THEN {other_format} ELSE '{dept.date_format}' END")}
      END AS {cols['birth_date']},
      {gender} AS {cols['gender']},
      CASE WHEN {u('mm')} < {r.mobile_missing} THEN NULL WHEN {u('mo')} < {r.mobile_other} THEN {other_mobile}
           WHEN {u('mf')} < 0.2 THEN '+86 ' || substr(p.mobile, 1, 3) || '-' || substr(p.mobile, 4, 4) || '-' || substr(p.mobile, 8, 4)
           ELSE p.mobile END AS {cols['mobile']},
      CASE WHEN {u('am')} < {r.address_missing} THEN NULL WHEN {u('aa')} < {r.address_abbreviated} THEN {abbreviated}
           ELSE {full_address} END AS {cols['address']}
    FROM _persons p JOIN _variants v ON v.name = p.surname || p.given
    WHERE {u('cov')} < {dept.coverage}
    """


def population_write(folder: str | Path, *, persons: int, seed: int = 1, corruption: Corruption | None = None,
                     departments: tuple[Department, ...] = DEPARTMENTS, file_format: str = "parquet") -> Population:
    """Write the departments' files, truth.parquet (record_id, person_id) and meta.json."""
    import duckdb

    rates = corruption or Corruption()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        con.execute(f"CREATE TEMP TABLE _persons AS {persons_sql(persons, seed)}")
        _name_variants(con, seed)
        files, truths = {}, []
        for index, dept in enumerate(departments):
            con.execute(f"CREATE OR REPLACE TEMP TABLE _dept AS {department_sql(dept, seed, rates, index)}")
            path = folder / f"{dept.name}.{'parquet' if file_format == 'parquet' else 'csv'}"
            fmt = "(FORMAT parquet)" if file_format == "parquet" else "(FORMAT csv, HEADER true)"
            con.execute(f"COPY (SELECT * EXCLUDE (_person_id) FROM _dept ORDER BY {dept.key}) TO {sql_text(str(path))} {fmt}")
            truths.append(f"SELECT {sql_text(dept.name + ':')} || {dept.key} AS record_id, _person_id AS person_id FROM _dept_{index}")
            con.execute(f"CREATE TEMP TABLE _dept_{index} AS SELECT {dept.key}, _person_id FROM _dept")
            files[dept.name] = path
        truth = folder / "truth.parquet"
        con.execute(f"COPY ({' UNION ALL '.join(truths)}) TO {sql_text(str(truth))} (FORMAT parquet)")
        (records,) = con.execute(f"SELECT count(*) FROM read_parquet({sql_text(str(truth))})").fetchone()
        (real,) = con.execute("SELECT count(*) FROM _persons").fetchone()
    finally:
        con.close()
    meta = {"persons": real, "seed": seed, "records": records, "corruption": asdict(rates),
            "departments": [asdict(d) for d in departments], "file_format": file_format}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return Population(folder=folder, persons=real, files=files, truth=truth, departments=departments,
                      corruption=rates, records=records)


def config_toml(population: Population, output: str = "out", **settings) -> str:
    """A linkage config (TOML) for the files population_write wrote, paths relative to its folder."""
    kind = "company" if "uscc" in population.departments[0].columns else "person"
    lines = [f'kind = "{kind}"', f'output = "{output}"']
    for key, value in settings.items():
        lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    for dept in population.departments:
        lines += ["", "[[sources]]", f'name = "{dept.name}"', f'path = "{population.files[dept.name].name}"',
                  f'key = "{dept.key}"', "[sources.columns]"]
        lines += [f'{attribute} = "{column}"' for attribute, column in dept.columns.items()]
    return "\n".join(lines) + "\n"


def config_for(population: Population, output: Path, **overrides):
    """The LinkageConfig for the files population_write wrote."""
    from .spec import LinkageConfig, SourceSpec

    sources = tuple(
        SourceSpec(name=d.name, key=d.key, columns=dict(d.columns), path=population.files[d.name])
        for d in population.departments
    )
    kind = overrides.pop("kind", "company" if "uscc" in population.departments[0].columns else "person")
    return LinkageConfig(kind=kind, sources=sources, output=Path(output), **overrides)


# --- companies ----------------------------------------------------------------------------------

INDUSTRIES = ("科技", "贸易", "建设", "食品", "电子", "物流", "医药", "纺织", "机械", "文化", "网络", "环保")
USCC_WEIGHTS_SQL = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class CompanyCorruption:
    uscc_missing: float = 0.08  # filed under the legacy registration number only
    uscc_wrong_check: float = 0.03
    form_variant: float = 0.30  # 有限公司 written 有限责任公司, or brackets around the brand
    name_traditional: float = 0.05
    representative_traditional: float = 0.05
    address_abbreviated: float = 0.25
    mobile_other: float = 0.15


COMPANY_DEPARTMENTS = (
    # name, coverage, columns, key, carries the registration number
    ("market", 1.0, {"uscc": "tyshxydm", "registration_no": "zch", "name": "qymc", "legal_representative": "fddbr",
                     "established_on": "clrq", "address": "zs", "mobile": "lxdh"}, "nbxh"),
    ("tax", 0.85, {"uscc": "nsrsbh", "name": "nsrmc", "legal_representative": "fddbrxm", "address": "scjydz",
                   "mobile": "lxdh"}, "djxh"),
    ("hrss", 0.60, {"uscc": "dwbm", "registration_no": "gszch", "name": "dwmc", "legal_representative": "fr",
                    "address": "dwdz", "mobile": "dh"}, "dwbh"),
)


def companies_write(folder: str | Path, *, companies: int, seed: int = 1,
                    corruption: CompanyCorruption | None = None) -> Population:
    """Companies in three departments' copies (market regulation holds both codes; tax only the
    USCC; HRSS either), truth.parquet (record_id, person_id = company number) and meta.json."""
    import duckdb

    rates = corruption or CompanyCorruption()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counties = _counties()
    county_rows = ", ".join(f"({n}, {sql_text(c)}, {sql_text(city)}, {sql_text(name)})" for n, (c, city, name) in enumerate(counties))
    org_sum = " + ".join(f"{w} * CAST(substr(org8, {k + 1}, 1) AS INTEGER)" for k, w in enumerate(ORG_WEIGHTS))
    uscc_sum = " + ".join(f"{w} * (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(body, {k + 1}, 1)) - 1)"
                          for k, w in enumerate(USCC_WEIGHTS_SQL))
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        con.execute(f"""
        CREATE TEMP TABLE _companies AS
        WITH counties(n, code, city, county) AS (VALUES {county_rows}),
        base AS (
          SELECT i AS company_id, hash({seed}, 'co', i) AS h, c.code, c.city, c.county,
                 lpad(CAST((i * 7919 + {seed}) % 100000000 AS VARCHAR), 8, '0') AS org8,
                 lpad(CAST(i % 100000000 AS VARCHAR), 8, '0') AS seq8
          FROM range({companies}) t(i) JOIN counties c ON c.n = hash({seed}, 'cc', i) % {len(counties)}
        ),
        orgs AS (
          SELECT *, org8 || CASE (11 - ({org_sum}) % 11) WHEN 10 THEN 'X' WHEN 11 THEN '0'
                                 ELSE CAST(11 - ({org_sum}) % 11 AS VARCHAR) END AS org9,
                 code || seq8 AS reg14
          FROM base
        ),
        bodies AS (SELECT *, '91' || code || org9 AS body FROM orgs)
        SELECT company_id, city, county, code,
               body || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', ((31 - ({uscc_sum}) % 31) % 31) + 1, 1) AS uscc,
               reg14 || CAST((11 - list_reduce(list_transform(string_split(reg14, ''), lambda d: CAST(d AS INTEGER)),
                   lambda p, d: (CASE WHEN ((p % 11) + d) % 10 = 0 THEN 10 ELSE ((p % 11) + d) % 10 END) * 2, 10) % 11) % 10
                   AS VARCHAR) AS registration_no,
               regexp_replace(city, '市$', '') || {_pick(GIVEN, "h // 3")} || {_pick(GIVEN, "h // 5")}
                   || {_pick(INDUSTRIES, "h // 7")} AS brand,
               {_pick(("有限公司", "股份有限公司"), "h // 11 % 10 // 8")} AS form,
               {_pick([s for s, _ in SURNAMES], "h // 13")} || {_pick(GIVEN, "h // 17")} || {_pick(GIVEN, "h // 19")} AS rep,
               DATE '1995-01-01' + CAST(h // 23 % 10000 AS INTEGER) AS established,
               {_pick(ROADS, "h // 29")} || CAST(h // 31 % 500 + 1 AS VARCHAR) || '号' AS street,
               {_pick(MOBILE_PREFIXES, "h // 37")} || lpad(CAST(h // 41 % 100000000 AS VARCHAR), 8, '0') AS mobile
        FROM bodies
        """)
        import opencc
        import pyarrow as pa

        names = [r[0] for r in con.execute("SELECT DISTINCT brand || form FROM _companies UNION SELECT DISTINCT rep FROM _companies").fetchall()]
        traditional = opencc.OpenCC("s2t").convert("\n".join(names)).split("\n")
        con.execute("SELECT 1").fetchall()
        con.register("_trad", pa.table({"s": names, "t": traditional}))
        r = rates
        files, truths = {}, []
        for index, (dept, coverage, cols, key) in enumerate(COMPANY_DEPARTMENTS):
            u = lambda salt: _u(seed, f"{dept}:{salt}", "c.company_id")  # noqa: E731
            items = [f"CAST((c.company_id * 2654435761 + {97 * (index + 1) + seed}) % 4294967291 AS VARCHAR) AS {key}",
                     "c.company_id AS _company_id"]
            wrong = ("substr(c.uscc, 1, 17) || CASE WHEN substr(c.uscc, 18, 1) = '0' THEN '1' ELSE '0' END")
            items.append(f"CASE WHEN {u('um')} < {r.uscc_missing} THEN NULL WHEN {u('uw')} < {r.uscc_wrong_check} "
                         f"THEN {wrong} ELSE c.uscc END AS {cols['uscc']}")
            if "registration_no" in cols:
                items.append(f"CASE WHEN {u('um')} < {r.uscc_missing} OR {u('rk')} < 0.5 THEN c.registration_no END "
                             f"AS {cols['registration_no']}")
            name = (f"CASE WHEN {u('fv')} < {r.form_variant} THEN "
                    f"(CASE WHEN {u('fk')} < 0.5 THEN c.brand || replace(c.form, '有限公司', '有限责任公司') "
                    f"ELSE regexp_replace(c.brand, '^(.{{2}})(.*)$', '\\1（\\2）') || c.form END) ELSE c.brand || c.form END")
            items.append(f"CASE WHEN {u('nt')} < {r.name_traditional} THEN tn.t ELSE {name} END AS {cols['name']}")
            items.append(f"CASE WHEN {u('rt')} < {r.representative_traditional} THEN tr.t ELSE c.rep END "
                         f"AS {cols['legal_representative']}")
            if "established_on" in cols:
                items.append(f"strftime(c.established, '%Y%m%d') AS {cols['established_on']}")
            items.append(f"CASE WHEN {u('aa')} < {r.address_abbreviated} THEN regexp_replace(c.city, '市$', '') || c.street "
                         f"ELSE '浙江省' || c.city || c.county || c.street END AS {cols['address']}")
            items.append(f"CASE WHEN {u('mo')} < {r.mobile_other} THEN {_pick(MOBILE_PREFIXES, f'hash({seed}, {sql_text(dept)}, c.company_id)')} "
                         f"|| lpad(CAST(hash({seed}, {sql_text(dept)}, 9, c.company_id) % 100000000 AS VARCHAR), 8, '0') "
                         f"ELSE c.mobile END AS {cols['mobile']}")
            con.execute(f"""CREATE OR REPLACE TEMP TABLE _dept_{index} AS SELECT {', '.join(items)}
                            FROM _companies c JOIN _trad tn ON tn.s = c.brand || c.form JOIN _trad tr ON tr.s = c.rep
                            WHERE {u('cov')} < {coverage}""")
            path = folder / f"{dept}.parquet"
            con.execute(f"COPY (SELECT * EXCLUDE (_company_id) FROM _dept_{index}) TO {sql_text(str(path))} (FORMAT parquet)")
            truths.append(f"SELECT {sql_text(dept + ':')} || {key} AS record_id, _company_id AS person_id FROM _dept_{index}")
            files[dept] = path
        truth = folder / "truth.parquet"
        con.execute(f"COPY ({' UNION ALL '.join(truths)}) TO {sql_text(str(truth))} (FORMAT parquet)")
        (records,) = con.execute(f"SELECT count(*) FROM read_parquet({sql_text(str(truth))})").fetchone()
    finally:
        con.close()
    departments = tuple(Department(name, coverage, cols, key, "compact", "zh") for name, coverage, cols, key in COMPANY_DEPARTMENTS)
    (folder / "meta.json").write_text(json.dumps({"companies": companies, "seed": seed, "records": records,
                                                  "corruption": asdict(rates)}, ensure_ascii=False, indent=2), encoding="utf-8")
    return Population(folder=folder, persons=companies, files=files, truth=truth, departments=departments, records=records)
