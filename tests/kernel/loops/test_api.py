"""GET /api/v1/loops/cases/: scoped to the caller, cursor-paginated."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.loops import public

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

LIST = "/api/v1/loops/cases/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def cases(people, departments):
    """A citizen's bad review to Xihu public security, and an assistance request to Binjiang."""
    review = public.case_report(
        actor=people.actor("citizen"), kind="test_bad_review", title="差评",
        assignee_department_id=departments["330106-GA"].id, subject_ref="reviews.Review:1",
    )
    assistance = public.case_report(
        actor=people.actor("mz_officer"), kind="assistance", title="协办",
        assignee_department_id=departments["330108-GA"].id,
    )
    return review, assistance


def titles(response) -> list[str]:
    return [row["title"] for row in response.json()["results"]]


def test_anonymous_callers_are_refused(api, cases):
    review, _ = cases
    assert api.get(LIST).status_code == 401
    assert api.get(f"{LIST}{review.public_id}/").status_code == 401


def test_each_caller_sees_only_their_cases(api, people, cases):
    review, assistance = cases
    expected = {
        "citizen": ["差评"],
        "other_citizen": [],
        "ga_officer": ["差评"],
        "binjiang_ga_officer": ["协办"],
        "mz_officer": ["协办"],
        "hangzhou_leader": ["协办", "差评"],  # newest first
        "ningbo_dsj_admin": [],
        "orphan_staff": [],
    }
    for name, visible in expected.items():
        api.force_authenticate(people.users[name])
        response = api.get(LIST)
        assert response.status_code == 200
        assert titles(response) == visible, name


def test_api_client_with_a_department_key_sees_that_departments_cases(api, departments, cases):
    _, key = identity_services.api_client_create(name="公安内部系统", department=departments["330108-GA"], scopes=[])
    response = api.get(LIST, HTTP_AUTHORIZATION=f"ApiKey {key}")
    assert response.status_code == 200
    assert titles(response) == ["协办"]


def test_detail_has_the_history_and_is_refused_to_others(api, people, cases, clock):
    review, _ = cases
    url = f"{LIST}{review.public_id}/"
    api.force_authenticate(people.users["citizen"])
    body = api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert {key: body[key] for key in ("kind", "kind_name", "title", "state", "state_label", "step", "step_due",
                                       "step_due_provisional", "step_due_notice", "overdue", "escalation_level",
                                       "subject_ref", "outcome", "closed_at")} == {
        "kind": "test_bad_review", "kind_name": "Bad review (test)", "title": "差评", "state": "assigned",
        "state_label": "Assigned", "step": "accept", "step_due": "2025-10-09", "step_due_provisional": False,
        "step_due_notice": "", "overdue": False, "escalation_level": 0, "subject_ref": "reviews.Review:1",
        "outcome": "", "closed_at": None,
    }
    assert (body["assignee_department"], body["escalated_to"]) == ({"code": "330106-GA", "name": "西湖区公安局"}, None)
    assert [(h["action"], h["from_state"], h["to_state"], h["department"], h["on_time"]) for h in body["history"]] == [
        ("report", "", "assigned", None, None)
    ]

    api.force_authenticate(people.users["other_citizen"])
    assert api.get(url).status_code == 403
    api.force_authenticate(people.users["binjiang_ga_officer"])
    assert api.get(url).status_code == 403
    assert api.get(f"{LIST}00000000-0000-0000-0000-000000000000/").status_code == 404


def test_cursor_pagination_walks_every_case_once(api, people, departments, clock):
    for day in range(1, 8):
        clock.today = date(2025, 11, day)
        public.case_report(
            actor=people.actor("mz_officer"), kind="assistance", title=f"协办{day}",
            assignee_department_id=departments["330106-GA"].id,
        )
    api.force_authenticate(people.users["ga_officer"])
    pages, url = [], LIST + "?page_size=3"
    while url:
        page = api.get(url).json()
        assert set(page) == {"next", "previous", "results"}
        pages.append([row["title"] for row in page["results"]])
        url = page["next"]
    # Newest first, three to a page.
    assert pages == [["协办7", "协办6", "协办5"], ["协办4", "协办3", "协办2"], ["协办1"]]
