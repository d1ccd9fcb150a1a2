"""Usable but not visible (可用不可见): aggregates answer groups of at least k records, never rows."""

import pytest
from django.urls import reverse

from zhengtong.data.exchange.models import ShareCall

from .conftest import CODE, calls, grant_make, ledger, state

pytestmark = pytest.mark.django_db

AGGREGATE = reverse("share-aggregate", kwargs={"service": CODE})


def aggregate(system, **params):
    return system.api().get(AGGREGATE, params)


def test_a_group_of_ten_is_answered_and_groups_of_nine_or_three_are_suppressed(shared, rs):
    grant_make(rs, shared.service)
    response = aggregate(rs, op="count", group_by="category")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "op": "count", "measure": "", "group_by": ["category"], "k": 10,
        "groups": [{"group": {"category": "低保"}, "count": 10, "value": None}],
        "suppressed_groups": 2,  # 特困 (9) and 临时救助 (3)
    }


def test_sums_and_averages_are_exact(shared, rs):
    grant_make(rs, shared.service)
    body = aggregate(rs, op="sum", measure="amount", group_by="category").json()
    assert body["groups"] == [{"group": {"category": "低保"}, "count": 10, "value": 5500}]
    body = aggregate(rs, op="avg", measure="amount", group_by="category").json()
    assert body["groups"] == [{"group": {"category": "低保"}, "count": 10, "value": 550.0}]
    # Without groups: the whole service (22 records).
    body = aggregate(rs, op="sum", measure="amount").json()
    assert body["groups"] == [{"group": {}, "count": 22, "value": 5500 + 9 * 200 + 50 + 60 + 70}]
    body = aggregate(rs, op="avg", measure="amount").json()
    assert body["groups"][0]["value"] == pytest.approx((5500 + 1800 + 180) / 22, abs=0)
    # Grouped by two fields, filtered.
    body = aggregate(rs, op="count", group_by="gender,division_code", gender="男").json()
    assert body["groups"] == [{"group": {"gender": "男", "division_code": "330106004"}, "count": 10, "value": None}]
    assert body["suppressed_groups"] == 1  # the three men of 330106


def test_the_threshold_is_a_setting(shared, rs, settings):
    settings.SHARE_AGGREGATE_MIN_GROUP = 9
    grant_make(rs, shared.service)
    body = aggregate(rs, op="count", group_by="category").json()
    assert body["k"] == 9 and body["suppressed_groups"] == 1
    assert [g["group"]["category"] for g in body["groups"]] == ["低保", "特困"]


def test_the_row_scope_applies_to_aggregates(shared, rs):
    grant_make(rs, shared.service, row_scope="330108")
    body = aggregate(rs, op="count").json()
    assert body["groups"] == [] and body["suppressed_groups"] == 1  # 9 records: under k


def test_aggregates_are_logged_without_rows_or_people(shared, rs):
    grant = grant_make(rs, shared.service)
    aggregate(rs, op="sum", measure="amount", group_by="category", gender="男")
    call = ShareCall.objects.get()
    assert (call.operation, call.outcome, call.grant_id, call.subject_count, call.fields) == (
        "aggregate", "ok", grant.pk, 0, ["category", "amount"])
    ((subject, _actor, payload),) = ledger("share.call")
    assert subject == f"service:{CODE}"
    assert {k: payload[k] for k in ("op", "measure", "group_by", "filters", "groups", "suppressed_groups", "k")} == {
        "op": "sum", "measure": "amount", "group_by": ["category"], "filters": ["gender"], "groups": 1,
        "suppressed_groups": 1, "k": 10}


def test_aggregate_refusals(shared, rs):
    grant_make(rs, shared.service)
    before = state()
    cases = [
        ({"op": "median", "measure": "amount"}, "bad_request", 400),
        ({"op": "sum"}, "aggregate_not_allowed", 400),
        ({"op": "sum", "measure": "name"}, "aggregate_not_allowed", 400),
        ({"op": "count", "group_by": "resident_id"}, "aggregate_not_allowed", 400),
        ({"op": "count", "group_by": "category", "name": "陈一明"}, "filter_not_allowed", 400),
    ]
    for params, code, status in cases:
        response = aggregate(rs, **params)
        assert (response.status_code, response.json()["code"]) == (status, code), params
    body = aggregate(rs, op="count", group_by="mobile").json()
    assert body["detail"] == "“mobile” may not be used in this aggregate; allowed: gender、division_code、category."
    assert [c.outcome for c in calls()] == [code for _p, code, _s in cases] + ["aggregate_not_allowed"]
    assert len(ledger("share.refused")) == 6
    assert state() == before


def test_no_grant_no_aggregate(shared, stranger):
    response = aggregate(stranger, op="count")
    assert (response.status_code, response.json()["code"]) == (403, "grant_missing")
