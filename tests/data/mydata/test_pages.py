"""The mydata pages: only the citizen or company signed in, and only their own data."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from zhengtong.data.exchange.models import Consent
from zhengtong.data.exchange.public import consent_give, subject_ref
from zhengtong.data.mydata.models import CorrectionRequest
from zhengtong.data.mydata.selectors import record_token
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.kernel.loops.public import case_accept, case_get, case_respond

from .conftest import ME, OTHER, USCC, in_a_year, ledger, share_call

pytestmark = pytest.mark.django_db

PAGES = ["mydata:overview", "mydata:access", "mydata:corrections", "mydata:authorizations",
         "mydata:authorization-new", "mydata:export"]


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def sign_in(client, people, name="me"):
    user = people.company_user if name == "company" else people.users[name]
    client.force_login(user, backend="zhengtong.kernel.identity.backends.AccountBackend")


@pytest.fixture
def rs_system(departments):
    client, _key = identity_services.api_client_create(name="养老保险待遇资格认证系统", department=departments["330106-RS"],
                                                       scopes=["share"])
    return client


# --- who may open the pages ---------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, services, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:login") + "?next=")


@pytest.mark.parametrize("name", PAGES)
def test_staff_are_refused(client, people, services, name):
    sign_in(client, people, "ga_officer")
    assert client.get(reverse(name)).status_code == 403
    assert LedgerLeaf.objects.filter(kind="mydata.export").count() == 0


@pytest.mark.parametrize("name", PAGES)
def test_citizens_and_companies_may_open_every_page(client, people, services, bank, name):
    for who in ("me", "company"):
        sign_in(client, people, who)
        assert client.get(reverse(name)).status_code == 200


def test_the_header_and_the_portal_link_to_my_data(client, people, services):
    sign_in(client, people)
    page = client.get(reverse("web:portal-home")).content.decode()
    assert page.count(f'href="{reverse("mydata:overview")}"') == 2
    sign_in(client, people, "ga_officer")
    assert f'href="{reverse("mydata:overview")}"' not in client.get(reverse("web:portal-home")).content.decode()


def test_the_pages_are_in_chinese_by_default(client, people, services):
    sign_in(client, people)
    with translation.override(None):
        page = text(client.get(reverse("mydata:overview"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "我的数据" in page and "谁用了我的数据" in page


# --- overview -----------------------------------------------------------------------------------


def test_the_overview_shows_my_records_in_plain_and_nobody_else_s(client, people, services):
    sign_in(client, people)
    page = text(client.get(reverse("mydata:overview")))

    assert "社会保险参保人员信息" in page
    assert ME in page and "王芳" in page and "2012-07-01" in page and "参保日期" in page
    assert OTHER not in page and "浙江大学" not in page
    assert "杭州西湖数据有限公司" in page  # my employer, not the company's own record
    assert "文一西路" not in page


def test_a_company_sees_its_own_records(client, people, services):
    sign_in(client, people, "company")
    page = text(client.get(reverse("mydata:overview")))
    assert "市场主体登记信息" in page and USCC in page and "文一西路1号" in page
    assert ME not in page and "参保日期" not in page


# --- access log ---------------------------------------------------------------------------------


def test_the_access_log_shows_a_call_with_its_purpose_and_department_and_not_other_people_s(
        client, people, services, departments, rs_system):
    share_call(about=subject_ref("person", ME), client=rs_system, department=departments["330106-RS"])
    share_call(about=subject_ref("person", OTHER), client=rs_system, department=departments["330106-RS"],
               purpose="别人的事情")
    sign_in(client, people)

    page = text(client.get(reverse("mydata:access")))

    assert "办理养老保险待遇资格认证" in page
    assert departments["330106-RS"].name in page and "养老保险待遇资格认证系统" in page
    assert "社会保险参保人员信息：姓名、参保日期" in page
    assert "Provided" in page
    assert "别人的事情" not in page


def test_the_access_log_is_paginated_newest_first(client, people, services, departments, rs_system):
    for n in range(25):
        share_call(about=subject_ref("person", ME), client=rs_system, department=departments["330106-RS"],
                   purpose=f"用途{n:02d}")
    sign_in(client, people)

    first = client.get(reverse("mydata:access"))
    second = client.get(reverse("mydata:access") + "?page=2")

    assert first.content.decode().count("用途") == 20 and "用途24" in text(first) and "用途04" not in text(first)
    assert 'href="?page=2"' in first.content.decode()
    assert second.content.decode().count("用途") == 5 and "用途00" in text(second)
    assert 'href="?page=1"' in second.content.decode() and "?page=3" not in second.content.decode()


def test_my_own_authorizations_show_in_the_access_log_as_mine(client, people, services, bank):
    consent = consent_give(actor=people.actor("me"), api_client_id=bank.id, service_codes=["ds-330106-rs-00001"],
                           fields=["insured_since"], purpose="个人住房贷款审批", expires_at=in_a_year(30))
    sign_in(client, people)
    client.post(reverse("mydata:authorization-revoke", kwargs={"public_id": consent.public_id}))

    page = text(client.get(reverse("mydata:access")))

    assert "You revoked the authorization of 浙商银行贷款审批系统" in page
    assert "You authorized 浙商银行贷款审批系统" in page
    assert "Who You Which data 社会保险参保人员信息：参保日期 Why 个人住房贷款审批" in page


def test_the_access_log_page_makes_the_same_queries_whatever_its_length(client, people, services, departments,
                                                                         rs_system):
    from django.test.utils import CaptureQueriesContext

    sign_in(client, people)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("mydata:access")).status_code == 200
        return len(captured)

    share_call(about=subject_ref("person", ME), client=rs_system, department=departments["330106-RS"])
    one = queries()
    for _n in range(15):
        share_call(about=subject_ref("person", ME), client=rs_system, department=departments["330106-RS"])
    assert queries() == one


def test_a_refused_call_shows_as_refused(client, people, services, departments, rs_system):
    share_call(about=subject_ref("person", ME), client=rs_system, department=departments["330106-RS"],
               kind="share.refused", outcome="consent_revoked")
    sign_in(client, people)
    assert "Refused (consent_revoked)" in text(client.get(reverse("mydata:access")))


# --- authorizations -----------------------------------------------------------------------------


def authorization_form(bank, **overrides):
    data = {"api_client": str(bank.id), "services": ["ds-330106-rs-00001"], "data_fields": ["name", "insured_since"],
            "purpose": "个人住房贷款审批", "expires_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
            "agree": "on"}
    data.update(overrides)
    return data


def test_a_citizen_gives_an_authorization_with_a_plain_form(client, people, services, bank):
    sign_in(client, people)
    form = client.get(reverse("mydata:authorization-new")).content.decode()
    assert "浙商银行贷款审批系统" in form and "社会保险参保人员信息" in form
    assert "市场主体登记信息" not in form  # a company's service is not mine to authorize

    response = client.post(reverse("mydata:authorization-new"), authorization_form(bank))

    assert response.status_code == 302 and response["Location"] == reverse("mydata:authorizations")
    consent = Consent.objects.get()
    assert consent.citizen == people.me and consent.fields == ["name", "insured_since"]
    assert timezone.localtime(consent.expires_at).date() >= timezone.localdate() + timedelta(days=59)
    page = text(client.get(reverse("mydata:authorizations")))
    assert "浙商银行贷款审批系统" in page and "个人住房贷款审批" in page and "Revoke" in page


@pytest.mark.parametrize("overrides, message", [
    ({"data_fields": ["address"]}, "Select a valid choice"),
    ({"services": ["ds-330106-sj-00001"], "data_fields": ["name"]}, "Select a valid choice"),
    ({"purpose": ""}, "This field is required"),
    ({"agree": ""}, "This field is required"),
    ({"expires_on": (timezone.localdate() + timedelta(days=400)).isoformat()}, "at most one year"),
])
def test_a_bad_authorization_form_is_refused_and_nothing_is_saved(client, people, services, bank, overrides,
                                                                   message):
    sign_in(client, people)
    response = client.post(reverse("mydata:authorization-new"), authorization_form(bank, **overrides))
    assert response.status_code == 400
    assert message in text(response)
    assert Consent.objects.count() == 0


def test_revoking_asks_for_confirmation_then_revokes(client, people, services, bank):
    consent = consent_give(actor=people.actor("me"), api_client_id=bank.id, service_codes=["ds-330106-rs-00001"],
                           fields=["name"], purpose="个人住房贷款审批", expires_at=in_a_year(30))
    sign_in(client, people)
    url = reverse("mydata:authorization-revoke", kwargs={"public_id": consent.public_id})

    confirm = client.get(url)
    consent.refresh_from_db()
    assert confirm.status_code == 200 and consent.revoked_at is None
    assert "Revoke the authorization" in text(confirm)

    response = client.post(url)

    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    assert len(ledger("share.consent.revoked")) == 1
    # Again: a clear message, nothing changes.
    again = client.post(url, follow=True)
    assert "already revoked" in text(again)
    assert len(ledger("share.consent.revoked")) == 1


def test_nobody_else_can_see_or_revoke_my_authorization(client, people, services, bank):
    consent = consent_give(actor=people.actor("me"), api_client_id=bank.id, service_codes=["ds-330106-rs-00001"],
                           fields=["name"], purpose="个人住房贷款审批", expires_at=in_a_year(30))
    url = reverse("mydata:authorization-revoke", kwargs={"public_id": consent.public_id})
    for who in ("other", "company"):
        sign_in(client, people, who)
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
        assert "个人住房贷款审批" not in text(client.get(reverse("mydata:authorizations")))
    consent.refresh_from_db()
    assert consent.revoked_at is None
    assert ledger("share.consent.revoked") == []


# --- corrections --------------------------------------------------------------------------------


def correction_url(service="ds-330106-rs-00001", key=ME, field="employer"):
    return (reverse("mydata:correction-new")
            + f"?service={service}&record={record_token(service, key)}&field={field}")


def test_a_correction_becomes_a_case_for_the_source_department(client, people, services, departments):
    sign_in(client, people)
    form = client.get(correction_url())
    assert form.status_code == 200
    assert "杭州西湖数据有限公司" in text(form) and departments["330106-RS"].name in text(form)

    response = client.post(correction_url(), {"proposed_value": "浙江数据科技有限公司", "reason": "2024年换了工作"})

    correction = CorrectionRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("mydata:correction-detail", kwargs={"public_id": correction.public_id})
    assert correction.citizen == people.me and correction.subject_ref == subject_ref("person", ME)
    assert (correction.target, correction.service_code, correction.record_key, correction.field) == (
        "dataset", "ds-330106-rs-00001", ME, "employer")
    assert correction.proposed_value == "浙江数据科技有限公司" and correction.reason == "2024年换了工作"
    assert correction.department == departments["330106-RS"]
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT proposed_value, record_key FROM mydata_correctionrequest")
        raw = cursor.fetchone()
    assert "浙江数据科技有限公司" not in raw[0] and ME not in raw[1]
    case = case_get(actor=people.actor("rs_officer"), public_id=correction.case_id)
    assert case.kind == "mydata_correction" and case.assignee_department_id == departments["330106-RS"].id
    assert case.state == "assigned" and case.step == "accept" and case.step_due is not None
    assert correction.status == "submitted"
    page = text(client.get(response["Location"]))
    assert "浙江数据科技有限公司" in page and "No answer yet." in page


def test_a_correction_needs_a_value_and_saves_nothing_without_one(client, people, services):
    sign_in(client, people)
    for value, message in (("", "This field is required"), ("杭州西湖数据有限公司", "already holds")):
        response = client.post(correction_url(), {"proposed_value": value})
        assert response.status_code == 400 and message in text(response)
    assert CorrectionRequest.objects.count() == 0


def test_a_company_s_correction_goes_to_the_market_regulator(client, people, services, departments):
    sign_in(client, people, "company")
    url = correction_url(service="ds-330106-sj-00001", key=USCC, field="address")
    client.post(url, {"proposed_value": "浙江省杭州市西湖区文一西路2号"})

    correction = CorrectionRequest.objects.get()
    assert correction.company == people.company and correction.citizen is None
    assert correction.subject_ref == subject_ref("company", USCC)
    assert correction.department == departments["330106-SJ"]
    assert case_get(actor=people.actor("sj_officer"), public_id=correction.case_id).assignee_department_id == \
        departments["330106-SJ"].id


def test_i_cannot_ask_to_correct_someone_else_s_record(client, people, services):
    sign_in(client, people)
    assert client.get(correction_url(key=OTHER)).status_code == 404
    assert client.post(correction_url(key=OTHER), {"proposed_value": "x"}).status_code == 404
    assert client.get(correction_url(field="no_such_field")).status_code == 404
    assert client.get(reverse("mydata:correction-new")).status_code == 404
    assert CorrectionRequest.objects.count() == 0


def test_the_department_answers_and_the_person_checks_the_answer(client, people, services, departments):
    sign_in(client, people)
    client.post(correction_url(), {"proposed_value": "浙江数据科技有限公司"})
    correction = CorrectionRequest.objects.get()
    detail = reverse("mydata:correction-detail", kwargs={"public_id": correction.public_id})

    # The department opens the request (logged for the person), then accepts and answers the case.
    sign_in(client, people, "rs_officer")
    department_page = reverse("mydata:correction-department", kwargs={"public_id": correction.public_id})
    assert "浙江数据科技有限公司" in text(client.get(department_page))
    ((subject, actor, payload),) = ledger("mydata.correction.read")
    assert subject == subject_ref("person", ME) and payload["department"] == departments["330106-RS"].id
    officer = people.actor("rs_officer")
    case_accept(actor=officer, case=correction.case_id)
    case_respond(actor=officer, case=correction.case_id, response="已核实并更正参保单位，下次数据更新后生效。")

    sign_in(client, people)
    page = text(client.get(detail))
    assert "已核实并更正参保单位" in page and "Check the answer" in page
    assert "Answered: please check" in text(client.get(reverse("mydata:corrections")))

    sent_back = client.post(detail, {"resolved": "no", "note": ""})
    assert sent_back.status_code == 400 and "Say what is still wrong" in text(sent_back)
    assert case_get(actor=officer, public_id=correction.case_id).state == "responded"

    client.post(detail, {"resolved": "yes"})

    assert case_get(actor=officer, public_id=correction.case_id).state == "closed"
    correction.refresh_from_db()
    assert correction.status == "closed"


def test_only_the_handling_department_opens_the_request_s_page(client, people, services):
    sign_in(client, people)
    client.post(correction_url(), {"proposed_value": "浙江数据科技有限公司"})
    correction = CorrectionRequest.objects.get()
    page = reverse("mydata:correction-department", kwargs={"public_id": correction.public_id})

    sign_in(client, people, "sj_officer")
    assert client.get(page).status_code == 404
    sign_in(client, people, "other")
    assert client.get(page).status_code == 302  # to the staff sign-in
    assert ledger("mydata.correction.read") == []


def test_nobody_else_sees_my_correction(client, people, services):
    sign_in(client, people)
    client.post(correction_url(), {"proposed_value": "浙江数据科技有限公司"})
    correction = CorrectionRequest.objects.get()
    detail = reverse("mydata:correction-detail", kwargs={"public_id": correction.public_id})

    for who in ("other", "company"):
        sign_in(client, people, who)
        assert client.get(detail).status_code == 404
        assert client.post(detail, {"resolved": "yes"}).status_code == 404
        assert "浙江数据科技有限公司" not in text(client.get(reverse("mydata:corrections")))
    assert case_get(actor=people.actor("rs_officer"), public_id=correction.case_id).state == "assigned"


# --- export -------------------------------------------------------------------------------------


def test_the_export_holds_all_my_data_and_is_logged(client, people, services, departments, rs_system, bank):
    share_call(about=subject_ref("person", ME), client=rs_system, department=departments["330106-RS"])
    share_call(about=subject_ref("person", OTHER), client=rs_system, department=departments["330106-RS"],
               purpose="别人的事情")
    consent_give(actor=people.actor("me"), api_client_id=bank.id, service_codes=["ds-330106-rs-00001"],
                 fields=["name"], purpose="个人住房贷款审批", expires_at=in_a_year(30))
    sign_in(client, people)
    client.post(correction_url(), {"proposed_value": "浙江数据科技有限公司"})

    response = client.get(reverse("mydata:export"))

    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="mydata-')
    document = json.loads(response.content)
    assert document["format"] == "zhengtong.mydata/1" and document["generated_at"]
    assert document["subject"] == {"kind": "person", "name": "王芳", "identifier": ME,
                                   "subject_ref": subject_ref("person", ME)}
    assert document["registry"] is None
    (record,) = document["records"]
    assert record["service"] == "ds-330106-rs-00001" and record["values"]["name"] == "王芳"
    assert record["values"]["resident_id"] == ME  # plain: it is my own
    kinds = [e["kind"] for e in document["access_log"]]
    assert kinds == ["share.consent.given", "share.call"]
    assert document["access_log"][1]["purpose"] == "办理养老保险待遇资格认证"
    assert all(e["purpose"] != "别人的事情" for e in document["access_log"])
    (consent,) = document["consents"]
    assert consent["system"] == "浙商银行贷款审批系统" and consent["status"] == "active" and consent["fields"] == ["name"]
    (correction,) = document["corrections"]
    assert correction["proposed_value"] == "浙江数据科技有限公司" and correction["status"] == "submitted"
    ((subject, actor, payload),) = ledger("mydata.export")
    assert subject == subject_ref("person", ME) and actor == f"citizen:{people.users['me'].id}"
    assert payload["counts"] == {"records": 1, "access_log": 2, "consents": 1, "corrections": 1}
