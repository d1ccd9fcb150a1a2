"""Pages of 公共信用: my credit (with repair), the staff page of a subject, the measure list."""

from datetime import date

import pytest
from django.test import override_settings

from tests.supervision.credit.conftest import COMPANY_USCC
from zhengtong.data.exchange.public import subject_ref
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.supervision.credit import services
from zhengtong.supervision.credit.models import RepairRequest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("measures")]


def penalty(people, decided_on=date(2026, 1, 10)):
    return services.credit_record_file(actor=people.actor("sj_officer"), subject_kind="company",
                                       identifier=COMPANY_USCC, name="杭州信用测试有限公司", category="penalty",
                                       title="未按规定公示年度报告", legal_basis="《企业信息公示暂行条例》第十八条",
                                       decided_on=decided_on)


def test_the_measure_list_is_public(client):
    page = client.get("/credit/measures/").content.decode()
    assert "不予办理" in page and "国办发〔2020〕49号" in page and "严重失信主体名单" in page


def test_my_credit_page_shows_grade_reasons_records_and_repair(client, people):
    record = penalty(people, decided_on=date(2025, 1, 10))
    client.force_login(people.users["company"])
    page = client.get("/credit/mine/").content.decode()
    assert "一般行政处罚1条：-15分" in page and "未按规定公示年度报告" in page and "《企业信息公示暂行条例》第十八条" in page
    response = client.post(f"/credit/mine/records/{record.public_id}/repair/", {"proof": "已补报，附回执"})
    assert response.status_code == 302
    assert RepairRequest.objects.get().record == record


def test_an_early_repair_shows_the_date_and_changes_nothing(client, people):
    record = penalty(people, decided_on=date.today())
    client.force_login(people.users["company"])
    response = client.post(f"/credit/mine/records/{record.public_id}/repair/", {"proof": "x"}, follow=True)
    assert record.publish_min_until.isoformat() in response.content.decode()
    assert not RepairRequest.objects.exists()


def test_staff_cannot_open_my_credit(client, people):
    client.force_login(people.users["sj_officer"])
    assert client.get("/credit/mine/").status_code == 403


@override_settings(STAFF_REQUIRE_TOTP=False)
def test_the_staff_page_is_scoped_and_logged(client, people):
    penalty(people)
    client.force_login(people.users["sw_officer"])
    page = client.get("/credit/subjects/", {"identifier": COMPANY_USCC, "purpose": "核查"}).content.decode()
    assert "未按规定公示年度报告" not in page  # another department's record
    assert "B" in page
    client.force_login(people.users["sj_officer"])
    page = client.get("/credit/subjects/", {"identifier": COMPANY_USCC}).content.decode()
    assert "未按规定公示年度报告" in page
    reads = LedgerLeaf.objects.filter(kind="credit.read")
    assert [leaf.subject for leaf in reads] == [subject_ref("company", COMPANY_USCC)] * 2


@override_settings(STAFF_REQUIRE_TOTP=False)
def test_the_source_department_decides_repairs_on_its_page(client, people):
    record = penalty(people, decided_on=date(2025, 1, 10))
    request = services.repair_apply(actor=people.actor("company"), record_id=record.public_id, proof="已整改")
    client.force_login(people.users["sw_officer"])
    assert "已整改" not in client.get("/credit/repairs/").content.decode()
    assert client.post(f"/credit/repairs/{request.public_id}/decide/", {"decision": "approve"}).status_code == 403
    client.force_login(people.users["sj_officer"])
    assert "已整改" in client.get("/credit/repairs/").content.decode()
    client.post(f"/credit/repairs/{request.public_id}/decide/", {"decision": "reject"})  # no note: refused
    request.refresh_from_db()
    assert request.state == "pending"
    client.post(f"/credit/repairs/{request.public_id}/decide/", {"decision": "approve", "note": "核实无误"})
    request.refresh_from_db(), record.refresh_from_db()
    assert (request.state, record.state) == ("approved", "repaired")
