"""The coverage read for the page, and the in-process cache of loaded days with its version stamp."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from zhengtong.kernel.calendar.models import HolidaySchedule, ScheduleDay, ScheduleLoad
from zhengtong.kernel.calendar.public import is_working_day, working_deadline
from zhengtong.kernel.calendar.schedule_file import ScheduleDayRow
from zhengtong.kernel.calendar.selectors import YearCoverage, schedule_coverage
from zhengtong.kernel.calendar.services import schedule_load
from zhengtong.kernel.identity.public import Actor

pytestmark = pytest.mark.django_db


def test_coverage_from_last_year_to_two_years_on_plus_loaded_years(superuser_actor):
    schedule_load(
        actor=superuser_actor, year=2030, source="测试",
        days=[ScheduleDayRow(date(2030, 1, 1), "holiday", "元旦"), ScheduleDayRow(date(2030, 1, 5), "workday", "")],
    )
    loaded_at = HolidaySchedule.objects.get().loaded_at

    rows = schedule_coverage(actor=superuser_actor, today=date(2026, 11, 22))

    # Package counts as in chinesecalendar 1.11.0: 2025 has 28 holidays and 5 swapped workdays,
    # 2026 has 33 and 6.
    assert rows == [
        YearCoverage(year=2025, coverage="package", holiday_count=28, workday_count=5),
        YearCoverage(year=2026, coverage="package", holiday_count=33, workday_count=6),
        YearCoverage(year=2027, coverage="none", holiday_count=0, workday_count=0),
        YearCoverage(year=2028, coverage="none", holiday_count=0, workday_count=0),
        YearCoverage(year=2030, coverage="loaded", holiday_count=1, workday_count=1, source="测试",
                     loaded_by="", loaded_at=loaded_at, overrides_package=False),
    ]


def test_coverage_is_for_schedule_administrators_only():
    with pytest.raises(PermissionDenied):
        schedule_coverage(actor=Actor(kind="staff", department_id=1, roles=frozenset({"leader"})),
                          today=date(2026, 11, 22))


def test_a_call_costs_one_stamp_query_once_the_days_are_cached(django_assert_num_queries):
    working_deadline(date(2026, 12, 24), 10)  # fills the cache

    with django_assert_num_queries(1):
        working_deadline(date(2026, 12, 24), 10)


def test_a_load_by_another_process_is_seen_on_the_next_call(django_assert_num_queries):
    assert working_deadline(date(2026, 12, 24), 10).due == date(2027, 1, 7)

    # Another process's load: rows written straight to the tables, so this process's copy is not
    # told. Only the version stamp (the newest ScheduleLoad id) moves.
    now = timezone.now()
    schedule = HolidaySchedule.objects.create(year=2027, source="另一进程", loaded_at=now)
    ScheduleDay.objects.create(schedule=schedule, date=date(2027, 1, 1), kind="holiday", name="元旦")
    ScheduleLoad.objects.create(year=2027, source="另一进程", holiday_count=1, workday_count=0, loaded_at=now)

    with django_assert_num_queries(2):  # the stamp, then the days because the stamp moved
        assert working_deadline(date(2026, 12, 24), 10).due == date(2027, 1, 8)
    assert is_working_day(date(2027, 1, 1)) is False
