"""The portal's public pages: search with facets, dataset pages, previews and downloads.

The world (conftest): OPEN (L1, 30 rows, a masked mobile column), APPLY (on application, 12 rows),
NINGBO (open, no data) are public; NEGATIVE, SECRET and DRAFT are not, and no page may show a
trace of them.
"""

import csv
import io
import json
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengtong.data.catalog.public import dataset_create, dataset_get, dataset_publish, schema_version_create
from zhengtong.data.ingest.public import load_run
from zhengtong.data.opendata.models import DailyUsage, OpenDataset
from zhengtong.data.opendata.views import content_disposition
from zhengtong.data.opendata.visibility import open_dataset_sync
from zhengtong.kernel.masking.public import mask_value

from .conftest import CATEGORIES, HIDDEN_WORDS, SYSTEM, Codes, _rows, write_csv

pytestmark = pytest.mark.django_db

PUBLIC = {Codes.OPEN, Codes.APPLY, Codes.NINGBO}
HIDDEN = (Codes.NEGATIVE, Codes.SECRET, Codes.DRAFT)


def codes_of(response) -> list[str]:
    return [item["dataset"].resource_code for item in response.context["results"]]


def facet_counts(response) -> dict[str, dict[str, int]]:
    return {g["name"]: {v.value: v.count for v in g["values"]} for g in response.context["facet_groups"]}


def assert_no_hidden_words(response, echoed: str = "") -> None:
    """No trace of a hidden dataset, apart from the visitor's own words shown back to them."""
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    if echoed:
        text = text.replace(echoed, "")
    for word in HIDDEN_WORDS:
        assert word not in text, word
    for code in HIDDEN:
        assert dataset_get(resource_code=code).title not in text


def open_datasets_create(departments, count: int, *, prefix: str = "批量开放数据") -> list[str]:
    """More published, open, metadata-only datasets of 西湖区市场监管局, through the services."""
    codes = []
    for i in range(count):
        code = f"330106-SJ-{200 + i:05d}"
        dataset_create(
            actor=SYSTEM, resource_code=code, title=f"{prefix}{i:02d}", description="批量生成的开放数据集。",
            owner_department_id=departments["330106-SJ"].id, share_type="unconditional", open_type="open",
            update_cycle="quarterly", sensitivity="L1", grade="general", keywords=["批量"], theme="GOVE",
        )
        schema_version_create(actor=SYSTEM, resource_code=code, descriptor={
            "fields": [{"name": "item_no", "title": "编号", "type": "string"}], "primaryKey": ["item_no"]})
        dataset_publish(actor=SYSTEM, resource_code=code)
        open_dataset_sync(dataset_get(resource_code=code).id)
        codes.append(code)
    return codes


# -- search ---------------------------------------------------------------------------------

def test_the_front_page_lists_every_public_dataset_with_facets(client, open_world):
    response = client.get("/opendata/")
    assert response.status_code == 200
    assert set(codes_of(response)) == PUBLIC
    assert response.context["total"] == 3
    assert facet_counts(response) == {
        "department": {"330106-SJ": 2, "330200-GA": 1},
        "theme": {"ECON": 2, "TRAN": 1},
        "format": {"CSV": 2, "JSON": 2, "Parquet": 2, "XLSX": 2},
        "tier": {"open": 2, "on_application": 1},
        "update_cycle": {"daily": 1, "monthly": 1, "yearly": 1},
        "region": {"330100": 2, "330200": 1},
    }
    html = response.content.decode()
    # every facet value is a checkbox of the one GET form; the links to the other parts are there
    assert html.count('type="checkbox" form="od-search"') == 2 + 2 + 4 + 2 + 3 + 2
    for path in ("/opendata/catalog.ttl", "/opendata/developer/", "/opendata/requests/", "/opendata/showcases/",
                 "/opendata/index/", "/api/3/action/package_search", "/api/docs/"):
        assert f'href="{path}"' in html, path
    assert_no_hidden_words(response)


@pytest.mark.parametrize(("params", "expected"), [
    ({"q": "食品"}, [Codes.OPEN]),
    ({"q": "交通"}, [Codes.NINGBO]),
    ({"q": "个体工商户"}, [Codes.APPLY]),
    ({"q": "卡口点位"}, []),  # a hidden dataset's word finds nothing
    ({"department": "330106-SJ"}, [Codes.APPLY, Codes.OPEN]),
    ({"department": ["330106-SJ", "330200-GA"]}, [Codes.NINGBO, Codes.APPLY, Codes.OPEN]),
    ({"theme": "TRAN"}, [Codes.NINGBO]),
    ({"format": "CSV"}, [Codes.APPLY, Codes.OPEN]),
    ({"tier": "on_application"}, [Codes.APPLY]),
    ({"update_cycle": "daily"}, [Codes.OPEN]),
    ({"region": "330200"}, [Codes.NINGBO]),
    ({"q": "西湖", "tier": "open"}, [Codes.OPEN]),
    ({"department": "330200-GA", "format": "CSV"}, []),
])
def test_search_by_query_and_each_facet(client, open_world, params, expected):
    response = client.get("/opendata/search/", params)
    assert response.status_code == 200
    assert codes_of(response) == expected
    assert response.context["total"] == len(expected)
    assert_no_hidden_words(response, echoed=params.get("q", ""))


def test_facet_counts_follow_the_other_facets_and_ticked_boxes_stay_ticked(client, open_world):
    response = client.get("/opendata/search/", {"q": "食品", "department": "330106-SJ"})
    counts = facet_counts(response)
    # the department facet counts the query's results regardless of the department ticked
    assert counts["department"] == {"330106-SJ": 1}
    assert counts["tier"] == {"open": 1}
    assert '<input type="checkbox" form="od-search" name="department" value="330106-SJ" checked>' in response.content.decode()
    # a ticked value that now matches nothing is still there, to untick
    response = client.get("/opendata/search/", {"q": "交通", "department": "330106-SJ"})
    assert response.context["total"] == 0
    assert facet_counts(response)["department"] == {"330200-GA": 1, "330106-SJ": 0}
    response = client.get("/opendata/search/", {"q": "交通", "tier": "on_application"}, HTTP_ACCEPT_LANGUAGE="en")
    tiers = next(g for g in response.context["facet_groups"] if g["name"] == "tier")["values"]
    assert [(v.value, v.label, v.count, v.selected) for v in tiers] == [
        ("open", "Open to everyone", 1, False), ("on_application", "Open on approved application", 0, True)]


def test_sorting(client, open_world):
    by_title = client.get("/opendata/search/", {"sort": "title asc"})
    assert codes_of(by_title) == [Codes.NINGBO, Codes.APPLY, Codes.OPEN]  # 宁 < 西湖区个 < 西湖区食 (code points)
    by_code = client.get("/opendata/search/", {"sort": "name asc"})
    assert codes_of(by_code) == [Codes.OPEN, Codes.APPLY, Codes.NINGBO]
    assert [value for value, _label in by_code.context["sorts"]] == ["metadata_modified desc", "title asc", "name asc"]
    with_query = client.get("/opendata/search/", {"q": "西湖", "sort": "relevance"})
    assert with_query.context["sort"] == "relevance"
    assert [value for value, _label in with_query.context["sorts"]][0] == "relevance"
    # an unknown sort (a hand-edited link) shows the default order instead of failing
    unknown = client.get("/opendata/search/", {"sort": "drop table"})
    assert unknown.status_code == 200
    assert unknown.context["sort"] == "metadata_modified desc"
    assert set(codes_of(unknown)) == PUBLIC


def test_pagination_20_a_page(client, departments, open_world_unserved):
    created = open_datasets_create(departments, 22)
    first = client.get("/opendata/", {"department": "330106-SJ", "sort": "name asc"})
    assert first.context["total"] == 24
    expected = sorted([Codes.OPEN, Codes.APPLY, *created])
    assert codes_of(first) == expected[:20]
    html = first.content.decode()
    assert 'href="?department=330106-SJ&amp;sort=name+asc&amp;page=2" rel="next"' in html
    second = client.get("/opendata/", {"department": "330106-SJ", "sort": "name asc", "page": "2"})
    assert codes_of(second) == expected[20:]
    assert '<ol class="od-results" start="21">' in second.content.decode()
    # past the end and nonsense numbers: the last and the first page
    assert codes_of(client.get("/opendata/", {"department": "330106-SJ", "sort": "name asc", "page": "99"})) == expected[20:]
    assert codes_of(client.get("/opendata/", {"department": "330106-SJ", "sort": "name asc", "page": "x"})) == expected[:20]


def test_the_search_page_query_count_does_not_grow_with_datasets(client, departments, open_world_unserved):
    with CaptureQueriesContext(connection) as few:
        assert client.get("/opendata/").status_code == 200
    open_datasets_create(departments, 25)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/opendata/", {"q": "批量开放数据"})
    assert response.context["total"] == 25
    with CaptureQueriesContext(connection) as many_unfiltered:
        assert len(client.get("/opendata/").context["results"]) == 20
    assert len(many_unfiltered) == len(few)
    assert len(many) == len(few)


# -- dataset pages --------------------------------------------------------------------------

def test_an_open_dataset_page_shows_metadata_schema_versions_preview_and_downloads(client, open_world):
    response = client.get(f"/opendata/datasets/{Codes.OPEN}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("西湖区食品经营许可公示", "西湖区市场监督管理局", "食品、许可、公示", "杭州市", "西湖区（330106）",
                 "<code>contact_mobile</code>", "Yes, masked", "Primary key: licence_no."):
        assert text in html, text
    # the preview: 20 of 30 rows, masked as the served copy masks them
    preview = response.context["preview"]
    assert preview["state"] == "rows"
    assert [c["name"] for c in preview["columns"]] == [
        "licence_no", "company_name", "uscc", "category", "division_code", "issued_on", "seats", "contact_mobile"]
    assert len(preview["rows"]) == 20
    assert preview["rows"][0][0] == "JY333010600001"
    assert preview["rows"][0][7] == mask_value("mobile", "13805710001") != "13805710001"
    assert "13805710001" not in html
    assert "<caption id=\"od-preview-caption\">The first 20 rows of 30</caption>" in html
    # the versions: one load of 30 rows
    assert [(v["number"], v["rows"], v["delta"]) for v in response.context["versions"]] == [(1, 30, None)]
    # downloads in the four formats, with their row counts
    downloads = response.context["downloads"]
    assert [(d["format"], d["url"], d["rows"]) for d in downloads] == [
        ("CSV", f"/opendata/datasets/{Codes.OPEN}/download.csv", 30),
        ("JSON", f"/opendata/datasets/{Codes.OPEN}/download.json", 30),
        ("Parquet", f"/opendata/datasets/{Codes.OPEN}/download.parquet", 30),
        ("XLSX", f"/opendata/datasets/{Codes.OPEN}/download.xlsx", 30),
    ]
    assert downloads[2]["size"] == OpenDataset.objects.get(resource_code=Codes.OPEN).served.byte_size > 0
    assert "Download as CSV" in html
    # stars: open, data, a schema and linked codes (uscc, division_code)
    assert response.context["stars"]["count"] == 5
    for path in (f"/opendata/datasets/{Codes.OPEN}.ttl", f"/opendata/datasets/{Codes.OPEN}.jsonld",
                 f"/opendata/datasets/{Codes.OPEN}.rdf", f"/opendata/datasets/{Codes.OPEN}/datapackage.json",
                 f"/api/v1/open/datasets/{Codes.OPEN}", f"/api/3/action/package_show?id={Codes.OPEN.lower()}"):
        assert f'href="{path}"' in html, path
    # the preview is a read of rows like any other: metered
    usage = DailyUsage.objects.get(resource_code=Codes.OPEN, channel="preview")
    assert (usage.calls, usage.rows, usage.key_prefix) == (1, 20, "")
    shown = {c.channel: (c.calls, c.rows) for c in response.context["usage"].channels}
    assert shown == {"api": (0, 0), "ckan": (0, 0), "download": (0, 0), "preview": (1, 20)}


def test_the_page_reads_chinese_by_default(client, open_world):
    html = client.get(f"/opendata/datasets/{Codes.OPEN}/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "提供部门" in html and "表结构" in html and "机器可读的元数据" in html


def test_a_new_version_shows_its_row_count_delta(client, open_world, tmp_path):
    rows = _rows(Codes.OPEN)[:25]
    load_run(actor=SYSTEM, resource_code=Codes.OPEN, source=write_csv(tmp_path / "v2.csv", rows))
    extra = [{**rows[0], "licence_no": f"JY3330106{i:05d}", "category": CATEGORIES[0]} for i in range(90, 97)]
    load_run(actor=SYSTEM, resource_code=Codes.OPEN, source=write_csv(tmp_path / "v3.csv", extra), mode="append")
    response = client.get(f"/opendata/datasets/{Codes.OPEN}/", HTTP_ACCEPT_LANGUAGE="en")
    assert [(v["number"], v["rows"], v["delta"]) for v in response.context["versions"]] == [
        (3, 32, 7), (2, 25, -5), (1, 30, None)]
    html = response.content.decode()
    assert "+7" in html and "−5" in html and "first load" in html


def test_an_on_application_dataset_shows_no_rows_but_how_to_apply(client, open_world):
    response = client.get(f"/opendata/datasets/{Codes.APPLY}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["preview"] == {"state": "on_application"}
    assert f'href="/opendata/datasets/{Codes.APPLY}/apply/"' in html
    assert "<caption id=\"od-preview-caption\">" not in html
    for row in _rows(Codes.APPLY):
        assert row["reg_no"] not in html and row["operator_name"] not in html
    assert response.context["stars"]["count"] == 0
    assert not DailyUsage.objects.exists()  # no rows were read


def test_a_dataset_without_data_says_so(client, open_world):
    response = client.get(f"/opendata/datasets/{Codes.NINGBO}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["preview"] == {"state": "no_data"}
    assert response.context["downloads"] == []
    assert "There is no data to download yet" in html
    assert "download." not in html
    assert "No data has been loaded yet." in html


def test_the_resource_code_is_found_in_any_letter_case(client, open_world):
    assert client.get(f"/opendata/datasets/{Codes.OPEN.lower()}/").context["dataset"].resource_code == Codes.OPEN


@pytest.mark.parametrize("code", HIDDEN + ("330106-SJ-99999", "nonsense"))
@pytest.mark.parametrize("path", ["/opendata/datasets/{code}/", "/opendata/datasets/{code}/preview/",
                                  "/opendata/datasets/{code}/download.csv"])
def test_hidden_and_unknown_datasets_are_the_same_404_naming_nothing(client, open_world, code, path):
    response = client.get(path.format(code=code))
    assert response.status_code == 404
    assert_no_hidden_words(response)
    assert not DailyUsage.objects.exists()


def test_the_preview_page(client, open_world):
    response = client.get(f"/opendata/datasets/{Codes.OPEN}/preview/")
    assert response.status_code == 200
    assert len(response.context["preview"]["rows"]) == 20
    fragment = client.get(f"/opendata/datasets/{Codes.OPEN}/preview/", HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith("<div class=\"zt-table-wrapper\"")
    assert client.get(f"/opendata/datasets/{Codes.APPLY}/preview/").context["preview"] == {"state": "on_application"}


# -- downloads ------------------------------------------------------------------------------

def _download(client, code, ext, **extra):
    response = client.get(f"/opendata/datasets/{code}/download.{ext}", **extra)
    assert response.status_code == 200, response.content
    return response, b"".join(response.streaming_content)


def test_the_csv_download_parses_back_masked(client, open_world):
    response, body = _download(client, Codes.OPEN, "csv")
    assert response["Content-Type"].startswith("text/csv")
    filename = f"{Codes.OPEN} 西湖区食品经营许可公示.csv"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"{Codes.OPEN}.csv\"; filename*=UTF-8''{quote(filename, safe='')}")
    if response.has_header("Content-Length"):
        assert int(response["Content-Length"]) == len(body)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    source = _rows(Codes.OPEN)
    assert len(rows) == 30
    assert list(rows[0]) == list(source[0])  # the dataset's columns, no _id
    assert [r["licence_no"] for r in rows] == [s["licence_no"] for s in source]
    assert [r["contact_mobile"] for r in rows] == [mask_value("mobile", s["contact_mobile"]) for s in source]
    usage = DailyUsage.objects.get(resource_code=Codes.OPEN, channel="download")
    assert (usage.calls, usage.rows) == (1, 30)


def test_the_json_parquet_and_xlsx_downloads_parse_back(client, open_world, tmp_path):
    import openpyxl
    import pyarrow.parquet as pq

    source = _rows(Codes.OPEN)
    masked = [mask_value("mobile", s["contact_mobile"]) for s in source]
    response, body = _download(client, Codes.OPEN, "json")
    assert response["Content-Type"].startswith("application/json")
    records = json.loads(body)
    assert len(records) == 30 and "_id" not in records[0]
    assert [r["contact_mobile"] for r in records] == masked
    assert records[0]["licence_no"] == "JY333010600001"

    response, body = _download(client, Codes.OPEN, "parquet")
    (tmp_path / "d.parquet").write_bytes(body)
    table = pq.read_table(tmp_path / "d.parquet")
    assert table.num_rows == 30 and "_id" not in table.column_names
    assert table.column("contact_mobile").to_pylist() == masked

    response, body = _download(client, Codes.OPEN, "XLSX")  # the extension in any case
    (tmp_path / "d.xlsx").write_bytes(body)
    sheet = openpyxl.load_workbook(tmp_path / "d.xlsx", read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == tuple(source[0])
    assert len(values) == 31
    assert [v[7] for v in values[1:]] == masked
    assert DailyUsage.objects.get(resource_code=Codes.OPEN, channel="download").calls == 3


def test_an_on_application_download_is_refused_to_a_visitor(client, open_world):
    response = client.get(f"/opendata/datasets/{Codes.APPLY}/download.csv", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    html = response.content.decode()
    assert f"The dataset “{Codes.APPLY}” is open on application only" in html
    assert f'href="/opendata/datasets/{Codes.APPLY}/apply/"' in html
    for row in _rows(Codes.APPLY):
        assert row["reg_no"] not in html
    assert not DailyUsage.objects.exists()


def test_the_approved_applicant_downloads_on_application_data_and_others_do_not(client, open_world, people):
    from datetime import timedelta

    from zhengtong.data.opendata.services import application_decide, application_submit, china_today
    from zhengtong.kernel.ledger.models import LedgerLeaf

    application = application_submit(
        applicant_user=people.users["developer"], open_dataset=OpenDataset.objects.get(resource_code=Codes.APPLY),
        organisation="杭州数据研究所", purpose="研究西湖区个体工商户的行业分布，用于学术论文。",
        requested_until=china_today() + timedelta(days=30), agreement_accepted=True)
    application_decide(actor=people.actor("sj_data"), application=application, approve=True)
    reads_before = LedgerLeaf.objects.filter(kind="opendata.read").count()

    client.force_login(people.users["other"])
    refused = client.get(f"/opendata/datasets/{Codes.APPLY}/download.csv", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert "Sign in" not in refused.content.decode().split("<main", 1)[1]  # signed in already: only the way to apply
    assert not DailyUsage.objects.exists()

    client.force_login(people.users["developer"])
    response, body = _download(client, Codes.APPLY, "csv")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    source = _rows(Codes.APPLY)
    assert [r["reg_no"] for r in rows] == [s["reg_no"] for s in source]
    assert [r["operator_name"] for r in rows] == [mask_value("name", s["operator_name"]) for s in source]
    usage = DailyUsage.objects.get(resource_code=Codes.APPLY, channel="download")
    assert (usage.calls, usage.rows) == (1, 12)
    assert LedgerLeaf.objects.filter(kind="opendata.read").count() == reads_before + 1
    # the page still shows no rows, even to the applicant: the preview is for data open to everyone
    assert client.get(f"/opendata/datasets/{Codes.APPLY}/").context["preview"] == {"state": "on_application"}


def test_unknown_formats_and_datasets_without_data_are_refused(client, open_world):
    response = client.get(f"/opendata/datasets/{Codes.OPEN}/download.exe", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "“exe” is not a download format; offered: csv, json, parquet, xlsx." in response.content.decode()
    response = client.get(f"/opendata/datasets/{Codes.NINGBO}/download.csv", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert f"The dataset “{Codes.NINGBO}” has no data to serve yet." in response.content.decode()
    assert not DailyUsage.objects.exists()


def test_the_error_page_reads_chinese_by_default(client, open_world):
    response = client.get(f"/opendata/datasets/{Codes.APPLY}/download.csv")
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in response.content.decode()


def test_content_disposition_keeps_the_chinese_name():
    assert content_disposition("A-1 食品.csv", "A-1.csv") == (
        "attachment; filename=\"A-1.csv\"; filename*=UTF-8''A-1%20%E9%A3%9F%E5%93%81.csv")
    assert content_disposition("x.csv", 'a"b\r\n.csv') == "attachment; filename=\"a_b__.csv\"; filename*=UTF-8''x.csv"
