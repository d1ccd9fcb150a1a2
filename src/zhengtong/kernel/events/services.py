"""Writes for the outbox: publish an event, attempt a delivery, sweep for lost ones, retry dead ones.

Settings (read here with defaults, so a deployment may tune them):
- EVENTS_MAX_ATTEMPTS (8): a delivery that has failed this many times is marked dead.
- EVENTS_RETRY_BASE_SECONDS (30): the first retry waits this long; each later one twice as long…
- EVENTS_RETRY_MAX_DELAY_SECONDS (21600): …but never longer than this.
- EVENTS_REDELIVER_GRACE_SECONDS (300): the sweeper leaves a due delivery alone this long, so it
  does not queue a second task while the first is still waiting for a worker.

Webhooks (an event POSTed, signed, to each department subscribed to it; see signatures.py):
- EVENTS_WEBHOOK_MAX_ATTEMPTS (12): with the backoff above, about 17 hours of retries before dead,
  long enough to ride out a receiver's overnight maintenance.
- EVENTS_WEBHOOK_TIMEOUT_SECONDS (10): connect and read timeout of each POST.
- EVENTS_WEBHOOK_LEASE_SECONDS (60): an attempt still unreported after this long is presumed lost
  (its worker died) and the delivery is due again. Keep it well above the timeout.
- EVENTS_WEBHOOK_PUMP_SECONDS (50): how long one sweeper-queued task goes on delivering due webhooks.
- EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST (DEBUG): accept http:// targets on 127.0.0.1, ::1, localhost.
- EVENTS_WEBHOOK_PROXY (none): an outbound proxy URL; proxy environment variables are ignored.
"""

import json
import logging
import math
import re
import threading
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit
from uuid import UUID

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import (
    DeliveryStatus,
    EventDelivery,
    OutboxEvent,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookSubscription,
    WebhookTopic,
)
from .permissions import WebhookActor, check_may_manage
from .registry import EVENT_NAME, Event, check_event_name, handlers_for
from .signatures import webhook_headers, webhook_secret_generate

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
    # No savepoint inside the caller's transaction (two statements on every publish): if writing
    # the event fails, the caller's change must not commit without it anyway.
    with transaction.atomic(savepoint=False):
        event = OutboxEvent.objects.create(name=name, payload=payload, occurred_at=now)
        if handlers:
            EventDelivery.objects.bulk_create(
                [EventDelivery(event=event, handler=key, next_attempt_at=now) for key in sorted(handlers)]
            )
            # robust: a failure to queue must not turn a committed change into an error for the
            # caller; the rows are there and the sweeper will queue them.
            transaction.on_commit(partial(_enqueue_event, event.id), robust=True)
        subscription_ids = _webhook_subscription_ids_for(name)
        if subscription_ids:
            webhooks = WebhookDelivery.objects.bulk_create(
                [WebhookDelivery(event=event, subscription_id=sid, next_attempt_at=now) for sid in subscription_ids]
            )
            transaction.on_commit(partial(_enqueue_webhook_deliveries, [w.id for w in webhooks]), robust=True)
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
    now = timezone.now()
    cutoff = now - (redeliver_grace() if grace is None else grace)
    with transaction.atomic():
        delivery_ids = list(
            EventDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)
        )
        # Still due (an attempt runs it), but not picked again by the next sweeps until another
        # grace period has passed: a backlog in the queue is not multiplied by every sweep.
        EventDelivery.objects.filter(pk__in=delivery_ids).update(next_attempt_at=now, updated_at=now)
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


# --- Webhooks -----------------------------------------------------------------------------------
#
# A delivery is claimed in one short transaction (attempts + 1, a lease token, next_attempt_at
# pushed to the end of the lease), POSTed with no transaction open (a slow receiver must not hold
# a database lock, and on SQLite a write transaction locks the whole file), and its outcome recorded
# in a second short transaction. A worker killed mid-request leaves the lease to run out, after
# which the delivery is due again: delivery is at least once, and the receiver de-duplicates by the
# Webhook-Id header (the event id). Outcomes are recorded only by the holder of the current lease,
# except success, which is a fact whoever reports it.

# A subscription asks for exact names ("registry.person_changed") or dotted prefixes ("registry.").
TOPIC_PREFIX = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.$")
MAX_TOPICS = 50
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
USER_AGENT = "Zhengtong-Webhooks/1"


def webhook_max_attempts() -> int:
    return int(getattr(settings, "EVENTS_WEBHOOK_MAX_ATTEMPTS", 12))


def webhook_timeout() -> float:
    return float(getattr(settings, "EVENTS_WEBHOOK_TIMEOUT_SECONDS", 10))


def webhook_lease() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "EVENTS_WEBHOOK_LEASE_SECONDS", 60)))


def webhook_digest() -> str:
    """The HMAC hash by crypto profile (read from settings: kernel.events may not import kernel.crypto)."""
    return "sha256" if getattr(settings, "CRYPTO_PROFILE", "guomi") == "international" else "sm3"


def webhook_topics_check(events: Sequence[str]) -> list[str]:
    """The subscription's patterns, sorted and without repeats; ValidationError naming a bad one."""
    if isinstance(events, str) or not isinstance(events, Sequence):
        raise ValidationError("List the event names or prefixes to subscribe to, e.g. ['registry.'].")
    for pattern in events:
        if not isinstance(pattern, str):
            raise ValidationError(f"{pattern!r} is not an event name or prefix; they are strings.")
    patterns = sorted(set(events))
    if not patterns:
        raise ValidationError("Subscribe to at least one event name or prefix, e.g. 'registry.'.")
    if len(patterns) > MAX_TOPICS:
        raise ValidationError(f"A subscription may list at most {MAX_TOPICS} event names or prefixes.")
    for pattern in patterns:
        if not (
            (EVENT_NAME.match(pattern) and len(pattern) <= 100) or (TOPIC_PREFIX.match(pattern) and len(pattern) <= 101)
        ):
            raise ValidationError(
                f"{pattern!r} is neither an event name such as 'registry.person_changed' nor a prefix ending "
                "in a dot such as 'registry.'."
            )
    return patterns


def webhook_url_check(url: str) -> None:
    """https only; http to this machine only where allowed (development). ValidationError otherwise."""
    if not isinstance(url, str) or len(url) > 500:
        raise ValidationError("A webhook target is a URL of at most 500 characters.")
    URLValidator(schemes=["http", "https"])(url)
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        # They would be stored and shown in clear; the signature is how the receiver knows us.
        raise ValidationError("A webhook target URL may not carry a user name or password.")
    if parts.scheme == "https":
        return
    allow_local = getattr(settings, "EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST", settings.DEBUG)
    if not (allow_local and parts.hostname in LOCAL_HOSTS):
        raise ValidationError(
            f"Webhook targets must use https, not {url!r} (plain http is accepted only for 127.0.0.1 or "
            "localhost in development)."
        )


@transaction.atomic
def webhook_subscription_create(
    *, actor: WebhookActor, department_id: int, events: Sequence[str], url: str, description: str = ""
) -> tuple[WebhookSubscription, str]:
    """Subscribe a department's endpoint to events; returns the subscription and its new secret.

    The secret is returned this once: the department stores it to verify our signatures.
    """
    if isinstance(department_id, bool) or not isinstance(department_id, int):
        raise ValidationError(f"department_id must be an integer, not {department_id!r}.")
    check_may_manage(actor, department_id)
    patterns = webhook_topics_check(events)
    webhook_url_check(url)
    secret = webhook_secret_generate()
    subscription = WebhookSubscription.objects.create(
        department_id=department_id, url=url, secret=secret, description=description[:200],
        created_by_user_id=actor.user_id,
    )
    WebhookTopic.objects.bulk_create([WebhookTopic(subscription=subscription, pattern=p) for p in patterns])
    logger.info("Webhook subscription %s of department %s to %s: %s", subscription.public_id, department_id,
                patterns, url)
    return subscription, secret


@transaction.atomic
def webhook_subscription_deactivate(*, actor: WebhookActor, subscription_id: UUID) -> WebhookSubscription:
    """Stop sending to a subscription. Its pending deliveries are cancelled (kept, marked so).

    Deactivating an inactive subscription changes nothing. WebhookSubscription.DoesNotExist if
    there is none, PermissionDenied if the actor may not manage its department's subscriptions.
    """
    subscription = WebhookSubscription.objects.select_for_update().get(public_id=subscription_id)
    check_may_manage(actor, subscription.department_id)
    if not subscription.active:
        return subscription
    now = timezone.now()
    subscription.active = False
    subscription.deactivated_at = now
    subscription.deactivated_by_user_id = actor.user_id
    subscription.save(update_fields=["active", "deactivated_at", "deactivated_by_user_id", "updated_at"])
    WebhookDelivery.objects.filter(subscription=subscription, status=WebhookDeliveryStatus.PENDING).update(
        status=WebhookDeliveryStatus.CANCELLED, lease_token=None, updated_at=now
    )
    return subscription


@transaction.atomic
def webhook_deliveries_redeliver(
    *, actor: WebhookActor, subscription_id: UUID, delivery_ids: Sequence[int] | None = None
) -> int:
    """Send again now: every dead delivery of the subscription, or the given dead or delivered ones
    (a receiver that lost what it got may ask for it again; it de-duplicates by event id anyway).

    As for handler deliveries, the attempt count is kept: a redelivery that fails again is dead
    again at once rather than starting a new round of backoff. Returns how many were queued.
    """
    subscription = WebhookSubscription.objects.get(public_id=subscription_id)
    check_may_manage(actor, subscription.department_id)
    if not subscription.active:
        raise ValidationError("The subscription is deactivated; nothing is sent to it.")
    chosen = WebhookDelivery.objects.select_for_update().filter(subscription=subscription)
    if delivery_ids is None:
        chosen = chosen.filter(status=WebhookDeliveryStatus.DEAD)
    else:
        chosen = chosen.filter(
            pk__in=list(delivery_ids), status__in=[WebhookDeliveryStatus.DEAD, WebhookDeliveryStatus.DELIVERED]
        )
    ids = list(chosen.order_by("id").values_list("id", flat=True))
    now = timezone.now()
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDeliveryStatus.PENDING, next_attempt_at=now, lease_token=None, updated_at=now
    )
    transaction.on_commit(partial(_enqueue_webhook_deliveries, ids), robust=True)
    return len(ids)


def _webhook_subscription_ids_for(name: str) -> list[int]:
    """Active subscriptions to `name` or to one of its prefixes: "a.b.c" → "a.b.c", "a.", "a.b."."""
    parts = name.split(".")
    patterns = [name, *(".".join(parts[:n]) + "." for n in range(1, len(parts)))]
    return list(
        WebhookSubscription.objects.filter(active=True, topics__pattern__in=patterns)
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )


def _enqueue_webhook_deliveries(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        _enqueue_webhook_delivery(delivery_id)


def _enqueue_webhook_delivery(delivery_id: int, run_after: datetime | None = None) -> None:
    from .tasks import webhook_delivery_attempt as task

    (task.using(run_after=run_after) if run_after else task).enqueue(delivery_id)


def webhook_body(event: OutboxEvent) -> bytes:
    """What a receiver gets: the same bytes on every attempt (the signature covers them)."""
    document = {
        "id": str(event.id),
        "name": event.name,
        "occurred_at": event.occurred_at.isoformat(),
        "payload": event.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class WebhookAttempt:
    """A claimed delivery: what the POST needs, and the lease that entitles us to report on it."""

    delivery_id: int
    lease_token: UUID
    attempt: int
    url: str
    secret: str
    webhook_id: str
    body: bytes


def webhook_delivery_attempt(*, delivery_id: int) -> str | None:
    """POST one delivery if it is pending and due (or its lease ran out); its status afterwards.

    None means there was nothing to do (delivered, in flight elsewhere, not due yet) or that the
    lease ran out before the outcome came back and another attempt now owns the delivery.
    """
    claimed = _webhook_claim(WebhookDelivery.objects.filter(pk=delivery_id))
    if not isinstance(claimed, WebhookAttempt):
        return claimed
    return _webhook_post(claimed)


def webhook_deliveries_deliver_due(*, seconds: float | None = None) -> int:
    """Deliver due webhooks, oldest first, until none is due or `seconds` have passed.

    What the sweeper queues: it picks up deliveries whose task was lost and those whose worker died
    mid-attempt. Several may run at once; each claim is exclusive. Returns how many were attempted.
    """
    budget = float(getattr(settings, "EVENTS_WEBHOOK_PUMP_SECONDS", 50)) if seconds is None else seconds
    deadline = time.monotonic() + budget
    attempted = 0
    while time.monotonic() < deadline:
        claimed = _webhook_claim(WebhookDelivery.objects.all())
        if claimed is None:
            break
        if isinstance(claimed, WebhookAttempt):
            _webhook_post(claimed)
        attempted += 1
    return attempted


def webhook_deliveries_redeliver_due(*, grace: timedelta | None = None) -> int:
    """Queue one delivering task if any webhook delivery was left behind; returns how many were.

    Left behind: due for longer than `grace` without an attempt (its task was lost, or the queue
    is slow), or claimed by an attempt whose lease has run out (its worker died). One task, not one
    per delivery, so a long backlog is not multiplied by every sweep.
    """
    now = timezone.now()
    cutoff = now - (redeliver_grace() if grace is None else grace)
    behind = WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(lease_token__isnull=False) | Q(next_attempt_at__lte=cutoff)
    ).count()
    if behind:
        from .tasks import webhook_deliveries_deliver_due as task

        task.enqueue()
        logger.info("%s webhook deliveries left behind; a delivering task is queued", behind)
    return behind


def _webhook_claim(candidates: QuerySet) -> WebhookAttempt | str | None:
    """Take the first due pending delivery among `candidates` for one attempt.

    Returns the attempt to make, or the delivery's new final status when it must not be attempted
    (its subscription was deactivated; its last allowed attempt was lost), or None if none is due.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            candidates.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "subscription")
            .filter(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .first()
        )
        if delivery is None:
            return None
        last_attempt_lost = delivery.lease_token is not None
        if last_attempt_lost:
            delivery.last_http_status = None
            delivery.last_error = (
                f"Attempt {delivery.attempts} did not report back within its lease (the worker stopped?)."
            )
            logger.warning("Webhook delivery %s: %s", delivery.id, delivery.last_error)
        delivery.lease_token = None
        if not delivery.subscription.active:
            delivery.status = WebhookDeliveryStatus.CANCELLED
        elif last_attempt_lost and delivery.attempts >= webhook_max_attempts():
            # The lost attempt was the last one allowed. (A redelivered dead delivery, by contrast,
            # gets its one more attempt: its count is kept but it has no lost attempt.)
            delivery.status = WebhookDeliveryStatus.DEAD
            logger.error("Webhook delivery %s is dead after %s attempts: %s", delivery.id, delivery.attempts,
                         delivery.last_error)
        else:
            delivery.attempts += 1
            delivery.last_attempt_at = now
            delivery.lease_token = uuid.uuid4()
            delivery.next_attempt_at = now + webhook_lease()
        delivery.save(update_fields=["status", "attempts", "last_attempt_at", "lease_token", "next_attempt_at",
                                     "last_http_status", "last_error", "updated_at"])
        if delivery.lease_token is None:
            return delivery.status
    return WebhookAttempt(
        delivery_id=delivery.id,
        lease_token=delivery.lease_token,
        attempt=delivery.attempts,
        url=delivery.subscription.url,
        secret=delivery.subscription.secret,
        webhook_id=str(delivery.event_id),
        body=webhook_body(delivery.event),
    )


_http = threading.local()


def _http_session() -> requests.Session:
    """One session per thread, so connections to a receiver are reused across deliveries."""
    session = getattr(_http, "session", None)
    if session is None:
        session = requests.Session()
        # No proxies, .netrc credentials or CA bundles from the environment: what is sent where is
        # decided by settings alone.
        session.trust_env = False
        session.headers["User-Agent"] = USER_AGENT
        _http.session = session
    return session


def _webhook_post(attempt: WebhookAttempt) -> str | None:
    headers = webhook_headers(attempt.secret, attempt.webhook_id, attempt.body, digest=webhook_digest())
    proxy = getattr(settings, "EVENTS_WEBHOOK_PROXY", None)
    http_status: int | None = None
    error = ""
    try:
        webhook_url_check(attempt.url)  # the rules may have tightened since the subscription was made
        with _http_session().post(
            attempt.url,
            data=attempt.body,
            headers=headers,
            timeout=webhook_timeout(),
            allow_redirects=False,  # a redirect is an answer we cannot sign for again: a failure
            stream=True,  # read no more of the answer than the error message needs
            proxies={"http": proxy, "https": proxy} if proxy else None,
        ) as response:
            http_status = response.status_code
            if not 200 <= http_status < 300:
                excerpt = next(response.iter_content(300), b"").decode("utf-8", "replace").strip()
                error = f"HTTP {http_status} {response.reason or ''}".strip() + (f": {excerpt}" if excerpt else "")
    except ValidationError as refused:
        error = f"Refused target: {' '.join(refused.messages)}"
    except requests.RequestException as failure:
        error = f"{type(failure).__name__}: {failure}"
    except Exception as failure:  # noqa: BLE001 - anything else is recorded and retried the same way
        logger.exception("Webhook delivery %s: unexpected failure", attempt.delivery_id)
        error = f"{type(failure).__name__}: {failure}"
    return _webhook_outcome(attempt, http_status=http_status, error=error)


def _webhook_outcome(attempt: WebhookAttempt, *, http_status: int | None, error: str) -> str | None:
    now = timezone.now()
    with transaction.atomic():
        if not error:
            # Also over a cancellation that came while the request was in flight: it got there.
            delivered = WebhookDelivery.objects.filter(
                pk=attempt.delivery_id, status__in=[WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.CANCELLED]
            ).update(
                status=WebhookDeliveryStatus.DELIVERED, delivered_at=now, last_http_status=http_status,
                lease_token=None, updated_at=now,
            )
            return WebhookDeliveryStatus.DELIVERED if delivered else None
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=attempt.delivery_id, status=WebhookDeliveryStatus.PENDING, lease_token=attempt.lease_token)
            .first()
        )
        if delivery is None:
            return None  # the lease ran out meanwhile; the attempt that holds it now reports
        delivery.lease_token = None
        delivery.last_http_status = http_status
        delivery.last_error = error[:1000]
        if delivery.attempts >= webhook_max_attempts():
            delivery.status = WebhookDeliveryStatus.DEAD
            logger.error("Webhook delivery %s to %s is dead after %s attempts: %s", delivery.id, attempt.url,
                         delivery.attempts, delivery.last_error)
        else:
            # Counted from the attempt's start, as for handler deliveries.
            delivery.next_attempt_at = max(now, delivery.last_attempt_at + retry_delay(delivery.attempts))
            transaction.on_commit(
                partial(_enqueue_webhook_delivery, delivery.id, delivery.next_attempt_at), robust=True
            )
            logger.warning("Webhook delivery %s to %s failed, attempt %s, retry at %s: %s", delivery.id,
                           attempt.url, delivery.attempts, delivery.next_attempt_at.isoformat(), delivery.last_error)
        delivery.save(update_fields=["status", "lease_token", "last_http_status", "last_error", "next_attempt_at",
                                     "updated_at"])
        return delivery.status
