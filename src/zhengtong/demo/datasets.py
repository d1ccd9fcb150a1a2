"""The demo province's departmental datasets: registered in the catalog and loaded through ingest.

Three departments of Hangzhou each deliver one dataset drawn from the demo persons and companies,
as departments really deliver them: a UTF-8 CSV with a byte-order mark from market regulation, a
GBK CSV with Chinese dates from human resources and social security, JSON lines from public
security. Each carries the dirt such files carry (about 0.5-1% of rows): wrong check characters,
15-digit IDs from before 1999, missing values, repeated rows, dates written another way, values
out of range, names in traditional characters. The dirt is planted deterministically from the
seed, so every build finds the same problems, and the catalog and quality pages have something
to show. Every write goes through the catalog's services and ingest's load_run, as a system actor.
"""

import csv
import json
import random
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tqdm import tqdm

from zhengtong.kernel.identity.models import Citizen, Company, CompanyKind, Gender
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.models import Department, DepartmentKind

# A department delivers at most this many rows of the demo (the demo province may hold millions
# of persons; the datasets only need to be big enough to show their quality).
MAX_ROWS = 20_000
ID_CHECK_CHARS = "10X98765432"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# A few characters of common names in their traditional forms (all in GBK, as in real files
# typed on systems set to traditional Chinese, or copied from Hong Kong and Taiwan documents).
TRADITIONAL = {
    "陈": "陳", "刘": "劉", "张": "張", "杨": "楊", "黄": "黃", "赵": "趙", "吴": "吳", "孙": "孫",
    "马": "馬", "郑": "鄭", "许": "許", "邓": "鄧", "冯": "馮", "叶": "葉", "苏": "蘇", "卢": "盧",
    "罗": "羅", "谢": "謝", "韩": "韓", "丽": "麗", "红": "紅", "华": "華", "军": "軍", "国": "國",
    "伟": "偉", "强": "強", "龙": "龍", "凤": "鳳", "云": "雲", "兰": "蘭", "艳": "艷",
}
GENDER_WORDS = {Gender.MALE: "男", Gender.FEMALE: "女"}
COMPANY_KIND_WORDS = {
    CompanyKind.ENTERPRISE: "企业",
    CompanyKind.INDIVIDUAL_BUSINESS: "个体工商户",
    CompanyKind.FARMER_COOPERATIVE: "农民专业合作社",
}
INSURANCE_STATUSES = ("参保缴费", "暂停缴费", "终止参保")
# Hangzhou's 2024 bounds of the monthly contribution base for employees' insurance.
MONTHLY_BASE_MIN, MONTHLY_BASE_MAX = 4462, 24930
CN_DATE = "%Y年%m月%d日"


# --- What the departments deliver ------------------------------------------------------------


@dataclass(frozen=True)
class PersonRecord:
    resident_id: str
    name: str
    gender: str  # Gender value
    birth_date: date
    county_code: str
    address: str
    mobile: str


@dataclass(frozen=True)
class CompanyRecord:
    uscc: str
    name: str
    kind: str  # CompanyKind value
    representative_name: str
    representative_id: str
    registered_on: date
    address: str


@dataclass
class Delivery:
    """A department's file as rows (dicts of text or None), and the problems planted in it, per
    rule code: what a load must report."""

    rows: list[dict[str, Any]]
    planted: Counter = field(default_factory=Counter)
    dirt: Counter = field(default_factory=Counter)  # what was done to the rows, rules or not


class Dirt:
    """Picks the rows to spoil, each at most once, so what is planted is exactly what is found."""

    def __init__(self, rows: list[dict[str, Any]], rng: random.Random):
        self.rows = rows
        self.rng = rng
        self.order = list(range(len(rows)))
        rng.shuffle(self.order)
        self.used: set[int] = set()

    def take(self, count: int, suitable: Callable[[dict[str, Any]], bool] = lambda row: True) -> list[dict[str, Any]]:
        chosen = []
        for index in self.order:
            if len(chosen) == count:
                break
            if index not in self.used and suitable(self.rows[index]):
                self.used.add(index)
                chosen.append(self.rows[index])
        return chosen

    def repeat(self, count: int) -> list[dict[str, Any]]:
        """Deliver `count` clean rows twice (the copy somewhere after the original), as a file
        built from two overlapping extracts does. Call it last: it moves rows."""
        originals = self.take(count)
        for original in originals:
            position = self.rows.index(original)
            self.rows.insert(self.rng.randrange(position + 1, len(self.rows) + 1), dict(original))
        return originals


def share(rows: int, rate: float, minimum: int) -> int:
    """How many rows get one kind of dirt: the rate of the rows, but at least `minimum`."""
    return max(minimum, round(rows * rate))


def wrong_check_char(resident_id: str) -> str:
    right = ID_CHECK_CHARS.index(resident_id[-1])
    return resident_id[:-1] + ID_CHECK_CHARS[(right + 1) % 11]


def wrong_uscc_check_char(uscc: str) -> str:
    right = USCC_CHARSET.index(uscc[-1])
    return uscc[:-1] + USCC_CHARSET[(right + 7) % len(USCC_CHARSET)]


def legacy_id(resident_id: str) -> str:
    """The 15-digit number issued before 1999: no century, no check character."""
    return resident_id[:6] + resident_id[8:17]


def traditional(name: str) -> str:
    return "".join(TRADITIONAL.get(char, char) for char in name)


def cn_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def market_register(companies: list[CompanyRecord], rng: random.Random) -> Delivery:
    """杭州市市场监督管理局 市场主体登记信息."""
    rows = [
        {
            "uscc": c.uscc,
            "name": c.name,
            "kind": COMPANY_KIND_WORDS[c.kind],
            "legal_representative": c.representative_name,
            "legal_representative_id": c.representative_id,
            "registered_on": c.registered_on.isoformat(),
            "address": c.address,
        }
        for c in companies
    ]
    delivery, dirt, n = Delivery(rows), Dirt(rows, rng), len(rows)
    for row in dirt.take(share(n, 0.01, 2)):
        row["uscc"] = wrong_uscc_check_char(row["uscc"])
        delivery.planted["uscc:uscc"] += 1
    for row in dirt.take(share(n, 0.005, 1)):
        row["legal_representative_id"] = None
        delivery.planted["required:legal_representative_id"] += 1
    for row in dirt.take(share(n, 0.005, 1)):
        row["legal_representative_id"] = wrong_check_char(row["legal_representative_id"])
        delivery.planted["resident_id:legal_representative_id"] += 1
    for number, row in enumerate(dirt.take(share(n, 0.01, 2))):
        registered = date.fromisoformat(row["registered_on"])
        # Typed by hand in a clerk's own way: 2019年3月5日 or 2019/03/05 where ISO dates belong.
        row["registered_on"] = cn_date(registered) if number % 2 == 0 else registered.strftime("%Y/%m/%d")
        delivery.planted["date:registered_on"] += 1
    for row in dirt.take(share(n, 0.005, 1)):
        row["address"] = None
        delivery.planted["required:address"] += 1
    for row in dirt.take(share(n, 0.005, 1)):
        row["kind"] = "有限责任公司"  # a legal form, not a kind of market entity
        delivery.planted["enum:kind"] += 1
    repeated = dirt.repeat(share(n, 0.005, 1))
    delivery.planted["unique:uscc"] += 2 * len(repeated)
    delivery.dirt.update({"repeated rows": len(repeated)})
    return delivery


def social_insurance(persons: list[PersonRecord], rng: random.Random) -> Delivery:
    """杭州市人力资源和社会保障局 社会保险参保人员信息."""
    rows = []
    for p in persons:
        start = max(date(p.birth_date.year + 18, p.birth_date.month, 1), date(1995, 1, 1))
        insured = start + timedelta(days=rng.randrange(max(1, (date(2024, 6, 30) - start).days)))
        rows.append({
            "resident_id": p.resident_id,
            "name": p.name,
            "gender": GENDER_WORDS[p.gender],
            "birth_date": p.birth_date.isoformat(),
            "insured_since": cn_date(insured),
            "monthly_base": f"{rng.randrange(MONTHLY_BASE_MIN, MONTHLY_BASE_MAX)}.00",
            "insurance_status": rng.choices(INSURANCE_STATUSES, weights=(90, 7, 3))[0],
        })
    delivery, dirt, n = Delivery(rows), Dirt(rows, rng), len(rows)
    for row in dirt.take(share(n, 0.008, 3)):
        row["resident_id"] = wrong_check_char(row["resident_id"])
        delivery.planted["resident_id:resident_id"] += 1
    for row in dirt.take(share(n, 0.003, 2), lambda row: row["resident_id"][6:8] == "19"):
        row["resident_id"] = legacy_id(row["resident_id"])
        delivery.planted["resident_id:resident_id"] += 1
        delivery.dirt["15-digit IDs"] += 1
    for row in dirt.take(share(n, 0.003, 1)):
        row["name"] = None
        delivery.planted["required:name"] += 1
    for row in dirt.take(share(n, 0.005, 2), lambda row: traditional(row["name"]) != row["name"]):
        row["name"] = traditional(row["name"])  # no rule sees it; the registry's matching must
        delivery.dirt["traditional names"] += 1
    for row in dirt.take(share(n, 0.005, 2)):
        row["insured_since"] = row["insured_since"].replace("年", "-").replace("月", "-").replace("日", "")
        delivery.planted["date:insured_since"] += 1
    for number, row in enumerate(dirt.take(share(n, 0.003, 2))):
        row["monthly_base"] = "3000.00" if number % 2 == 0 else "35000.00"
        delivery.planted["range:monthly_base"] += 1
    for row in dirt.take(share(n, 0.003, 1)):
        born = date.fromisoformat(row["birth_date"])
        row["birth_date"] = (born + timedelta(days=1)).isoformat()  # a slip of one day
        delivery.planted["birth_date_matches_id"] += 1
    for row in dirt.take(share(n, 0.002, 1)):
        row["gender"] = "未知"
        delivery.planted["enum:gender"] += 1
    repeated = dirt.repeat(share(n, 0.003, 2))
    delivery.planted["unique:resident_id"] += 2 * len(repeated)
    delivery.dirt["repeated rows"] = len(repeated)
    return delivery


def household_register(persons: list[PersonRecord], rng: random.Random) -> Delivery:
    """杭州市公安局 户籍人口基本信息."""
    rows = [
        {
            "resident_id": p.resident_id,
            "name": p.name,
            "gender": GENDER_WORDS[p.gender],
            "birth_date": p.birth_date.isoformat(),
            "division_code": p.county_code,
            "address": p.address,
            "mobile": p.mobile,
        }
        for p in persons
    ]
    delivery, dirt, n = Delivery(rows), Dirt(rows, rng), len(rows)
    for row in dirt.take(share(n, 0.005, 1)):
        row["resident_id"] = wrong_check_char(row["resident_id"])
        delivery.planted["resident_id:resident_id"] += 1
    for row in dirt.take(share(n, 0.01, 2)):
        row["address"] = None
        delivery.planted["required:address"] += 1
    for number, row in enumerate(dirt.take(share(n, 0.01, 2))):
        # A landline in the mobile column, or a number a digit short.
        row["mobile"] = "0571-8" + row["mobile"][-7:] if number % 2 == 0 else row["mobile"][:10]
        delivery.planted["mobile:mobile"] += 1
    for row in dirt.take(share(n, 0.005, 1)):
        row["division_code"] = row["division_code"][:4] + "O" + row["division_code"][5:]  # letter O for zero
        delivery.planted["division_code:division_code"] += 1
    for row in dirt.take(share(n, 0.005, 1)):
        row["gender"] = "女" if row["gender"] == "男" else "男"
        delivery.planted["gender_matches_id"] += 1
    for row in dirt.take(share(n, 0.005, 1), lambda row: traditional(row["name"]) != row["name"]):
        row["name"] = traditional(row["name"])
        delivery.dirt["traditional names"] += 1
    repeated = dirt.repeat(share(n, 0.005, 1))
    delivery.planted["unique:resident_id"] += 2 * len(repeated)
    delivery.dirt["repeated rows"] = len(repeated)
    return delivery


# --- Files ------------------------------------------------------------------------------------


def write_csv(path: Path, fields: list[str], rows: list[dict[str, Any]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return path


def write_json_lines(path: Path, fields: list[str], rows: list[dict[str, Any]], encoding: str) -> Path:
    with path.open("w", encoding=encoding) as handle:
        for row in rows:
            handle.write(json.dumps({name: row.get(name) for name in fields}, ensure_ascii=False) + "\n")
    return path


# --- The catalog entries ----------------------------------------------------------------------


def _field(name, title, type_="string", *, domain=None, masking=None, fmt=None, **constraints) -> dict:
    spec: dict[str, Any] = {"name": name, "title": title, "type": type_}
    if fmt:
        spec["format"] = fmt
    if domain:
        spec["domainType"] = domain
    if masking:
        spec["maskingKind"] = masking
    if constraints:
        spec["constraints"] = constraints
    return spec


@dataclass(frozen=True)
class DemoDataset:
    key: str
    department_kind: str
    title: str
    description: str
    keywords: tuple[str, ...]
    theme: str
    update_cycle: str
    share_type: str
    open_type: str
    sensitivity: str
    descriptor: dict
    rules: tuple[dict, ...]  # declared quality rules (rule_create keywords)
    file_name: str
    encoding: str
    writer: Callable[[Path, list[str], list[dict[str, Any]], str], Path]
    deliver: Callable[..., Delivery]
    source: str  # "companies" or "persons" or "hangzhou_persons"
    contact_name: str = ""
    contact_phone: str = ""


MARKET_REGISTER = DemoDataset(
    key="market_register",
    department_kind=DepartmentKind.MARKET_REGULATION,
    title="市场主体登记信息",
    description="本市登记的企业、个体工商户和农民专业合作社的登记信息，含统一社会信用代码、名称、类型、"
                "法定代表人（负责人）、成立日期和住所，每日更新。",
    keywords=("市场主体", "企业登记", "统一社会信用代码", "法定代表人"),
    theme="ECON",
    update_cycle="daily",
    share_type="unconditional",
    open_type="conditional",
    sensitivity="L2",
    descriptor={
        "fields": [
            _field("uscc", "统一社会信用代码", domain="uscc", masking="credit_code", required=True),
            _field("name", "主体名称", required=True),
            _field("kind", "主体类型", enum=list(COMPANY_KIND_WORDS.values())),
            _field("legal_representative", "法定代表人", masking="name"),
            _field("legal_representative_id", "法定代表人身份证号码", domain="resident_id", masking="resident_id",
                   required=True),
            _field("registered_on", "成立日期", "date"),
            _field("address", "住所", masking="plain", required=True),
        ],
        "primaryKey": ["uscc"],
        "missingValues": [""],
    },
    rules=(),
    file_name="市场主体登记信息.csv",
    encoding="utf-8-sig",
    writer=write_csv,
    deliver=market_register,
    source="companies",
    contact_name="杭州市市场监督管理局信息中心",
    contact_phone="0571-12315",
)

SOCIAL_INSURANCE = DemoDataset(
    key="social_insurance",
    department_kind=DepartmentKind.HUMAN_RESOURCES,
    title="社会保险参保人员信息",
    description="在本市参加职工基本养老保险的人员信息：身份证号码、姓名、性别、出生日期、参保日期、"
                "月缴费基数和参保状态，每月更新。",
    keywords=("社会保险", "参保", "养老保险", "缴费基数"),
    theme="SOCI",
    update_cycle="monthly",
    share_type="conditional",
    open_type="not_open",
    sensitivity="L3",
    descriptor={
        "fields": [
            _field("resident_id", "公民身份号码", domain="resident_id", masking="resident_id", required=True),
            _field("name", "姓名", masking="name", required=True),
            _field("gender", "性别", enum=["男", "女"]),
            _field("birth_date", "出生日期", "date"),
            _field("insured_since", "参保日期", "date", domain="cn_date", fmt=CN_DATE),
            _field("monthly_base", "月缴费基数（元）", "number", minimum=MONTHLY_BASE_MIN, maximum=MONTHLY_BASE_MAX),
            _field("insurance_status", "参保状态", enum=list(INSURANCE_STATUSES)),
        ],
        "primaryKey": ["resident_id"],
        "missingValues": [""],
    },
    rules=(
        {"code": "birth_date_matches_id", "kind": "consistency", "field": "resident_id",
         "params": {"check": "birth_date_matches_resident_id",
                    "fields": {"resident_id": "resident_id", "birth_date": "birth_date"}},
         "description": "出生日期与身份证号码中的出生日期一致"},
    ),
    file_name="社会保险参保人员信息.csv",
    encoding="gbk",
    writer=write_csv,
    deliver=social_insurance,
    source="persons",
    contact_name="杭州市社会保险管理服务中心",
    contact_phone="0571-12333",
)

HOUSEHOLD_REGISTER = DemoDataset(
    key="household_register",
    department_kind=DepartmentKind.PUBLIC_SECURITY,
    title="户籍人口基本信息",
    description="本市户籍人口的基本信息：身份证号码、姓名、性别、出生日期、户籍地行政区划、户籍地址和"
                "联系电话，每日更新。",
    keywords=("户籍", "人口", "身份证", "常住人口"),
    theme="SOCI",
    update_cycle="daily",
    share_type="conditional",
    open_type="not_open",
    sensitivity="L3",
    descriptor={
        "fields": [
            _field("resident_id", "公民身份号码", domain="resident_id", masking="resident_id", required=True),
            _field("name", "姓名", masking="name", required=True),
            _field("gender", "性别", enum=["男", "女"]),
            _field("birth_date", "出生日期", "date"),
            _field("division_code", "户籍地行政区划代码", domain="division_code"),
            _field("address", "户籍地址", masking="address", required=True),
            _field("mobile", "联系电话", domain="mobile", masking="mobile"),
        ],
        "primaryKey": ["resident_id"],
        "missingValues": [""],
    },
    rules=(
        {"code": "gender_matches_id", "kind": "consistency", "field": "resident_id",
         "params": {"check": "gender_matches_resident_id", "fields": {"resident_id": "resident_id", "gender": "gender"}},
         "description": "性别与身份证号码第十七位一致"},
    ),
    file_name="户籍人口基本信息.jsonl",
    encoding="utf-8",
    writer=write_json_lines,
    deliver=household_register,
    source="hangzhou_persons",
    contact_name="杭州市公安局人口管理支队",
    contact_phone="0571-110",
)

DEMO_DATASETS = (MARKET_REGISTER, SOCIAL_INSURANCE, HOUSEHOLD_REGISTER)
CITY_CODE = "330100"


# --- Reading the demo province ----------------------------------------------------------------


def _person(citizen: Citizen) -> PersonRecord:
    return PersonRecord(
        resident_id=citizen.resident_id,
        name=citizen.name,
        gender=citizen.gender,
        birth_date=citizen.birth_date,
        county_code=citizen.division.code,
        address=citizen.address,
        mobile=citizen.mobile,
    )


def persons_of_working_age() -> list[PersonRecord]:
    """Insured persons: born 1964-2006, wherever registered (people come to Hangzhou to work)."""
    citizens = (
        Citizen.objects.filter(birth_date__gte=date(1964, 7, 1), birth_date__lte=date(2006, 6, 30))
        .select_related("division").order_by("id")[:MAX_ROWS]
    )
    return [_person(c) for c in citizens]


def hangzhou_persons() -> list[PersonRecord]:
    citizens = Citizen.objects.filter(division__parent__code=CITY_CODE).select_related("division").order_by("id")
    return [_person(c) for c in citizens[:MAX_ROWS]]


def companies_registered() -> list[CompanyRecord]:
    """Every demo company: the demo has few, and market regulation's data officer in Hangzhou is
    the one who signs in to fix their problems."""
    companies = Company.objects.select_related("legal_representative").order_by("id")[:MAX_ROWS]
    return [
        CompanyRecord(
            uscc=c.uscc, name=c.name, kind=c.kind, representative_name=c.legal_representative.name,
            representative_id=c.legal_representative.resident_id, registered_on=c.registered_on, address=c.address,
        )
        for c in companies
    ]


SOURCES = {
    "companies": companies_registered,
    "persons": persons_of_working_age,
    "hangzhou_persons": hangzhou_persons,
}


def delivery_build(spec: DemoDataset, *, seed: int) -> Delivery:
    return spec.deliver(SOURCES[spec.source](), random.Random(f"{seed}:{spec.key}"))


# --- Building ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoDatasetBuilt:
    resource_code: str
    rows: int
    planted: dict[str, int]


def demo_dataset_register(*, actor: Actor, spec: DemoDataset):
    """The catalog entry (published), its table schema and its declared rules, through the
    catalog's services."""
    from zhengtong.data.catalog import services as catalog

    department = Department.objects.get(division__code=CITY_CODE, kind=spec.department_kind)
    dataset = catalog.dataset_create(
        actor=actor, title=spec.title, description=spec.description, owner_department_id=department.id,
        share_type=spec.share_type, open_type=spec.open_type, update_cycle=spec.update_cycle,
        sensitivity=spec.sensitivity, keywords=list(spec.keywords), theme=spec.theme,
        contact_name=spec.contact_name, contact_phone=spec.contact_phone,
    )
    catalog.schema_version_create(actor=actor, dataset=dataset, descriptor=spec.descriptor)
    for rule in spec.rules:
        catalog.rule_create(actor=actor, dataset=dataset, **rule)
    return catalog.dataset_publish(actor=actor, dataset=dataset)


def demo_datasets_build(*, seed: int, progress: bool = True) -> list[DemoDatasetBuilt]:
    from zhengtong.data.catalog.models import Dataset
    from zhengtong.data.ingest.public import load_run

    actor = Actor(kind="system")
    built = []
    with tempfile.TemporaryDirectory(prefix="zt-demo-datasets-") as folder:
        for spec in tqdm(DEMO_DATASETS, desc="datasets", unit="", disable=not progress):
            department = Department.objects.get(division__code=CITY_CODE, kind=spec.department_kind)
            existing = Dataset.objects.filter(owner_department=department, title=spec.title).first()
            if existing is not None:  # built before: leave it as it is
                built.append(DemoDatasetBuilt(existing.resource_code, 0, {}))
                continue
            delivery = delivery_build(spec, seed=seed)
            fields = [f["name"] for f in spec.descriptor["fields"]]
            path = spec.writer(Path(folder) / spec.file_name, fields, delivery.rows, spec.encoding)
            dataset = demo_dataset_register(actor=actor, spec=spec)
            load_run(actor=actor, resource_code=dataset.resource_code, source=str(path))
            built.append(DemoDatasetBuilt(dataset.resource_code, len(delivery.rows), dict(delivery.planted)))
    return built


def build_demo_datasets(*, seed: int, progress: bool = True) -> list[str]:
    """Register and load the demo departments' datasets; the resource codes loaded."""
    return [b.resource_code for b in demo_datasets_build(seed=seed, progress=progress)]
