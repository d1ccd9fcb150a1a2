"""The review pages (Django test client): the applicant's form and their reviews with the fix to
rate, the public statistics, and the department's workspace, which never shows the reviewer."""

import pytest
from django.urls import reverse

from zhengtong.services.applications.models import ApplicationState
from zhengtong.services.reviews import services
from zhengtong.services.reviews.models import Review

from ..conftest import A_ID, A_MOBILE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_totp")]

BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"


@pytest.fixture
def as_user(client, people):
    def sign_in(name: str):
        client.logout()
        client.force_login(people.user(name), backend=BACKEND)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return sign_in


def test_the_journey_of_a_bad_review(as_user, people, application_make, client):
    application = application_make()
    page = as_user("citizen_a")
    new_url = reverse("reviews:new", args=[application.public_id])
    assert page.get(new_url).status_code == 200
    response = page.post(new_url, {"level": "", "comment": ""})
    assert "Choose how satisfied you are." in response.content.decode()
    assert Review.objects.count() == 0
    response = page.post(new_url, {"level": "1", "indicator_overall": "1", "comment": "材料反复退回"})
    assert response.status_code == 302 and response.url == reverse("reviews:mine")
    review = Review.objects.get()
    assert (review.level, review.channel, review.indicators) == (1, "online", {"overall": 1})
    # A second visit to the form goes to the list.
    assert page.get(new_url).url == reverse("reviews:mine")

    officer = as_user("rs_case")
    workspace = officer.get(reverse("reviews:workspace")).content.decode()
    assert "材料反复退回" in workspace
    for secret in ("王芳", A_MOBILE, A_ID, "citizen_a"):
        assert secret not in workspace
    officer.post(reverse("reviews:workspace-act", args=[review.public_id, "callback"]), {"note": "已电话回访"})
    officer.post(reverse("reviews:workspace-act", args=[review.public_id, "rectify"]), {"note": "已公布统一清单"})
    review.refresh_from_db()
    assert (review.loop_state, review.rectification) == ("responded", "已公布统一清单")

    page = as_user("citizen_a")
    mine = page.get(reverse("reviews:mine")).content.decode()
    assert "已公布统一清单" in mine and "Send my rating of the fix" in mine
    page.post(reverse("reviews:rate-fix", args=[review.public_id]), {"accepted": "yes"})
    review.refresh_from_db()
    assert (review.loop_state, review.fix_accepted) == ("closed", True)

    client.logout()
    statistics = client.get(reverse("reviews:statistics"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "100% (1/1)" in statistics


def test_someone_elses_application_or_review_is_not_found(as_user, people, application_make):
    application = application_make(who="citizen_a")
    review = services.review_create(actor=people.a, application_id=application.public_id, level=1, channel="online")
    page = as_user("citizen_b")
    assert page.get(reverse("reviews:new", args=[application.public_id])).status_code == 404
    assert page.post(reverse("reviews:rate-fix", args=[review.public_id]), {"accepted": "yes"}).status_code == 404
    other = as_user("binjiang_rs_case")
    response = other.post(reverse("reviews:workspace-act", args=[review.public_id, "callback"]), {"note": "x"})
    assert response.status_code == 404
    review.refresh_from_db()
    assert review.loop_state == "assigned"


def test_a_draft_shows_the_error(as_user, application_make):
    draft = application_make(state=ApplicationState.DRAFT, officer=None)
    response = as_user("citizen_a").post(reverse("reviews:new", args=[draft.public_id]), {"level": "5"})
    assert "A draft cannot be reviewed: submit the application first." in response.content.decode()
    assert Review.objects.count() == 0


def test_staff_pages_need_staff(as_user, client):
    assert as_user("citizen_a").get(reverse("reviews:workspace")).status_code == 302
    client.logout()
    assert client.get(reverse("reviews:statistics")).status_code == 200


def test_the_application_page_links_to_its_review_and_a_draft_s_does_not(as_user, application_make):
    submitted = application_make(state=ApplicationState.SUBMITTED)
    draft = application_make(state=ApplicationState.DRAFT, officer=None)
    page = as_user("citizen_a")
    review_url = reverse("reviews:new", args=[submitted.public_id])
    html = page.get(reverse("applications:detail", args=[submitted.public_id])).content.decode()
    assert f'href="{review_url}"' in html and "Rate this service" in html
    draft_page = page.get(reverse("applications:detail", args=[draft.public_id]))
    assert "Rate this service" not in draft_page.content.decode()
