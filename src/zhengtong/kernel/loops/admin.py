"""Cases in the admin, read-only: every change goes through the services, which keep the history."""

from django.contrib import admin

from .models import Case, CaseTransition


class CaseTransitionInline(admin.TabularInline):
    model = CaseTransition
    fields = ["at", "action", "from_state", "to_state", "actor_user", "actor_department", "on_time", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "state", "assignee_department", "step_due", "escalation_level", "opened_at"]
    list_filter = ["kind", "state", "escalation_level"]
    search_fields = ["=public_id", "title", "subject_ref"]
    list_select_related = ["assignee_department"]
    inlines = [CaseTransitionInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
