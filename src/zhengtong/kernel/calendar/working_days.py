"""Which days are working days, and the in-process copy of the loaded schedules.

Order of authority for a year: a loaded HolidaySchedule, else chinesecalendar's data, else nothing
is known and only weekends are days off.

Caching: every loaded year's days (a few dozen rows a year) are held in memory for the process.
Each public call first reads a version stamp, the newest ScheduleLoad id (one indexed MAX over a
table with a row per load), and reloads all loaded days only when it moved. Web and worker are
separate processes, so a load in one is seen by the others on their very next call, without a
shared cache or a time-to-live that would leave a window of wrong deadlines. The load service
also drops this process's copy directly, which covers a rolled-back test transaction reusing an id.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import chinese_calendar
from django.db.models import Max

from .models import DayKind, ScheduleDay, ScheduleLoad

ONE_DAY = timedelta(days=1)

# chinesecalendar's own data, read directly: its is_workday() recomputes the covered range from
# every key on each call, which is slow inside a day-by-day loop. Both dicts are in its __all__.
PACKAGE_HOLIDAYS: dict[date, str] = chinese_calendar.holidays
PACKAGE_WORKDAYS: dict[date, str] = chinese_calendar.workdays
PACKAGE_FIRST_YEAR = min(PACKAGE_HOLIDAYS).year
PACKAGE_LAST_YEAR = max(PACKAGE_HOLIDAYS).year
PACKAGE_VERSION = chinese_calendar.__version__


def package_covers(year: int) -> bool:
    return PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR


def require_date(value) -> date:
    # A datetime is a date subclass, but it never equals a date key, and its calendar day depends on
    # the time zone: make the caller choose (timezone.localdate(value)) rather than guess.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a datetime.date, got {type(value).__name__}; use timezone.localdate()")
    return value


@dataclass(frozen=True)
class WorkingCalendar:
    """The working-day rules as they stand at one version stamp."""

    stamp: int | None
    loaded: dict[int, dict[date, str]] = field(default_factory=dict)

    def year_known(self, year: int) -> bool:
        return year in self.loaded or package_covers(year)

    def is_working(self, day: date) -> bool:
        listed = self.loaded.get(day.year)
        if listed is not None:
            kind = listed.get(day)
            if kind is not None:
                return kind == DayKind.WORKDAY
        elif package_covers(day.year):
            if day in PACKAGE_WORKDAYS:
                return True
            if day in PACKAGE_HOLIDAYS:
                return False
        return day.weekday() < 5

    def add(self, start: date, n: int) -> date:
        day = start
        if n == 0:
            while not self.is_working(day):
                day += ONE_DAY
            return day
        while n:
            day += ONE_DAY
            if self.is_working(day):
                n -= 1
        return day

    def between(self, start: date, end: date) -> int:
        count = 0
        day = start
        while day < end:
            day += ONE_DAY
            count += self.is_working(day)
        return count


_cached: WorkingCalendar | None = None


def working_calendar() -> WorkingCalendar:
    """The current rules: one stamp query per call, plus one query for the days when it moved."""
    global _cached
    # Stamp first, days second: if a load commits between the two, the days are newer than the
    # stamp and the next call reloads. The other order could pin old days under a new stamp.
    stamp = ScheduleLoad.objects.aggregate(stamp=Max("id"))["stamp"]
    current = _cached
    if current is not None and current.stamp == stamp:
        return current
    loaded: dict[int, dict[date, str]] = {}
    rows = ScheduleDay.objects.values_list("schedule__year", "date", "kind")
    for year, day, kind in rows:
        loaded.setdefault(year, {})[day] = kind
    # Every loaded schedule lists at least one day (the load service refuses an empty one), so
    # the years present here are exactly the loaded years.
    # Replacing the module global is one atomic store: threads see the old copy or the new one.
    current = WorkingCalendar(stamp=stamp, loaded=loaded)
    _cached = current
    return current


def working_calendar_forget() -> None:
    """Drop this process's copy; the load service calls it, and again after its commit."""
    global _cached
    _cached = None
