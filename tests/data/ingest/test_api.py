"""The upload API: a file in chunks, resumed after a break, loaded by the worker; the load's
status and its report, as JSON and as CSV with formula cells neutralised."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from zhengtong.data.ingest.models import DatasetVersion, Load, Upload
from zhengtong.data.ingest.services import upload_path
from zhengtong.kernel.identity import services as identity_services

from .conftest import PERSON_HEADER, rid, rid_bad

pytestmark = pytest.mark.django_db

A = rid("330106", "19900101", "011")
BAD = rid_bad("330106", "19850505", "022")
CONTENT = (
    f"{PERSON_HEADER}\n"
    f"{A},张三,1990年1月1日,男,13800138000,10\n"
    f"{BAD},=cmd|' /C calc'!A0,1985年5月5日,女,13800138001,20\n"
    f"{A},@SUM(1),1990年1月1日,男,1380013800,-5\n"
).encode("gbk")


@pytest.fixture
def api(people):
    client = APIClient()
    client.force_authenticate(people.users["ga_officer"])
    return client


def start(api, persons, size=None, filename="人口.csv", **headers):
    size = len(CONTENT) if size is None else size
    return api.post("/api/v1/ingest/uploads", {"dataset": persons.resource_code, "filename": filename, "size": size},
                    format="json", **headers)


def put(api, upload_id, first, last, data=None, total=None):
    body = CONTENT[first:last + 1] if data is None else data
    total = len(CONTENT) if total is None else total
    return api.put(f"/api/v1/ingest/uploads/{upload_id}", body, content_type="application/octet-stream",
                   HTTP_CONTENT_RANGE=f"bytes {first}-{last}/{total}")


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks
def test_a_chunked_upload_resumes_and_is_loaded_by_the_worker(api, persons, run_worker):
    created = start(api, persons)
    assert created.status_code == 201
    upload_id = created.json()["public_id"]
    assert created.json() == {"public_id": upload_id, "dataset": persons.resource_code, "filename": "人口.csv",
                              "size": len(CONTENT), "received": 0, "status": "receiving"}

    assert put(api, upload_id, 0, 99).json()["received"] == 100
    # The connection drops; the client asks where to go on.
    status = api.get(f"/api/v1/ingest/uploads/{upload_id}")
    assert (status.json()["received"], status["Upload-Offset"], status["Range"]) == (100, "100", "bytes=0-99")
    # A chunk sent again is harmless; one that would leave a gap is refused with the offset.
    assert put(api, upload_id, 50, 99).json()["received"] == 100
    gap = put(api, upload_id, 150, 199)
    assert (gap.status_code, gap.json()["code"], gap.json()["received"]) == (409, "gap", 100)
    short = put(api, upload_id, 100, 199, data=CONTENT[100:150])
    assert (short.status_code, short.json()["code"]) == (400, "short_body")
    beyond = put(api, upload_id, 100, len(CONTENT), data=CONTENT[100:] + b"x")
    assert beyond.status_code == 416
    early = api.post(f"/api/v1/ingest/uploads/{upload_id}/complete", {"mode": "full"}, format="json")
    assert (early.status_code, early.json()["code"]) == (400, "upload_incomplete")

    assert put(api, upload_id, 100, len(CONTENT) - 1).json()["received"] == len(CONTENT)
    assert upload_path(Upload.objects.get()).read_bytes() == CONTENT
    queued = api.post(f"/api/v1/ingest/uploads/{upload_id}/complete", {"mode": "full"}, format="json")
    assert queued.status_code == 202
    load_id = queued.json()["public_id"]
    assert (queued.json()["status"], queued.json()["progress"]["phase"]) == ("queued", "")

    run_worker()
    load = api.get(f"/api/v1/ingest/loads/{load_id}").json()
    assert (load["status"], load["encoding"], load["rows_read"], load["problem_rows"], load["version"]) == (
        "succeeded", "gb18030", 3, 3, 1)
    assert load["progress"] == {"phase": "done", "done": 3, "total": 3, "percent": 100}
    rules = {r["code"]: r for r in load["rules"]}
    assert rules["unique:resident_id"]["failed"] == 2
    # Failing rows are masked by each field's maskingKind: resident IDs keep 1 + 2, mobiles 3 + 4.
    assert rules["resident_id:resident_id"]["samples"] == [{"row": 3, "values": {"resident_id": "3" + "*" * 15 + BAD[-2:]}}]
    assert rules["mobile:mobile"]["samples"] == [{"row": 4, "values": {"mobile": "138***3800"}}]
    assert DatasetVersion.objects.get().row_count == 3
    assert not Upload.objects.exists()  # the upload's bytes are gone once the load has run

    report = api.get(load["report_csv"])
    assert report.status_code == 200 and report["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(report.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == ["rule", "kind", "failed", "row", "resident_id", "name", "birth_date", "gender", "mobile", "amount"]
    by_rule = {}
    for line in table[1:]:
        by_rule.setdefault(line[0], []).append(line)
    assert by_rule["range:amount"] == [["range:amount", "range", "1", "4", "", "", "", "", "", "'-5"]]
    assert by_rule["required:name"] == [["required:name", "required", "0", "", "", "", "", "", "", ""]]


def test_formula_cells_are_neutralised(api, persons, tmp_path):
    from zhengtong.data.ingest.reports import csv_cell

    assert [csv_cell(v) for v in ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(1)", "\tx", "\rx", "张三", "", None, 3]] == [
        "'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(1)", "'\tx", "'\rx", "张三", "", "", "3"]


def test_a_0_byte_upload_is_refused_before_anything_is_stored(api, persons):
    response = start(api, persons, size=0, filename="empty.csv", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()) == (400, {"code": "empty_file",
                                                              "detail": "The file empty.csv is empty (0 bytes)."})
    chinese = start(api, persons, size=0, filename="empty.csv")  # Chinese by default
    assert chinese.json()["detail"] == "文件 empty.csv 是空文件（0 字节）。"
    assert not Upload.objects.exists()


def test_only_the_departments_data_officers_may_upload_or_see_loads(api, people, persons, django_capture_on_commit_callbacks):
    upload_id = start(api, persons).json()["public_id"]
    put(api, upload_id, 0, len(CONTENT) - 1)
    with django_capture_on_commit_callbacks(execute=False):
        load_id = api.post(f"/api/v1/ingest/uploads/{upload_id}/complete", {}, format="json").json()["public_id"]
    outsider = APIClient()
    for name in ("binjiang_ga_officer", "ga_clerk"):
        outsider.force_authenticate(people.users[name])
        assert start(outsider, persons).status_code == 403
        assert outsider.get(f"/api/v1/ingest/loads/{load_id}").status_code == 403
        assert outsider.get(f"/api/v1/ingest/loads/{load_id}/report.csv").status_code == 403
        # Another person's upload is as if it did not exist.
        assert outsider.get(f"/api/v1/ingest/uploads/{upload_id}").status_code == 404
    assert APIClient().get(f"/api/v1/ingest/loads/{load_id}").status_code == 401
    assert api.get("/api/v1/ingest/loads/00000000-0000-0000-0000-000000000000").status_code == 404


def test_an_api_client_of_the_department_with_the_ingest_scope(persons, small_province):
    from zhengtong.kernel.org.models import Department

    client, key = identity_services.api_client_create(
        name="户籍系统", department=Department.objects.get(code="330106-GA"), scopes=["ingest:write"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
    assert start(api, persons).status_code == 201
    _, other_key = identity_services.api_client_create(
        name="只读", department=Department.objects.get(code="330106-GA"), scopes=["catalog:read"])
    api.credentials(HTTP_AUTHORIZATION=f"ApiKey {other_key}")
    assert start(api, persons).status_code == 403


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks
def test_a_load_that_fails_on_the_worker_reports_why(api, persons, run_worker):
    content = f"{PERSON_HEADER}\n{A},张三\n".encode()
    upload_id = start(api, persons, size=len(content), filename="short.csv").json()["public_id"]
    put(api, upload_id, 0, len(content) - 1, data=content, total=len(content))
    load_id = api.post(f"/api/v1/ingest/uploads/{upload_id}/complete", {"mode": "append"},
                       format="json").json()["public_id"]
    run_worker()
    load = api.get(f"/api/v1/ingest/loads/{load_id}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (load["status"], load["error_code"], load["version"]) == ("failed", "ragged_row", None)
    assert load["error_message"] == "Row 2 of short.csv has 2 columns; the header has 6."
    assert Load.objects.get().mode == "append"
    assert not DatasetVersion.objects.exists() and not Upload.objects.exists()
