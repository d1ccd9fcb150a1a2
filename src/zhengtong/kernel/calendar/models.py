"""Loaded holiday schedules: the years chinesecalendar does not cover yet, and corrections to it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKDAY = "workday", _("Swapped workday")


class HolidaySchedule(models.Model):
    """节假日安排: one year's official holidays and swapped workdays (调休), loaded by an administrator.

    A loaded year replaces chinesecalendar's data for that year entirely. Days not listed follow
    the ordinary rule (Monday to Friday work, Saturday and Sunday off).
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("notice title"), max_length=200)
    # Null when loaded from the server's command line (`zhengtong calendar_load`).
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("loaded by"),
    )
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        ordering = ["year"]
        verbose_name = _("holiday schedule")
        verbose_name_plural = _("holiday schedules")

    def __str__(self) -> str:
        return f"{self.year}：{self.source}"


class ScheduleDay(models.Model):
    """节假日安排中的一天: a holiday (放假) or a swapped weekend workday (调休上班)."""

    schedule = models.ForeignKey(
        HolidaySchedule, on_delete=models.CASCADE, related_name="days", verbose_name=_("holiday schedule")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("festival"), max_length=64, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            # A date lies in one year, and a year has one schedule: so a date appears once at most.
            models.UniqueConstraint(fields=["date"], name="calendar_one_entry_per_date"),
            models.CheckConstraint(
                condition=models.Q(kind__in=DayKind.values), name="calendar_day_kind_valid"
            ),
        ]
        verbose_name = _("schedule day")
        verbose_name_plural = _("schedule days")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()


class ScheduleLoad(models.Model):
    """节假日安排载入记录: every load of a year's schedule, replacements included. Never changed.

    Its newest id is also the version stamp of the in-process cache of loaded days: any load, in
    any process, makes a new row, so the stamp moves and every process reloads.
    """

    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("notice title"), max_length=200)
    holiday_count = models.PositiveSmallIntegerField(_("holidays"))
    workday_count = models.PositiveSmallIntegerField(_("swapped workdays"))
    # The notice title of the schedule this load replaced; empty for the year's first load.
    replaced_source = models.CharField(_("replaced schedule"), max_length=200, blank=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("loaded by"),
    )
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("schedule load")
        verbose_name_plural = _("schedule loads")

    def __str__(self) -> str:
        return f"{self.year}：{self.source}（{self.loaded_at:%Y-%m-%d %H:%M}）"
