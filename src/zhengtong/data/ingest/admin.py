"""Read-only admin views of loads and versions: they change only through loads."""

from django.contrib import admin

from .models import DatasetVersion, Load


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Load)
class LoadAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "dataset", "source_name", "mode", "status", "rows_read", "problem_rows", "created_at")
    list_filter = ("status", "mode")
    search_fields = ("public_id", "source_name", "dataset__resource_code")
    exclude = ("report",)  # failing rows as delivered: read them, masked, on the load's page


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ReadOnlyAdmin):
    list_display = ("dataset", "number", "row_count", "mode", "schema_version", "created_at")
    search_fields = ("dataset__resource_code",)
