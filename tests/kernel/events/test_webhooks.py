"""Webhooks end to end: a real local HTTP endpoint, the real database task worker, the public API.

Tests that run the worker use transaction=True (see test_outbox.py for why).
"""

import time
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_tasks_db.models import DBTaskResult

from zhengtong.kernel.events import permissions, services
from zhengtong.kernel.events.models import OutboxEvent, WebhookDelivery, WebhookSubscription, WebhookTopic
from zhengtong.kernel.events.public import (
    WebhookDeliveryStatus,
    WebhookSubscriptionNotFound,
    access_webhook_subscription,
    publish,
    webhook_deliveries_list,
    webhook_deliveries_redeliver,
    webhook_redeliver_due,
    webhook_signature_verify,
    webhook_subscription_create,
    webhook_subscription_deactivate,
    webhook_subscription_list,
)
from zhengtong.kernel.events.signatures import webhook_headers, webhook_secret_generate, webhook_signature
from zhengtong.kernel.identity.models import User
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import Role

from .receiver import Receiver

DEPARTMENT = 7
OFFICER = Actor(kind="staff", user_id=11, department_id=DEPARTMENT, roles=frozenset({Role.DATA_OFFICER}))
ADMIN = Actor(kind="staff", user_id=12, department_id=DEPARTMENT, roles=frozenset({Role.BIG_DATA_ADMIN}))
WINDOW_OFFICER = Actor(kind="staff", user_id=13, department_id=DEPARTMENT, roles=frozenset({Role.WINDOW_OFFICER}))
OTHER_OFFICER = Actor(kind="staff", user_id=14, department_id=8, roles=frozenset({Role.DATA_OFFICER}))
SYSTEM = Actor(kind="system")

local_http = override_settings(EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST=True)


@pytest.fixture
def receiver():
    with Receiver() as endpoint:
        yield endpoint


def subscribe(receiver, events, actor=OFFICER, department_id=DEPARTMENT):
    created = webhook_subscription_create(actor=actor, department_id=department_id, events=events, url=receiver.url)
    receiver.secret = created.secret
    return created.subscription


# --- Signatures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("digest", "scheme"), [("sm3", "v1-sm3"), ("sha256", "v1")])
def test_signature_verifies_and_any_tampering_fails(digest, scheme):
    secret = webhook_secret_generate()
    body = '{"id":"e1","name":"registry.person_changed","payload":{"registry_id":"P-1"}}'.encode()
    headers = webhook_headers(secret, "e1", body, digest=digest, timestamp=1_800_000_000)
    assert headers["Webhook-Signature"].startswith(f"{scheme},")
    assert (headers["Webhook-Id"], headers["Idempotency-Key"], headers["Webhook-Timestamp"]) == (
        "e1", "e1", "1800000000"
    )
    at = 1_800_000_100.0
    assert webhook_signature_verify(secret, headers, body, now=at) is True
    # Header names in any case, as frameworks hand them over.
    assert webhook_signature_verify(secret, {k.lower(): v for k, v in headers.items()}, body, now=at) is True

    assert webhook_signature_verify(secret, headers, body.replace(b"P-1", b"P-2"), now=at) is False
    assert webhook_signature_verify(secret, headers | {"Webhook-Id": "e2"}, body, now=at) is False
    assert webhook_signature_verify(secret, headers | {"Webhook-Timestamp": "1800000001"}, body, now=at) is False
    assert webhook_signature_verify(webhook_secret_generate(), headers, body, now=at) is False
    # A replay outside five minutes either way, and missing or broken headers.
    assert webhook_signature_verify(secret, headers, body, now=1_800_000_301.0) is False
    assert webhook_signature_verify(secret, headers, body, now=1_799_999_699.0) is False
    assert webhook_signature_verify(secret, {"Webhook-Id": "e1"}, body, now=at) is False
    assert webhook_signature_verify(secret, headers | {"Webhook-Signature": "v1-sm3,AAAA"}, body, now=at) is False
    assert webhook_signature_verify(secret, headers | {"Webhook-Signature": "v9,x"}, body, now=at) is False
    assert webhook_signature_verify("not a secret!", headers, body, now=at) is False
    # Several signatures (as during a future key rotation): one good one is enough.
    several = headers | {"Webhook-Signature": "v1,bm9wZQ== " + headers["Webhook-Signature"]}
    assert webhook_signature_verify(secret, several, body, now=at) is True


def test_hmac_sha256_scheme_is_standard_webhooks():
    """The example in the Standard Webhooks specification, so receivers may use its libraries."""
    signature = webhook_signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
        b'{"test": 2432232314}', "sha256",
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_manager_roles_are_the_org_roles():
    # kernel.events names them by value (it may not import org); a rename there must fail here.
    assert permissions.MANAGER_ROLES == {Role.DATA_OFFICER.value, Role.BIG_DATA_ADMIN.value}


# --- Subscriptions ------------------------------------------------------------------------------


@pytest.mark.django_db
@local_http
def test_subscription_create_by_a_data_officer_of_the_department():
    created = webhook_subscription_create(
        actor=OFFICER, department_id=DEPARTMENT, events=["registry.", "registry.person_changed", "registry."],
        url="https://hj.example.gov.cn/hooks", description="户籍 system",
    )
    subscription = created.subscription
    assert created.secret.startswith("whsec_") and len(created.secret) == 6 + 44
    row = WebhookSubscription.objects.get()
    assert (row.public_id, row.department_id, row.url, row.secret, row.active, row.created_by_user_id) == (
        subscription.id, DEPARTMENT, "https://hj.example.gov.cn/hooks", created.secret, True, 11
    )
    assert (subscription.events, subscription.description, subscription.active) == (
        ("registry.", "registry.person_changed"), "户籍 system", True
    )
    # The secret is encrypted at rest: the stored column holds neither it nor its key material.
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM events_webhooksubscription")
        (stored,) = cursor.fetchone()
    assert created.secret not in stored and created.secret[6:] not in stored
    # The big-data administrator of the department, a superuser and the platform may as well.
    for actor in (ADMIN, Actor(kind="staff", user_id=1, is_superuser=True), SYSTEM):
        webhook_subscription_create(actor=actor, department_id=DEPARTMENT, events=["loops."],
                                    url="http://127.0.0.1:9/x")
    assert [s.events for s in webhook_subscription_list(actor=OFFICER)] == [
        ("registry.", "registry.person_changed"), ("loops.",), ("loops.",), ("loops.",)
    ]
    assert access_webhook_subscription(actor=ADMIN, subscription_id=subscription.id) == subscription


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "department_id", "events", "url", "error", "message"),
    [
        (WINDOW_OFFICER, DEPARTMENT, ["registry."], "https://a.example/h", PermissionDenied,
         "staff actor may not manage the webhook subscriptions of department 7."),
        (OTHER_OFFICER, DEPARTMENT, ["registry."], "https://a.example/h", PermissionDenied,
         "staff actor may not manage the webhook subscriptions of department 7."),
        (Actor(kind="citizen", user_id=3), DEPARTMENT, ["registry."], "https://a.example/h", PermissionDenied,
         "citizen actor may not manage the webhook subscriptions of department 7."),
        (Actor(kind="api_client", department_id=DEPARTMENT, roles=frozenset({"data_officer"})), DEPARTMENT,
         ["registry."], "https://a.example/h", PermissionDenied,
         "api_client actor may not manage the webhook subscriptions of department 7."),
        (OFFICER, DEPARTMENT, ["registry."], "http://a.example/h", ValidationError,
         "Webhook targets must use https, not 'http://a.example/h' (plain http is accepted only for 127.0.0.1 "
         "or localhost in development)."),
        (OFFICER, DEPARTMENT, ["registry."], "http://127.0.0.1:8000/h", ValidationError,
         "Webhook targets must use https, not 'http://127.0.0.1:8000/h' (plain http is accepted only for "
         "127.0.0.1 or localhost in development)."),
        (OFFICER, DEPARTMENT, ["registry."], "https://user:pw@a.example/h", ValidationError,
         "A webhook target URL may not carry a user name or password."),
        (OFFICER, DEPARTMENT, ["registry."], "ftp://a.example/h", ValidationError,
         gettext_lazy("Enter a valid URL.")),
        (OFFICER, DEPARTMENT, ["registry.", None], "https://a.example/h", ValidationError,
         "None is not an event name or prefix; they are strings."),
        (OFFICER, DEPARTMENT, ["registry"], "https://a.example/h", ValidationError,
         "'registry' is neither an event name such as 'registry.person_changed' nor a prefix ending in a dot "
         "such as 'registry.'."),
        (OFFICER, DEPARTMENT, ["Registry.*"], "https://a.example/h", ValidationError,
         "'Registry.*' is neither an event name such as 'registry.person_changed' nor a prefix ending in a dot "
         "such as 'registry.'."),
        (OFFICER, DEPARTMENT, [], "https://a.example/h", ValidationError,
         "Subscribe to at least one event name or prefix, e.g. 'registry.'."),
        (OFFICER, DEPARTMENT, "registry.", "https://a.example/h", ValidationError,
         "List the event names or prefixes to subscribe to, e.g. ['registry.']."),
        (OFFICER, "7", ["registry."], "https://a.example/h", ValidationError, "department_id must be an integer, not '7'."),
    ],
)
def test_subscription_create_refused(actor, department_id, events, url, error, message):
    with pytest.raises(error) as raised:
        webhook_subscription_create(actor=actor, department_id=department_id, events=events, url=url)
    text = " ".join(raised.value.messages) if isinstance(raised.value, ValidationError) else str(raised.value)
    assert text == str(message)
    assert WebhookSubscription.objects.count() == 0
    assert WebhookTopic.objects.count() == 0


@pytest.mark.django_db
def test_subscriptions_are_seen_and_changed_only_within_the_department():
    subscription = webhook_subscription_create(
        actor=OFFICER, department_id=DEPARTMENT, events=["registry."], url="https://a.example/h"
    ).subscription
    with pytest.raises(PermissionDenied):
        webhook_subscription_list(actor=OTHER_OFFICER, department_id=DEPARTMENT)
    assert webhook_subscription_list(actor=OTHER_OFFICER) == []
    with pytest.raises(PermissionDenied):
        webhook_subscription_list(actor=Actor(kind="citizen", user_id=3))
    for call in (access_webhook_subscription, webhook_deliveries_list, webhook_subscription_deactivate,
                 webhook_deliveries_redeliver):
        with pytest.raises(PermissionDenied):
            call(actor=OTHER_OFFICER, subscription_id=subscription.id)
        with pytest.raises(WebhookSubscriptionNotFound):
            call(actor=OFFICER, subscription_id=uuid.uuid4())
    assert WebhookSubscription.objects.get().active is True
    assert [s.id for s in webhook_subscription_list(actor=SYSTEM)] == [subscription.id]


# --- Delivery -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@local_http
def test_delivered_signed_to_a_real_endpoint_once(receiver, run_worker):
    subscription = subscribe(receiver, ["test.hooks.person_changed"])

    with transaction.atomic():
        event_id = publish("test.hooks.person_changed", {"registry_id": "P-000001", "fields": ["姓名"]})
        # The delivery row is written with the event, its task queued only at commit.
        assert WebhookDelivery.objects.filter(event_id=event_id).count() == 1
        assert DBTaskResult.objects.count() == 0
    assert DBTaskResult.objects.get().task_path == "zhengtong.kernel.events.tasks.webhook_delivery_attempt"
    run_worker()

    event = OutboxEvent.objects.get()
    [request] = receiver.requests
    assert request.verified is True
    assert request.document == {
        "id": str(event_id), "name": "test.hooks.person_changed", "occurred_at": event.occurred_at.isoformat(),
        "payload": {"registry_id": "P-000001", "fields": ["姓名"]},
    }
    assert (request.headers["Webhook-Id"], request.headers["Idempotency-Key"]) == (str(event_id), str(event_id))
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["User-Agent"] == "Zhengtong-Webhooks/1"
    assert request.headers["Webhook-Signature"].startswith("v1-sm3,")  # the default 国密 profile
    assert abs(int(request.headers["Webhook-Timestamp"]) - time.time()) < 60
    assert receiver.processed == [str(event_id)]

    [delivery] = webhook_deliveries_list(actor=OFFICER, subscription_id=subscription.id)
    assert (delivery.event_id, delivery.event_name, delivery.occurred_at, delivery.status, delivery.attempts,
            delivery.in_flight, delivery.next_attempt_at, delivery.last_http_status, delivery.last_error) == (
        event_id, "test.hooks.person_changed", event.occurred_at, "delivered", 1, False, None, 200, ""
    )
    assert delivery.delivered_at is not None
    # Nothing is sent again: not by another worker run, a direct attempt, or the sweeper.
    run_worker()
    assert services.webhook_delivery_attempt(delivery_id=delivery.id) is None
    assert webhook_redeliver_due() == 0
    assert len(receiver.requests) == 1


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST=True, CRYPTO_PROFILE="international")
def test_international_profile_signs_with_hmac_sha256(receiver, run_worker):
    subscribe(receiver, ["test.hooks."])
    publish("test.hooks.person_changed", {})
    run_worker()
    [request] = receiver.requests
    assert request.headers["Webhook-Signature"].startswith("v1,")
    assert request.verified is True


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST=True, EVENTS_RETRY_BASE_SECONDS=0)
def test_retried_after_server_errors_then_delivered(receiver, run_worker):
    receiver.script = [500, 503]
    subscription = subscribe(receiver, ["test.hooks."])
    event_id = publish("test.hooks.person_changed", {"n": 1})
    run_worker()

    assert [r.answered for r in receiver.requests] == [500, 503, 200]
    assert receiver.ids_received() == [str(event_id)] * 3
    # The same event each time: the same body, a fresh timestamp and signature.
    assert len({r.body for r in receiver.requests}) == 1
    assert receiver.processed == [str(event_id)]
    [delivery] = webhook_deliveries_list(actor=OFFICER, subscription_id=subscription.id)
    # The last failure stays on record after the success.
    assert (delivery.status, delivery.attempts, delivery.last_http_status, delivery.last_error) == (
        "delivered", 3, 200, "HTTP 503 Service Unavailable: refused with 503"
    )


@pytest.mark.django_db(transaction=True)
@local_http
def test_failure_is_retried_later_with_exponential_backoff(receiver, run_worker):
    receiver.script = [500]
    subscribe(receiver, ["test.hooks."])
    publish("test.hooks.person_changed", {})
    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_http_status, delivery.lease_token) == (
        WebhookDeliveryStatus.PENDING, 1, 500, None
    )
    assert delivery.next_attempt_at - delivery.last_attempt_at == timedelta(seconds=30)
    retry = DBTaskResult.objects.get(status="READY")
    assert (retry.task_path, retry.run_after, retry.args_kwargs) == (
        "zhengtong.kernel.events.tasks.webhook_delivery_attempt", delivery.next_attempt_at,
        {"args": [delivery.id], "kwargs": {}},
    )
    assert [services.retry_delay(n).total_seconds() for n in (1, 2, 3, 11)] == [30, 60, 120, 21600]


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST=True, EVENTS_RETRY_BASE_SECONDS=0,
                   EVENTS_WEBHOOK_TIMEOUT_SECONDS=0.5)
def test_a_receiver_too_slow_to_answer_is_retried_and_deduplicates(receiver, run_worker):
    receiver.script = [("sleep", 1.5)]  # processes the event, then answers after our timeout
    subscribe(receiver, ["test.hooks."])
    event_id = publish("test.hooks.person_changed", {})
    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (WebhookDeliveryStatus.DELIVERED, 2)
    assert delivery.last_error.startswith("ReadTimeout: ")
    assert receiver.ids_received() == [str(event_id)] * 2
    assert receiver.processed == [str(event_id)]


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST=True, EVENTS_RETRY_BASE_SECONDS=0, EVENTS_WEBHOOK_MAX_ATTEMPTS=3)
def test_dead_after_max_attempts_then_redelivered(receiver, run_worker, client):
    receiver.script = [500] * 4
    subscription = subscribe(receiver, ["test.hooks."])
    publish("test.hooks.person_changed", {})
    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_http_status, delivery.last_error) == (
        WebhookDeliveryStatus.DEAD, 3, 500, "HTTP 500 Internal Server Error: refused with 500"
    )
    assert len(receiver.requests) == 3
    # Dead is final for the machinery: no task is waiting and the sweeper leaves it alone.
    assert DBTaskResult.objects.filter(status="READY").count() == 0
    assert services.webhook_deliveries_redeliver_due(grace=timedelta(0)) == 0
    assert webhook_deliveries_list(actor=OFFICER, subscription_id=subscription.id, status="dead")[0].id == delivery.id

    # One more attempt, still failing: dead again at once (the count is kept).
    assert webhook_deliveries_redeliver(actor=OFFICER, subscription_id=subscription.id) == 1
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDeliveryStatus.DEAD, 4)

    # The department fixed its endpoint; an operator sends it again from the admin.
    admin_user = User.objects.create_superuser("ops-admin", "a-long-password-1")
    client.force_login(admin_user)
    changelist = reverse("admin:events_webhookdelivery_changelist")
    page = client.get(changelist, {"status__exact": "dead"})
    assert page.status_code == 200
    assert "HTTP 500 Internal Server Error" in page.content.decode()
    response = client.post(changelist, {"action": "redeliver", "_selected_action": [delivery.id]})
    assert response.status_code == 302
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_http_status) == (WebhookDeliveryStatus.DELIVERED, 5, 200)
    assert len(receiver.requests) == 5
    assert len(receiver.processed) == 1


@pytest.mark.django_db(transaction=True)
@local_http
def test_subscriptions_match_exact_names_and_dotted_prefixes(receiver, run_worker):
    by_prefix = subscribe(receiver, ["test.hooks."])
    exact = subscribe(receiver, ["test.hooks.person_changed"])
    other = subscribe(receiver, ["test.other.", "test.hooks.company."], department_id=DEPARTMENT)
    elsewhere = webhook_subscription_create(
        actor=OTHER_OFFICER, department_id=8, events=["test.hooks.person_changed", "test."], url=receiver.url
    ).subscription
    receiver.secret = ""  # several secrets here; this test is about who gets what
    events = {
        name: publish(name, {})
        for name in ["test.hooks.person_changed", "test.hooks.company.merged", "test.hookshot.fired", "test.other.x"]
    }
    got = {
        s.id: sorted(d.event_name for d in webhook_deliveries_list(actor=SYSTEM, subscription_id=s.id))
        for s in (by_prefix, exact, other, elsewhere)
    }
    assert got == {
        by_prefix.id: ["test.hooks.company.merged", "test.hooks.person_changed"],
        exact.id: ["test.hooks.person_changed"],
        other.id: ["test.hooks.company.merged", "test.other.x"],
        elsewhere.id: sorted(events),
    }
    # One delivery per subscription even when two of its patterns match ("test." and the exact name).
    assert WebhookDelivery.objects.filter(event_id=events["test.hooks.person_changed"]).count() == 3
    run_worker()
    assert sorted(receiver.ids_received()) == sorted(str(e) for e in [
        events["test.hooks.person_changed"]] * 3 + [events["test.hooks.company.merged"]] * 3
        + [events["test.hookshot.fired"], events["test.other.x"], events["test.other.x"]])


@pytest.mark.django_db(transaction=True)
@local_http
def test_inactive_subscription_gets_nothing_and_its_pending_deliveries_are_cancelled(receiver, run_worker):
    subscription = subscribe(receiver, ["test.hooks."])
    first = publish("test.hooks.person_changed", {"n": 1})  # queued, not yet sent

    ref = webhook_subscription_deactivate(actor=OFFICER, subscription_id=subscription.id)
    assert (ref.active, ref.deactivated_at is not None) == (False, True)
    assert webhook_subscription_deactivate(actor=OFFICER, subscription_id=subscription.id) == ref  # idempotent
    row = WebhookSubscription.objects.get()
    assert (row.active, row.deactivated_by_user_id) == (False, 11)
    publish("test.hooks.person_changed", {"n": 2})
    run_worker()

    assert receiver.requests == []
    assert [(d.event_id, d.status, d.attempts) for d in WebhookDelivery.objects.all()] == [
        (first, WebhookDeliveryStatus.CANCELLED, 0)
    ]
    with pytest.raises(ValidationError):
        webhook_deliveries_redeliver(actor=OFFICER, subscription_id=subscription.id)
    assert webhook_subscription_list(actor=OFFICER)[0].active is False


@pytest.mark.django_db(transaction=True)
@local_http
def test_publish_in_a_rolled_back_transaction_sends_nothing(receiver, run_worker):
    subscribe(receiver, ["test.hooks."])
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            publish("test.hooks.person_changed", {"n": 1})
            1 / 0
    assert (OutboxEvent.objects.count(), WebhookDelivery.objects.count(), DBTaskResult.objects.count()) == (0, 0, 0)
    run_worker()
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST=True, EVENTS_WEBHOOK_LEASE_SECONDS=0)
def test_an_attempt_whose_worker_vanished_is_taken_up_by_the_sweeper(receiver, run_worker):
    subscribe(receiver, ["test.hooks."])
    event_id = publish("test.hooks.person_changed", {})
    DBTaskResult.objects.all().delete()
    delivery = WebhookDelivery.objects.get()
    # A worker claims the delivery and dies before it POSTs or reports (lease of zero seconds).
    lost = services._webhook_claim(WebhookDelivery.objects.filter(pk=delivery.id))
    assert isinstance(lost, services.WebhookAttempt)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.lease_token) == (1, lost.lease_token)
    assert webhook_deliveries_list(actor=OFFICER, subscription_id=delivery.subscription.public_id)[0].in_flight

    # Its lease over, the sweeper queues a delivering task at once (no grace: the worker is gone).
    assert webhook_redeliver_due() == 1
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.lease_token, delivery.last_error) == (
        WebhookDeliveryStatus.DELIVERED, 2, None,
        "Attempt 1 did not report back within its lease (the worker stopped?).",
    )
    assert receiver.processed == [str(event_id)]
    # The vanished worker coming back to report a failure is ignored: the lease is no longer its own.
    assert services._webhook_outcome(lost, http_status=None, error="ConnectionError: late") is None
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.DELIVERED


@pytest.mark.django_db
@local_http
def test_a_request_in_flight_when_the_subscription_is_deactivated_is_recorded_as_delivered(receiver):
    subscription = subscribe(receiver, ["test.hooks."])
    publish("test.hooks.person_changed", {})
    attempt = services._webhook_claim(WebhookDelivery.objects.all())
    webhook_subscription_deactivate(actor=OFFICER, subscription_id=subscription.id)
    assert WebhookDelivery.objects.get().status == WebhookDeliveryStatus.CANCELLED
    # The POST was already on its way and got a 2xx: the department has the event.
    assert services._webhook_outcome(attempt, http_status=204, error="") == WebhookDeliveryStatus.DELIVERED
    assert (WebhookDelivery.objects.get().status, WebhookDelivery.objects.get().last_http_status) == (
        WebhookDeliveryStatus.DELIVERED, 204
    )


@pytest.mark.django_db(transaction=True)
@local_http
def test_sweeper_waits_out_the_grace_period_for_a_lost_task(receiver, run_worker):
    subscribe(receiver, ["test.hooks."])
    publish("test.hooks.person_changed", {})
    DBTaskResult.objects.all().delete()  # the task was lost between commit and queueing
    assert webhook_redeliver_due() == 0  # within the grace period: perhaps just a slow queue
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    assert webhook_redeliver_due() == 1
    assert webhook_redeliver_due() == 1  # one task per sweep, not one per delivery
    assert DBTaskResult.objects.filter(
        task_path="zhengtong.kernel.events.tasks.webhook_deliveries_deliver_due"
    ).count() == 2
    run_worker()
    assert WebhookDelivery.objects.get().status == WebhookDeliveryStatus.DELIVERED
    assert len(receiver.requests) == 1


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST=True, EVENTS_WEBHOOK_MAX_ATTEMPTS=1)
def test_a_redirect_or_an_unreachable_endpoint_is_a_failure(run_worker):
    # A port nothing listens on: connection refused.
    webhook_subscription_create(actor=OFFICER, department_id=DEPARTMENT, events=["test.hooks."],
                                url="http://127.0.0.1:9/hooks")
    publish("test.hooks.person_changed", {})
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_http_status) == (WebhookDeliveryStatus.DEAD, None)
    assert delivery.last_error.startswith("ConnectionError: ")


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST=True, EVENTS_WEBHOOK_MAX_ATTEMPTS=1)
def test_a_target_no_longer_allowed_is_not_posted_to(receiver, run_worker):
    subscribe(receiver, ["test.hooks."])
    publish("test.hooks.person_changed", {})
    with override_settings(EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST=False):
        run_worker()
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().last_error.startswith("Refused target: Webhook targets must use https")


@pytest.mark.django_db
@local_http
def test_deliveries_list_queries_do_not_grow_with_rows(receiver, django_assert_num_queries):
    subscription = subscribe(receiver, ["test.hooks."])
    for n in range(5):
        publish("test.hooks.person_changed", {"n": n})
    # The subscription (with its topics), then the deliveries with their events.
    with django_assert_num_queries(3):
        listed = webhook_deliveries_list(actor=OFFICER, subscription_id=subscription.id, limit=3)
    assert [d.status for d in listed] == ["pending"] * 3
    assert all(d.next_attempt_at is not None and not d.in_flight for d in listed)
    with pytest.raises(ValidationError):
        webhook_deliveries_list(actor=OFFICER, subscription_id=subscription.id, status="lost")


@pytest.mark.django_db
@local_http
def test_subscription_admin_lists_without_the_secret_and_deactivates(receiver, client):
    subscription = subscribe(receiver, ["test.hooks."])
    admin_user = User.objects.create_superuser("ops-admin", "a-long-password-1")
    client.force_login(admin_user)
    changelist = reverse("admin:events_webhooksubscription_changelist")
    page = client.get(changelist)
    assert page.status_code == 200 and receiver.url in page.content.decode()
    row = WebhookSubscription.objects.get()
    detail = client.get(reverse("admin:events_webhooksubscription_change", args=[row.pk]))
    assert detail.status_code == 200
    assert row.secret not in detail.content.decode()
    assert client.post(changelist, {"action": "deactivate", "_selected_action": [row.pk]}).status_code == 302
    row.refresh_from_db()
    assert (row.active, row.deactivated_by_user_id) == (False, admin_user.pk)
    assert access_webhook_subscription(actor=SYSTEM, subscription_id=subscription.id).active is False


def test_the_scheduler_sweeps_webhooks():
    from zhengtong.web.management.commands.scheduler import JOBS

    assert (webhook_redeliver_due, 30) in JOBS
