"""Helpers of the licences tests: seals of Xihu's market regulation (SJ) and human resources
(RS) bureaux, the demo licence types, and a business licence issued to the company."""

import pytest

from tests.services.conftest import COMPANY_NAME, USCC
from zhengtong.services.licences import services
from zhengtong.services.licences.models import LicenceType


@pytest.fixture
def types(db) -> dict[str, LicenceType]:
    return {t.code: t for t in services.licence_types_ensure()}


@pytest.fixture
def sj_seal(people):
    actor = people.actor("sj_leader")
    return services.seal_create(actor=actor, department_id=actor.department_id, name="西湖区市场监督管理局电子印章")


@pytest.fixture
def business_licence(people, types, sj_seal, english):
    leader = people.actor("sj_leader")
    return services.licence_issue(
        actor=leader, licence_type=types["business_licence"], department_id=leader.department_id,
        holder_kind="company", holder_user_id=people.company_user.id, holder_name=COMPANY_NAME,
        holder_identifier=USCC, fields={"name": COMPANY_NAME, "uscc": USCC, "legal_representative": "王芳",
                                        "business_scope": "数据处理服务", "address": "浙江省杭州市西湖区文一西路1号"},
    )
