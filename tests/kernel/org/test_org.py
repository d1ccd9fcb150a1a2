from collections import Counter

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from zhengtong.kernel.org.models import Department, DepartmentKind, Division
from zhengtong.kernel.org.public import department_escalation_target, division_contains, division_get
from zhengtong.kernel.org.services import DivisionRow, department_name, division_rows_bundled, divisions_load


def test_bundled_divisions_are_zhejiang_down_to_townships():
    rows = division_rows_bundled()
    assert Counter(row.level for row in rows) == {"province": 1, "city": 11, "county": 90, "township": 1387}
    by_code = {row.code: row for row in rows}
    assert by_code["330000"].name == "浙江省"
    assert by_code["330106"].name == "西湖区" and by_code["330106"].parent_code == "330100"
    # Every parent is itself in the file, so the tree is complete.
    assert all(row.parent_code in by_code for row in rows if row.parent_code)


@pytest.mark.django_db
def test_loading_all_divisions_is_idempotent():
    assert divisions_load(rows=division_rows_bundled()) == 1489
    assert divisions_load(rows=division_rows_bundled()) == 0
    assert Division.objects.count() == 1489
    assert Division.objects.get(code="330106").parent.code == "330100"


@pytest.mark.django_db
def test_a_bad_division_row_loads_nothing():
    rows = [DivisionRow("330000", "浙江省", "province", ""), DivisionRow("33010", "杭州", "city", "330000")]
    with pytest.raises(ValueError, match="must be 6 digits"):
        divisions_load(rows=rows)
    assert Division.objects.count() == 0
    with pytest.raises(ValueError, match="parent 339900 is unknown"):
        divisions_load(rows=[DivisionRow("339901", "无", "county", "339900")])
    assert Division.objects.count() == 0


def test_department_names_follow_the_level():
    province = Division(code="330000", name="浙江省", level="province")
    city = Division(code="330100", name="杭州市", level="city")
    assert department_name(kind=DepartmentKind.PUBLIC_SECURITY, division=province) == "浙江省公安厅"
    assert department_name(kind=DepartmentKind.PUBLIC_SECURITY, division=city) == "杭州市公安局"
    assert department_name(kind=DepartmentKind.TAXATION, division=city) == "国家税务总局杭州市税务局"


def test_standard_departments_exist_at_every_non_township_level(small_province):
    # 6 divisions above township level × 11 department kinds.
    assert Department.objects.count() == 6 * len(DepartmentKind.values)
    assert not Department.objects.filter(division__level="township").exists()
    assert Department.objects.get(code="330106-GA").name == "西湖区公安局"


def test_escalation_goes_to_the_same_kind_one_level_up(small_province):
    county = Department.objects.get(code="330106-SJ")
    city = department_escalation_target(county.id)
    assert (city.code, city.name) == ("330100-SJ", "杭州市市场监督管理局")
    province = department_escalation_target(city.id)
    assert province.code == "330000-SJ"
    assert department_escalation_target(province.id) is None


def test_division_containment_uses_code_prefixes(small_province):
    assert division_contains("330100", "330106001")
    assert division_contains("330000", "330203")
    assert not division_contains("330100", "330203")
    assert not division_contains("330106", "330108")
    assert not division_contains("999999", "330106")
    assert division_get("330106").parent_code == "330100"


def test_division_api_is_public_and_filters(small_province):
    client = APIClient()
    response = client.get(reverse("org-division-list"), {"parent": "330100"})
    assert response.status_code == 200
    assert [d["code"] for d in response.json()["results"]] == ["330106", "330108"]
    response = client.get(reverse("org-department-list"), {"division": "330106", "kind": "public_security"})
    assert [d["name"] for d in response.json()["results"]] == ["西湖区公安局"]
