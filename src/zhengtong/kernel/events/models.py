"""The outbox: domain events, their deliveries to handlers, and webhooks to departments."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.fields import EncryptedTextField


class OutboxEvent(models.Model):
    """领域事件: a fact one module announces, written in the same transaction as the change."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    payload = models.JSONField(_("payload"))
    occurred_at = models.DateTimeField(_("occurred at"))

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead")


class EventDelivery(models.Model):
    """事件投递: one event handed to one handler; retried until delivered or dead, never dropped."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    # The handler's dotted path (module.qualname): what the registry knows it by.
    handler = models.CharField(_("handler"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    last_traceback = models.TextField(_("last traceback"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_attempt_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="events_one_delivery_per_handler"),
        ]
        # The sweeper's query: pending deliveries whose time has come.
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="events_delivery_due")]
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")

    def __str__(self) -> str:
        return f"{self.event.name} → {self.handler}"


class WebhookSubscription(models.Model):
    """事件订阅（Webhook）: a department's HTTPS endpoint that receives, signed, the events it chose.

    The department is kept as its id (an integer, indexed): kernel.events sits below kernel.org and
    may not import it, so there is no foreign key.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department_id = models.BigIntegerField(_("department id"), db_index=True)
    url = models.URLField(_("target URL"), max_length=500)
    # The HMAC key, "whsec_" + base64 (Standard Webhooks). It must be readable to sign with, so it
    # cannot be hashed: it is encrypted at rest (SM4-GCM) and never shown again after creation.
    secret = EncryptedTextField(_("signing secret"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # identity.User ids, as integers for the same reason as department_id; None for the platform.
    created_by_user_id = models.BigIntegerField(_("created by (user id)"), null=True, blank=True)
    deactivated_by_user_id = models.BigIntegerField(_("deactivated by (user id)"), null=True, blank=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["department_id", "created_at"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return f"{self.department_id} → {self.url}"


class WebhookTopic(models.Model):
    """订阅的事件: one event name ("registry.person_changed") or prefix ("registry.") a subscription wants.

    Rows rather than a JSON list so that publishing finds its subscribers with one indexed query
    (the name and each of its dotted prefixes), on SQLite as on PostgreSQL.
    """

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="topics")
    pattern = models.CharField(_("event name or prefix"), max_length=101, db_index=True)

    class Meta:
        ordering = ["subscription_id", "pattern"]
        constraints = [models.UniqueConstraint(fields=["subscription", "pattern"], name="events_one_topic_per_pattern")]
        verbose_name = _("webhook topic")
        verbose_name_plural = _("webhook topics")

    def __str__(self) -> str:
        return self.pattern


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead")
    CANCELLED = "cancelled", _("Cancelled (subscription deactivated)")


class WebhookDelivery(models.Model):
    """Webhook 投递: one event POSTed to one subscription; at least once, retried until delivered or dead.

    While an attempt is in flight, lease_token is set and next_attempt_at is the end of the lease:
    if the worker dies mid-request, the delivery becomes due again when the lease runs out.
    """

    # No single-column indexes: the unique (event, subscription) and the (subscription, created_at)
    # indexes below lead with each, and this table grows with every event times its subscribers.
    event = models.ForeignKey(
        OutboxEvent, on_delete=models.PROTECT, related_name="webhook_deliveries", db_index=False
    )
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.PROTECT, related_name="deliveries", db_index=False
    )
    status = models.CharField(
        _("status"), max_length=16, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    lease_token = models.UUIDField(_("lease of the attempt in flight"), null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_http_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="events_one_webhook_per_subscription"),
        ]
        indexes = [
            # The worker's and the sweeper's query: pending deliveries whose time has come.
            models.Index(fields=["status", "next_attempt_at"], name="events_webhook_due"),
            # A subscription's delivery list, newest first.
            models.Index(fields=["subscription", "-created_at"], name="events_webhook_by_subscription"),
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event.name} → {self.subscription.url}"
