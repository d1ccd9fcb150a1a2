"""Fixtures for data quality: the departments of a small province, their staff, datasets
registered through the catalog, loads announced the way ingest announces them, and a clock."""

import uuid
from datetime import date, datetime, time

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from tests.conftest import People, people_create
from zhengtong.data.catalog.public import DatasetRef, dataset_create
from zhengtong.data.quality import services as quality_services
from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.models import User
from zhengtong.kernel.loops import services as loop_services

PASSWORD = "Correct-horse-42"
CHINA = loop_services.CHINA

STAFF = {
    # name: (department code, roles)
    "ga_officer": ("330106-GA", ["data_officer"]),  # 西湖区公安局, owns the population dataset
    "ga_clerk": ("330106-GA", ["window_officer"]),  # same department, another post
    "sj_officer": ("330106-SJ", ["data_officer"]),  # 西湖区市场监督管理局
    "binjiang_ga_officer": ("330108-GA", ["data_officer"]),
    "xihu_dsj_admin": ("330106-DSJ", ["big_data_admin"]),
    "binjiang_dsj_admin": ("330108-DSJ", ["big_data_admin"]),
    "hangzhou_dsj_admin": ("330100-DSJ", ["big_data_admin"]),
    "hangzhou_leader": ("330100-BGT", ["leader"]),
    "ningbo_dsj_admin": ("330200-DSJ", ["big_data_admin"]),
}


@pytest.fixture(autouse=True)
def english():
    """Service messages in English; stored case texts are in the platform's language (Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_totp():
    # The second factor is identity's concern, tested there; these pages only need a staff login.
    with override_settings(STAFF_REQUIRE_TOTP=False):
        yield


class Clock:
    """Today in Beijing (10:00) for the loop and quality services: deadlines and times are exact."""

    def __init__(self, today: date):
        self.today = today

    def now(self) -> datetime:
        return datetime.combine(self.today, time(10, 0), tzinfo=CHINA)


@pytest.fixture
def clock(monkeypatch):
    # Monday 15 September 2025: ten working days of handling run to Sunday 28 September (调休).
    clock = Clock(date(2025, 9, 15))
    monkeypatch.setattr(loop_services, "now", clock.now)
    monkeypatch.setattr(quality_services, "now", clock.now)
    return clock


@pytest.fixture
def people(departments) -> People:
    people = people_create(STAFF)
    people.users["orphan_staff"] = User.objects.create_user("orphan_staff", PASSWORD, kind="staff")
    return people


@pytest.fixture
def make_dataset(people, departments):
    """Register a dataset through the catalog, as the owner department's data officer would."""

    def make(title: str, *, department: str = "330106-GA", officer: str = "ga_officer",
             update_cycle: str = "daily", resource_code: str | None = None) -> DatasetRef:
        return dataset_create(
            actor=people.actor(officer), resource_code=resource_code, title=title, description=f"{title}（测试）",
            owner_department_id=departments[department].id, share_type="conditional", open_type="not_open",
            update_cycle=update_cycle, sensitivity="L3",
        )

    return make


@pytest.fixture
def population(make_dataset) -> DatasetRef:
    return make_dataset("户籍人口基本信息", resource_code="330106-GA-00001")


def load_payload(dataset: DatasetRef, *, load_id: str, version: int, rows: int, problem_rows: int,
                 rules: dict[str, int]) -> dict:
    """The "ingest.load_succeeded" payload, rules given as {code "<kind>:<field>": failed rows}."""
    return {
        "load_id": load_id,
        "dataset_id": dataset.id,
        "dataset_public_id": str(dataset.public_id),
        "version": version,
        "rows": rows,
        "problem_rows": problem_rows,
        "rules": {
            code: {"kind": code.split(":")[0], "field": code.split(":")[1] if ":" in code else "", "failed": failed}
            for code, failed in rules.items()
        },
    }


@pytest.fixture
def run_worker():
    """Run the real django-tasks database worker until no task is ready, as production would."""

    def run() -> None:
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    return run


@pytest.fixture
def announce(run_worker):
    """Announce a load as ingest does (an event in the load's transaction), then run the worker."""

    def announce_load(payload: dict) -> uuid.UUID:
        with transaction.atomic():
            event_id = publish("ingest.load_succeeded", payload)
        run_worker()
        return event_id

    return announce_load


@pytest.fixture
def record():
    """Record a load directly through the service, at a chosen time (for timeliness)."""

    def record_load(payload: dict, at: datetime):
        return quality_services.load_record(event_id=uuid.uuid4(), payload=payload, occurred_at=at)

    return record_load


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=CHINA)


DIRTY = {"required:name": 4, "resident_id:id_number": 12, "mobile:mobile": 0, "unique:id_number": 2}


@pytest.fixture
def loaded(record, make_dataset, population):
    """Loads of five datasets of four departments of Hangzhou (see the numbers in each test)."""
    record(load_payload(population, load_id="L1", version=1, rows=200, problem_rows=16, rules=DIRTY),
           at(date(2025, 9, 10)))
    record(load_payload(population, load_id="L2", version=2, rows=200, problem_rows=12,
                        rules={**DIRTY, "required:name": 0, "unique:id_number": 0}), at(date(2025, 9, 11)))
    floating = make_dataset("流动人口登记", resource_code="330106-GA-00002")
    record(load_payload(floating, load_id="F1", version=1, rows=800, problem_rows=4,
                        rules={"mobile:mobile": 4, "required:name": 0}), at(date(2025, 9, 11)))
    companies = make_dataset("企业登记信息", department="330106-SJ", officer="sj_officer")
    record(load_payload(companies, load_id="C1", version=1, rows=1000, problem_rows=0,
                        rules={"uscc:uscc": 0, "required:name": 0}), at(date(2025, 9, 11)))
    binjiang = make_dataset("滨江户籍人口", department="330108-GA", officer="binjiang_ga_officer")
    record(load_payload(binjiang, load_id="B1", version=1, rows=100, problem_rows=50,
                        rules={"required:name": 50}), at(date(2025, 9, 11)))
    return {"population": population, "floating": floating, "companies": companies, "binjiang": binjiang}
