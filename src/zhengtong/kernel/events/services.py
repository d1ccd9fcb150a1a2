"""Writes for the outbox: publish an event, attempt a delivery, sweep for lost ones, retry dead ones.

Settings (read here with defaults, so a deployment may tune them):
- EVENTS_MAX_ATTEMPTS (8): a delivery that has failed this many times is marked dead.
- EVENTS_RETRY_BASE_SECONDS (30): the first retry waits this long; each later one twice as long…
- EVENTS_RETRY_MAX_DELAY_SECONDS (21600): …but never longer than this.
- EVENTS_REDELIVER_GRACE_SECONDS (300): the sweeper leaves a due delivery alone this long, so it
  does not queue a second task while the first is still waiting for a worker.
"""

import logging
import math
import traceback
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import DeliveryStatus, EventDelivery, OutboxEvent
from .registry import Event, check_event_name, handlers_for

logger = logging.getLogger(__name__)


class EventPayloadError(TypeError):
    """The payload cannot be stored as JSON exactly as given."""


class HandlerNotRegistered(LookupError):
    """A delivery names a handler this process does not know (renamed or removed since)."""


def max_attempts() -> int:
    return int(getattr(settings, "EVENTS_MAX_ATTEMPTS", 8))


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the attempts-th failure: exponential backoff with a ceiling."""
    base = float(getattr(settings, "EVENTS_RETRY_BASE_SECONDS", 30))
    ceiling = float(getattr(settings, "EVENTS_RETRY_MAX_DELAY_SECONDS", 6 * 3600))
    return timedelta(seconds=min(base * 2 ** (attempts - 1), ceiling))


def redeliver_grace() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "EVENTS_REDELIVER_GRACE_SECONDS", 300)))


def payload_check(value, path: str = "payload") -> None:
    """Accept exactly what JSON stores and gives back unchanged; name the first value that is not.

    Tuples, datetimes, UUIDs and Decimals are refused rather than converted: a handler must get what
    the publisher sent, and a silent str() would hide the type change from both.
    """
    if path == "payload" and not isinstance(value, dict):
        raise EventPayloadError(f"An event payload must be a dict, not {type(value).__name__}.")
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EventPayloadError(f"Event {path} is {value!r}, which JSON cannot represent.")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventPayloadError(f"Event {path} has the key {key!r}; JSON object keys must be strings.")
            payload_check(item, f"{path}[{key!r}]")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            payload_check(item, f"{path}[{index}]")
        return
    raise EventPayloadError(
        f"Event {path} is a {type(value).__name__} ({value!r:.80}), which is not JSON; "
        "send a string, number, boolean, None, list or dict (e.g. str(uuid), date.isoformat())."
    )


def event_publish(*, name: str, payload: dict) -> UUID:
    """Write the event and one delivery per registered handler in the caller's transaction.

    Delivery is queued only once that transaction commits, so a rolled-back change announces
    nothing; if the process dies between commit and queueing, the sweeper finds the pending rows.
    """
    check_event_name(name)
    payload_check(payload)
    now = timezone.now()
    handlers = handlers_for(name)
    with transaction.atomic():
        event = OutboxEvent.objects.create(name=name, payload=payload, occurred_at=now)
        if handlers:
            EventDelivery.objects.bulk_create(
                [EventDelivery(event=event, handler=key, next_attempt_at=now) for key in sorted(handlers)]
            )
            # robust: a failure to queue must not turn a committed change into an error for the
            # caller; the rows are there and the sweeper will queue them.
            transaction.on_commit(partial(_enqueue_event, event.id), robust=True)
    return event.id


def _enqueue_event(event_id: UUID) -> None:
    from .tasks import event_deliver

    event_deliver.enqueue(str(event_id))


def _enqueue_delivery(delivery_id: int, run_after: datetime | None = None) -> None:
    from .tasks import delivery_attempt as delivery_attempt_task

    task = delivery_attempt_task.using(run_after=run_after) if run_after else delivery_attempt_task
    task.enqueue(delivery_id)


def event_deliver(*, event_id: UUID) -> int:
    """Attempt every pending delivery of one event, each on its own. Returns how many succeeded."""
    delivery_ids = list(
        EventDelivery.objects.filter(event_id=event_id, status=DeliveryStatus.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return sum(delivery_attempt(delivery_id=delivery_id) == DeliveryStatus.DELIVERED for delivery_id in delivery_ids)


def delivery_attempt(*, delivery_id: int) -> str | None:
    """Run one delivery if it is still pending and due; returns its status afterwards.

    The handler runs in the same transaction that marks the delivery delivered, so its writes and
    the mark commit together or not at all. None means another worker has it or it is not due.
    """
    attempted_at = timezone.now()
    try:
        with transaction.atomic():
            delivery = (
                # skip_locked: a second worker holding the same delivery skips it instead of waiting
                # and then running the handler again. of=self leaves the shared event row unlocked.
                EventDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("event")
                .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=attempted_at)
                .first()
            )
            if delivery is None:
                return None
            event = delivery.event
            func = handlers_for(event.name).get(delivery.handler)
            if func is None:
                raise HandlerNotRegistered(f"No handler {delivery.handler} is registered for {event.name}.")
            func(Event(id=event.id, name=event.name, payload=event.payload, occurred_at=event.occurred_at))
            delivery.status = DeliveryStatus.DELIVERED
            delivery.attempts += 1
            delivery.last_attempt_at = attempted_at
            delivery.delivered_at = timezone.now()
            delivery.save(update_fields=["status", "attempts", "last_attempt_at", "delivered_at", "updated_at"])
        return DeliveryStatus.DELIVERED
    except Exception as error:  # noqa: BLE001 - any handler failure is recorded and retried
        return _delivery_failed(delivery_id=delivery_id, error=error, attempted_at=attempted_at)


def _delivery_failed(*, delivery_id: int, error: Exception, attempted_at: datetime) -> str | None:
    with transaction.atomic():
        delivery = (
            EventDelivery.objects.select_for_update(of=("self",))
            .select_related("event")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = attempted_at
        delivery.last_error = f"{type(error).__name__}: {error}"[:1000]
        # The tail of the traceback is where the cause is.
        delivery.last_traceback = "".join(traceback.format_exception(error))[-20000:]
        if delivery.attempts >= max_attempts():
            delivery.status = DeliveryStatus.DEAD
            logger.error(
                "Event delivery %s (%s → %s) is dead after %s attempts: %s",
                delivery.id, delivery.event.name, delivery.handler, delivery.attempts, delivery.last_error,
            )
        else:
            delivery.next_attempt_at = attempted_at + retry_delay(delivery.attempts)
            transaction.on_commit(partial(_enqueue_delivery, delivery.id, delivery.next_attempt_at), robust=True)
            logger.warning(
                "Event delivery %s (%s → %s) failed, attempt %s, retry at %s: %s",
                delivery.id, delivery.event.name, delivery.handler, delivery.attempts,
                delivery.next_attempt_at.isoformat(), delivery.last_error,
            )
        delivery.save(
            update_fields=["status", "attempts", "last_attempt_at", "last_error", "last_traceback",
                           "next_attempt_at", "updated_at"]
        )
        return delivery.status


def deliveries_redeliver_due(*, grace: timedelta | None = None) -> int:
    """Queue a task for every pending delivery whose time came more than `grace` ago.

    This is what makes delivery survive a crash between commit and queueing (or a lost task): a
    duplicate task is harmless, because an attempt only runs a delivery that is still pending.
    """
    cutoff = timezone.now() - (redeliver_grace() if grace is None else grace)
    delivery_ids = list(
        EventDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
    )
    for delivery_id in delivery_ids:
        _enqueue_delivery(delivery_id)
    if delivery_ids:
        logger.info("Re-queued %s due event deliveries", len(delivery_ids))
    return len(delivery_ids)


@transaction.atomic
def deliveries_retry(*, delivery_ids: list[int]) -> int:
    """Give dead (or waiting) deliveries one more attempt now. Delivered ones are left alone.

    The attempt count is kept, so a retried delivery that fails again is dead again at once rather
    than starting a fresh round of backoff: an operator retries after fixing the cause.
    """
    now = timezone.now()
    retried = list(
        EventDelivery.objects.select_for_update()
        .filter(pk__in=delivery_ids, status__in=[DeliveryStatus.DEAD, DeliveryStatus.PENDING])
        .values_list("id", flat=True)
    )
    EventDelivery.objects.filter(pk__in=retried).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, updated_at=now
    )
    for delivery_id in retried:
        transaction.on_commit(partial(_enqueue_delivery, delivery_id), robust=True)
    return len(retried)
