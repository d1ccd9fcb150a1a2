"""The open API (/api/v1/open/…): search and metadata without a key, records with one, the key's
usage; each refusal with its code, status and message; metering of served calls only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhengtong.data.catalog.public import dataset_create, dataset_publish, schema_version_create
from zhengtong.data.opendata import keys
from zhengtong.data.opendata.models import DailyUsage, DeveloperKey, OpenDataApplication
from zhengtong.data.opendata.visibility import open_dataset_sync

from .conftest import HIDDEN_WORDS, SYSTEM, Codes

pytestmark = pytest.mark.django_db

BASE = "/api/v1/open"
ALL_PUBLIC = ["330106-SJ-00101", "330106-SJ-00102", "330200-GA-00101"]


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    keys.auth_cache_clear()
    yield
    cache.clear()
    keys.auth_cache_clear()


@pytest.fixture
def developer(people):
    return people.users["developer"]


@pytest.fixture
def key(developer):
    return keys.developer_key_create(owner=developer, name="测试应用")


def get(client, path, key=None, **params):
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Key {key}"
    return client.get(path if path.startswith("http") else BASE + path, params, **headers)


def refused(response, code: str, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "detail"}
    assert body["code"] == code
    return body


def no_hidden_words(response) -> None:
    text = response.content.decode()
    for word in HIDDEN_WORDS:
        assert word not in text


def usage_rows() -> list[tuple]:
    return list(DailyUsage.objects.order_by("resource_code", "channel")
                .values_list("resource_code", "key_prefix", "channel", "calls", "rows"))


# --- datasets: search -------------------------------------------------------------------------------


def test_search_lists_only_public_datasets_with_facets(client, open_world):
    response = get(client, "/datasets", sort="name asc")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [d["code"] for d in body["results"]] == ALL_PUBLIC
    facets = {f["name"]: {v["value"]: v["count"] for v in f["values"]} for f in body["facets"]}
    assert facets["department"] == {"330106-SJ": 2, "330200-GA": 1}
    assert facets["tier"] == {"open": 2, "on_application": 1}
    assert facets["region"] == {"330100": 2, "330200": 1}
    assert facets["format"] == {"CSV": 2, "JSON": 2, "Parquet": 2, "XLSX": 2}
    no_hidden_words(response)


def test_a_search_summary(client, open_world):
    first = get(client, "/datasets", q="食品").json()
    assert first["count"] == 1
    summary = first["results"][0]
    assert {k: summary[k] for k in ("code", "name", "title", "tier", "update_cycle", "theme", "formats", "row_count",
                                    "openness_stars", "keywords")} == {
        "code": Codes.OPEN, "name": Codes.OPEN.lower(), "title": "西湖区食品经营许可公示", "tier": "open",
        "update_cycle": "daily", "theme": "ECON", "formats": ["CSV", "JSON", "Parquet", "XLSX"], "row_count": 30,
        "openness_stars": 5, "keywords": ["食品", "许可", "公示"]}
    assert summary["department"] == {"code": "330106-SJ", "name": summary["department"]["name"]}
    assert summary["url"] == f"http://testserver/api/v1/open/datasets/{Codes.OPEN}"
    assert summary["portal_url"] == f"http://testserver/opendata/datasets/{Codes.OPEN}/"


@pytest.mark.parametrize("params, codes", [
    ({"department": "330200-GA"}, ["330200-GA-00101"]),
    ({"department": ["330200-GA", "330106-SJ"]}, ALL_PUBLIC),
    ({"tier": "on_application"}, ["330106-SJ-00102"]),
    ({"format": "CSV", "tier": "open"}, ["330106-SJ-00101"]),
    ({"theme": "TRAN"}, ["330200-GA-00101"]),
    ({"update_cycle": "monthly"}, ["330106-SJ-00102"]),
    ({"region": "330100"}, ["330106-SJ-00101", "330106-SJ-00102"]),
    ({"tag": "窗口"}, ["330200-GA-00101"]),
    ({"q": "卡口点位"}, []),
])
def test_search_filters(client, open_world, params, codes):
    body = get(client, "/datasets", sort="name asc", **params).json()
    assert [d["code"] for d in body["results"]] == codes
    assert body["count"] == len(codes)


def test_search_pages(client, open_world):
    body = get(client, "/datasets", sort="name desc", offset=1, limit=1).json()
    assert (body["count"], [d["code"] for d in body["results"]]) == (3, ["330106-SJ-00102"])
    assert get(client, "/datasets", sort="name asc", limit=100).json()["count"] == 3


@pytest.mark.parametrize("params, code, detail", [
    ({"sort": "popularity"}, "sort_invalid", None),
    ({"limit": "101"}, "limit_too_large", "“limit” must be a whole number from 1 to 100."),
    ({"limit": "0"}, "limit_too_large", "“limit” must be a whole number from 1 to 100."),
    ({"limit": "ten"}, "limit_too_large", "“limit” must be a whole number from 1 to 100."),
    ({"offset": "-1"}, "offset_invalid", "“offset” must be a whole number from 0 up."),
    ({"q": ["a", "b"]}, "query_invalid", "The query is malformed: “q” is given more than once."),
    ({"colour": "red"}, "query_invalid", None),
])
def test_search_refuses_bad_input(client, open_world, params, code, detail):
    body = refused(get(client, "/datasets", **params), code, 400)
    if detail is not None:
        assert body["detail"] == detail
    if code == "sort_invalid":
        assert body["detail"].startswith("“popularity” is not a sort this API offers; offered: relevance, ")
    if params == {"colour": "red"}:
        assert body["detail"].startswith("The query is malformed: “colour” is not a parameter of this call;")


def test_the_search_costs_the_same_queries_for_more_datasets(client, open_world, departments):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert get(client, "/datasets", q="窗口", limit=100).status_code == 200
            assert get(client, "/datasets", limit=100).status_code == 200
        return len(captured)

    before = queries()
    for number in range(2, 6):
        code = f"330200-GA-0010{number}"
        dataset_create(actor=SYSTEM, resource_code=code, title=f"宁波市办事窗口{number}", description="窗口",
                       owner_department_id=departments["330200-GA"].id, share_type="unconditional", open_type="open",
                       update_cycle="yearly", sensitivity="L1", grade="general", keywords=["窗口", f"k{number}"],
                       theme="TRAN")
        schema_version_create(actor=SYSTEM, resource_code=code, descriptor={
            "fields": [{"name": "window_name", "title": "窗口名称", "type": "string"}], "primaryKey": ["window_name"]})
        dataset_publish(actor=SYSTEM, resource_code=code)
        from zhengtong.data.catalog.public import dataset_get

        open_dataset_sync(dataset_get(resource_code=code).id)
    assert get(client, "/datasets", limit=100).json()["count"] == 7
    assert queries() == before


# --- datasets: one ------------------------------------------------------------------------------------


def test_a_datasets_metadata(client, open_world):
    response = get(client, f"/datasets/{Codes.OPEN}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == Codes.OPEN
    assert body["application_required"] is False
    assert body["version"] == 1 and body["served_version"] == 1
    assert [(v["version"], v["row_count"], v["row_count_delta"]) for v in body["versions"]] == [(1, 30, 30)]
    assert body["downloads"] == [
        {"format": "CSV", "media_type": "text/csv", "url": f"http://testserver/opendata/datasets/{Codes.OPEN}/download.csv"},
        {"format": "JSON", "media_type": "application/json",
         "url": f"http://testserver/opendata/datasets/{Codes.OPEN}/download.json"},
        {"format": "Parquet", "media_type": "application/vnd.apache.parquet",
         "url": f"http://testserver/opendata/datasets/{Codes.OPEN}/download.parquet"},
        {"format": "XLSX", "media_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "url": f"http://testserver/opendata/datasets/{Codes.OPEN}/download.xlsx"},
    ]
    assert body["records_url"] == f"http://testserver/api/v1/open/datasets/{Codes.OPEN}/records"
    fields = {f["name"]: f for f in body["schema"]["fields"]}
    assert fields["contact_mobile"].get("masked") is True
    assert "masked" not in fields["licence_no"]
    assert body["openness_stars"] == 5
    # the lower-case name finds it too
    assert get(client, f"/datasets/{Codes.OPEN.lower()}").json()["code"] == Codes.OPEN


def test_versions_show_the_change_of_rows(client, open_world, tmp_path):
    from zhengtong.data.ingest.public import load_run

    from .conftest import _rows, write_csv

    rows = _rows(Codes.OPEN)
    load_run(actor=SYSTEM, resource_code=Codes.OPEN, source=write_csv(tmp_path / "v2.csv", rows[:25]))
    from zhengtong.data.catalog.public import dataset_get

    open_dataset_sync(dataset_get(resource_code=Codes.OPEN).id)
    body = get(client, f"/datasets/{Codes.OPEN}").json()
    assert [(v["version"], v["row_count"], v["row_count_delta"]) for v in body["versions"]] == [(2, 25, -5), (1, 30, 30)]


def test_metadata_of_on_application_and_dataless_datasets(client, open_world):
    apply = get(client, f"/datasets/{Codes.APPLY}").json()
    assert (apply["tier"], apply["application_required"], apply["openness_stars"]) == ("on_application", True, 0)
    ningbo = get(client, f"/datasets/{Codes.NINGBO}").json()
    assert (ningbo["formats"], ningbo["downloads"], ningbo["records_url"], ningbo["versions"], ningbo["row_count"]) == (
        [], [], None, [], None)


@pytest.mark.parametrize("code", [Codes.NEGATIVE, Codes.SECRET, Codes.DRAFT, "330106-SJ-99999"])
def test_hidden_and_unknown_datasets_are_the_same_unknown(client, open_world, code, key):
    for response in (get(client, f"/datasets/{code}"), get(client, f"/datasets/{code}/records", key=key[1])):
        body = refused(response, "dataset_unknown", 404)
        assert body["detail"] == f"There is no open dataset “{code}”."
        no_hidden_words(response)
    assert DailyUsage.objects.count() == 0


# --- records ------------------------------------------------------------------------------------------


def test_records_need_a_key(client, open_world):
    response = get(client, f"/datasets/{Codes.OPEN}/records")
    body = refused(response, "key_required", 401)
    assert response["WWW-Authenticate"] == "Key"
    assert body["detail"].startswith("This call needs a developer key")
    assert DailyUsage.objects.count() == 0


def test_records_page_through_every_row_once(client, open_world, key):
    developer_key, full_key = key
    seen, url, pages = [], f"/datasets/{Codes.OPEN}/records?limit=7", 0
    while url:
        response = get(client, url, key=full_key)
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["total"], body["total_was_estimated"]) == (30, False)
        seen += [r["_id"] for r in body["records"]]
        url, pages = body["next"], pages + 1
        if url:
            assert url.startswith(f"http://testserver/api/v1/open/datasets/{Codes.OPEN}/records?")
            assert f"after={body['next_cursor']}" in url and "limit=7" in url
    assert seen == list(range(1, 31))
    assert pages == 5
    first = get(client, f"/datasets/{Codes.OPEN}/records", key=full_key, limit=1).json()
    assert first["fields"][0] == {"id": "_id", "type": "int"}
    assert first["records"][0]["licence_no"] == "JY3330106" + "00001"
    assert first["records"][0]["contact_mobile"] != "13805710001"  # masked in the served copy
    # every served call metered once: 5 + 1 calls, 30 + 1 rows
    assert usage_rows() == [(Codes.OPEN, developer_key.prefix, "api", 6, 31)]
    assert keys.key_calls_today(developer_key) == 6


def test_records_filters_and_fields(client, open_world, key):
    body = get(client, f"/datasets/{Codes.OPEN}/records", key=key[1], **{
        "filter[category]": "预包装食品销售", "fields": "licence_no,seats", "limit": "100"}).json()
    assert [f["id"] for f in body["fields"]] == ["_id", "licence_no", "seats"]
    assert [r["licence_no"] for r in body["records"]] == [f"JY3330106{i:05d}" for i in range(3, 31, 3)]
    assert body["total"] == 10 and body["next"] is None and body["next_cursor"] is None
    assert set(body["records"][0]) == {"_id", "licence_no", "seats"}


@pytest.mark.parametrize("params, code, status", [
    ({"filter[colour]": "red"}, "field_unknown", 400),
    ({"fields": "licence_no,colour"}, "field_unknown", 400),
    ({"filter[seats]": "many"}, "filter_value_invalid", 400),
    ({"limit": "1001"}, "limit_too_large", 400),
    ({"limit": "0"}, "limit_too_large", 400),
    ({"limit": "-5"}, "limit_too_large", 400),
    ({"after": "not-a-cursor"}, "cursor_invalid", 400),
    ({"filter[category": "x"}, "query_invalid", 400),
    ({"filter": "x"}, "query_invalid", 400),
    ({"sort": "seats"}, "query_invalid", 400),
    ({"filter[seats]": ["10", "20"]}, "query_invalid", 400),
])
def test_records_refuse_bad_input_and_meter_nothing(client, open_world, key, params, code, status):
    response = get(client, f"/datasets/{Codes.OPEN}/records", key=key[1], **params)
    body = refused(response, code, status)
    if code == "limit_too_large":
        assert body["detail"] == "“limit” must be a whole number from 1 to 1000."
    if params == {"filter[colour]": "red"}:
        assert body["detail"].startswith("“colour” is not a column of this dataset; its columns: ")
    assert DailyUsage.objects.count() == 0
    assert keys.key_calls_today(key[0]) == 0


def test_records_of_a_dataset_without_data(client, open_world, key):
    body = refused(get(client, f"/datasets/{Codes.NINGBO}/records", key=key[1]), "no_data", 409)
    assert body["detail"] == f"The dataset “{Codes.NINGBO}” has no data to serve yet."
    assert DailyUsage.objects.count() == 0


def _application(dataset_code, applicant, *, status="approved", expires_in=timedelta(days=30)):
    from zhengtong.data.catalog.public import dataset_get

    now = timezone.now()
    return OpenDataApplication.objects.create(
        dataset_id=dataset_get(resource_code=dataset_code).id, applicant=applicant, organisation="", purpose="研究",
        agreement_version="1", agreement_accepted_at=now, requested_until=(now + timedelta(days=60)).date(),
        status=status, decided_at=now, expires_at=now + expires_in)


def test_on_application_data_needs_an_approved_application(client, open_world, key, developer, people):
    url = f"/datasets/{Codes.APPLY}/records"
    refused(get(client, url, key=key[1]), "application_required", 403)
    _application(Codes.APPLY, developer, status="pending")
    _application(Codes.APPLY, people.users["other"])  # someone else's approval is not the developer's
    refused(get(client, url, key=key[1]), "application_required", 403)
    assert DailyUsage.objects.count() == 0
    _application(Codes.APPLY, developer)
    response = get(client, url, key=key[1])
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["records"]) == 12
    assert all(r["operator_name"] != f"张{'三四五六'[i % 4]}{i}" for i, r in enumerate(body["records"], start=1))
    assert usage_rows() == [(Codes.APPLY, key[0].prefix, "api", 1, 12)]


def test_an_expired_application_is_refused(client, open_world, key, developer):
    _application(Codes.APPLY, developer, expires_in=-timedelta(days=1))
    refused(get(client, f"/datasets/{Codes.APPLY}/records", key=key[1]), "application_expired", 403)
    assert DailyUsage.objects.count() == 0


# --- keys on the API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [f"/datasets/{Codes.OPEN}/records", "/datasets", f"/datasets/{Codes.OPEN}", "/usage"])
def test_bad_keys_are_refused_on_every_route(client, open_world, key, developer, path):
    refused(get(client, path, key="zto_0123abcd_" + "x" * 43), "key_invalid", 401)
    other, other_full = keys.developer_key_create(owner=developer, name="expiring")
    DeveloperKey.objects.filter(pk=other.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    refused(get(client, path, key=other_full), "key_expired", 401)
    keys.developer_key_revoke(owner=developer, key_id=key[0].public_id)
    refused(get(client, path, key=key[1]), "key_revoked", 401)
    assert DailyUsage.objects.count() == 0


def test_a_bearer_token_and_a_bare_key_work_too(client, open_world, key):
    url = BASE + f"/datasets/{Codes.OPEN}/records"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {key[1]}").status_code == 200
    assert client.get(url, HTTP_AUTHORIZATION=key[1]).status_code == 200


def test_the_rate_limit_answers_429_with_retry_after(client, open_world, key, monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(keys, "clock", lambda: now[0])
    DeveloperKey.objects.filter(pk=key[0].pk).update(rate_per_minute=2)
    keys.auth_cache_clear()
    url = f"/datasets/{Codes.OPEN}/records"
    assert get(client, url, key=key[1], limit=1).status_code == 200
    refused(get(client, url, key=key[1], limit=5000), "limit_too_large", 400)  # refused calls count to the rate
    now[0] += 20
    response = get(client, url, key=key[1], limit=1)
    body = refused(response, "rate_limited", 429)
    assert response["Retry-After"] == "40"
    assert body["detail"] == "The key allows 2 calls a minute; try again in 40 s."
    now[0] += 40
    assert get(client, url, key=key[1], limit=1).status_code == 200
    assert usage_rows() == [(Codes.OPEN, key[0].prefix, "api", 2, 2)]


def test_the_daily_quota_answers_429_until_midnight(client, open_world, key):
    DeveloperKey.objects.filter(pk=key[0].pk).update(daily_quota=2)
    keys.auth_cache_clear()
    url = f"/datasets/{Codes.OPEN}/records"
    assert [get(client, url, key=key[1], limit=1).status_code for _ in range(2)] == [200, 200]
    response = get(client, url, key=key[1], limit=1)
    body = refused(response, "quota_exhausted", 429)
    assert body["detail"] == ("The key's daily quota of 2 calls is used up; it resets at midnight "
                              "(China Standard Time).")
    assert 0 <= keys.seconds_to_midnight() - int(response["Retry-After"]) <= 2  # the seconds to midnight
    assert usage_rows() == [(Codes.OPEN, key[0].prefix, "api", 2, 2)]
    # metadata stays readable with the key
    assert get(client, "/datasets", key=key[1]).status_code == 200


# --- usage ------------------------------------------------------------------------------------------------


def test_usage_needs_a_key(client, open_world):
    refused(get(client, "/usage"), "key_required", 401)


def test_usage_shows_the_calling_keys_own_calls(client, open_world, key, developer):
    other, other_full = keys.developer_key_create(owner=developer, name="other")
    for _ in range(2):
        assert get(client, f"/datasets/{Codes.OPEN}/records", key=key[1], limit=3).status_code == 200
    assert get(client, f"/datasets/{Codes.OPEN}/records", key=other_full, limit=1).status_code == 200
    body = get(client, "/usage", key=key[1]).json()
    assert body["key"]["prefix"] == key[0].prefix
    assert (body["key"]["calls_today"], body["key"]["daily_quota"], body["key"]["rate_per_minute"]) == (2, 10000, 60)
    assert body["days"] == 30
    assert [(u["resource_code"], u["calls"], u["rows"]) for u in body["usage"]] == [(Codes.OPEN, 2, 6)]
    assert get(client, "/usage", key=other_full).json()["key"]["calls_today"] == 1


# --- language and schema ------------------------------------------------------------------------------------


def test_errors_follow_the_requested_language(client, open_world):
    english = client.get(BASE + "/datasets/nothing", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["detail"] == "There is no open dataset “nothing”."
    chinese = client.get(BASE + "/datasets/nothing", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert chinese["code"] == "dataset_unknown" and "nothing" in chinese["detail"]


def test_the_open_api_is_in_the_openapi_schema(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/open/datasets", "/api/v1/open/datasets/{code}", "/api/v1/open/datasets/{code}/records",
            "/api/v1/open/usage"} <= set(schema["paths"])
    records = schema["paths"]["/api/v1/open/datasets/{code}/records"]["get"]
    assert records["operationId"] == "open_dataset_records"
    assert {"200", "400", "401", "403", "404", "409", "429"} <= set(records["responses"])
    assert schema["components"]["securitySchemes"]["DeveloperKey"]["in"] == "header"


def test_other_methods_are_refused_in_our_shape(client, open_world):
    response = client.post(BASE + "/datasets", {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 405
    assert response.json() == {"code": "bad_request", "detail": "Method \"POST\" not allowed."}


def test_a_list_in_an_error_reads_with_the_language_s_own_separator():
    from django.utils import translation

    from zhengtong.data.opendata.errors import OpenDataError

    error = OpenDataError("field_unknown", field="nope", columns=["a", "b"])
    with translation.override("en"):
        assert error.message.endswith("its columns: a, b.")
    with translation.override("zh-hans"):
        assert "a、b" in error.message
