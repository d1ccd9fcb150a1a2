"""The pages: a dataset's versions and loads with the upload form (no JavaScript needed), and a
load's page with its progress (htmx polling while it runs) and its report, failing rows masked."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhengtong.data.ingest.models import Load
from zhengtong.data.ingest.public import load_run

from .conftest import PERSON_HEADER, SYSTEM, rid, rid_bad, write

pytestmark = pytest.mark.django_db

A = rid("330106", "19900101", "011")
BAD = rid_bad("330106", "19850505", "022")
CONTENT = f"{PERSON_HEADER}\n{A},张三,1990年1月1日,男,13800138000,10\n{BAD},李四,1985年5月5日,女,1380013800,2000\n"


@pytest.fixture
def officer(client, people):
    client.force_login(people.users["ga_officer"])
    return client


def page_url(dataset):
    return reverse("ingest:dataset-loads", kwargs={"public_id": dataset.public_id})


def test_the_dataset_page_lists_versions_and_loads_and_offers_the_upload_form(officer, persons, tmp_path):
    load_run(actor=SYSTEM, resource_code=persons.resource_code, source=write(tmp_path / "people.csv", CONTENT))
    html = officer.get(page_url(persons), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert persons.title in html and persons.resource_code in html
    assert '<th scope="row">v1</th>' in html and "people.csv" in html
    assert 'enctype="multipart/form-data"' in html and 'name="mode"' in html and 'type="file"' in html
    assert "/static/ingest/upload.js" in html and 'data-create-url="/api/v1/ingest/uploads"' in html
    assert "1 load" in html
    zh = officer.get(page_url(persons)).content.decode()  # Chinese by default
    assert "上传并归集" in zh


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks
def test_a_small_file_posted_without_javascript_is_queued_then_loaded(officer, persons, run_worker):
    upload = SimpleUploadedFile("人口.csv", CONTENT.encode("gbk"), content_type="text/csv")
    response = officer.post(page_url(persons), {"file": upload, "mode": "full"})
    load = Load.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ingest:load-detail",
                                                                           kwargs={"public_id": load.public_id})
    queued = officer.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'hx-trigger="every 2s"' in queued and "Waiting for a worker to start the load." in queued

    run_worker()
    html = officer.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "hx-trigger" not in html  # finished: no more polling
    assert "Succeeded" in html and "v1, 2 rows in all" in html
    assert "resident_id:resident_id" in html and "range:amount" in html
    # The failing rows, masked: the ID keeps its first and last two characters, the mobile 3 + 4.
    assert "3" + "*" * 15 + BAD[-2:] in html and BAD not in html
    assert "138***3800" in html and "1380013800" not in html
    assert reverse("ingest-load-report-csv", kwargs={"public_id": load.public_id}) in html


def test_htmx_polls_get_only_the_changing_part(officer, persons):
    load = Load.objects.create(dataset=persons, actor_kind="staff", source_name="big.csv", status="queued")
    url = reverse("ingest:load-detail", kwargs={"public_id": load.public_id})
    fragment = officer.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="load-body" hx-get=') and "<html" not in fragment
    Load.objects.filter(pk=load.pk).update(status="running", progress_phase="read", progress_done=50,
                                           progress_total=200)
    with_lock_free = officer.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Nobody holds the dataset's lock, so the "running" load is a dead one: shown as failed.
    assert "The load stopped before it finished (its process ended); nothing was changed." in with_lock_free


def test_a_running_load_shows_its_progress(officer, persons):
    from zhengtong.data.ingest import lake

    load = Load.objects.create(dataset=persons, actor_kind="staff", source_name="big.csv", status="running",
                               progress_phase="read", progress_done=50, progress_total=200)
    with lake.dataset_lock(persons.public_id):  # as the running load's process holds it
        html = officer.get(reverse("ingest:load-detail", kwargs={"public_id": load.public_id}),
                           HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reading the file" in html and '<progress id="load-progress" max="100" value="25">25%</progress>' in html


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks
def test_a_0_byte_file_and_a_bad_file_are_explained(officer, persons, run_worker):
    empty = SimpleUploadedFile("empty.csv", b"", content_type="text/csv")
    response = officer.post(page_url(persons), {"file": empty, "mode": "full"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "The file is empty (0 bytes)." in response.content.decode()
    assert not Load.objects.exists()

    png = SimpleUploadedFile("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(32), content_type="text/csv")
    response = officer.post(page_url(persons), {"file": png, "mode": "full"})
    run_worker()
    html = officer.get(response["Location"]).content.decode()  # in Chinese, the default
    assert "归集失败，未作任何更改" in html
    assert "文件 photo.csv 不是 CSV 文件：其内容是PNG 图片。" in html


def test_only_the_departments_data_officers_see_the_pages(client, people, persons, tmp_path):
    result = load_run(actor=SYSTEM, resource_code=persons.resource_code, source=write(tmp_path / "p.csv", CONTENT))
    detail = reverse("ingest:load-detail", kwargs={"public_id": result.load_id})
    response = client.get(page_url(persons))
    assert response.status_code == 302 and "/account/staff/" in response["Location"]
    for name in ("binjiang_ga_officer", "ga_clerk"):
        client.force_login(people.users[name])
        assert client.get(page_url(persons)).status_code == 403
        assert client.get(detail).status_code == 403
        assert client.post(page_url(persons), {"mode": "full"}).status_code == 403
    client.force_login(people.users["superuser"])
    assert client.get(detail).status_code == 200
    assert client.get(reverse("ingest:load-detail", kwargs={"public_id": "00000000-0000-0000-0000-000000000000"})).status_code == 404


def test_the_dataset_page_query_count_does_not_grow_with_loads(officer, persons, tmp_path,
                                                               django_assert_max_num_queries):
    source = write(tmp_path / "p.csv", CONTENT)
    load_run(actor=SYSTEM, resource_code=persons.resource_code, source=source)
    with django_assert_max_num_queries(30) as few:
        officer.get(page_url(persons))
    for _ in range(4):
        load_run(actor=SYSTEM, resource_code=persons.resource_code, source=source)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = officer.get(page_url(persons)).content.decode()
    assert html.count('<th scope="row">v') == 5
