"""Reads for the schedule administration page."""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q

from zhengtong.kernel.identity.public import Actor

from .models import DayKind, HolidaySchedule, ScheduleLoad
from .services import schedule_may_load
from .working_days import PACKAGE_HOLIDAYS, PACKAGE_WORKDAYS, package_covers


class Coverage:
    LOADED = "loaded"
    PACKAGE = "package"
    NONE = "none"


@dataclass(frozen=True)
class YearCoverage:
    year: int
    coverage: str  # Coverage.LOADED, PACKAGE or NONE
    holiday_count: int
    workday_count: int
    source: str = ""
    loaded_by: str = ""
    loaded_at: datetime | None = None
    overrides_package: bool = False


def _package_counts(year: int) -> tuple[int, int]:
    return (
        sum(1 for day in PACKAGE_HOLIDAYS if day.year == year),
        sum(1 for day in PACKAGE_WORKDAYS if day.year == year),
    )


def schedule_coverage(*, actor: Actor, today: date) -> list[YearCoverage]:
    """Last year to two years on, plus every loaded year: where each year's holidays come from."""
    if not schedule_may_load(actor):
        raise PermissionDenied
    schedules = {
        schedule.year: schedule
        for schedule in HolidaySchedule.objects.select_related("loaded_by").annotate(
            holidays=Count("days", filter=Q(days__kind=DayKind.HOLIDAY)),
            workdays=Count("days", filter=Q(days__kind=DayKind.WORKDAY)),
        )
    }
    years = sorted(set(range(today.year - 1, today.year + 3)) | set(schedules))
    rows = []
    for year in years:
        schedule = schedules.get(year)
        if schedule is not None:
            rows.append(YearCoverage(
                year=year,
                coverage=Coverage.LOADED,
                holiday_count=schedule.holidays,
                workday_count=schedule.workdays,
                source=schedule.source,
                loaded_by=str(schedule.loaded_by) if schedule.loaded_by else "",
                loaded_at=schedule.loaded_at,
                overrides_package=package_covers(year),
            ))
        elif package_covers(year):
            holidays, workdays = _package_counts(year)
            rows.append(YearCoverage(year=year, coverage=Coverage.PACKAGE, holiday_count=holidays,
                                     workday_count=workdays))
        else:
            rows.append(YearCoverage(year=year, coverage=Coverage.NONE, holiday_count=0, workday_count=0))
    return rows


@dataclass(frozen=True)
class LoadRecord:
    year: int
    source: str
    holiday_count: int
    workday_count: int
    replaced_source: str
    loaded_by: str
    loaded_at: datetime


def schedule_load_list(*, actor: Actor, limit: int = 20) -> list[LoadRecord]:
    """The newest loads first, replacements included."""
    if not schedule_may_load(actor):
        raise PermissionDenied
    return [
        LoadRecord(
            year=load.year,
            source=load.source,
            holiday_count=load.holiday_count,
            workday_count=load.workday_count,
            replaced_source=load.replaced_source,
            loaded_by=str(load.loaded_by) if load.loaded_by else "",
            loaded_at=load.loaded_at,
        )
        for load in ScheduleLoad.objects.select_related("loaded_by").order_by("-id")[:limit]
    ]
