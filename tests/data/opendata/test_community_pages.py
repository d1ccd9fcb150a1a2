"""The community's pages: applying, deciding, asking, answering, showcasing and the index —
Chinese by default, no requester named in public, nothing hidden shown, refusals change nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.data.opendata.conftest import HIDDEN_WORDS, Codes
from zhengtong.data.opendata import services
from zhengtong.data.opendata.models import DataRequest, OpenDataApplication, OpenDataset, Showcase
from zhengtong.kernel.masking.public import mask_value
from zhengtong.kernel.org.models import Department

pytestmark = pytest.mark.django_db
BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"
PURPOSE = "统计西湖区各街道零售个体工商户的数量，用于课题研究。"


def client_for(people, name=None) -> Client:
    client = Client()
    if name:
        client.force_login(people.users[name], backend=BACKEND)
    return client


def html(response) -> str:
    return response.content.decode()


def assert_nothing_hidden(text: str) -> None:
    for word in HIDDEN_WORDS:
        assert word not in text


def apply(people, name="developer"):
    return services.application_submit(
        applicant_user=people.users[name], open_dataset=OpenDataset.objects.get(resource_code=Codes.APPLY),
        organisation="", purpose=PURPOSE, requested_until=services.china_today() + timedelta(days=60),
        agreement_accepted=True)


# --- applications -------------------------------------------------------------------------------


def test_the_apply_page_needs_an_account(open_world_unserved, people):
    response = client_for(people).get(f"/opendata/datasets/{Codes.APPLY}/apply/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=")


def test_the_apply_page_shows_the_agreement_in_chinese_and_in_english(open_world_unserved, people):
    client = client_for(people, "developer")
    page = html(client.get(f"/opendata/datasets/{Codes.APPLY}/apply/"))
    assert "西湖区个体工商户经营者信息" in page
    assert "不得以任何方式（包括与其他数据比对、关联）重新识别" in page
    assert "2026-1" in page
    english = html(client.get(f"/opendata/datasets/{Codes.APPLY}/apply/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "You must not re-identify" in english
    assert "重新识别" not in english


@pytest.mark.parametrize("code", [Codes.NEGATIVE, Codes.SECRET, Codes.DRAFT, "330106-SJ-99999"])
def test_a_hidden_dataset_has_no_apply_page(open_world_unserved, people, code):
    response = client_for(people, "developer").get(f"/opendata/datasets/{code}/apply/")
    assert response.status_code == 404
    assert_nothing_hidden(html(response))


def test_a_dataset_open_to_everyone_offers_no_form(open_world_unserved, people):
    client = client_for(people, "developer")
    page = client.get(f"/opendata/datasets/{Codes.OPEN}/apply/")
    assert page.status_code == 200
    assert 'name="purpose"' not in html(page)
    response = client.post(f"/opendata/datasets/{Codes.OPEN}/apply/", {
        "purpose": PURPOSE, "requested_until": "2099-01-01", "agreement_accepted": "on"})
    assert response.status_code == 200
    assert OpenDataApplication.objects.count() == 0


def test_applying_through_the_form(open_world_unserved, people):
    client = client_for(people, "developer")
    until = (services.china_today() + timedelta(days=30)).isoformat()
    refused = client.post(f"/opendata/datasets/{Codes.APPLY}/apply/", {
        "purpose": "太短", "requested_until": until})
    assert refused.status_code == 400
    assert 'class="zt-error-summary"' in html(refused)
    assert 'id="id_purpose_error"' in html(refused) and 'id="id_agreement_accepted_error"' in html(refused)
    assert OpenDataApplication.objects.count() == 0
    response = client.post(f"/opendata/datasets/{Codes.APPLY}/apply/", {
        "organisation": "浙江大学", "purpose": PURPOSE, "requested_until": until, "agreement_accepted": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/opendata/applications/"
    application = OpenDataApplication.objects.get()
    assert (application.status, application.purpose, application.requested_until.isoformat()) == ("pending", PURPOSE, until)
    mine = html(client.get("/opendata/applications/"))
    assert "西湖区个体工商户经营者信息" in mine and "Authorization: Key zto_" in mine
    # Another person sees none of it.
    assert "西湖区个体工商户经营者信息" not in html(client_for(people, "other").get("/opendata/applications/"))


def test_withdrawing_from_my_applications(open_world_unserved, people):
    application = apply(people)
    url = f"/opendata/applications/{application.public_id}/withdraw/"
    assert client_for(people, "other").post(url).status_code == 404
    application.refresh_from_db()
    assert application.status == "pending"
    assert client_for(people, "developer").post(url).status_code == 302
    application.refresh_from_db()
    assert application.status == "withdrawn"


def test_the_officer_decides_in_the_workspace(open_world_unserved, people):
    application = apply(people)
    officer = client_for(people, "sj_data")
    listing = html(officer.get("/workspace/opendata/applications/"))
    assert f"/workspace/opendata/applications/{application.public_id}/" in listing
    assert mask_value("name", people.users["developer"].display_name) in listing
    assert PURPOSE[:20] in listing
    url = f"/workspace/opendata/applications/{application.public_id}/"
    refused = officer.post(url, {"decision": "reject", "reason": ""})
    assert refused.status_code == 400
    application.refresh_from_db()
    assert application.status == "pending"
    assert officer.post(url, {"decision": "approve", "reason": ""}).status_code == 302
    application.refresh_from_db()
    assert (application.status, application.decided_by_id) == ("approved", people.users["sj_data"].id)


def test_an_officer_of_another_department_sees_nothing(open_world_unserved, people):
    application = apply(people)
    other = client_for(people, "ga_data")
    listing = html(other.get("/workspace/opendata/applications/"))
    assert str(application.public_id) not in listing
    url = f"/workspace/opendata/applications/{application.public_id}/"
    assert other.get(url).status_code == 404
    assert other.post(url, {"decision": "approve"}).status_code == 404
    application.refresh_from_db()
    assert application.status == "pending"
    # Citizens are sent to the staff sign-in.
    assert client_for(people, "developer").get(url).status_code == 302


# --- data requests ------------------------------------------------------------------------------


def test_asking_and_answering_through_the_pages(open_world_unserved, people):
    citizen = client_for(people, "developer")
    form = html(citizen.get("/opendata/requests/new/"))
    department = Department.objects.get(code="330106-SJ")
    assert f'<option value="{department.id}">西湖区市场监督管理局</option>' in form
    refused = citizen.post("/opendata/requests/new/", {"title": "", "department": "", "description": "短"})
    assert refused.status_code == 400
    assert DataRequest.objects.count() == 0
    response = citizen.post("/opendata/requests/new/", {
        "title": "停车泊位数据", "department": department.id,
        "description": "希望开放停车场泊位数据，我的手机号是13800000000。"})
    assert response.status_code == 302
    request = DataRequest.objects.get()

    staff = client_for(people, "sj_data")
    url = f"/workspace/opendata/requests/{request.public_id}/"
    page = html(staff.get(url))
    assert "13800000000" in page  # the department sees the description
    assert client_for(people, "ga_data").get(url).status_code == 404
    assert staff.post(url, {"action": "accept"}).status_code == 302
    assert staff.post(url, {"action": "answer", "outcome": "opened", "dataset": Codes.OPEN,
                            "answer": "已开放食品经营许可数据。"}).status_code == 302
    request.refresh_from_db()
    assert (request.status, request.answer) == ("opened", "已开放食品经营许可数据。")

    public = html(client_for(people).get("/opendata/requests/"))
    assert "停车泊位数据" in public and "已开放食品经营许可数据。" in public and "西湖区食品经营许可公示" in public
    assert "13800000000" not in public  # the description is not public
    assert people.users["developer"].display_name not in public.split("<main", 1)[1]
    assert people.users["developer"].username not in public
    assert_nothing_hidden(public)


def test_the_public_request_list_costs_the_same_queries_for_more_rows(open_world_unserved, people):
    department = Department.objects.get(code="330106-SJ")

    def ask(n):
        for i in range(n):
            services.data_request_submit(requester_user=people.users["developer"], title=f"样例需求{i}",
                                         description="希望开放更多的市场监管数据。", department=department)

    client = client_for(people)
    ask(1)
    client.get("/opendata/requests/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/opendata/requests/").status_code == 200
    ask(4)
    with CaptureQueriesContext(connection) as five:
        page = html(client.get("/opendata/requests/"))
    assert page.count("样例需求") == 5
    assert len(five.captured_queries) == len(one.captured_queries)


# --- showcases and the index --------------------------------------------------------------------


def test_showcases_through_the_pages(open_world_unserved, people):
    citizen = client_for(people, "developer")
    refused = citizen.post("/opendata/showcases/new/", {
        "title": "点位地图", "description": "展示全部点位的地图应用。", "url": "https://example.org/",
        "datasets": Codes.NEGATIVE}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert f"There is no open dataset with the resource code {Codes.NEGATIVE}" in html(refused)
    assert_nothing_hidden(html(refused))
    assert Showcase.objects.count() == 0
    assert citizen.post("/opendata/showcases/new/", {
        "title": "西湖美食地图", "description": "在地图上展示西湖区的持证餐饮店。", "url": "https://example.org/map",
        "datasets": f"{Codes.OPEN}，{Codes.APPLY}"}).status_code == 302
    showcase = Showcase.objects.get()
    assert "西湖美食地图" not in html(client_for(people).get("/opendata/showcases/"))
    url = f"/workspace/opendata/showcases/{showcase.public_id}/"
    assert client_for(people, "sj_data").get(url).status_code == 404
    assert client_for(people, "xihu_dsj_admin").post(url, {"decision": "publish"}).status_code == 302
    public = html(client_for(people).get("/opendata/showcases/"))
    assert "西湖美食地图" in public and "西湖区食品经营许可公示" in public and "西湖区个体工商户经营者信息" in public
    assert 'href="https://example.org/map" rel="noopener nofollow ugc"' in public
    assert people.users["developer"].username not in public


def test_the_index_page_ranks_and_explains(open_world_unserved, people):
    page = html(client_for(people).get("/opendata/index/"))
    assert page.index("宁波市公安局") < page.index("西湖区市场监督管理局")
    assert "53.8" in page and "44.2" in page
    assert "西湖区公安局" not in page  # its datasets are all hidden
    for weight in ("20", "15", "30"):
        assert f'<td class="zt-table__numeric">{weight}</td>' in page
    assert_nothing_hidden(page)
