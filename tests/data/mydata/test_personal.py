"""What the exchange holds about one person: their records, and every logged read about them."""

import pytest

from zhengtong.data.exchange.public import access_log_for, records_about, subject_ref
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.ledger.public import ledger_append, ledger_sequence

from .conftest import ME, OTHER, USCC, share_call

pytestmark = pytest.mark.django_db


def test_records_about_me_are_mine_only_in_plain_with_their_service_and_department(services):
    (record,) = records_about(subject_refs=[subject_ref("person", ME)])

    assert record.service_code == "ds-330106-rs-00001"
    assert record.service_name == "社会保险参保人员信息"
    assert record.department_name == services.shebao.owner_department.name
    assert record.department_id == services.shebao.owner_department_id
    assert record.version == 3
    assert record.key == ME
    assert [(f.name, f.title, f.value) for f in record.fields] == [
        ("resident_id", "公民身份号码", ME), ("name", "姓名", "王芳"), ("employer", "参保单位", "杭州西湖数据有限公司"),
        ("insured_since", "参保日期", "2012-07-01"),
    ]


def test_records_about_a_company_and_about_nobody(services):
    (record,) = records_about(subject_refs=[subject_ref("company", USCC)])
    assert record.service_code == "ds-330106-sj-00001" and record.value("address") == "浙江省杭州市西湖区文一西路1号"
    assert records_about(subject_refs=[]) == []
    assert records_about(subject_refs=[""]) == []


@pytest.fixture
def social_security_system(departments):
    client, _key = identity_services.api_client_create(name="养老保险待遇资格认证系统", department=departments["330106-RS"],
                                                       scopes=["share"])
    return client


def test_the_access_log_shows_who_read_what_and_why_newest_first(services, departments, social_security_system):
    me, other = subject_ref("person", ME), subject_ref("person", OTHER)
    first = share_call(about=me, client=social_security_system, department=departments["330106-RS"])
    share_call(about=other, client=social_security_system, department=departments["330106-RS"],
               purpose="别人的事")
    # A registry read by an API client, logged under my registry id with the client's database id.
    ledger_append(kind="registry.read", subject="ZJP0000000001", actor=f"api_client:{social_security_system.id}",
                  payload={"registry": "person", "fields": ["name", "mobile"], "purpose": "核验参保人身份",
                           "grant": None, "via": "api", "department": departments["330106-RS"].id})
    refused = share_call(about=me, client=social_security_system, department=departments["330106-RS"],
                         kind="share.refused", outcome="consent_revoked", purpose="贷款审批")

    log = access_log_for(subject_refs=[me, "ZJP0000000001"])

    assert [e.kind for e in log] == ["share.refused", "registry.read", "share.call"]
    assert [e.id for e in log][::2] == [refused, first]
    call = log[2]
    assert call.department_id == departments["330106-RS"].id
    assert call.department_name == departments["330106-RS"].name
    assert call.system == "养老保险待遇资格认证系统"
    assert call.service_code == "ds-330106-rs-00001" and call.service_name == "社会保险参保人员信息"
    assert [(f.name, f.title) for f in call.fields] == [("name", "姓名"), ("insured_since", "参保日期")]
    assert call.purpose == "办理养老保险待遇资格认证"
    assert call.outcome == "ok" and call.operation == "record" and call.officer == "zhangwei"
    assert call.actor_kind == "api_client"
    read = log[1]
    assert read.system == "养老保险待遇资格认证系统"  # found by the client's database id
    assert read.registry == "person" and read.service_name == "人口基础库"
    assert [(f.name, f.title) for f in read.fields] == [("name", "姓名"), ("mobile", "手机号码")]
    assert read.purpose == "核验参保人身份"
    assert log[0].outcome == "consent_revoked"
    # Nothing about the other person, and nothing about me in theirs.
    assert all(e.purpose != "别人的事" for e in log)
    assert [e.purpose for e in access_log_for(subject_refs=[other])] == ["别人的事"]
    assert access_log_for(subject_refs=[]) == []


def test_the_access_log_gives_each_entry_s_place_in_the_ledger_once_sequenced(services, departments,
                                                                              social_security_system):
    share_call(about=subject_ref("person", ME), client=social_security_system, department=departments["330106-RS"])
    assert access_log_for(subject_refs=[subject_ref("person", ME)])[0].leaf_index is None

    ledger_sequence()

    (entry,) = access_log_for(subject_refs=[subject_ref("person", ME)])
    assert entry.leaf_index == 0


def test_the_access_log_is_limited(services, departments, social_security_system):
    for n in range(5):
        share_call(about=subject_ref("person", ME), client=social_security_system,
                   department=departments["330106-RS"], purpose=f"第{n}次")

    assert [e.purpose for e in access_log_for(subject_refs=[subject_ref("person", ME)], limit=2)] == ["第4次", "第3次"]
