"""The shared fixtures give what the service platform's tests build on: the cast, the platform's
grants and data, through the real sharing gateway."""

import pytest

from zhengtong.data.exchange.public import share_record
from zhengtong.data.registry.public import registry_lookup
from zhengtong.kernel.org.public import department_escalation_target

from ..conftest import A_ID, HUKOU, SHEBAO, STAFF, USCC

pytestmark = pytest.mark.django_db


def test_the_cast_is_in_its_departments(people):
    a = people.a
    assert (a.kind, a.citizen_id) == ("citizen", people.citizen_a.id)
    assert people.citizen_a.name == "王芳" and people.citizen_b.name == "陈明"
    assert people.actor("company").company_id == people.company.id
    window = people.actor("window")
    assert (window.division_code, window.roles) == ("330106", frozenset({"window_officer"}))
    assert people.actor("rs_case").roles == frozenset({"case_officer"})
    assert len(people.users) == len(STAFF) + 2


def test_xihu_escalates_to_hangzhou(people, departments):
    assert department_escalation_target(departments["330106-RS"].id).code == "330100-RS"


def test_the_platform_reads_the_registry_and_datasets_through_the_gateway(platform):
    registry_a = registry_lookup(kind="person", resident_id=A_ID).registry_id
    assert registry_a == platform.registry_ids["a"]
    everything = ["resident_id", "name", "birth_date", "gender", "mobile", "address", "division_code"]
    record = share_record(caller=platform.caller(), service_code="registry-person", key=registry_a,
                          fields=everything, plain=everything)
    assert dict(record.values) == {
        "resident_id": A_ID, "name": "王芳", "birth_date": "1985-03-02", "gender": "女", "mobile": "13987654321",
        "address": "浙江省杭州市西湖区天目山路8号2幢302室", "division_code": "330106"}
    assert record.masked == ()
    shebao = share_record(caller=platform.caller(), service_code=SHEBAO, key=A_ID)
    assert shebao.masked == ("resident_id", "name")
    assert shebao.values["employer"] == "杭州西湖数据有限公司"
    hukou = share_record(caller=platform.caller(), service_code=HUKOU, key=A_ID)
    assert hukou.values["relation"] == "户主"
    company = registry_lookup(kind="company", uscc=USCC).registry_id
    assert share_record(caller=platform.caller(), service_code="registry-company", key=company).values["name"] \
        == "杭州西湖数据有限公司"
