"""supervision.penalty_decided events become penalty records, once."""

import pytest
from django.db import transaction

from tests.services.conftest import events_deliver_all
from tests.supervision.credit.conftest import COMPANY_USCC
from zhengtong.kernel.events.public import publish
from zhengtong.kernel.org.models import Department
from zhengtong.supervision.credit.models import CreditRecord
from zhengtong.supervision.credit.public import credit_classes

pytestmark = pytest.mark.django_db


def test_a_decided_penalty_is_filed_once(departments):
    department = Department.objects.get(code="330106-SJ")
    payload = {"uscc": COMPANY_USCC, "name": "杭州信用测试有限公司", "title": "未取得许可从事经营活动",
               "legal_basis": "《无证无照经营查处办法》第十三条", "decided_on": "2026-02-01",
               "department_id": department.pk, "serious": True, "domain": "work_safety",
               "decision_number": "西市监罚〔2026〕12号"}
    with transaction.atomic():
        publish("supervision.penalty_decided", payload)
        publish("supervision.penalty_decided", payload)  # delivered twice: one record
    events_deliver_all()
    record = CreditRecord.objects.get()
    assert (record.category, record.serious, record.department_id, record.created_by) == (
        "penalty", True, department.pk, "system")
    assert record.publish_min_until.isoformat() == "2027-02-01"
    assert credit_classes([COMPANY_USCC]) == {COMPANY_USCC: "C"}
