"""Fixtures for ingest: a lake of its own per test, datasets in the catalog, the people loading."""

import hashlib
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from tests.conftest import People, people_create
from zhengtong.data.catalog.models import Dataset, QualityRule, TableSchema
from zhengtong.data.catalog.public import RuleSpec, SchemaSpec, rules_for, schema_current
from zhengtong.kernel.identity.models import User
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.models import Department

PASSWORD = "Correct-horse-42"
SYSTEM = Actor(kind="system")

# A person table as a public-security department would hold it.
PERSON_SCHEMA = {
    "fields": [
        {"name": "resident_id", "title": "公民身份号码", "type": "string", "domainType": "resident_id",
         "maskingKind": "resident_id", "constraints": {"required": True}},
        {"name": "name", "title": "姓名", "type": "string", "maskingKind": "name", "constraints": {"required": True}},
        {"name": "birth_date", "title": "出生日期", "type": "date", "format": "%Y年%m月%d日", "maskingKind": "plain"},
        {"name": "gender", "title": "性别", "type": "string", "maskingKind": "plain",
         "constraints": {"enum": ["男", "女"]}},
        {"name": "mobile", "title": "手机号码", "type": "string", "domainType": "mobile", "maskingKind": "mobile"},
        {"name": "amount", "title": "补贴金额", "type": "number", "maskingKind": "plain",
         "constraints": {"minimum": 0, "maximum": 1000}},
    ],
    "primaryKey": "resident_id",
}
PERSON_HEADER = "resident_id,name,birth_date,gender,mobile,amount"

STAFF = {
    "ga_officer": ("330106-GA", ["data_officer"]),
    "ga_clerk": ("330106-GA", ["window_officer"]),
    "binjiang_ga_officer": ("330108-GA", ["data_officer"]),
}


@pytest.fixture(autouse=True)
def english():
    """Errors are compared in English; tests of the Chinese text switch explicitly."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def lake(tmp_path, settings) -> Path:
    """A lake and an upload folder of the test's own."""
    root = tmp_path / "lake"
    settings.LAKE_URL = root.as_uri()
    settings.INGEST_UPLOAD_DIR = str(tmp_path / "uploads")
    return root


@pytest.fixture(autouse=True)
def no_totp():
    with override_settings(STAFF_REQUIRE_TOTP=False):
        yield


@pytest.fixture
def people(small_province) -> People:
    people = people_create(STAFF, citizens={})
    people.users["superuser"] = User.objects.create_superuser("root", PASSWORD, kind="staff")
    return people


def dataset_make(resource_code: str, descriptor: dict, *, department: str = "330106-GA",
                 rules: tuple[dict, ...] = ()) -> Dataset:
    """A dataset straight in the catalog's tables (the catalog's services are tested there)."""
    dataset = Dataset.objects.create(
        resource_code=resource_code, title=f"测试数据集 {resource_code}", description="测试",
        owner_department=Department.objects.get(code=department), share_type="conditional",
        open_type="not_open", update_cycle="daily", sensitivity="L3",
    )
    TableSchema.objects.create(dataset=dataset, version=1, descriptor=descriptor)
    for rule in rules:
        QualityRule.objects.create(dataset=dataset, **rule)
    return dataset


@pytest.fixture
def persons(small_province) -> Dataset:
    return dataset_make("330106-GA-00001", PERSON_SCHEMA)


def spec_of(dataset: Dataset) -> tuple[SchemaSpec, list[RuleSpec]]:
    return schema_current(dataset.id), rules_for(dataset.id)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def lake_snapshot(root: Path) -> dict[str, str]:
    """Every file under the lake (lock files aside) and its hash: what a refused load must leave."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"
    }


@pytest.fixture
def run_worker():
    """The real django-tasks database worker, until no task is ready."""

    def run() -> None:
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    return run


def rid(division: str, born: str, sequence: str) -> str:
    """A resident ID with the right check character."""
    from zhengtong.kernel.ids.public import resident_id_check_char

    body = f"{division}{born}{sequence}"
    return body + resident_id_check_char(body)


def rid_bad(division: str, born: str, sequence: str) -> str:
    """The same with a wrong check character."""
    good = rid(division, born, sequence)
    wrong = "10X98765432"[("10X98765432".index(good[-1]) + 1) % 11]
    return good[:-1] + wrong
