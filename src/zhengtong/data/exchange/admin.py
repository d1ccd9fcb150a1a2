"""The exchange in Django's admin: for operators to look, not to change. Every change of a grant,
request or consent goes through services.py (or consent.py) so that it reaches the ledger; the
directory is kept by `zhengtong share_sync`."""

from django.contrib import admin

from .models import Consent, RequestItem, ShareCall, SharingGrant, SharingRequest, SharingService


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SharingService)
class SharingServiceAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "owner_department", "share_type", "published_version", "record_count",
                    "is_active")
    list_filter = ("kind", "share_type", "is_active")
    search_fields = ("code", "name")


class RequestItemInline(admin.TabularInline):
    model = RequestItem
    extra = 0
    fields = ("service", "fields", "clear_fields", "row_scope", "status", "needs_bureau", "owner_decided_at",
              "bureau_decided_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SharingRequest)
class SharingRequestAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "consumer_department", "api_client", "status", "submitted_at", "expires_on")
    list_filter = ("status",)
    inlines = [RequestItemInline]


@admin.register(SharingGrant)
class SharingGrantAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "service", "consumer_department", "api_client", "expires_at", "revoked_at")
    list_filter = ("service",)
    search_fields = ("=public_id",)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "subject_kind", "api_client", "purpose", "expires_at", "revoked_at")
    list_filter = ("subject_kind",)


@admin.register(ShareCall)
class ShareCallAdmin(ReadOnlyAdmin):
    list_display = ("at", "service", "api_client_id", "operation", "outcome", "status_code", "correlation_id")
    list_filter = ("outcome", "operation")
    search_fields = ("=correlation_id",)
