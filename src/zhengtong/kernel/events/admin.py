"""The outbox in the admin: read-only, with a retry action so dead deliveries are seen and dealt with;
webhook subscriptions and their deliveries likewise, with deactivate and redeliver actions."""

from collections import defaultdict

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import (
    DeliveryStatus,
    EventDelivery,
    OutboxEvent,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookSubscription,
    WebhookTopic,
)
from .permissions import PlatformActor


class EventDeliveryInline(admin.TabularInline):
    model = EventDelivery
    fields = ["handler", "status", "attempts", "next_attempt_at", "last_error", "delivered_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["name", "occurred_at", "id"]
    list_filter = ["name"]
    search_fields = ["=id", "name"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["id", "name", "payload", "occurred_at"]
    inlines = [EventDeliveryInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EventDelivery)
class EventDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_name", "handler", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "handler"]
    search_fields = ["=event__id", "event__name", "handler"]
    list_select_related = ["event"]
    readonly_fields = [
        "event", "handler", "status", "attempts", "next_attempt_at", "last_attempt_at", "last_error",
        "last_traceback", "delivered_at", "created_at", "updated_at",
    ]
    actions = ["retry"]

    @admin.display(description=_("event"), ordering="event__name")
    def event_name(self, obj):
        return obj.event.name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Rows change only through delivery attempts and the retry action, never by hand.
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("events.change_eventdelivery")

    def has_delete_permission(self, request, obj=None):
        # Deleting a delivery would silently drop the event for that handler.
        return False

    @admin.action(description=_("Retry the selected deliveries now"), permissions=["retry"])
    def retry(self, request, queryset):
        count = services.deliveries_retry(
            delivery_ids=list(queryset.exclude(status=DeliveryStatus.DELIVERED).values_list("id", flat=True))
        )
        self.message_user(
            request,
            ngettext("%(count)d delivery queued for another attempt.",
                     "%(count)d deliveries queued for another attempt.", count) % {"count": count},
            messages.SUCCESS,
        )


class WebhookTopicInline(admin.TabularInline):
    model = WebhookTopic
    fields = ["pattern"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Subscriptions are made through webhook_subscription_create (which hands out the secret once);
    here they are seen and, if need be, deactivated. The secret is never shown."""

    list_display = ["public_id", "department_id", "url", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["=public_id", "=department_id", "url", "topics__pattern"]
    fields = [
        "public_id", "department_id", "url", "description", "active", "created_by_user_id", "created_at",
        "deactivated_at", "deactivated_by_user_id",
    ]
    readonly_fields = fields
    inlines = [WebhookTopicInline]
    actions = ["deactivate"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deliveries keep what was sent where; the subscription stays as their subject.
        return False

    def has_deactivate_permission(self, request):
        return request.user.has_perm("events.change_webhooksubscription")

    @admin.action(description=_("Deactivate the selected subscriptions"), permissions=["deactivate"])
    def deactivate(self, request, queryset):
        actor = PlatformActor(user_id=request.user.pk)
        ids = list(queryset.filter(active=True).values_list("public_id", flat=True))
        for subscription_id in ids:
            services.webhook_subscription_deactivate(actor=actor, subscription_id=subscription_id)
        self.message_user(
            request,
            ngettext("%(count)d subscription deactivated.", "%(count)d subscriptions deactivated.", len(ids))
            % {"count": len(ids)},
            messages.SUCCESS,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_name", "subscription_url", "status", "attempts", "last_http_status", "next_attempt_at",
                    "last_error"]
    list_filter = ["status"]
    search_fields = ["=event__id", "event__name", "=subscription__public_id", "subscription__url"]
    list_select_related = ["event", "subscription"]
    readonly_fields = [
        "event", "subscription", "status", "attempts", "next_attempt_at", "lease_token", "last_attempt_at",
        "last_http_status", "last_error", "delivered_at", "created_at", "updated_at",
    ]
    actions = ["redeliver"]

    @admin.display(description=_("event"), ordering="event__name")
    def event_name(self, obj):
        return obj.event.name

    @admin.display(description=_("target URL"), ordering="subscription__url")
    def subscription_url(self, obj):
        return obj.subscription.url

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_redeliver_permission(self, request):
        return request.user.has_perm("events.change_webhookdelivery")

    @admin.action(description=_("Send the selected deliveries again now"), permissions=["redeliver"])
    def redeliver(self, request, queryset):
        actor = PlatformActor(user_id=request.user.pk)
        by_subscription = defaultdict(list)
        chosen = queryset.filter(status__in=[WebhookDeliveryStatus.DEAD, WebhookDeliveryStatus.DELIVERED])
        for delivery_id, subscription_id in chosen.values_list("id", "subscription__public_id"):
            by_subscription[subscription_id].append(delivery_id)
        count = 0
        for subscription_id, delivery_ids in by_subscription.items():
            try:
                count += services.webhook_deliveries_redeliver(
                    actor=actor, subscription_id=subscription_id, delivery_ids=delivery_ids
                )
            except ValidationError as refused:
                self.message_user(request, " ".join(refused.messages), messages.WARNING)
        self.message_user(
            request,
            ngettext("%(count)d delivery queued to be sent again.", "%(count)d deliveries queued to be sent again.",
                     count) % {"count": count},
            messages.SUCCESS,
        )
