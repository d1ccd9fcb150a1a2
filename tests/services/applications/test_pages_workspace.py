"""The officers' workspace (Django test client): the task queue of the officer's department and
roles (overdue first, escalated marked), one task with the application and the decision form,
downloads of uploaded materials for the department only, the measures page. Another department's
officer gets 404; a refused decision shows its error and changes nothing."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from zhengtong.services.applications import services
from zhengtong.services.applications.models import Application, ApplicationEvent, ApplicationTask

from .conftest import PDF, act, fill_standard, open_task, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_totp")]

BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"


@pytest.fixture
def as_user(client, people):
    def sign_in(name: str):
        client.logout()
        client.force_login(people.user(name), backend=BACKEND)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return sign_in


def url(name: str, *args) -> str:
    return reverse(f"applications_workspace:{name}", args=args)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def queue_references(response) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/workspace/applications/tasks/[^"]+/">([^<]+)</a></th>', text(response))


def task_state(task: ApplicationTask) -> tuple:
    task.refresh_from_db()
    application = Application.objects.get(pk=task.application_id)
    return (task.state, task.outcome, task.note, application.state, application.workflow,
            ApplicationEvent.objects.filter(application=application).count())


def test_the_window_s_queue_holds_the_intake_and_no_one_else_s(as_user, people, submitted):
    client = as_user("window")
    response = client.get(url("queue"))
    assert response.status_code == 200
    assert queue_references(response) == [submitted.reference]
    body = text(response)
    assert "<caption>1 open task</caption>" in body and "窗口受理" in body and "失业保险金申领" in body
    for other in ("binjiang_window", "rs_case", "ningbo_rs_case"):
        assert queue_references(as_user(other).get(url("queue"))) == []


def test_overdue_tasks_come_first_and_escalated_ones_are_marked(as_user, people, catalogue):
    later = submit(people, fill_standard(people, catalogue), key="k1")
    sooner = submit(people, fill_standard(people, catalogue), key="k2")
    yesterday = timezone.localdate() - timedelta(days=1)
    ApplicationTask.objects.filter(application=sooner).update(due_on=yesterday)
    client = as_user("window")
    response = client.get(url("queue"))
    assert queue_references(response) == [sooner.reference, later.reference]
    body = text(response)
    assert body.count('class="ap-row--overdue"') == 1
    assert '<strong class="zt-tag zt-tag--danger">Overdue</strong>' in body
    # escalated to the department above (its leaders see it, marked)
    act(people, "window", later, "intake", "approve")
    ApplicationTask.objects.filter(application=later, state="open").update(due_on=yesterday - timedelta(days=3))
    assert services.tasks_escalate_overdue() >= 1
    body = text(as_user("hz_rs_leader").get(url("queue")))
    assert later.reference in body
    assert '<strong class="zt-tag zt-tag--warning">Escalated to your department</strong>' in body


def test_the_task_page_shows_the_application_in_full(as_user, people, submitted):
    task = open_task(submitted)
    client = as_user("window")
    response = client.get(url("task", task.public_id))
    assert response.status_code == 200
    body = text(response)
    assert f"<h1>{submitted.reference} 失业保险金申领</h1>" in body
    assert "<dt>Applicant</dt><dd>王芳</dd>" in body
    assert "From: 人口综合库, fetched" in body  # provenance of the answers
    assert "Fetched from 社会保险参保证明: not submitted" in body  # the waived material, and what was fetched
    assert "<dt>参保单位</dt><dd>杭州西湖数据有限公司</dd>" in body and "<dt>累计缴费月数</dt><dd>150</dd>" in body
    download = url("material-file", submitted.public_id, "leaving_proof")
    assert f'<a href="{download}" download>' in body
    assert 'name="outcome" value="approve"' in body and "Accept the application (受理)" in body


@pytest.mark.parametrize("who", ["binjiang_window", "rs_case", "ningbo_rs_case", "rs_data"])
def test_a_task_of_another_department_or_role_is_not_found(as_user, people, submitted, who):
    task = open_task(submitted)
    before = task_state(task)
    client = as_user(who)
    assert client.get(url("task", task.public_id)).status_code == 404
    assert client.post(url("task", task.public_id), {"outcome": "approve"}).status_code == 404
    assert task_state(task) == before


def test_a_rejection_without_reasons_is_refused_and_changes_nothing(as_user, people, submitted):
    task = open_task(submitted)
    before = task_state(task)
    client = as_user("window")
    response = client.post(url("task", task.public_id), {"outcome": "reject", "note": ""})
    assert response.status_code == 400
    message = "Say why: a rejection or a request for correction needs a note for the applicant."
    assert f'<li><a href="#id_note">{message}</a></li>' in text(response)
    response = client.post(url("task", task.public_id), {"note": "x"})
    assert response.status_code == 400
    assert '<li><a href="#id_outcome_0">Choose your decision.</a></li>' in text(response)
    response = client.post(url("task", task.public_id), {"outcome": "done_twice", "note": "x"})
    assert '<li><a href="#id_outcome_0">Choose one of the decisions offered.</a></li>' in text(response)
    assert task_state(task) == before


def test_officers_act_until_the_application_is_approved(as_user, people, submitted):
    client = as_user("window")
    response = client.post(url("task", open_task(submitted).public_id), {"outcome": "approve", "note": ""})
    assert response["Location"] == url("queue")
    assert f"{submitted.reference}: “Accept the application (受理)” recorded." in html.unescape(
        text(client.get(url("queue"))))
    client = as_user("rs_case")
    client.post(url("task", open_task(submitted, "review").public_id), {"outcome": "approve"})
    client = as_user("rs_leader")
    client.post(url("task", open_task(submitted, "approve").public_id), {"outcome": "approve"})
    submitted.refresh_from_db()
    assert submitted.state == "approved"
    # the done tab keeps the leader's act
    body = text(client.get(url("queue") + "?state=done"))
    assert submitted.reference in body and "审批决定" in body


def test_sending_back_for_correction_reaches_the_applicant(as_user, people, submitted):
    client = as_user("window")
    client.post(url("task", open_task(submitted).public_id), {"outcome": "correct", "note": "请补充离职证明原件扫描件"})
    submitted.refresh_from_db()
    assert (submitted.state, submitted.corrections) == ("correction", 1)
    assert ApplicationTask.objects.get(application=submitted, state="open").role == "applicant"


def test_uploaded_materials_download_for_the_department_only(as_user, people, submitted):
    download = url("material-file", submitted.public_id, "leaving_proof")
    for who in ("window", "rs_case", "rs_leader"):
        response = as_user(who).get(download)
        assert response.status_code == 200, who
        assert b"".join(response.streaming_content) == PDF
    for who in ("binjiang_rs_case", "ningbo_rs_case", "sj_case"):
        assert as_user(who).get(download).status_code == 404, who
    assert as_user("window").get(url("material-file", submitted.public_id, "shebao")).status_code == 404


def test_the_application_page_is_for_the_departments_that_hold_it(as_user, people, submitted):
    assert as_user("window").get(url("application", submitted.public_id)).status_code == 200
    assert as_user("binjiang_window").get(url("application", submitted.public_id)).status_code == 404
    body = text(as_user("window").get(url("application", submitted.public_id)))
    assert f'<a href="{url("task", open_task(submitted).public_id)}">窗口受理</a>' in body


def test_measures_per_item_and_department(as_user, people, catalogue, submitted):
    services.application_start_submitted(actor=people.a, implementation_id=catalogue.instant.public_id, answers={},
                                         idempotency_key="instant-1")
    client = as_user("rs_leader")
    response = client.get(url("measures"))
    assert response.status_code == 200
    body = text(response)
    item_row = re.search(r'<tr data-key="330106-RS-002">(.*?)</tr>', body).group(1)
    cells = re.findall(r'<td class="zt-table__numeric">([^<]*)</td>', item_row)
    # one instant application: online, no trip, its one material waived, approved at once and on time
    assert cells == ["1", "100.0%", "0.0%", "100.0%", "1 / 1（100.0%）", "1", "100.0%", "0"]
    department_row = re.search(r'<tr data-key="330106-RS">(.*?)</tr>', body).group(1)
    assert re.findall(r'<td class="zt-table__numeric">([^<]*)</td>', department_row)[:2] == ["2", "100.0%"]
    # a period before anything was sent: empty tables
    body = text(client.get(url("measures") + "?since=2020-01-01&until=2020-12-31"))
    assert body.count("No application in this period.") == 2
    response = client.get(url("measures") + "?since=2021-01-01&until=2020-12-31")
    assert response.status_code == 400
    assert '<a href="#id_until">The end of the period must be on or after its start.</a>' in text(response)


def test_workspace_pages_are_for_signed_in_staff(client, as_user, people, submitted):
    response = client.get(url("queue"))
    assert response.status_code == 302 and response["Location"].startswith("/account/staff/login/")
    as_user("citizen_a")
    assert client.get(url("queue")).status_code == 302
    assert client.get(url("application", submitted.public_id)).status_code == 302


def test_the_queue_does_not_grow_in_queries(as_user, people, catalogue, django_assert_max_num_queries):
    for number in range(4):
        submit(people, fill_standard(people, catalogue), key=f"k{number}")
    client = as_user("window")
    with django_assert_max_num_queries(10):
        response = client.get(url("queue"))
    assert len(queue_references(response)) == 4


def test_the_officer_reads_the_answers_as_the_applicant_s(as_user, people, submitted):
    body = text(as_user("window").get(url("task", open_task(submitted).public_id)))
    assert "Entered by the applicant" in body and "Entered by you" not in body
    assert "From the applicant's real-name account" in body
