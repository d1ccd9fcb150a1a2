"""Fixtures for the catalog: the people of a small province, dataset factories through the services,
and a snapshot of everything a refused call must leave unchanged."""


import pytest
from django.utils import translation

from tests.conftest import People, people_create
from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.identity.models import User
from zhengtong.kernel.search.models import SearchDocument
from zhengtong.data.catalog import services
from zhengtong.data.catalog.models import Dataset, DatasetChange, QualityRule, ResourceCodeSequence, TableSchema

PASSWORD = "Correct-horse-42"

STAFF = {
    # name: (department code, roles)
    "xihu_ga_officer": ("330106-GA", ["data_officer"]),  # 杭州市西湖区公安分局
    "xihu_ga_caseworker": ("330106-GA", ["case_officer"]),  # same department, not a data officer
    "xihu_mz_officer": ("330106-MZ", ["data_officer"]),  # another department of the same district
    "binjiang_ga_officer": ("330108-GA", ["data_officer"]),
    "province_dsj_admin": ("330000-DSJ", ["big_data_admin"]),
    "ningbo_dsj_admin": ("330200-DSJ", ["big_data_admin"]),  # governs Ningbo's departments only
    "hangzhou_dsj_admin": ("330100-DSJ", ["big_data_admin"]),  # governs Hangzhou's, Xihu's and Binjiang's
}

PERSON_SCHEMA = {
    "fields": [
        {"name": "id_number", "title": "公民身份号码", "type": "string", "domainType": "resident_id",
         "maskingKind": "resident_id", "constraints": {"required": True, "unique": True}},
        {"name": "name", "title": "姓名", "type": "string", "maskingKind": "name", "constraints": {"required": True}},
        {"name": "birth_date", "title": "出生日期", "type": "date"},
        {"name": "gender", "title": "性别", "type": "string", "constraints": {"enum": ["男", "女"]}},
        {"name": "mobile", "title": "手机号码", "type": "string", "domainType": "mobile", "maskingKind": "mobile"},
        {"name": "reg_date", "title": "登记日期", "type": "date", "domainType": "cn_date", "format": "%Y年%m月%d日"},
        {"name": "allowance", "title": "补贴金额", "type": "number", "constraints": {"minimum": 0, "maximum": 100000}},
    ],
    "primaryKey": ["id_number"],
    "missingValues": [""],
}


@pytest.fixture(autouse=True)
def english():
    """Service messages are compared in English; the Chinese tests switch explicitly."""
    with translation.override("en"):
        yield


@pytest.fixture
def people(departments) -> People:
    people = people_create(STAFF)
    people.users["root"] = User.objects.create_superuser("root", PASSWORD)
    return people


def base_fields(departments, **overrides) -> dict:
    fields = dict(
        title="户籍人口基本信息",
        description="西湖区户籍人口的姓名、公民身份号码、出生日期和住址。",
        owner_department_id=departments["330106-GA"].id,
        share_type="conditional",
        open_type="not_open",
        update_cycle="daily",
        grade="important",
        sensitivity="L3",
        keywords=["户籍", "人口"],
        theme="SOCI",
    )
    fields.update(overrides)
    return fields


@pytest.fixture
def make_dataset(people, departments, django_capture_on_commit_callbacks):
    """Register (and optionally describe and publish) a dataset through the services, running the
    after-commit indexing as a real commit would."""

    def make(actor="xihu_ga_officer", *, schema=None, publish=False, **overrides) -> Dataset:
        who = people.actor(actor)
        with django_capture_on_commit_callbacks(execute=True):
            dataset = services.dataset_create(actor=who, **base_fields(departments, **overrides))
            if schema is not None:
                services.schema_version_create(actor=who, dataset=dataset, descriptor=schema)
            if publish:
                services.dataset_publish(actor=who, dataset=dataset)
        return Dataset.objects.get(pk=dataset.pk)

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service call with its after-commit work (search indexing) done."""

    def run(func, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(**kwargs)

    return run


@pytest.fixture
def snapshot():
    """Everything a refused call must leave as it was."""

    def take() -> tuple:
        return (
            list(Dataset.objects.order_by("id").values()),
            list(TableSchema.objects.order_by("id").values()),
            list(QualityRule.objects.order_by("id").values()),
            list(DatasetChange.objects.order_by("id").values()),
            list(ResourceCodeSequence.objects.order_by("id").values()),
            list(SearchDocument.objects.order_by("id").values()),
            OutboxEvent.objects.count(),
        )

    return take
