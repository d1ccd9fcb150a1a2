"""A department's event subscriptions page: add an endpoint (secret shown once), see deliveries,
switch it off; only the department's data officers and big-data administrators get in."""

import re

import pytest
from django.urls import reverse

from zhengtong.kernel.events.models import WebhookSubscription
from zhengtong.kernel.events.public import publish

from tests.kernel.identity.factories import PASSWORD, StaffFactory, totp_now


def sign_in(client, username, roles):
    member = StaffFactory(username=username, roles=roles)
    response = client.post(
        "/account/staff/login/", {"username": username, "password": PASSWORD, "otp_token": totp_now(member.user)}
    )
    assert response.status_code == 302
    return member


@pytest.mark.django_db
def test_a_data_officer_subscribes_and_sees_the_secret_once(client, department, django_capture_on_commit_callbacks):
    sign_in(client, "zhaolei", ["data_officer"])
    url = reverse("web:webhook-list")
    response = client.post(url, {"url": "https://sj.example.gov.cn/hooks", "events": "registry.，ingest.load_succeeded",
                                 "description": "企业登记系统"})
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    secret = re.search(r'id="webhook-secret">(whsec_[^<]+)<', response.content.decode()).group(1)
    assert subscription.secret == secret and subscription.department_id == department.id
    assert sorted(t.pattern for t in subscription.topics.all()) == ["ingest.load_succeeded", "registry."]
    # The list shows the endpoint, never the secret again.
    listing = client.get(url).content.decode()
    assert "https://sj.example.gov.cn/hooks" in listing and secret not in listing

    with django_capture_on_commit_callbacks(execute=False):
        publish("registry.golden_record_changed", {"registry_id": "P1"})
    detail = client.get(reverse("web:webhook-detail", args=[subscription.public_id])).content.decode()
    assert "registry.golden_record_changed" in detail

    response = client.post(reverse("web:webhook-detail", args=[subscription.public_id]), {"action": "deactivate"})
    assert response.status_code == 200
    assert WebhookSubscription.objects.get().active is False


@pytest.mark.django_db
def test_a_bad_endpoint_is_refused_with_a_reason_and_nothing_saved(client, department):
    sign_in(client, "zhaolei", ["data_officer"])
    response = client.post(reverse("web:webhook-list"), {"url": "http://sj.example.gov.cn/hooks", "events": "registry."})
    assert response.status_code == 400
    assert "https" in response.content.decode()
    response = client.post(reverse("web:webhook-list"), {"url": "https://sj.example.gov.cn/hooks", "events": " ， "})
    assert response.status_code == 400
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.django_db
def test_other_staff_get_no_page_and_no_other_departments_endpoint(client, department):
    sign_in(client, "zhaolei", ["data_officer"])
    client.post(reverse("web:webhook-list"), {"url": "https://sj.example.gov.cn/hooks", "events": "registry."})
    subscription = WebhookSubscription.objects.get()
    client.logout()
    sign_in(client, "wangfang", ["window_officer", "case_officer"])
    assert client.get(reverse("web:webhook-list")).status_code == 403
    assert client.get(reverse("web:webhook-detail", args=[subscription.public_id])).status_code == 404
    assert client.post(reverse("web:webhook-detail", args=[subscription.public_id]),
                       {"action": "deactivate"}).status_code == 404
    assert WebhookSubscription.objects.get().active is True
