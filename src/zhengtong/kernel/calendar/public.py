"""What other modules may use of kernel.calendar: Chinese working days (工作日).

A working day is Monday to Friday unless it is an official holiday, plus any swapped weekend
workday (调休上班). For each year the rules come from a schedule loaded by an administrator if
there is one, else from the chinesecalendar package; a year neither covers is "unknown" and counts
weekends only, so a deadline that runs into it is provisional and must say so wherever it is shown
(`provisional_notice`, or the `calendar_tags` template library).

Every function takes `datetime.date` values (a `datetime` raises TypeError: convert it with
`timezone.localdate()` first, the calendar day depends on the time zone). Each call costs one small
query (the schedules' version stamp); the days themselves are cached in the process. A page listing
many deadlines should store each due date when the deadline is set rather than recompute it per row.
"""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext, pgettext

from .working_days import require_date, working_calendar

__all__ = [
    "WorkingDeadline",
    "add_working_days",
    "is_working_day",
    "provisional_notice",
    "schedule_known",
    "working_days_between",
    "working_deadline",
]


@dataclass(frozen=True)
class WorkingDeadline:
    """A due date n working days on, and whether an unknown year's schedule went into it."""

    due: date
    provisional: bool
    unknown_years: tuple[int, ...]


def _require_count(n: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return n


def is_working_day(day: date) -> bool:
    return working_calendar().is_working(require_date(day))


def add_working_days(start: date, n: int) -> date:
    """The date n working days after start: the n-th working day strictly after start.

    n=0 is "by the end of today": start itself if it is a working day, else the next working day.
    So add_working_days(Friday, 1) is the next Monday (if no holiday), and for n >= 1
    working_days_between(start, result) == n. Raises ValueError for n < 0.
    """
    start, n = require_date(start), _require_count(n)
    return working_calendar().add(start, n)


def working_days_between(start: date, end: date) -> int:
    """How many working days lie in (start, end]: start excluded, end included; 0 if end <= start.

    So working_days_between(due, today) is how many working days a deadline is overdue, and
    working_days_between(today, due) how many are left.
    """
    return working_calendar().between(require_date(start), require_date(end))


def schedule_known(year: int) -> bool:
    """Whether the year's holidays are known: covered by chinesecalendar or by a loaded schedule."""
    return working_calendar().year_known(year)


def working_deadline(start: date, n: int) -> WorkingDeadline:
    """add_working_days(start, n), and which years from start's to due's had no known schedule."""
    start, n = require_date(start), _require_count(n)
    calendar = working_calendar()
    due = calendar.add(start, n)
    unknown = tuple(year for year in range(start.year, due.year + 1) if not calendar.year_known(year))
    return WorkingDeadline(due=due, provisional=bool(unknown), unknown_years=unknown)


def provisional_notice(deadline: WorkingDeadline) -> str:
    """The sentence to show with a provisional deadline, in the active language; "" if not provisional."""
    if not deadline.provisional:
        return ""
    years = pgettext("list separator", ", ").join(
        pgettext("calendar year", "%(year)d") % {"year": year} for year in deadline.unknown_years
    )
    # Two messages rather than ngettext: the count is of years, and only English needs the plural.
    if len(deadline.unknown_years) == 1:
        message = gettext(
            "The %(years)s holiday schedule has not been loaded yet; this deadline counts weekends only and may change"
        )
    else:
        message = gettext(
            "The %(years)s holiday schedules have not been loaded yet; this deadline counts weekends only and may "
            "change"
        )
    return message % {"years": years}
