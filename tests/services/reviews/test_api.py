"""The reviews API: create and list one's own reviews, the public statistics, the department's open
bad reviews (which never name the reviewer), and errors as {"code", "detail", "fields"}."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from zhengtong.kernel.loops.models import Case
from zhengtong.services.applications.models import ApplicationState
from zhengtong.services.reviews import services
from zhengtong.services.reviews.models import Review

from ..conftest import A_ID, A_MOBILE

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def url(name: str) -> str:
    return reverse(f"reviews-api-{name}")


def test_an_applicant_reviews_and_lists_their_reviews(people, application_make):
    application = application_make()
    client = api(people.user("citizen_a"))
    response = client.post(url("mine"), {"application": str(application.public_id), "level": 2, "channel": "online",
                                         "indicators": {"overall": 2}, "comment": "等了很久"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["level"], body["channel"], body["indicators"], body["loop_state"]) == (
        2, "online", {"overall": 2}, "assigned")
    assert [r["public_id"] for r in client.get(url("mine")).json()] == [body["public_id"]]
    assert api(people.user("citizen_b")).get(url("mine")).json() == []


@pytest.mark.parametrize("who, payload, status, code", [
    ("citizen_b", {"level": 3}, 403, "forbidden"),
    ("citizen_a", {"level": 7}, 400, "invalid"),
    ("citizen_a", {"level": "好"}, 400, "invalid"),
])
def test_bad_input_changes_nothing(people, application_make, who, payload, status, code):
    application = application_make()
    response = api(people.user(who)).post(url("mine"), {"application": str(application.public_id), **payload},
                                          format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert Review.objects.count() == 0


def test_a_second_review_and_a_draft_are_refused(people, application_make):
    client = api(people.user("citizen_a"))
    application = application_make()
    assert client.post(url("mine"), {"application": str(application.public_id), "level": 5}, format="json").status_code == 201
    response = client.post(url("mine"), {"application": str(application.public_id), "level": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "You have already reviewed this application."
    draft = application_make(state=ApplicationState.DRAFT, officer=None)
    response = client.post(url("mine"), {"application": str(draft.public_id), "level": 1}, format="json")
    assert response.json()["detail"] == "A draft cannot be reviewed: submit the application first."
    assert Review.objects.count() == 1 and Case.objects.count() == 0


def test_anonymous_cannot_review(application_make):
    response = api().post(url("mine"), {"application": str(application_make().public_id), "level": 5}, format="json")
    assert response.status_code in (401, 403)
    assert Review.objects.count() == 0


def test_statistics_are_public(people, application_make, django_assert_max_num_queries):
    for level in (5, 4, 1, 3):
        services.review_create(actor=people.a, application_id=application_make().public_id, level=level,
                               channel="online")
    with django_assert_max_num_queries(1):
        response = api().get(url("statistics"))
    assert response.status_code == 200
    assert response.json() == [{
        "code": "330106-RS", "name": response.json()[0]["name"], "count": 4, "satisfied": 2, "bad": 1,
        "rectified": 0, "rectified_on_time": 0, "satisfaction": 0.5, "bad_rate": 0.25,
        "on_time_rectification": None,
    }]
    by_division = api().get(url("statistics"), {"by": "division"}).json()
    assert [(r["code"], r["count"]) for r in by_division] == [("330106", 4)]
    assert api().get(url("statistics"), {"by": "officer"}).status_code == 400


def test_officers_see_open_bad_reviews_without_the_reviewer(people, application_make):
    review = services.review_create(actor=people.a, application_id=application_make().public_id, level=1,
                                    channel="online", comment="窗口态度差")
    services.review_create(actor=people.a, application_id=application_make().public_id, level=5, channel="online")
    response = api(people.user("rs_case")).get(url("open-bad"))
    assert response.status_code == 200
    rows = response.json()
    assert [(r["public_id"], r["comment"], r["loop_state"]) for r in rows] == [
        (str(review.public_id), "窗口态度差", "assigned")]
    text = json.dumps(rows, ensure_ascii=False)
    citizen = people.user("citizen_a")
    for secret in ("王芳", A_MOBILE, A_ID, citizen.username, "reviewer", "applicant"):
        assert secret not in text
    assert api(people.user("binjiang_rs_case")).get(url("open-bad")).json() == []
    assert api(people.user("citizen_a")).get(url("open-bad")).status_code == 403


def test_lists_take_the_same_queries_for_more_rows(people, application_make):
    def counts():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as staff:
            assert api(people.user("rs_case")).get(url("open-bad")).status_code == 200
        with CaptureQueriesContext(connection) as mine:
            assert api(people.user("citizen_a")).get(url("mine")).status_code == 200
        return len(staff), len(mine)

    services.review_create(actor=people.a, application_id=application_make().public_id, level=1, channel="online")
    counts()  # the first request warms per-process caches
    one = counts()
    for level in (2, 1, 4):
        services.review_create(actor=people.a, application_id=application_make().public_id, level=level,
                               channel="online")
    assert counts() == one
