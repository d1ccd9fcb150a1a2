from django.contrib import admin

from .models import Department, Division, Position


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "division"]
    list_filter = ["kind", "division__level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["division"]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "department"]
    list_filter = ["role"]
    raw_id_fields = ["department"]
