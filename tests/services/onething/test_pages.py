"""The one-thing pages through Django's test client: the guide, the journey one question per page,
materials once, check answers with a double submit, the task list; permissions and errors."""

import re

import pytest
from django.test import Client

from tests.services.conftest import COMPANY_NAME, SYSTEM, events_deliver_all
from zhengtong.services.applications import selectors as application_selectors
from zhengtong.services.applications import services as application_services
from zhengtong.services.applications.models import Application
from zhengtong.services.onething import services
from zhengtong.services.onething.models import BundleApplication, BundleState

from .conftest import ANSWERS, BUNDLE, EXE, PDF, draft_complete

pytestmark = pytest.mark.django_db
BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


def test_the_list_and_the_guide_are_public(opening, client):
    page = client.get("/services/onething/")
    assert page.status_code == 200
    assert "开办企业一件事" in page.content.decode()
    page = client.get(f"/services/onething/{BUNDLE}/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("企业设立登记", "西湖区市场监督管理局", "国家税务总局西湖区税务局", "营业执照", "住所使用证明"):
        assert text in html
    assert f'href="/account/login/?next=%2Fservices%2Fonething%2F{BUNDLE}%2F"' in html
    assert client.get("/services/onething/no-such-bundle/").status_code == 404
    assert client.get("/services/onething/?for=citizen").content.decode().count("开办企业一件事") == 0


def test_the_list_page_query_count_does_not_grow_with_bundles(opening, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert client.get("/services/onething/").status_code == 200
    services.bundle_create(actor=SYSTEM, code="company-opening-b", name="开办企业一件事（乙）",
                           serving="company", division_code="330106", result_name="企业开办完成",
                           parts=[services.PartSpec("330106-SJ-101"), services.PartSpec("330106-RS-104")],
                           publish=True)
    with django_assert_max_num_queries(8):
        assert client.get("/services/onething/").status_code == 200


def test_starting_needs_a_company_sign_in(opening, people, client):
    response = client.post(f"/services/onething/{BUNDLE}/start/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
    assert client_for(people.users["sj_case"]).post(f"/services/onething/{BUNDLE}/start/").status_code == 403
    citizen = client_for(people.users["citizen_a"])
    html = citizen.get(f"/services/onething/{BUNDLE}/").content.decode()
    assert f'action="/services/onething/{BUNDLE}/start/"' not in html  # no start button for a citizen
    html = client_for(people.company_user).get(f"/services/onething/{BUNDLE}/").content.decode()
    assert f'action="/services/onething/{BUNDLE}/start/"' in html
    assert citizen.post(f"/services/onething/{BUNDLE}/start/").status_code == 403
    assert BundleApplication.objects.count() == 0


def test_the_journey_one_question_per_page_to_submission(opening, people):
    client = client_for(people.company_user)
    response = client.post(f"/services/onething/{BUNDLE}/start/")
    assert response.status_code == 302
    draft = BundleApplication.objects.get()
    base = f"/services/onething/my/{draft.public_id}"
    assert response["Location"] == f"{base}/q/company_name/"
    page = client.get(f"{base}/q/company_name/")
    html = page.content.decode()
    assert f'value="{COMPANY_NAME}"' in html
    assert "法人综合库" in html  # where the answer came from
    assert '<label for="id_company_name">企业名称</label>' in html  # the question is the page's heading
    # the USCC is the account's: shown on the check page, never asked
    assert client.get(f"{base}/q/uscc/").status_code == 404
    assert client.get(f"{base}/q/enterprise_name/").status_code == 404  # a part's own name is not a question
    # an invalid answer: error summary linking to the field, 400, nothing saved
    page = client.post(f"{base}/q/employee_count/", {"employee_count": "twelve", "_action": "continue"})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'href="#id_employee_count"' in html and 'aria-invalid="true"' in html
    draft.refresh_from_db()
    assert "employee_count" not in draft.answers
    # answer every question, each page leading to the next
    questions = ["company_name", "legal_representative", "mobile", "address", "registered_capital", "business_scope",
                 "seal_kinds", "accountant_name", "accountant_mobile", "invoices", "employee_count", "deposit_ratio"]
    for index, name in enumerate(questions):
        value = ANSWERS.get(name) or draft.answers.get(name, "")
        response = client.post(f"{base}/q/{name}/", {name: value, "_action": "continue"})
        assert response.status_code == 302, (name, response.content.decode()[:3000])
        expected = f"{base}/q/{questions[index + 1]}/" if index + 1 < len(questions) else f"{base}/materials/"
        assert response["Location"] == expected
    draft.refresh_from_db()
    assert draft.answers["seal_kinds"] == "standard" and draft.answers["invoices"] == "yes"
    # materials: the produced licence is not asked; the shared household record is fetched, shown, used
    html = client.get(f"{base}/materials/").content.decode()
    assert "企业设立登记" in html and f"{base}/materials/licence/" not in html
    assert client.get(f"{base}/materials/licence/").status_code == 404
    response = client.post(f"{base}/materials/legal_rep_household/", {"_action": "preview"})
    assert response.status_code == 302
    html = client.get(f"{base}/materials/legal_rep_household/").content.decode()
    assert "户籍信息" in html and "户主" in html
    assert client.post(f"{base}/materials/legal_rep_household/", {"_action": "accept"}).status_code == 302
    # a wrong file: error on the file input, 400
    page = client.post(f"{base}/materials/articles/", {"_action": "upload", "file": _file("章程.pdf", EXE)})
    assert page.status_code == 400
    assert 'href="#id_file"' in page.content.decode()
    for key, name in (("articles", "章程.pdf"), ("address_proof", "租赁合同.pdf")):
        response = client.post(f"{base}/materials/{key}/", {"_action": "upload", "file": _file(name, PDF)})
        assert response.status_code == 302
    # check answers, then submit twice with the same key (a double click): one bundle application
    html = client.get(f"{base}/check/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)
    assert "91330106MA2B0R9X1L" in html  # the identifier is shown
    first = client.post(f"{base}/check/", {"idempotency_key": key})
    second = client.post(f"{base}/check/", {"idempotency_key": key})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"{base}/confirmation/"
    assert Application.objects.exclude(state="draft").count() == 5
    draft.refresh_from_db()
    html = client.get(f"{base}/confirmation/").content.decode()
    assert draft.reference in html
    html = client.get(f"{base}/").content.decode()
    for name in ("企业设立登记", "公章刻制备案", "新办纳税人涉税事项", "单位社会保险登记", "单位住房公积金缴存登记",
                 "西湖区公安局"):
        assert name in html
    # the question pages of a submitted application lead to its task list
    assert client.get(f"{base}/q/employee_count/")["Location"] == f"{base}/"


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_check_page_errors_link_to_the_question(opening, people):
    client = client_for(people.company_user)
    draft = services.bundle_draft_start(actor=people.actor("company"), bundle_code=BUNDLE)
    base = f"/services/onething/my/{draft.public_id}"
    page = client.post(f"{base}/check/", {"idempotency_key": "abc"})
    assert page.status_code == 400
    html = page.content.decode()
    assert f'href="{base}/q/employee_count/?change=1"' in html
    assert f'href="{base}/materials/articles/"' in html
    draft.refresh_from_db()
    assert draft.state == BundleState.DRAFT


def test_save_and_come_back_later(opening, people):
    client = client_for(people.company_user)
    draft = services.bundle_draft_start(actor=people.actor("company"), bundle_code=BUNDLE)
    base = f"/services/onething/my/{draft.public_id}"
    response = client.post(f"{base}/q/registered_capital/", {"registered_capital": "50", "_action": "save"})
    assert response["Location"] == "/services/onething/my/"
    html = client.get("/services/onething/my/").content.decode()
    assert f"{base}/" in html
    html = client.get(f"{base}/").content.decode()
    assert f'href="{base}/q/registered_capital/"' in html  # continue where it was left


def test_another_applicant_and_staff_get_nothing(opening, people):
    draft = draft_complete(people.actor("company"))
    base = f"/services/onething/my/{draft.public_id}"
    other = client_for(people.users["citizen_b"])
    for path in ("/", "/q/employee_count/", "/materials/", "/materials/articles/", "/check/", "/confirmation/"):
        assert other.get(base + path).status_code == 404, path
    assert other.post(f"{base}/check/", {"idempotency_key": "x"}).status_code == 404
    assert client_for(people.users["sj_case"]).get(f"{base}/").status_code == 403
    draft.refresh_from_db()
    assert draft.state == BundleState.DRAFT


def test_the_task_list_shows_each_part_and_the_one_result(opening, people):
    company = people.actor("company")
    draft = draft_complete(company)
    submitted = services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id,
                                                   idempotency_key="k")
    client = client_for(people.company_user)
    window = people.actor("window")
    for task in list(application_selectors.task_queue(actor=window)):
        application_services.task_act(actor=window, task_id=task.public_id, outcome="approve")
    [task] = application_selectors.task_queue(actor=people.actor("rs_case"))
    application_services.task_act(actor=people.actor("rs_case"), task_id=task.public_id, outcome="correct",
                                  note="请补充职工花名册")
    html = client.get(f"/services/onething/my/{submitted.public_id}/").content.decode()
    rs = Application.objects.get(item__code="330106-RS-104", state="correction")
    assert f'href="/services/my/{rs.public_id}/"' in html  # the part's own page, where it is corrected
    assert "zt-tag--warning" in html
    application_services.application_correct(actor=company, application_id=rs.public_id, answers={})
    for task in list(application_selectors.task_queue(actor=window)):  # the corrected part is taken in again
        application_services.task_act(actor=window, task_id=task.public_id, outcome="approve")
    for name in ("sj_case", "ga_case", "sw_case", "rs_case", "zj_case"):
        [task] = application_selectors.task_queue(actor=people.actor(name))
        application_services.task_act(actor=people.actor(name), task_id=task.public_id, outcome="approve")
    html = client.get(f"/services/onething/my/{submitted.public_id}/").content.decode()
    assert "企业开办完成（营业执照、印章、涉税事项、社保和公积金登记）" in html
    assert 'class="ot-panel"' in html
    events_deliver_all()
    submitted.refresh_from_db()
    assert submitted.state == BundleState.COMPLETED
