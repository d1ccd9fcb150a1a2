from django.contrib import admin

from .models import LinkageRun, RegistrySource


@admin.register(RegistrySource)
class RegistrySourceAdmin(admin.ModelAdmin):
    list_display = ("kind", "name", "dataset", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(LinkageRun)
class LinkageRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "kind", "status", "records", "clusters", "pairs_for_review")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in LinkageRun._meta.fields]

