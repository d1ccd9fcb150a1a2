"""The outbox end to end, with the real database task worker.

Tests that run the worker use transaction=True: the worker closes "old" connections between tasks,
which would break the wrapping transaction of an ordinary database test, and on_commit callbacks
(the enqueue) only fire on a real commit.
"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from zhengtong.kernel.events import services
from zhengtong.kernel.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from zhengtong.kernel.events.public import Event, EventPayloadError, handler, publish, redeliver_due, register_handler
from zhengtong.kernel.identity.models import User

# What the handlers below saw, and how often each should still fail. Module state rather than the
# database: a failing handler's database writes are rolled back with it, by design.
CALLS: list[tuple[str, Event]] = []
FAILURES_LEFT: dict[str, int] = {}


def record(event: Event) -> None:
    CALLS.append(("record", event))


def flaky(event: Event) -> None:
    CALLS.append(("flaky", event))
    # A database write inside the handler: it must be rolled back whenever the handler fails.
    publish("test.events.echo", {"from": str(event.id)})
    if FAILURES_LEFT.get("flaky", 0) > 0:
        FAILURES_LEFT["flaky"] -= 1
        raise RuntimeError(f"flaky failure, {FAILURES_LEFT['flaky']} left")


def broken(event: Event) -> None:
    CALLS.append(("broken", event))
    if FAILURES_LEFT.get("broken", 0) > 0:
        FAILURES_LEFT["broken"] -= 1
        raise ValueError("downstream refused")


@pytest.fixture(autouse=True)
def clean_state(isolated_handlers):
    CALLS.clear()
    FAILURES_LEFT.clear()
    yield
    CALLS.clear()
    FAILURES_LEFT.clear()


@pytest.mark.django_db(transaction=True)
def test_delivered_after_commit_once(run_worker):
    register_handler("test.events.happened", record)

    with transaction.atomic():
        event_id = publish("test.events.happened", {"n": 1, "who": ["a", "b"]})
        # Inside the transaction nothing is queued yet.
        assert DBTaskResult.objects.count() == 0
    assert DBTaskResult.objects.count() == 1
    assert CALLS == []

    run_worker()

    assert [(name, e.id, e.name, e.payload) for name, e in CALLS] == [
        ("record", event_id, "test.events.happened", {"n": 1, "who": ["a", "b"]})
    ]
    event = OutboxEvent.objects.get()
    assert CALLS[0][1].occurred_at == event.occurred_at
    delivery = EventDelivery.objects.get()
    assert (delivery.handler, delivery.status, delivery.attempts, delivery.last_error) == (
        "tests.kernel.events.test_outbox.record", DeliveryStatus.DELIVERED, 1, ""
    )
    assert delivery.delivered_at is not None

    # Running the worker again, or attempting the delivery again, does not run the handler again.
    run_worker()
    assert services.delivery_attempt(delivery_id=delivery.id) is None
    assert len(CALLS) == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_event_is_never_delivered(run_worker):
    register_handler("test.events.happened", record)

    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            publish("test.events.happened", {"n": 1})
            1 / 0

    assert OutboxEvent.objects.count() == 0
    assert EventDelivery.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    run_worker()
    assert CALLS == []


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_RETRY_BASE_SECONDS=0)  # retries become due at once, so one batch run sees them all
def test_failing_handler_is_retried_until_it_succeeds_and_others_do_not_rerun(run_worker):
    register_handler("test.events.happened", record)
    register_handler("test.events.happened", flaky)
    FAILURES_LEFT["flaky"] = 2

    event_id = publish("test.events.happened", {"n": 7})
    run_worker()

    # The first task tries both (in handler-name order); the two retries concern flaky alone.
    assert [name for name, _ in CALLS] == ["flaky", "record", "flaky", "flaky"]
    deliveries = {d.handler.rsplit(".", 1)[1]: d for d in EventDelivery.objects.filter(event_id=event_id)}
    assert (deliveries["flaky"].status, deliveries["flaky"].attempts) == (DeliveryStatus.DELIVERED, 3)
    # The error of the last failed attempt stays on record after the success.
    assert deliveries["flaky"].last_error == "RuntimeError: flaky failure, 0 left"
    assert "raise RuntimeError" in deliveries["flaky"].last_traceback
    assert (deliveries["record"].status, deliveries["record"].attempts) == (DeliveryStatus.DELIVERED, 1)
    # The two failed attempts' writes were rolled back with them: one echo, from the good attempt.
    assert list(OutboxEvent.objects.filter(name="test.events.echo").values_list("payload", flat=True)) == [
        {"from": str(event_id)}
    ]


@pytest.mark.django_db(transaction=True)
def test_failure_schedules_a_deferred_retry_task(run_worker):
    register_handler("test.events.happened", broken)
    FAILURES_LEFT["broken"] = 1

    publish("test.events.happened", {})
    run_worker()

    delivery = EventDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.PENDING, 1, "ValueError: downstream refused"
    )
    # Default backoff: the first retry waits 30 seconds, and the queued task waits for exactly that.
    assert delivery.next_attempt_at - delivery.last_attempt_at == timedelta(seconds=30)
    retry_task = DBTaskResult.objects.get(task_path="zhengtong.kernel.events.tasks.delivery_attempt")
    assert retry_task.run_after == delivery.next_attempt_at
    assert retry_task.args_kwargs == {"args": [delivery.id], "kwargs": {}}
    # The worker did not run it early.
    assert retry_task.status == "READY"
    assert len(CALLS) == 1


def test_retry_delay_doubles_up_to_the_ceiling():
    assert [services.retry_delay(n).total_seconds() for n in (1, 2, 3, 8)] == [30, 60, 120, 3840]
    assert services.retry_delay(20) == timedelta(hours=6)


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_RETRY_BASE_SECONDS=0, EVENTS_MAX_ATTEMPTS=3)
def test_dead_after_max_attempts_then_retried_from_the_admin(run_worker, client):
    register_handler("test.events.happened", broken)
    FAILURES_LEFT["broken"] = 99

    publish("test.events.happened", {"n": 1})
    run_worker()

    delivery = EventDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.DEAD, 3, "ValueError: downstream refused"
    )
    assert len(CALLS) == 3
    # Dead is final for the machinery: neither the queue nor the sweeper tries again on its own.
    assert DBTaskResult.objects.filter(status="READY").count() == 0
    assert services.deliveries_redeliver_due(grace=timedelta(0)) == 0

    # The admin lists it and offers the retry action; once the cause is fixed, it goes through.
    admin_user = User.objects.create_superuser("ops-admin", "a-long-password-1")
    client.force_login(admin_user)
    changelist = reverse("admin:events_eventdelivery_changelist")
    page = client.get(changelist, {"status__exact": "dead"})
    assert page.status_code == 200
    assert "ValueError: downstream refused" in page.content.decode()
    FAILURES_LEFT["broken"] = 0
    response = client.post(changelist, {"action": "retry", "_selected_action": [delivery.id]})
    assert response.status_code == 302
    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 4)
    assert len(CALLS) == 4


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_RETRY_BASE_SECONDS=0)
def test_retry_of_a_dead_delivery_that_fails_again_is_dead_again_at_once(run_worker):
    register_handler("test.events.happened", broken)
    FAILURES_LEFT["broken"] = 99
    with override_settings(EVENTS_MAX_ATTEMPTS=1):
        publish("test.events.happened", {})
        run_worker()
        delivery = EventDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 1)

        assert services.deliveries_retry(delivery_ids=[delivery.id]) == 1
        run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 2)
    assert len(CALLS) == 2


@pytest.mark.django_db(transaction=True)
def test_sweeper_delivers_an_event_whose_task_was_lost(run_worker):
    register_handler("test.events.happened", record)
    event_id = publish("test.events.happened", {"n": 3})
    # Simulate the crash between commit and queueing (or a lost queue row): the outbox rows are
    # committed, the task is gone.
    assert DBTaskResult.objects.all().delete()[0] == 1
    run_worker()
    assert CALLS == []

    # Within the grace period the sweeper leaves it to the (possibly just slow) original task.
    assert redeliver_due() == 0
    call_command("events_redeliver", grace_seconds=0, stdout=open("/dev/null", "w"))
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    run_worker()

    assert [(name, e.id, e.payload) for name, e in CALLS] == [("record", event_id, {"n": 3})]
    assert EventDelivery.objects.get().status == DeliveryStatus.DELIVERED
    # Delivered rows are not queued again.
    assert services.deliveries_redeliver_due(grace=timedelta(0)) == 0


@pytest.mark.django_db(transaction=True)
def test_duplicate_tasks_run_the_handler_once(run_worker):
    register_handler("test.events.happened", record)
    publish("test.events.happened", {})
    # The sweeper racing the original task queues a second one; only one attempt may run the handler.
    assert services.deliveries_redeliver_due(grace=timedelta(0)) == 1
    assert DBTaskResult.objects.count() == 2
    run_worker()
    assert len(CALLS) == 1


@pytest.mark.django_db(transaction=True)
def test_a_backlog_is_not_multiplied_by_every_sweep(run_worker):
    register_handler("test.events.happened", record)
    publish("test.events.happened", {})
    # The queue is ten minutes behind: the delivery has been due for that long.
    EventDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    assert redeliver_due() == 1
    # The next sweeps leave the re-queued delivery to its task until another grace period passes.
    assert redeliver_due() == 0 and redeliver_due() == 0
    assert DBTaskResult.objects.count() == 2
    run_worker()
    assert len(CALLS) == 1


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS_MAX_ATTEMPTS=1)
def test_delivery_to_a_handler_no_longer_registered_is_kept_dead(run_worker, isolated_handlers):
    register_handler("test.events.happened", record)
    publish("test.events.happened", {})
    isolated_handlers["test.events.happened"].clear()  # the handler was removed in a new release
    run_worker()
    delivery = EventDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        DeliveryStatus.DEAD,
        "HandlerNotRegistered: No handler tests.kernel.events.test_outbox.record is registered "
        "for test.events.happened.",
    )


@pytest.mark.django_db
def test_event_without_handlers_is_kept_but_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        event_id = publish("test.events.unheard", {"a": None, "b": 1.5, "c": True})
    assert callbacks == []
    event = OutboxEvent.objects.get()
    assert (event.id, event.name, event.payload) == (event_id, "test.events.unheard", {"a": None, "b": 1.5, "c": True})
    assert EventDelivery.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"at": uuid.UUID(int=5)}, "Event payload['at'] is a UUID (UUID('00000000-0000-0000-0000-000000000005')), "
         "which is not JSON; send a string, number, boolean, None, list or dict (e.g. str(uuid), date.isoformat())."),
        ({"ids": [1, (2, 3)]}, "Event payload['ids'][1] is a tuple ((2, 3)), which is not JSON; send a string, "
         "number, boolean, None, list or dict (e.g. str(uuid), date.isoformat())."),
        ({1: "x"}, "Event payload has the key 1; JSON object keys must be strings."),
        ({"x": float("nan")}, "Event payload['x'] is nan, which JSON cannot represent."),
        (["not", "a", "dict"], "An event payload must be a dict, not list."),
    ],
)
def test_publish_refuses_payloads_that_are_not_plain_json(payload, message):
    with pytest.raises(EventPayloadError) as raised:
        publish("test.events.happened", payload)
    assert str(raised.value) == message
    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db
def test_publish_refuses_a_name_that_is_not_dotted():
    with pytest.raises(ValueError) as raised:
        publish("CaseReported", {})
    assert str(raised.value) == (
        "Event name 'CaseReported' is not valid: use lower-case dotted words with the module first, "
        "such as 'loops.case_reported' (at most 100 characters)."
    )
    assert OutboxEvent.objects.count() == 0


def test_handler_decorator_rejects_nested_functions(isolated_handlers):
    with pytest.raises(ValueError) as raised:

        @handler("test.events.decorated")
        def nested(event):  # pragma: no cover - never registered
            pass

    assert str(raised.value) == (
        "Handler tests.kernel.events.test_outbox.test_handler_decorator_rejects_nested_functions.<locals>.nested "
        "is a nested function; define it at module level."
    )
    assert "test.events.decorated" not in isolated_handlers
    handler("test.events.decorated")(record)
    assert isolated_handlers["test.events.decorated"] == {"tests.kernel.events.test_outbox.record": record}
