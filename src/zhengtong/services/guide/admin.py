"""The guide in the admin, read-only: every change goes through the services (checks, ledger,
search index, events), from the workspace pages or the spreadsheet import."""

from django.contrib import admin

from .models import FinderQuestion, ItemImplementation, Material, ServiceItem


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MaterialInline(admin.TabularInline):
    model = Material
    fields = ["position", "code", "name", "required", "source", "source_ref", "accepted_types", "max_bytes"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ServiceItem)
class ServiceItemAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "item_type", "serving", "theme", "competent_department_kind"]
    list_filter = ["item_type", "serving", "competent_department_kind"]
    search_fields = ["code", "name"]


@admin.register(ItemImplementation)
class ItemImplementationAdmin(ReadOnlyAdmin):
    list_display = ["item", "division", "department", "status", "promised_days", "visits", "instant", "updated_at"]
    list_filter = ["status", "instant", "online", "mobile"]
    search_fields = ["=public_id", "item__code", "item__name"]
    list_select_related = ["item", "division", "department"]
    inlines = [MaterialInline]


@admin.register(FinderQuestion)
class FinderQuestionAdmin(ReadOnlyAdmin):
    list_display = ["code", "text", "is_start", "position"]
