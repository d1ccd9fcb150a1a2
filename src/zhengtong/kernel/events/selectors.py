"""Reads of webhook subscriptions and their deliveries, scoped to what the actor may manage."""

from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from .models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from .permissions import WebhookActor, check_may_manage, sees_every_department

MAX_DELIVERIES_LISTED = 1000


def webhook_subscription_list(*, actor: WebhookActor, department_id: int | None = None) -> QuerySet:
    """The department's subscriptions (the actor's own when none is given; every one for a superuser
    or the platform), active first, with their topics prefetched."""
    subscriptions = WebhookSubscription.objects.prefetch_related("topics").order_by("-active", "created_at", "id")
    if department_id is None:
        if sees_every_department(actor):
            return subscriptions
        if actor.department_id is None:
            raise PermissionDenied(f"{actor.kind} actor has no department whose webhook subscriptions to list.")
        department_id = actor.department_id
    check_may_manage(actor, department_id)
    return subscriptions.filter(department_id=department_id)


def access_webhook_subscription(*, actor: WebhookActor, subscription_id: UUID) -> WebhookSubscription:
    """One subscription: WebhookSubscription.DoesNotExist if there is none, else PermissionDenied
    if the actor may not manage its department's subscriptions."""
    subscription = WebhookSubscription.objects.prefetch_related("topics").get(public_id=subscription_id)
    check_may_manage(actor, subscription.department_id)
    return subscription


def webhook_deliveries_list(
    *, actor: WebhookActor, subscription_id: UUID, status: str | None = None, limit: int = 100
) -> QuerySet:
    """A subscription's deliveries, newest first, at most `limit` (up to 1000), optionally of one status."""
    subscription = access_webhook_subscription(actor=actor, subscription_id=subscription_id)
    if status is not None and status not in WebhookDeliveryStatus.values:
        raise ValidationError(f"Unknown delivery status {status!r}; one of {', '.join(WebhookDeliveryStatus.values)}.")
    deliveries = (
        WebhookDelivery.objects.filter(subscription=subscription)
        .select_related("event")
        .defer("event__payload")  # the list shows what happened to each event, not its content
        .order_by("-created_at", "-id")
    )
    if status is not None:
        deliveries = deliveries.filter(status=status)
    return deliveries[: max(0, min(limit, MAX_DELIVERIES_LISTED))]
