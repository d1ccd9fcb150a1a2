"""mydata with the real sharing gateway: a bank reads by the citizen's authorization, the citizen
sees that call with its purpose, revokes on the page, and the bank's next call is refused (and
shows as refused)."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from zhengtong.data.exchange.public import Caller, ShareError, share_record
from zhengtong.kernel.identity.public import Actor

from .conftest import ME, OTHER

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def bank_call(bank, key=ME):
    caller = Caller(actor=Actor(kind="api_client", api_client_id=bank.id, roles=frozenset({"consent"})),
                    correlation_id=str(uuid.uuid4()), officer="loan-officer-7")
    return share_record(caller=caller, service_code="ds-330106-rs-00001", key=key)


def test_a_bank_reads_by_my_authorization_until_i_revoke_it(client, people, services, bank):
    client.force_login(people.users["me"], backend="zhengtong.kernel.identity.backends.AccountBackend")
    with pytest.raises(ShareError):
        bank_call(bank)  # nothing authorized yet
    response = client.post(reverse("mydata:authorization-new"), {
        "api_client": str(bank.id), "services": ["ds-330106-rs-00001"], "data_fields": ["employer"],
        "purpose": "个人住房贷款审批", "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "agree": "on"})
    assert response.status_code == 302

    record = bank_call(bank)
    assert dict(record.values) == {"employer": "杭州西湖数据有限公司"}
    with pytest.raises(ShareError):
        bank_call(bank, key=OTHER)  # someone who authorized nothing

    log = text(client.get(reverse("mydata:access")))
    assert "Data sharing call" in log and "浙商银行贷款审批系统" in log
    assert "社会保险参保人员信息：参保单位 Why 个人住房贷款审批" in log

    consent_id = re.search(r"/mydata/authorizations/([0-9a-f-]{36})/revoke/",
                           client.get(reverse("mydata:authorizations")).content.decode()).group(1)
    client.post(reverse("mydata:authorization-revoke", kwargs={"public_id": consent_id}))

    with pytest.raises(ShareError) as refused:
        bank_call(bank)
    assert refused.value.code == "consent_revoked"
    log = text(client.get(reverse("mydata:access")))
    assert "Sharing call refused" in log and "Refused (consent_revoked)" in log
