"""The outbox in the admin: read-only, with a retry action so dead deliveries are seen and dealt with."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import DeliveryStatus, EventDelivery, OutboxEvent


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
