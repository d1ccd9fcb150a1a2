"""GET /api/v1/quality/datasets/<public_id>/ and /api/v1/quality/departments/<id>/, scoped."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from zhengtong.data.quality.models import ProblemLoop

from .conftest import at, load_payload
from .test_pages import more_loads

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def api():
    return APIClient()


def dataset_url(dataset) -> str:
    return f"/api/v1/quality/datasets/{dataset.public_id}/"


def department_url(department) -> str:
    return f"/api/v1/quality/departments/{department.id}/"


def test_dataset_quality(api, people, departments, loaded):
    population = loaded["population"]
    api.force_authenticate(people.users["ga_officer"])
    response = api.get(dataset_url(population), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()

    problem = ProblemLoop.objects.get(dataset_id=population.id, closed_at__isnull=True)
    assert {key: body[key] for key in ("public_id", "resource_code", "title", "update_cycle", "allowed_days")} == {
        "public_id": str(population.public_id), "resource_code": "330106-GA-00001", "title": "户籍人口基本信息",
        "update_cycle": "daily", "allowed_days": 1,
    }
    ga = departments["330106-GA"]
    assert body["owner_department"] == {"id": ga.id, "code": "330106-GA", "name": "西湖区公安局", "division_code": "330106"}
    assert body["latest"] == {
        "load_id": "L2", "version": 2, "rows": 200, "problem_rows": 12, "problem_ratio": 0.06,
        "completeness": 100.0, "validity": 97.0, "consistency": None, "uniqueness": 100.0, "timeliness": 100.0,
        "overall": 99.25, "on_time": True, "loaded_at": "2025-09-11T09:00:00+08:00",
    }
    assert body["rules"][0] == {
        "code": "resident_id:id_number", "kind": "resident_id", "kind_label": "Validity: resident ID check digit",
        "dimension": "validity", "field": "id_number", "failed": 12, "failed_ratio": 0.06,
    }
    assert [snapshot["load_id"] for snapshot in body["trend"]] == ["L1", "L2"]
    assert body["open_problems"] == [{
        "case": str(problem.case_id), "dataset": str(population.public_id), "dataset_title": "户籍人口基本信息",
        "rule_code": "resident_id:id_number", "rule_kind": "resident_id", "field": "id_number", "count": 12,
        "rows": 200, "opened_at": "2025-09-15T10:00:00+08:00", "updated_at": "2025-09-15T10:00:00+08:00",
    }]


def test_department_quality(api, people, departments, loaded):
    api.force_authenticate(people.users["hangzhou_leader"])
    response = api.get(department_url(departments["330106-GA"]))
    assert response.status_code == 200
    body = response.json()

    assert {key: body[key] for key in ("rows", "problem_rows", "problem_ratio", "score", "loops")} == {
        "rows": 1000, "problem_rows": 16, "problem_ratio": 0.016, "score": 99.54,
        "loops": {"total": 4, "open": 2, "closed": 2, "overdue": 0, "on_time_rate": 1.0},
    }
    assert [(d["resource_code"], d["latest"]["overall"], d["open_problems"]) for d in body["datasets"]] == [
        ("330106-GA-00001", 99.25, 1), ("330106-GA-00002", 99.83, 1),
    ]
    assert [p["rule_code"] for p in body["open_problems"]] == ["resident_id:id_number", "mobile:mobile"]


def test_callers_who_may_not_see_are_refused_and_unknown_records_not_found(api, people, departments, loaded):
    population, ga = loaded["population"], departments["330106-GA"]
    assert api.get(dataset_url(population)).status_code == 401
    assert api.get(department_url(ga)).status_code == 401
    for name in ("binjiang_ga_officer", "ningbo_dsj_admin", "citizen", "orphan_staff"):
        api.force_authenticate(people.users[name])
        assert (api.get(dataset_url(population)).status_code, api.get(department_url(ga)).status_code) == (403, 403)
    api.force_authenticate(people.users["hangzhou_dsj_admin"])
    assert api.get("/api/v1/quality/datasets/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert api.get("/api/v1/quality/departments/999999/").status_code == 404


def test_department_api_queries_do_not_grow_with_datasets(
    api, people, departments, record, make_dataset, django_assert_max_num_queries
):
    more_loads(record, make_dataset, 2, start=10)
    api.force_authenticate(people.users["ga_officer"])
    url = department_url(departments["330106-GA"])
    with django_assert_max_num_queries(20) as few:
        assert api.get(url).status_code == 200
    more_loads(record, make_dataset, 10, start=20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(url)
    assert len(response.json()["datasets"]) == 12


def test_dataset_api_queries_do_not_grow_with_loads(api, people, population, record, django_assert_max_num_queries):
    record(load_payload(population, load_id="L1", version=1, rows=10, problem_rows=1, rules={"required:name": 1}),
           at(date(2025, 9, 1)))
    api.force_authenticate(people.users["ga_officer"])
    with django_assert_max_num_queries(20) as few:
        assert api.get(dataset_url(population)).status_code == 200
    for number in range(2, 10):
        record(load_payload(population, load_id=f"L{number}", version=number, rows=10, problem_rows=1,
                            rules={"required:name": 1, f"enum:f{number}": 0}), at(date(2025, 9, number)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(dataset_url(population)).json()["trend"]) == 9
