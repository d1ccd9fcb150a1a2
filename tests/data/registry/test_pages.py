"""The registry pages: home and search, a golden record, the review queue, the runs."""

import re

import pytest
from django.urls import reverse

from zhengtong.data.registry.models import ClericalDecision, PairStatus, ReviewPair
from zhengtong.data.registry.public import registry_lookup

from .conftest import CHEN, ZHAO, HUKOU_ROWS, ledger, run
from .test_review import script_doubt

pytestmark = pytest.mark.django_db

HOME = reverse("registry:home")


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def built(sources):
    run()
    moved = [dict(row) for row in HUKOU_ROWS]
    moved[0]["address"] = "浙江省杭州市西湖区学院路28号3幢201室"
    sources.load("hukou", moved)
    run()
    return registry_lookup(kind="person", resident_id=CHEN).registry_id


def record_url(registry_id):
    return reverse("registry:record", kwargs={"registry_id": registry_id})


def test_the_golden_record_page_shows_each_attribute_s_source_and_the_history(client, people, built):
    client.force_login(people.users["xihu_dsj_admin"])
    response = client.get(record_url(built), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = text(response)
    assert f"Registry record {built}" in body
    assert ("Name 陈* 户籍人口基本信息 330106-GA-00001 西湖区公安局 2 Verified by the government Source of truth"
            in body)
    assert "Mobile 159****2222 社会保险参保人员信息 330106-RS-00001 西湖区人力资源和社会保障局 1 Self-declared" in body
    assert "陈梅" not in body and CHEN not in body and "学院路28号" not in body
    # The history: the address change, masked, with its source version.
    assert re.search(r"Address 浙江省杭州市西湖区文三路9\*{8} 浙江省杭州市西湖区学院路2\*{8} 330106-GA-00001 v2", body)
    assert "户籍人口基本信息 (330106-GA-00001, 西湖区公安局): 1 record" in body
    # The reading is in the ledger, as the page says.
    assert ledger("registry.read")[-1][2]["via"] == "page"


def test_the_page_is_in_chinese_by_default(client, people, built):
    client.force_login(people.users["xihu_dsj_admin"])
    body = text(client.get(record_url(built), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert f"基础库记录 {built}" in body
    assert "姓名 陈* 户籍人口基本信息 330106-GA-00001 西湖区公安局 2 政府核验 权威来源" in body
    assert "本人自报" in body and "变更历史" in body


def test_pages_are_for_the_right_staff_only(client, people, built):
    zhao = registry_lookup(kind="person", resident_id=ZHAO).registry_id
    client.force_login(people.users["ga_officer"])
    assert client.get(record_url(built)).status_code == 200
    assert client.get(record_url(zhao)).status_code == 404  # social insurance's person, not public security's
    assert client.get(HOME).status_code == 200
    client.force_login(people.users["ningbo_ga_officer"])
    for url in (HOME, record_url(built), reverse("registry:review-queue"), reverse("registry:runs")):
        assert client.get(url).status_code == 403
    client.force_login(people.users["citizen"])
    assert client.get(record_url(built)).status_code == 302
    client.logout()
    response = client.get(record_url(built))
    assert response.status_code == 302 and "/account/staff/login/" in response["Location"]


def test_search_finds_by_identifier_and_by_name_and_birth_date(client, people, built):
    client.force_login(people.users["xihu_dsj_admin"])
    body = text(client.get(HOME, {"kind": "person", "identifier": CHEN}, HTTP_ACCEPT_LANGUAGE="en"))
    assert f"1 record found Registry id Attributes (masked) {built} Resident ID number 3" in body
    body = text(client.get(HOME, {"kind": "person", "name": "赵敏", "birth_date": "1992-05-20"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "1 record found Registry id Attributes (masked) ZJP" in body and "Name 赵*" in body
    body = text(client.get(HOME, {"kind": "person", "identifier": "110102199101010078"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "0 records found" in body
    redirect = client.get(HOME, {"kind": "person", "registry_id": built.lower()})
    assert redirect.status_code == 302 and redirect["Location"] == record_url(built.lower())
    assert client.get(redirect["Location"]).status_code == 200


def test_a_reviewer_decides_with_a_plain_form(client, people, sources, engine):
    script_doubt(engine)
    run()
    pair = ReviewPair.objects.get()
    client.force_login(people.users["xihu_dsj_admin"])
    queue = client.get(reverse("registry:review-queue"), HTTP_ACCEPT_LANGUAGE="en")
    assert "1 pair" in text(queue)
    url = reverse("registry:review-pair", kwargs={"public_id": pair.public_id})
    assert url in queue.content.decode()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Name 陈* 陈*" in text(page)
    assert client.post(url, {"decision": ""}).status_code == 200  # the form again, with its error
    assert ClericalDecision.objects.count() == 0
    response = client.post(url, {"decision": "reject", "note": "出生日期不同"})
    assert response.status_code == 302 and response["Location"] == reverse("registry:review-queue")
    assert ReviewPair.objects.get().status == PairStatus.REJECTED
    # Another department's officer cannot even see the pair.
    client.force_login(people.users["ga_officer"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "accept"}).status_code == 404


def test_the_runs_page_lists_runs_and_lets_the_bureau_queue_one(client, people, built):
    client.force_login(people.users["ga_officer"])
    body = text(client.get(reverse("registry:runs"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "2 runs" in body and "Run the linkage now" not in body
    assert client.post(reverse("registry:runs"), {"kind": "person"}).status_code == 403
    client.force_login(people.users["xihu_dsj_admin"])
    assert "Run the linkage now" in text(client.get(reverse("registry:runs"), HTTP_ACCEPT_LANGUAGE="en"))


def test_the_workspace_links_the_registries(client, people, built):
    client.force_login(people.users["xihu_dsj_admin"])
    assert f'href="{HOME}"' in client.get(reverse("web:workspace-home")).content.decode()
