"""Admin: view only. Schedules change through schedule_load (the workspace page or the
calendar_load command), which validates the whole year, records the load and moves the cache's
version stamp; an edit here would do none of that."""

from django.contrib import admin

from .models import HolidaySchedule, ScheduleDay, ScheduleLoad


class ViewOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScheduleDayInline(admin.TabularInline):
    model = ScheduleDay
    fields = ["date", "kind", "name"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HolidaySchedule)
class HolidayScheduleAdmin(ViewOnlyAdmin):
    list_display = ["year", "source", "loaded_by", "loaded_at"]
    inlines = [ScheduleDayInline]


@admin.register(ScheduleLoad)
class ScheduleLoadAdmin(ViewOnlyAdmin):
    list_display = ["loaded_at", "year", "source", "holiday_count", "workday_count", "replaced_source", "loaded_by"]
    list_filter = ["year"]
