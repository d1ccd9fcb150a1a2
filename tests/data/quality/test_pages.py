"""The quality pages: my department, another department (for supervisors), one dataset."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from zhengtong.data.quality.models import ProblemLoop

from .conftest import at, load_payload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

OVERVIEW = reverse("quality:overview")


def page(client, people, name, url, language="en"):
    client.force_login(people.users[name])
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def text(response) -> str:
    """The page's visible text, tags dropped and white space folded, for exact phrases."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_my_department_page_shows_scores_datasets_and_links_to_the_open_loops(client, people, loaded):
    response = page(client, people, "ga_officer", OVERVIEW)
    assert response.status_code == 200
    body, html = text(response), response.content.decode()

    assert "Quality score 99.54 Problem-data ratio 1.60% On-time rectification rate 100% Open problems 2 Overdue 0" in body
    assert "16 of 1000 rows in the datasets' latest loads fail at least one rule." in body
    assert "户籍人口基本信息 330106-GA-00001 Version 2" in body and " 200 6.00% 99.25 1 " in body
    assert "流动人口登记 330106-GA-00002 Version 1" in body and " 800 0.50% 99.83 1 " in body
    for problem in ProblemLoop.objects.filter(closed_at__isnull=True, department__code="330106-GA"):
        assert f'href="/workspace/loops/{problem.case_id}/"' in html
    assert "Rule resident_id:id_number 户籍人口基本信息 12 failing rows" in body
    assert f'href="/workspace/quality/datasets/{loaded["population"].public_id}/"' in html
    # Staff of a department see their own department, not the race.
    assert "Department ranking by data quality" not in body


def test_the_page_is_in_chinese_by_default(client, people, loaded):
    response = page(client, people, "ga_officer", OVERVIEW, language="zh-hans")
    body = text(response)
    assert "<h1>数据质量</h1>" in response.content.decode()
    assert "质量得分 99.54 问题数据率 1.60% 按期整改率 100% 未办结问题 2 已逾期 0" in body
    assert "规则 resident_id:id_number 户籍人口基本信息 12 行不符合" in body


def test_big_data_administrators_see_the_ranking_and_each_department(client, people, departments, loaded):
    response = page(client, people, "hangzhou_dsj_admin", OVERVIEW)
    body, html = text(response), response.content.decode()
    assert "Department ranking by data quality" in body
    assert "1 西湖区市场监督管理局 100.00 0.00% 1 0 —" in body
    assert "2 西湖区公安局 99.54 1.60% 2 2 100%" in body
    assert "3 滨江区公安局 75.00 50.00% 1 1 —" in body
    # Their own department (the city's bureau) has loaded nothing.
    assert "No data of the department has been loaded yet." in body

    department_url = reverse("quality:department", kwargs={"department_id": departments["330108-GA"].id})
    assert f'href="{department_url}"' in html
    response = client.get(department_url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Data quality of 滨江区公安局" in text(response)
    assert "Quality score 75.00 Problem-data ratio 50.00%" in text(response)


def test_another_department_s_page_is_refused_and_an_unknown_one_not_found(client, people, departments, loaded):
    binjiang = reverse("quality:department", kwargs={"department_id": departments["330108-GA"].id})
    assert page(client, people, "ga_officer", binjiang).status_code == 403
    assert page(client, people, "ga_officer", reverse("quality:department", kwargs={"department_id": 999_999})).status_code == 404


def test_dataset_page_shows_rules_trend_table_and_chart(client, people, loaded):
    url = reverse("quality:dataset", kwargs={"public_id": loaded["population"].public_id})
    response = page(client, people, "ga_officer", url)
    assert response.status_code == 200
    body, html = text(response), response.content.decode()

    assert "Data quality of 户籍人口基本信息" in body
    assert "Problem-data ratio 6.00% (12 of 200 rows)" in body
    assert "Completeness 100.00 Validity 97.00 Consistency Not measured Uniqueness 100.00 Timeliness 100.00 Overall 99.25" in body
    assert "resident_id:id_number Validity: resident ID check digit id_number 12 6.00%" in body
    assert "required:name Completeness: value present name 0 0.00%" in body
    # The trend as a table, oldest first, and as an inline SVG with a text alternative.
    assert "The latest 2 loads, oldest first" in body
    assert re.search(r"1 2025-09-10 09:00 200 16 8.00% 98.50 2 2025-09-11 09:00 200 12 6.00% 99.25", body)
    assert '<svg viewBox="0 0 640 220" width="100%" role="img" aria-labelledby="trend-chart-title trend-chart-desc"' in html
    assert "From 8.00% to 6.00%; the table below gives every load." in body
    assert html.count("<circle ") == 2
    assert "Rule resident_id:id_number" in body


def test_dataset_page_of_a_dataset_never_loaded(client, people, make_dataset):
    dataset = make_dataset("新登记的数据集", update_cycle="irregular")
    response = page(client, people, "ga_officer", reverse("quality:dataset", kwargs={"public_id": dataset.public_id}))
    assert response.status_code == 200
    body = text(response)
    assert "Update cycle Irregular: no timeliness check" in body
    assert "No data of this dataset has been loaded yet." in body and "No open problems." in body
    assert "<svg" not in response.content.decode()


def test_dataset_page_refuses_others_and_does_not_find_unknown_datasets(client, people, loaded):
    url = reverse("quality:dataset", kwargs={"public_id": loaded["population"].public_id})
    assert page(client, people, "binjiang_ga_officer", url).status_code == 403
    assert page(client, people, "xihu_dsj_admin", url).status_code == 200
    unknown = reverse("quality:dataset", kwargs={"public_id": "00000000-0000-4000-8000-000000000000"})
    assert page(client, people, "ga_officer", unknown).status_code == 404


def test_citizens_and_visitors_are_sent_to_the_staff_login(client, people):
    assert client.get(OVERVIEW).status_code == 302
    client.force_login(people.users["citizen"])
    assert client.get(OVERVIEW)["Location"].startswith(reverse("identity:staff-login"))


def test_staff_without_a_department_see_an_explanation(client, people):
    body = text(page(client, people, "orphan_staff", OVERVIEW))
    assert "You are not assigned to a department, so there is no department data quality to show." in body


def more_loads(record, make_dataset, count: int, start: int) -> None:
    """More datasets of 西湖区公安局, each loaded twice with two failing rules (two open loops)."""
    for number in range(start, start + count):
        dataset = make_dataset(f"数据集{number}", resource_code=f"330106-GA-{number:05d}")
        for version, day in ((1, date(2025, 9, 10)), (2, date(2025, 9, 11))):
            record(load_payload(dataset, load_id=f"D{number}-{version}", version=version, rows=100, problem_rows=3,
                                rules={"required:name": 1, "enum:gender": 2, "mobile:mobile": 0}), at(day))


def test_overview_queries_do_not_grow_with_datasets_loads_or_problems(
    client, people, record, make_dataset, django_assert_max_num_queries
):
    more_loads(record, make_dataset, 2, start=10)
    client.force_login(people.users["hangzhou_dsj_admin"])
    assert client.get(OVERVIEW).status_code == 200
    client.force_login(people.users["ga_officer"])
    with django_assert_max_num_queries(20) as few:
        assert client.get(OVERVIEW).status_code == 200
    more_loads(record, make_dataset, 10, start=20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(OVERVIEW)
    assert response.content.decode().count('href="/workspace/loops/') == 24


def test_ranking_queries_do_not_grow_with_datasets_of_the_departments(
    client, people, record, make_dataset, django_assert_max_num_queries
):
    more_loads(record, make_dataset, 2, start=10)
    client.force_login(people.users["hangzhou_dsj_admin"])
    with django_assert_max_num_queries(30) as few:
        assert client.get(OVERVIEW).status_code == 200
    more_loads(record, make_dataset, 10, start=20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(OVERVIEW).status_code == 200


def test_dataset_page_queries_do_not_grow_with_loads_or_rules(
    client, people, record, population, django_assert_max_num_queries
):
    def load(number: int, rules: int) -> None:
        record(load_payload(population, load_id=f"L{number}", version=number, rows=100, problem_rows=rules,
                            rules={f"required:f{rule}": 1 for rule in range(rules)}),
               at(date(2025, 9, 1) + timedelta(days=number)))

    load(1, 2)
    url = reverse("quality:dataset", kwargs={"public_id": population.public_id})
    client.force_login(people.users["ga_officer"])
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    for number in range(2, 16):
        load(number, 8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("<circle ") == 12  # the last twelve loads
