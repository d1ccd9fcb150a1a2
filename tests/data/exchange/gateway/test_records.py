"""GET /api/v1/share/{service}/records/{key}: authorized, masked, metered and logged."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhengtong.data.exchange import ratelimit
from zhengtong.data.exchange.gateway import Caller, share_record
from zhengtong.data.exchange.models import ShareCall
from zhengtong.data.exchange.public import ShareError
from zhengtong.kernel.identity.models import ApiClient
from zhengtong.kernel.identity.public import Actor

from .conftest import BY_ID, CITIZEN_ID, CODE, PEOPLE, calls, grant_make, later, ledger, ref, state

pytestmark = pytest.mark.django_db

BINJIANG = PEOPLE[10]["resident_id"]  # 特困, 滨江区


def url(key: str, service: str = CODE) -> str:
    return reverse("share-record", kwargs={"service": service, "key": key})


def get(system, key, service=CODE, **params):
    headers = {k: v for k, v in params.items() if k.startswith("HTTP_")}
    query = {k: v for k, v in params.items() if not k.startswith("HTTP_")}
    return system.api().get(url(key, service), query, **headers)


def test_a_granted_record_is_masked_by_field_and_logged_once_for_its_person(shared, rs):
    grant = grant_make(rs, shared.service)
    response = get(rs, CITIZEN_ID, HTTP_X_CORRELATION_ID="rs-2026.0001", HTTP_X_OFFICER="张科员")
    assert response.status_code == 200
    assert response["X-Correlation-Id"] == "rs-2026.0001"
    assert response.json() == {
        "key": CITIZEN_ID,
        "values": {"name": "陈**", "gender": "男", "division_code": "330106004", "category": "低保", "amount": 100,
                   "mobile": "138****0000"},
        "masked": ["name", "mobile"],
    }
    (call,) = calls()
    assert (call.operation, call.outcome, call.status_code, call.service_id, call.grant_id, call.consent_id) == (
        "record", "ok", 200, shared.service.pk, grant.pk, None)
    assert (call.api_client_id, call.department_id, call.officer, call.correlation_id) == (
        rs.client.pk, rs.client.department_id, "张科员", "rs-2026.0001")
    assert (call.subject_ref, call.subject_count, call.record_count) == (ref(CITIZEN_ID), 1, 1)
    assert call.fields == ["name", "gender", "division_code", "category", "amount", "mobile"]
    assert call.purpose == "社保待遇资格认证" and call.ledger_leaf is not None
    assert ledger() == [(ref(CITIZEN_ID), f"api_client:{rs.client.public_id}", {
        "service": CODE, "operation": "record", "fields": call.fields, "purpose": "社保待遇资格认证",
        "grant": str(grant.public_id), "consent": None, "officer": "张科员", "correlation_id": "rs-2026.0001",
        "department": rs.client.department_id, "api_client": "社保待遇资格认证系统", "outcome": "ok",
    })]
    from zhengtong.kernel.ledger.models import LedgerLeaf

    assert str(LedgerLeaf.objects.get().public_id) == str(call.ledger_leaf)


def test_fields_and_plain_values_as_asked_and_granted(shared, rs):
    grant_make(rs, shared.service, clear=["name"])
    body = get(rs, CITIZEN_ID, fields="name,amount").json()
    assert body == {"key": CITIZEN_ID, "values": {"name": "陈**", "amount": 100}, "masked": ["name"]}
    body = get(rs, CITIZEN_ID, fields="name,amount", plain="name").json()
    assert body == {"key": CITIZEN_ID, "values": {"name": "陈一明", "amount": 100}, "masked": []}
    # plain implies the field: asked for alone it is given alone with the grant's defaults.
    body = get(rs, CITIZEN_ID, fields="amount", plain="name").json()
    assert body["values"] == {"name": "陈一明", "amount": 100}
    assert [c.fields for c in calls()] == [["name", "amount"], ["name", "amount"], ["name", "amount"]]


def refused(response, code: str, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["correlation_id"] == response["X-Correlation-Id"]
    return body


def assert_logged_refusal(code: str, status: int, subject: str = f"service:{CODE}") -> ShareCall:
    call = ShareCall.objects.order_by("-id").first()
    assert (call.outcome, call.status_code) == (code, status)
    entries = ledger("share.refused")
    assert entries and entries[-1][0] == subject and entries[-1][2]["outcome"] == code
    assert entries[-1][2]["correlation_id"] == call.correlation_id
    return call


def test_a_field_beyond_the_grant_is_refused_and_logged_and_nothing_else_changes(shared, rs):
    grant_make(rs, shared.service, fields=["name", "amount"])
    before = state()
    body = refused(get(rs, CITIZEN_ID, fields="name,address,resident_id"), "field_not_granted", 403)
    assert body["detail"] == "Your grant does not cover the field(s) address、resident_id."
    call = assert_logged_refusal("field_not_granted", 403, subject=ref(CITIZEN_ID))
    assert call.fields == ["resident_id", "name", "address"] and call.record_count == 0
    assert state() == before
    assert ledger("share.call") == []


def test_plain_values_not_granted_are_refused(shared, rs):
    grant_make(rs, shared.service, clear=["name"])
    before = state()
    body = refused(get(rs, CITIZEN_ID, plain="name,mobile"), "plain_not_granted", 403)
    assert body["detail"] == "Your grant gives the field(s) mobile masked only; plain values were asked for."
    assert_logged_refusal("plain_not_granted", 403, subject=ref(CITIZEN_ID))
    assert state() == before


def test_unknown_keys_and_unknown_fields(shared, rs):
    grant_make(rs, shared.service)
    body = refused(get(rs, "330106199901010000"), "unknown_key", 404)
    assert body["detail"] == f"The service “{CODE}” has no record with this key."
    assert_logged_refusal("unknown_key", 404)
    body = refused(get(rs, CITIZEN_ID, fields="name,religion"), "bad_request", 400)
    assert body["detail"] == "The service has no field(s) religion (in “fields”)."
    assert_logged_refusal("bad_request", 400)
    assert ledger("share.call") == []


def test_rows_outside_the_grant_s_division_are_out_of_scope(shared, rs):
    grant_make(rs, shared.service, row_scope="330106")
    assert get(rs, CITIZEN_ID).status_code == 200  # 330106004 is inside Xihu
    before = state()
    body = refused(get(rs, BINJIANG), "out_of_scope", 403)
    assert body["detail"] == "The record is outside the rows your grant covers (division 330106)."
    call = assert_logged_refusal("out_of_scope", 403, subject=ref(BINJIANG))
    assert call.record_count == 0
    assert "王" not in str(body)
    assert state() == before


def test_no_grant_an_expired_one_and_a_revoked_one(shared, rs, stranger):
    before = state()
    body = refused(get(stranger, CITIZEN_ID), "grant_missing", 403)
    assert body["detail"] == (f"Your system has no grant for the service “{CODE}”: request it in a basket first.")
    call = assert_logged_refusal("grant_missing", 403)
    assert (call.api_client_id, call.grant_id, call.subject_ref) == (stranger.client.pk, None, "")

    expired = grant_make(rs, shared.service, expires_at=timezone.now() - timezone.timedelta(minutes=1))
    body = refused(get(rs, CITIZEN_ID), "grant_expired", 403)
    assert body["detail"].startswith(f"Your grant for “{CODE}” expired at ")
    assert_logged_refusal("grant_expired", 403)
    revoked = grant_make(rs, shared.service, revoked_at=timezone.now(), reason="用途变更")
    body = refused(get(rs, CITIZEN_ID), "grant_revoked", 403)
    assert body["detail"].startswith(f"Your grant for “{CODE}” was revoked at ") and body["detail"].endswith(": 用途变更")
    assert_logged_refusal("grant_revoked", 403)
    assert expired.pk != revoked.pk
    assert len(state()["grants"]) == len(before["grants"]) + 2  # the two made here, and nothing else
    assert ledger("share.call") == []


def test_unknown_and_unpublished_services(unpublished, rs):
    grant_make(rs, unpublished.service)
    body = refused(get(rs, CITIZEN_ID, service="ds-nothing-here"), "service_unknown", 404)
    assert body["detail"] == "There is no sharing service “ds-nothing-here”."
    call = assert_logged_refusal("service_unknown", 404, subject="service:ds-nothing-here")
    assert call.service_id is None
    body = refused(get(rs, CITIZEN_ID), "service_unpublished", 409)
    assert body["detail"] == f"The service “{CODE}” has no published data yet."
    assert_logged_refusal("service_unpublished", 409)


def test_the_rate_limit_counts_per_grant_and_minute(shared, rs, monkeypatch):
    now = [1_800_000_000.0]  # a minute's start; held still, then moved on
    monkeypatch.setattr(ratelimit, "clock", lambda: now[0])
    grant_make(rs, shared.service, rate=2)
    assert [get(rs, CITIZEN_ID).status_code for _ in range(2)] == [200, 200]
    now[0] += 15
    response = get(rs, CITIZEN_ID)
    body = refused(response, "rate_limited", 429)
    assert response["Retry-After"] == "45"
    assert body["detail"] == "Your grant allows 2 calls a minute; try again in 45 s."
    assert_logged_refusal("rate_limited", 429)
    now[0] += 45  # the next minute
    assert get(rs, CITIZEN_ID).status_code == 200
    assert [c.outcome for c in calls()] == ["ok", "ok", "rate_limited", "ok"]


def test_correlation_ids_are_echoed_or_made(shared, rs):
    grant_make(rs, shared.service)
    made = get(rs, CITIZEN_ID)["X-Correlation-Id"]
    assert len(made) == 32
    bad = get(rs, CITIZEN_ID, HTTP_X_CORRELATION_ID="has spaces; and more")
    assert bad["X-Correlation-Id"] not in ("has spaces; and more", made)
    too_long = get(rs, CITIZEN_ID, HTTP_X_CORRELATION_ID="x" * 65)["X-Correlation-Id"]
    assert too_long != "x" * 65
    refusal = get(rs, "nobody", HTTP_X_CORRELATION_ID="trace-42")
    assert refusal["X-Correlation-Id"] == refusal.json()["correlation_id"] == "trace-42"
    assert [c.correlation_id for c in calls()] == [made, bad["X-Correlation-Id"], too_long, "trace-42"]


def test_an_officer_header_longer_than_64_is_refused(shared, rs):
    grant_make(rs, shared.service)
    body = refused(get(rs, CITIZEN_ID, HTTP_X_OFFICER="某" * 65), "bad_request", 400)
    assert body["detail"] == "The officer (X-Officer) is at most 64 printable characters."
    assert ShareCall.objects.get().officer == "某" * 64  # logged as far as it fits


def test_errors_are_in_chinese_by_default_and_in_english_when_asked(shared, rs):
    from django.utils import translation

    from zhengtong.data.exchange.errors import ERRORS

    api = rs.api()
    api.credentials(HTTP_AUTHORIZATION=f"ApiKey {rs.key}")  # no Accept-Language
    chinese = api.get(url(CITIZEN_ID, "ds-unknown"))
    english = api.get(url(CITIZEN_ID, "ds-unknown"), HTTP_ACCEPT_LANGUAGE="en")
    assert (chinese["Content-Language"], english["Content-Language"]) == ("zh-hans", "en")
    with translation.override("zh-hans"):
        expected = str(ERRORS["service_unknown"][1]) % {"service": "ds-unknown"}
    assert chinese.json()["detail"] == expected
    assert english.json()["detail"] == "There is no sharing service “ds-unknown”."


def test_only_api_clients_may_call_and_bad_keys_are_refused(shared, rs, client, departments):
    from tests.conftest import people_create

    grant_make(rs, shared.service)
    anonymous = client.get(url(CITIZEN_ID))
    assert refused(anonymous, "api_client_required", 401)
    assert anonymous["WWW-Authenticate"] == "ApiKey"
    people = people_create({"mz_officer": ("330106-MZ", ["data_officer"])}, citizens={})
    client.force_login(people.users["mz_officer"])
    refused(client.get(url(CITIZEN_ID)), "api_client_required", 401)
    refused(client.get(url(CITIZEN_ID), HTTP_AUTHORIZATION="ApiKey zt_nope_nope"), "authentication_failed", 401)
    assert calls() == [] and ledger() == []  # nobody to attribute them to


def test_a_direct_caller_that_is_not_a_system_is_refused_and_logged(shared):
    caller = Caller(actor=Actor(kind="staff", user_id=7, department_id=None), correlation_id="c1")
    with pytest.raises(ShareError) as error:
        share_record(caller=caller, service_code=CODE, key=CITIZEN_ID)
    assert (error.value.code, error.value.status) == ("api_client_required", 401)
    call = ShareCall.objects.get()
    assert (call.outcome, call.api_client_id) == ("api_client_required", None)
    assert ledger("share.refused")[0][1] == "user:7"


def test_a_lookup_costs_the_same_few_queries_and_writes_no_last_used_time_each_call(shared, rs):
    grant_make(rs, shared.service)
    get(rs, CITIZEN_ID)
    first_use = ApiClient.objects.get(pk=rs.client.pk).last_used_at
    assert first_use is not None
    with CaptureQueriesContext(connection) as captured:
        assert get(rs, PEOPLE[3]["resident_id"]).status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements)
    assert ApiClient.objects.get(pk=rs.client.pk).last_used_at == first_use
    # The key (1), grant and service (1), record (1), then the log: ledger queue and leaf, call row.
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 4, reads
    assert len(statements) <= 10, statements


def test_a_record_read_directly_is_the_same_as_through_the_api(shared, rs):
    grant_make(rs, shared.service)
    client = ApiClient.objects.get(pk=rs.client.pk)
    caller = Caller(actor=Actor(kind="api_client", api_client_id=client.pk, department_id=client.department_id),
                    correlation_id="direct-1")
    record = share_record(caller=caller, service_code=CODE, key=CITIZEN_ID, fields=["name", "mobile"])
    assert (record.key, dict(record.values), record.masked) == (
        CITIZEN_ID, {"name": "陈**", "mobile": "138****0000"}, ("name", "mobile"))
    assert ledger("share.call")[0][1] == f"api_client:{client.public_id}"
    assert ledger("share.call")[0][2]["api_client"] == client.name
    assert BY_ID[CITIZEN_ID]["name"] == "陈一明"


def test_a_call_that_fails_inside_the_gateway_is_still_logged(shared, rs, monkeypatch):
    from zhengtong.data.exchange import gateway

    grant_make(rs, shared.service)
    client = ApiClient.objects.get(pk=rs.client.pk)
    caller = Caller(actor=Actor(kind="api_client", api_client_id=client.pk, department_id=client.department_id),
                    correlation_id="boom-1")

    def broken(*args, **kwargs):
        raise RuntimeError("masking table missing")

    monkeypatch.setattr(gateway, "_present", broken)
    with pytest.raises(RuntimeError):
        share_record(caller=caller, service_code=CODE, key=CITIZEN_ID)
    call = ShareCall.objects.get()
    assert (call.outcome, call.status_code, call.correlation_id) == ("internal_error", 500, "boom-1")
    assert ledger("share.refused")[0][0] == ref(CITIZEN_ID)
