"""Fixtures for the registries: Xihu's departments and staff, three departmental datasets
registered through the catalog and loaded through ingest, the registry's sources over them, and a
scripted linkage engine for the cases real data cannot provoke on demand (merges, splits, pairs
for review)."""

import csv
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import override_settings
from django.utils import timezone, translation

from tests.conftest import People, people_create
from zhengtong.data.catalog.public import dataset_create, dataset_publish, schema_version_create
from zhengtong.data.ingest.public import load_run
from zhengtong.data.registry import services
from zhengtong.data.registry.linkage.spec import COMPANY_ATTRIBUTES, PERSON_ATTRIBUTES, LinkageResult
from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ids.public import resident_id_check_char
from zhengtong.kernel.ledger.models import LedgerLeaf

PASSWORD = "Correct-horse-42"
SYSTEM = Actor(kind="system")

STAFF = {
    # name: (department code, roles)
    "ga_officer": ("330106-GA", ["data_officer"]),  # 西湖区公安局, owns the household register
    "ga_clerk": ("330106-GA", ["window_officer"]),
    "rs_officer": ("330106-RS", ["data_officer"]),  # 西湖区人社局, owns social insurance
    "sj_officer": ("330106-SJ", ["data_officer"]),  # 西湖区市场监管局, owns the market register
    "xihu_dsj_admin": ("330106-DSJ", ["big_data_admin"]),
    "ningbo_ga_officer": ("330200-GA", ["data_officer"]),  # feeds no registry
}


def resident_id(county: str, birth: str, sequence: str) -> str:
    body = f"{county}{birth}{sequence}"
    return body + resident_id_check_char(body)


# Persons of Xihu (330106): valid IDs, and what each department holds of them.
CHEN = resident_id("330106", "19771211", "679")  # male (odd 17th digit)
WANG = resident_id("330106", "19850302", "024")
LI = resident_id("330106", "19600715", "135")  # born before 1999's IDs: has a 15-digit legacy ID
ZHAO = resident_id("330106", "19920520", "046")
LI_LEGACY = LI[:6] + LI[8:17]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_totp():
    with override_settings(STAFF_REQUIRE_TOTP=False):
        yield


@pytest.fixture(autouse=True)
def runs_dir(tmp_path):
    with override_settings(REGISTRY_RUNS_DIR=tmp_path / "runs"):
        yield


@pytest.fixture
def people(departments) -> People:
    return people_create(STAFF)


def _field(name, title, type_="string", **extra):
    return {"name": name, "title": title, "type": type_, **extra}


DATASETS = {
    "hukou": dict(
        resource_code="330106-GA-00001", department="330106-GA", title="户籍人口基本信息", sensitivity="L3",
        fields=[_field("resident_id", "公民身份号码"), _field("name", "姓名"), _field("gender", "性别"),
                _field("birth_date", "出生日期", "date"), _field("address", "户籍地址"), _field("mobile", "联系电话")],
        key="resident_id",
    ),
    "shebao": dict(
        resource_code="330106-RS-00001", department="330106-RS", title="社会保险参保人员信息", sensitivity="L3",
        fields=[_field("resident_id", "公民身份号码"), _field("name", "姓名"), _field("gender", "性别"),
                _field("birth_date", "出生日期", "date"), _field("mobile", "手机号码")],
        key="resident_id",
    ),
    "shichang": dict(
        resource_code="330106-SJ-00001", department="330106-SJ", title="市场主体登记信息", sensitivity="L2",
        fields=[_field("uscc", "统一社会信用代码"), _field("name", "主体名称"), _field("legal_representative", "法定代表人"),
                _field("registered_on", "成立日期", "date"), _field("address", "住所")],
        key="uscc",
    ),
}

HUKOU_ROWS = [
    {"resident_id": CHEN, "name": "陈梅", "gender": "男", "birth_date": "1977-12-11",
     "address": "浙江省杭州市西湖区文三路90号1幢101室", "mobile": "13812345678"},
    {"resident_id": WANG, "name": "王芳", "gender": "女", "birth_date": "1985-03-02",
     "address": "浙江省杭州市西湖区天目山路8号2幢302室", "mobile": "13987654321"},
    {"resident_id": LI, "name": "李国强", "gender": "男", "birth_date": "1960-07-15",
     "address": "浙江省杭州市西湖区古墩路7号5幢501室", "mobile": "13700001111"},
]
SHEBAO_ROWS = [
    # The same Chen, his name in traditional characters and a newer phone he declared.
    {"resident_id": CHEN, "name": "陳梅", "gender": "男", "birth_date": "1977-12-11", "mobile": "15900002222"},
    # Li under his 15-digit ID from before 1999.
    {"resident_id": LI_LEGACY, "name": "李国强", "gender": "男", "birth_date": "1960-07-15", "mobile": ""},
    # Zhao works in Xihu but is not in its household register.
    {"resident_id": ZHAO, "name": "赵敏", "gender": "女", "birth_date": "1992-05-20", "mobile": "18655554444"},
]
MARKET_ROWS = [
    {"uscc": "91330106MA2B0R9X4K", "name": "杭州西湖数据有限公司", "legal_representative": "陈梅",
     "registered_on": "2019-03-05", "address": "浙江省杭州市西湖区文一西路1号"},
    {"uscc": "91110000600037341L", "name": "北京某某科技有限公司", "legal_representative": "王芳",
     "registered_on": "2001-06-01", "address": "北京市海淀区中关村大街1号"},
]


@dataclass
class Loaded:
    tmp: Path

    def load(self, source: str, rows: list[dict]) -> None:
        """A new version of the source's dataset with exactly these rows (a full load)."""
        spec = DATASETS[source]
        path = self.tmp / f"{source}-{len(list(self.tmp.glob(source + '-*')))}.csv"
        names = [f["name"] for f in spec["fields"]]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=names)
            writer.writeheader()
            writer.writerows(rows)
        load_run(actor=SYSTEM, resource_code=spec["resource_code"], source=str(path))


@pytest.fixture
def sources(departments, tmp_path) -> Loaded:
    """The three datasets, loaded once, used as registry sources (the household register the
    source of truth for identity, social insurance verified for ID and name, mobile self-declared;
    the market register the source of truth for companies)."""
    for name, spec in DATASETS.items():
        dataset_create(
            actor=SYSTEM, resource_code=spec["resource_code"], title=spec["title"], description=spec["title"],
            owner_department_id=departments[spec["department"]].id, share_type="conditional",
            open_type="not_open", update_cycle="daily", sensitivity=spec["sensitivity"],
        )
        schema_version_create(actor=SYSTEM, resource_code=spec["resource_code"],
                              descriptor={"fields": spec["fields"], "missingValues": [""]})
        dataset_publish(actor=SYSTEM, resource_code=spec["resource_code"])
    loaded = Loaded(tmp_path / "files")
    loaded.tmp.mkdir()
    loaded.load("hukou", HUKOU_ROWS)
    loaded.load("shebao", SHEBAO_ROWS)
    loaded.load("shichang", MARKET_ROWS)
    identity = ["resident_id", "name", "birth_date", "gender", "address"]
    services.source_register(
        actor=SYSTEM, kind="person", resource_code="330106-GA-00001", name="hukou", key_column="resident_id",
        columns={a: a for a in [*identity, "mobile"]}, authoritative_for=identity, verified_attributes=identity,
    )
    services.source_register(
        actor=SYSTEM, kind="person", resource_code="330106-RS-00001", name="shebao", key_column="resident_id",
        columns={a: a for a in ["resident_id", "name", "gender", "birth_date", "mobile"]},
        verified_attributes=["resident_id", "name"],
    )
    company = ["uscc", "name", "legal_representative", "address"]
    services.source_register(
        actor=SYSTEM, kind="company", resource_code="330106-SJ-00001", name="shichang", key_column="uscc",
        columns={**{a: a for a in company}, "established_on": "registered_on"},
        authoritative_for=[*company, "established_on"], verified_attributes=[*company, "established_on"],
    )
    return loaded


def run(kind: str = "person"):
    return services.registry_run(actor=SYSTEM, kind=kind)


def events(name: str = services.GOLDEN_RECORD_CHANGED) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(name=name).order_by("occurred_at", "id")]


def ledger(kind: str) -> list[tuple[str, str, dict]]:
    """The ledger's entries of a kind: (subject, actor, payload), oldest first."""
    return [(leaf.subject, leaf.actor, json.loads(leaf.body)["payload"])
            for leaf in LedgerLeaf.objects.filter(kind=kind).order_by("id")]


# --- the scripted engine -------------------------------------------------------------------------


class ScriptedEngine:
    """Stands in for linkage_run: writes the outputs it is told to, and keeps the decisions it
    was handed, so the registry's own logic (ids, merges, splits, review) is tested exactly."""

    def __init__(self):
        self.records: dict[str, dict] = {}
        self.clusters: list[list[str]] = []
        self.review: list[tuple[str, str, float]] = []
        self.decisions: list[tuple] = []

    def script(self, *, records: dict[str, dict], clusters: list[list[str]],
               review: list[tuple[str, str, float]] = ()) -> None:
        self.records, self.clusters, self.review = records, clusters, list(review)

    def __call__(self, config, *, decisions=(), progress=None) -> LinkageResult:
        self.decisions.append(tuple(decisions))
        attributes = PERSON_ATTRIBUTES if config.kind == "person" else COMPANY_ATTRIBUTES
        output = Path(config.output)
        output.mkdir(parents=True, exist_ok=True)
        rows = [{"record_id": rid, "source": rid.split(":")[0], "source_key": rid.split(":", 1)[1],
                 **{a: values.get(a) for a in attributes}, "id_valid": True, "id_converted": False}
                for rid, values in self.records.items()]
        pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema(
            [("record_id", pa.string()), ("source", pa.string()), ("source_key", pa.string())]
            + [(a, pa.string()) for a in attributes] + [("id_valid", pa.bool_()), ("id_converted", pa.bool_())]
        )), output / "records.parquet")
        cluster_rows = [{"record_id": rid, "cluster_id": min(cluster)} for cluster in self.clusters for rid in cluster]
        pq.write_table(pa.Table.from_pylist(cluster_rows, schema=pa.schema(
            [("record_id", pa.string()), ("cluster_id", pa.string())])), output / "clusters.parquet")
        pair_rows = [{"left_record_id": left, "right_record_id": right, "match_probability": p,
                      "match_pass": "probabilistic", "status": "review"} for left, right, p in self.review]
        pq.write_table(pa.Table.from_pylist(pair_rows, schema=pa.schema(
            [("left_record_id", pa.string()), ("right_record_id", pa.string()), ("match_probability", pa.float64()),
             ("match_pass", pa.string()), ("status", pa.string())])), output / "pairs.parquet")
        return LinkageResult(output=output, records=len(rows), pairs_linked=0, pairs_for_review=len(self.review),
                             clusters=len(self.clusters), seconds=0.01)


@pytest.fixture
def engine(monkeypatch) -> ScriptedEngine:
    scripted = ScriptedEngine()
    monkeypatch.setattr(services, "linkage_run", scripted)
    return scripted


def person(name: str, rid: str, birth: str = "1977-12-11", **more) -> dict:
    return {"resident_id": rid, "name": name, "birth_date": birth, "gender": "M", **more}


def later(days: int = 1):
    return timezone.now() + timedelta(days=days)
