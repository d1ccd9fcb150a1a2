"""Applications in Django's admin: for operators to look, not to change. Every change of an
application goes through services.py, so that it reaches the ledger, the timeline and the events.
Answers are not listed (they hold personal data); the reference, state and routing are."""

from django.contrib import admin

from .models import Application, ApplicationEvent, ApplicationTask, Decision, Notice


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TaskInline(admin.TabularInline):
    model = ApplicationTask
    extra = 0
    fields = ("spec_id", "name", "role", "department", "state", "due_on", "escalated_to", "outcome", "completed_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    fields = ("at", "kind", "title", "actor_label", "visible_to_applicant")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ("reference", "item", "department", "state", "channel", "submitted_at", "due_on", "concluded_at",
                    "instant")
    list_filter = ("state", "channel", "instant")
    search_fields = ("reference", "item__code", "item__name")
    fields = ("public_id", "reference", "item", "implementation", "division", "department", "state", "channel",
              "submitted_at", "due_on", "concluded_at", "outcome_reason", "instant", "visits", "corrections")
    readonly_fields = fields
    inlines = [TaskInline, EventInline]


@admin.register(ApplicationTask)
class ApplicationTaskAdmin(ReadOnlyAdmin):
    list_display = ("application", "name", "role", "department", "state", "due_on", "escalated_to", "outcome")
    list_filter = ("state", "role")
    search_fields = ("application__reference",)


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("application", "source", "outcome", "decided_at")
    list_filter = ("outcome",)
    search_fields = ("application__reference", "source")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("user", "title", "application", "created_at", "read_at")
    search_fields = ("title",)
