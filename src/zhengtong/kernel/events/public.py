"""What other modules may use of kernel.events.

    from zhengtong.kernel.events.public import Event, handler, publish

    publish("reviews.review_submitted", {"review": str(review.public_id), "level": 1})

    @handler("reviews.review_submitted")          # module level, imported in AppConfig.ready()
    def open_loop_for_bad_review(event: Event) -> None: ...

publish() writes to the outbox in the caller's transaction; handlers run after commit, each in its
own transaction, retried with backoff until they succeed or are marked dead (never dropped). A
handler's database writes commit together with its delivery mark, so they happen once; side effects
outside the database (an HTTP call, a message) may repeat after a failure or a crash, so make those
idempotent (the event id is a natural key).

Webhooks carry events to departments' own systems. A department subscribes an https endpoint to
event names or prefixes; every matching event published from then on gets a delivery row in the
publishing transaction, and a worker POSTs it, signed (signatures.py documents the scheme and
webhook_signature_verify() checks it), retrying with backoff until a 2xx or dead:

    created = webhook_subscription_create(actor=actor, department_id=actor.department_id,
                                          events=["registry."], url="https://hj.example.gov.cn/hooks")
    created.secret                      # give it to the department now: it is not shown again
    webhook_deliveries_list(actor=actor, subscription_id=created.subscription.id)

Delivery is at least once: a worker that dies mid-request leaves a lease that runs out, and the
event is sent again with the same Webhook-Id, by which the receiver de-duplicates. What an event's
payload holds goes to every subscriber of its name, so publish ids there, not personal attributes,
for events departments may subscribe to. Managing a department's subscriptions takes a data officer
or big-data administrator of that department (or a superuser, or a system actor); `actor` is
kernel.identity's Actor (any object with its kind, user_id, department_id, roles, is_superuser).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from . import registry, selectors, services
from .models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from .permissions import WebhookActor
from .registry import Event
from .services import EventPayloadError
from .signatures import webhook_signature_verify

__all__ = [
    "Event",
    "EventPayloadError",
    "WebhookActor",
    "WebhookDeliveryRef",
    "WebhookDeliveryStatus",
    "WebhookSubscriptionCreated",
    "WebhookSubscriptionNotFound",
    "WebhookSubscriptionRef",
    "access_webhook_subscription",
    "handler",
    "publish",
    "redeliver_due",
    "register_handler",
    "webhook_deliveries_list",
    "webhook_deliveries_redeliver",
    "webhook_redeliver_due",
    "webhook_signature_verify",
    "webhook_subscription_create",
    "webhook_subscription_deactivate",
    "webhook_subscription_list",
]


def publish(name: str, payload: dict) -> UUID:
    """Announce a domain event; delivered to every handler of `name` once the transaction commits.

    Raises EventPayloadError (a TypeError) when the payload is not plain JSON, ValueError when the
    name is not a dotted lower-case name such as "loops.case_reported".
    """
    return services.event_publish(name=name, payload=payload)


def register_handler(name: str, func: Callable[[Event], None]) -> Callable[[Event], None]:
    """Make `func` receive every event called `name` published from now on."""
    return registry.register(name, func)


def handler(name: str) -> Callable[[Callable[[Event], None]], Callable[[Event], None]]:
    """Decorator form of register_handler."""

    def decorate(func: Callable[[Event], None]) -> Callable[[Event], None]:
        return registry.register(name, func)

    return decorate


def redeliver_due() -> int:
    """Queue every pending delivery whose time has come (after a grace period). Returns the count."""
    return services.deliveries_redeliver_due()


# --- Webhooks -----------------------------------------------------------------------------------

# Raised for an unknown subscription id (a django.core.exceptions.ObjectDoesNotExist).
WebhookSubscriptionNotFound = WebhookSubscription.DoesNotExist


@dataclass(frozen=True)
class WebhookSubscriptionRef:
    id: UUID
    department_id: int
    events: tuple[str, ...]  # exact names and prefixes ending in "."
    url: str
    description: str
    active: bool
    created_by_user_id: int | None
    created_at: datetime
    deactivated_at: datetime | None


@dataclass(frozen=True)
class WebhookSubscriptionCreated:
    subscription: WebhookSubscriptionRef
    secret: str  # "whsec_…": the HMAC key, returned this once


@dataclass(frozen=True)
class WebhookDeliveryRef:
    id: int
    event_id: UUID  # = the Webhook-Id the receiver saw
    event_name: str
    occurred_at: datetime
    status: str  # WebhookDeliveryStatus: pending, delivered, dead, cancelled
    attempts: int
    in_flight: bool  # an attempt is under way (next_attempt_at is then the end of its lease)
    next_attempt_at: datetime | None  # None unless pending
    last_attempt_at: datetime | None
    last_http_status: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


def _subscription_ref(subscription: WebhookSubscription) -> WebhookSubscriptionRef:
    return WebhookSubscriptionRef(
        id=subscription.public_id,
        department_id=subscription.department_id,
        events=tuple(sorted(topic.pattern for topic in subscription.topics.all())),
        url=subscription.url,
        description=subscription.description,
        active=subscription.active,
        created_by_user_id=subscription.created_by_user_id,
        created_at=subscription.created_at,
        deactivated_at=subscription.deactivated_at,
    )


def _delivery_ref(delivery: WebhookDelivery) -> WebhookDeliveryRef:
    pending = delivery.status == WebhookDeliveryStatus.PENDING
    return WebhookDeliveryRef(
        id=delivery.id,
        event_id=delivery.event_id,
        event_name=delivery.event.name,
        occurred_at=delivery.event.occurred_at,
        status=delivery.status,
        attempts=delivery.attempts,
        in_flight=pending and delivery.lease_token is not None,
        next_attempt_at=delivery.next_attempt_at if pending else None,
        last_attempt_at=delivery.last_attempt_at,
        last_http_status=delivery.last_http_status,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
    )


def webhook_subscription_create(
    *, actor: WebhookActor, department_id: int, events: Sequence[str], url: str, description: str = ""
) -> WebhookSubscriptionCreated:
    """Subscribe `department_id`'s endpoint `url` to `events` (names like "registry.person_changed"
    or prefixes like "registry."), from the next published event on.

    `url` must be https (http to 127.0.0.1 or localhost only in development). Raises
    PermissionDenied unless the actor manages that department's subscriptions, ValidationError for
    a bad URL or event pattern; nothing is written then.
    """
    subscription, secret = services.webhook_subscription_create(
        actor=actor, department_id=department_id, events=events, url=url, description=description
    )
    return WebhookSubscriptionCreated(subscription=_subscription_ref(subscription), secret=secret)


def webhook_subscription_deactivate(*, actor: WebhookActor, subscription_id: UUID) -> WebhookSubscriptionRef:
    """Stop sending to the subscription; its pending deliveries are cancelled. Idempotent."""
    return _subscription_ref(services.webhook_subscription_deactivate(actor=actor, subscription_id=subscription_id))


def webhook_subscription_list(*, actor: WebhookActor, department_id: int | None = None) -> list[WebhookSubscriptionRef]:
    """The subscriptions of `department_id` (default: the actor's department), active first."""
    return [_subscription_ref(s) for s in selectors.webhook_subscription_list(actor=actor, department_id=department_id)]


def access_webhook_subscription(*, actor: WebhookActor, subscription_id: UUID) -> WebhookSubscriptionRef:
    """One subscription, permission-checked (WebhookSubscriptionNotFound, PermissionDenied)."""
    return _subscription_ref(selectors.access_webhook_subscription(actor=actor, subscription_id=subscription_id))


def webhook_deliveries_list(
    *, actor: WebhookActor, subscription_id: UUID, status: str | None = None, limit: int = 100
) -> list[WebhookDeliveryRef]:
    """The subscription's deliveries, newest first (at most `limit`, up to 1000), with status, attempt
    count, last HTTP status and last error; optionally only those of one status."""
    deliveries = selectors.webhook_deliveries_list(
        actor=actor, subscription_id=subscription_id, status=status, limit=limit
    )
    return [_delivery_ref(d) for d in deliveries]


def webhook_deliveries_redeliver(
    *, actor: WebhookActor, subscription_id: UUID, delivery_ids: Sequence[int] | None = None
) -> int:
    """Send again now every dead delivery of the subscription, or the given dead or delivered ones.
    Returns how many were queued. ValidationError if the subscription is deactivated."""
    return services.webhook_deliveries_redeliver(
        actor=actor, subscription_id=subscription_id, delivery_ids=delivery_ids
    )


def webhook_redeliver_due() -> int:
    """The scheduler's sweep: queue delivery of webhooks left behind by a lost task or a dead worker."""
    return services.webhook_deliveries_redeliver_due()
