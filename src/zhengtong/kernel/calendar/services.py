"""Writes for holiday schedules. Keyword-only, one transaction each."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from zhengtong.kernel.identity.public import AccountKind, Actor
from zhengtong.kernel.org.public import Role

from .models import DayKind, HolidaySchedule, ScheduleDay, ScheduleLoad
from .schedule_file import ScheduleDayRow, ScheduleRejected
from .working_days import working_calendar_forget

# The server's command line (`zhengtong calendar_load`): whoever has a shell there already holds
# the database, so it loads like a superuser; the load record shows it by an empty "loaded by".
COMMAND_LINE_ACTOR = Actor(kind="system")

FIRST_YEAR = 2000
LAST_YEAR = 2100
SATURDAY = 5


def schedule_may_load(actor: Actor) -> bool:
    if actor.kind == COMMAND_LINE_ACTOR.kind or actor.is_superuser:
        return True
    return actor.kind == AccountKind.STAFF and actor.has_role(Role.BIG_DATA_ADMIN)


def _where(row: ScheduleDayRow) -> str:
    if row.line is not None:
        return _("Line %(line)d") % {"line": row.line}
    return row.date.isoformat()


def schedule_problems(*, year: int, source: str, days: Sequence[ScheduleDayRow]) -> list[str]:
    """Everything wrong with a schedule, each problem saying where (line or date) and what."""
    problems: list[str] = []
    if not FIRST_YEAR <= year <= LAST_YEAR:
        problems.append(
            _("The year must be between %(first)d and %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    if not source.strip():
        problems.append(_("Give the title of the notice the schedule comes from."))
    elif len(source.strip()) > 200:
        problems.append(_("The notice title is longer than 200 characters."))
    if not days:
        problems.append(_("The schedule lists no days: a year's schedule has at least its holidays."))
    first_seen: dict = {}
    for row in days:
        where = _where(row)
        if row.date.year != year:
            problems.append(
                _("%(where)s: %(date)s is not in %(year)d.")
                % {"where": where, "date": row.date.isoformat(), "year": year}
            )
        earlier = first_seen.get(row.date)
        if earlier is not None:
            problems.append(
                _("%(where)s: %(date)s is listed twice (first at %(first)s).")
                % {"where": where, "date": row.date.isoformat(), "first": _where(earlier)}
            )
        else:
            first_seen[row.date] = row
        if row.kind not in DayKind.values:
            problems.append(
                _("%(where)s: the kind must be “holiday” or “workday”, not “%(kind)s”.")
                % {"where": where, "kind": row.kind}
            )
        elif row.kind == DayKind.WORKDAY and row.date.weekday() < SATURDAY:
            problems.append(
                _("%(where)s: %(date)s is a %(weekday)s; a swapped workday must be a Saturday or a Sunday.")
                % {"where": where, "date": row.date.isoformat(), "weekday": WEEKDAYS[row.date.weekday()]}
            )
        elif row.kind == DayKind.HOLIDAY and not row.name.strip():
            problems.append(
                _("%(where)s: give the festival's name for the holiday on %(date)s.")
                % {"where": where, "date": row.date.isoformat()}
            )
        if len(row.name.strip()) > 64:
            problems.append(_("%(where)s: the name is longer than 64 characters.") % {"where": where})
    return problems


@transaction.atomic
def schedule_load(
    *, actor: Actor, year: int, source: str, days: Sequence[ScheduleDayRow]
) -> HolidaySchedule:
    """Load (or replace) a year's holiday schedule. All or nothing: any problem changes nothing.

    Raises PermissionDenied unless the actor is a big-data bureau administrator, a superuser or the
    server's command line; raises ScheduleRejected listing every problem found.
    """
    if not schedule_may_load(actor):
        raise PermissionDenied
    problems = schedule_problems(year=year, source=source, days=days)
    if problems:
        raise ScheduleRejected(problems)
    now = timezone.now()
    source = source.strip()
    schedule = HolidaySchedule.objects.select_for_update().filter(year=year).first()
    replaced_source = ""
    if schedule is None:
        schedule = HolidaySchedule.objects.create(year=year, source=source, loaded_by_id=actor.user_id, loaded_at=now)
    else:
        replaced_source = schedule.source
        schedule.days.all().delete()
        schedule.source, schedule.loaded_by_id, schedule.loaded_at = source, actor.user_id, now
        schedule.save(update_fields=["source", "loaded_by", "loaded_at"])
    ScheduleDay.objects.bulk_create(
        ScheduleDay(schedule=schedule, date=row.date, kind=row.kind, name=row.name.strip())
        for row in sorted(days, key=lambda row: row.date)
    )
    ScheduleLoad.objects.create(
        year=year,
        source=source,
        holiday_count=sum(row.kind == DayKind.HOLIDAY for row in days),
        workday_count=sum(row.kind == DayKind.WORKDAY for row in days),
        replaced_source=replaced_source,
        loaded_by_id=actor.user_id,
        loaded_at=now,
    )
    # Other processes notice the new ScheduleLoad id; this one forgets at once, because a
    # rolled-back transaction (a test's, on SQLite) can hand the same id out again.
    working_calendar_forget()
    return schedule
