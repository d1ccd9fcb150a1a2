"""Quality records in the admin, read-only: they are derived from loads and loops, never edited."""

from django.contrib import admin

from .models import ProblemLoop, QualitySnapshot, RuleResult


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RuleResultInline(admin.TabularInline):
    model = RuleResult
    fields = ["code", "kind", "field", "dimension", "failed"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(QualitySnapshot)
class QualitySnapshotAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "version", "load_id", "rows", "problem_rows", "overall", "loaded_at"]
    list_select_related = ["dataset"]
    search_fields = ["=load_id", "dataset__resource_code"]
    inlines = [RuleResultInline]


@admin.register(ProblemLoop)
class ProblemLoopAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "rule_code", "department", "count", "opened_at", "closed_at", "resolution"]
    list_filter = ["resolution", "rule_kind"]
    list_select_related = ["dataset", "department"]
    search_fields = ["=case_id", "rule_code", "dataset__resource_code"]
