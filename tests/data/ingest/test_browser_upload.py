"""The upload journey in a real browser: the page's JavaScript sends the file in chunks, the worker
loads it, and the load's page follows it by htmx polling until the report shows."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe, browser, check_page, page  # noqa: F401 (fixtures)
from zhengtong.data.ingest.models import DatasetVersion, Upload

from .conftest import PERSON_HEADER, rid, rid_bad

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_uploads_a_gbk_file_in_chunks_and_follows_its_load(
    live_server, page, check_page, client, people, persons, settings, run_worker,  # noqa: F811 (fixtures)
):
    settings.INGEST_UPLOAD_CHUNK_BYTES = 1024  # several chunks for a small file
    rows = [f"{rid('330106', '19900101', f'{n:03d}')},人{n},1990年1月1日,男,13800138000,{n}" for n in range(60)]
    rows.append(f"{rid_bad('330106', '19850505', '999')},李四,1985年5月5日,女,1380013800,5")
    content = (PERSON_HEADER + "\n" + "\n".join(rows) + "\n").encode("gbk")
    assert len(content) > 3 * 1024

    client.force_login(people.users["ga_officer"])
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    chunks = []
    page.on("request", lambda request: chunks.append(request) if request.method == "PUT" else None)

    page.goto(f"{live_server.url}/workspace/ingest/datasets/{persons.public_id}/")
    expect(page.locator("h1")).to_have_text(persons.title)
    check_page("ingest-dataset-loads")
    page.get_by_label("文件", exact=True).set_input_files(files=[{"name": "人口.csv", "mimeType": "text/csv", "buffer": content}])
    page.get_by_label("追加").check()
    page.get_by_role("button", name="上传并归集").click()

    page.wait_for_url(f"{live_server.url}/workspace/ingest/loads/**")
    assert len(chunks) == -(-len(content) // 1024)
    expect(page.locator("#load-body")).to_contain_text("等待后台任务开始归集。")
    run_worker()
    expect(page.locator("#load-body")).to_contain_text("v1，共 61 行", timeout=15_000)  # htmx polled
    expect(page.locator("#load-body")).to_contain_text("resident_id:resident_id")
    check_page("ingest-load-detail")
    version = DatasetVersion.objects.get()
    assert (version.row_count, version.mode) == (61, "append")
    assert not Upload.objects.exists()
