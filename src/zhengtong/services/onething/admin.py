"""One-thing bundles in the admin, read-only: every change goes through the services (checks of the
merged form, ledger, events)."""

from django.contrib import admin

from .models import Bundle, BundleApplication, BundleApplicationPart, BundlePart


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BundlePartInline(admin.TabularInline):
    model = BundlePart
    fields = ["position", "item", "field_map"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class BundleApplicationPartInline(admin.TabularInline):
    model = BundleApplicationPart
    fields = ["part", "application"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Bundle)
class BundleAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "serving", "division", "is_published", "updated_at"]
    list_filter = ["serving", "is_published"]
    search_fields = ["code", "name"]
    inlines = [BundlePartInline]


@admin.register(BundleApplication)
class BundleApplicationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "bundle", "state", "submitted_at", "concluded_at"]
    list_filter = ["state", "bundle"]
    search_fields = ["reference"]
    # The merged answers are personal data: the admin lists applications, it does not show them.
    exclude = ["answers", "provenance"]
    inlines = [BundleApplicationPartInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name not in self.exclude]
