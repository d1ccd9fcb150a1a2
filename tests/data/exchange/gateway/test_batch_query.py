"""Batches of keys and queries by filters: aligned results, row scope, keyset pages, bound values."""

import pytest
from django.urls import reverse

from zhengtong.data.exchange.models import ShareCall

from .conftest import CITIZEN_ID, CODE, PEOPLE, calls, grant_make, ledger, ref, state

pytestmark = pytest.mark.django_db

BINJIANG = PEOPLE[10]["resident_id"]
BATCH = reverse("share-batch", kwargs={"service": CODE})
QUERY = reverse("share-query", kwargs={"service": CODE})


def batch(system, body):
    return system.api().post(BATCH, body, format="json")


def test_a_batch_answers_in_the_order_of_the_keys(shared, rs):
    grant = grant_make(rs, shared.service, row_scope="330106")
    keys = [PEOPLE[2]["resident_id"], "330106199901019999", BINJIANG, CITIZEN_ID, PEOPLE[2]["resident_id"]]
    response = batch(rs, {"keys": keys, "fields": ["name", "amount"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == ["ok", "unknown_key", "out_of_scope", "ok", "ok"]
    assert body["results"] == [
        {"key": keys[0], "values": {"name": "陈**", "amount": 300}, "masked": ["name"]},
        None,
        None,
        {"key": CITIZEN_ID, "values": {"name": "陈**", "amount": 100}, "masked": ["name"]},
        {"key": keys[0], "values": {"name": "陈**", "amount": 300}, "masked": ["name"]},
    ]
    call = ShareCall.objects.get()
    assert (call.operation, call.outcome, call.grant_id, call.record_count, call.subject_count, call.subject_ref) == (
        "batch", "ok", grant.pk, 3, 2, "")
    # One entry per person whose record was given; none for the out-of-scope one.
    assert [s for s, _a, _p in ledger("share.call")] == [ref(keys[0]), ref(CITIZEN_ID)]
    assert ledger("share.call")[0][2]["keys"] == 5


def test_batch_refusals(shared, rs, stranger):
    grant_make(rs, shared.service, fields=["name"], clear=[])
    before = state()
    cases = [
        ({"keys": []}, "bad_request", 400),
        ({"keys": [f"k{i}" for i in range(101)]}, "bad_request", 400),
        ({"keys": "not a list"}, "bad_request", 400),
        ({"keys": [CITIZEN_ID], "fields": ["mobile"]}, "field_not_granted", 403),
        ({"keys": [CITIZEN_ID], "plain": ["name"]}, "plain_not_granted", 403),
    ]
    for body, code, status in cases:
        response = batch(rs, body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    response = rs.api().post(BATCH, "{not json", content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")
    response = batch(stranger, {"keys": [CITIZEN_ID]})
    assert (response.status_code, response.json()["code"]) == (403, "grant_missing")
    assert [(c.operation, c.outcome) for c in calls()] == [("batch", code) for _b, code, _s in cases] + [
        ("batch", "bad_request"), ("batch", "grant_missing")]
    assert len(ledger("share.refused")) == 7 and ledger("share.call") == []
    assert state() == before


def query(system, **params):
    return system.api().get(QUERY, params)


def test_query_pages_by_key_without_duplicates_or_gaps(shared, rs):
    grant_make(rs, shared.service)
    seen, after, pages = [], None, 0
    while True:
        params = {"category": "低保", "limit": 3, "fields": "amount"}
        if after:
            params["after"] = after
        response = query(rs, **params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["estimated_total"] == (10 if pages == 0 else None)
        seen += [r["key"] for r in body["results"]]
        pages += 1
        after = body["next"]
        if after is None:
            break
    expected = sorted(p["resident_id"] for p in PEOPLE if p["category"] == "低保")
    assert seen == expected and pages == 4
    assert [c.record_count for c in calls()] == [3, 3, 3, 1]
    # Each person concerned has an entry of the page that gave them.
    assert sorted(s for s, _a, _p in ledger("share.call")) == sorted(ref(k) for k in expected)


def test_query_filters_combine_and_respect_the_row_scope(shared, rs):
    grant_make(rs, shared.service, row_scope="330108")
    body = query(rs, gender="女", fields="name,amount").json()
    assert body["estimated_total"] == 9 and len(body["results"]) == 9
    assert all(r["values"]["amount"] == 200 for r in body["results"])
    # Everyone of 低保 lives in Xihu: outside this grant's rows.
    assert query(rs, category="低保").json() == {"results": [], "next": None, "estimated_total": 0}
    # An empty answer concerned nobody.
    assert ledger("share.call")[-1][0] == f"service:{CODE}"


def test_filter_values_are_values_never_sql(shared, rs):
    grant_make(rs, shared.service)
    for value in ("低保' OR '1'='1", "低保\"; DROP TABLE exchange_sharerecord; --", "' UNION SELECT 1 --"):
        body = query(rs, category=value).json()
        assert body == {"results": [], "next": None, "estimated_total": 0}, value
    assert shared.service.records.count() == 22
    assert query(rs, category="低保").json()["estimated_total"] == 10


def test_query_refusals(shared, rs):
    grant_make(rs, shared.service, fields=["name", "amount", "category"])
    before = state()
    cases = [
        ({"name": "陈一明"}, "filter_not_allowed", 400),
        ({"amount": "100"}, "filter_not_allowed", 400),
        ({"gender": "男"}, "filter_not_allowed", 400),  # a filter of the service, not of this grant's fields
        ({"category": "低保", "limit": "0"}, "bad_request", 400),
        ({"category": "低保", "limit": "abc"}, "bad_request", 400),
        ({"category": "低保", "after": "!!!"}, "bad_request", 400),
        ({"category": "低保", "fields": "mobile"}, "field_not_granted", 403),
    ]
    for params, code, status in cases:
        response = query(rs, **params)
        assert (response.status_code, response.json()["code"]) == (status, code), params
    body = query(rs, name="x").json()
    assert body["detail"] == "“name” is not a filter this service allows; allowed: category."
    twice = rs.api().get(QUERY + "?category=a&category=b")
    assert (twice.status_code, twice.json()["code"]) == (400, "bad_request")
    assert [c.outcome for c in calls()] == [code for _p, code, _s in cases] + ["filter_not_allowed", "bad_request"]
    assert all(c.operation == "query" for c in calls())
    assert state() == before


def test_a_filter_value_of_the_wrong_type_is_refused(shared, rs):
    type(shared.service).objects.filter(pk=shared.service.pk).update(filter_fields=["category", "amount"])
    grant_make(rs, shared.service)
    body = query(rs, amount="lots").json()
    assert body["code"] == "bad_request"
    assert body["detail"] == "“lots” is not a valid integer for the filter amount."
    assert query(rs, amount="200").json()["estimated_total"] == 10  # 9 in 特困 and one in 低保
