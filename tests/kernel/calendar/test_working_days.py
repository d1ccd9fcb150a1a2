"""Working days from chinesecalendar's 2026 data, and the arithmetic on them.

The expected days were read from chinesecalendar 1.11.0's constants for 2026 (not assumed):
Spring Festival off 2026-02-15..23 with Saturdays 02-14 and 02-28 worked; National Day off
2026-10-01..07 with Sunday 09-20 and Saturday 10-10 worked; Mid-Autumn off 09-25..27.
"""

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from django.utils import translation

from zhengtong.kernel.calendar.public import (
    WorkingDeadline,
    add_working_days,
    is_working_day,
    provisional_notice,
    schedule_known,
    working_days_between,
    working_deadline,
)
from zhengtong.kernel.calendar.working_days import PACKAGE_LAST_YEAR

pytestmark = pytest.mark.django_db


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_these_tests_assume_chinesecalendar_stops_at_2026():
    # The 2027 cases need a year the package does not know. When an upgrade brings 2027 data,
    # move them to the first year it does not cover.
    assert PACKAGE_LAST_YEAR == 2026


def test_the_package_data_these_tests_expect():
    def named(table: dict, name: str) -> list[date]:
        return sorted(day for day, holiday in table.items() if day.year == 2026 and holiday == name)

    assert named(chinese_calendar.holidays, "Spring Festival") == days(date(2026, 2, 15), date(2026, 2, 23))
    assert named(chinese_calendar.workdays, "Spring Festival") == [date(2026, 2, 14), date(2026, 2, 28)]
    assert named(chinese_calendar.holidays, "National Day") == days(date(2026, 10, 1), date(2026, 10, 7))
    assert named(chinese_calendar.workdays, "National Day") == [date(2026, 9, 20), date(2026, 10, 10)]


def test_spring_festival_2026_span_and_its_swapped_saturdays():
    working = [day for day in days(date(2026, 2, 13), date(2026, 3, 2)) if is_working_day(day)]

    assert working == [
        date(2026, 2, 13),  # Friday before the holiday
        date(2026, 2, 14),  # Saturday, swapped workday
        date(2026, 2, 24),  # first day back: 15th (Sunday) to 23rd (Monday) are all off
        date(2026, 2, 25),
        date(2026, 2, 26),
        date(2026, 2, 27),
        date(2026, 2, 28),  # Saturday, swapped workday
        date(2026, 3, 2),
    ]


def test_national_day_2026_span_and_its_swapped_weekend_days():
    working = [day for day in days(date(2026, 9, 19), date(2026, 10, 12)) if is_working_day(day)]

    assert working == [
        date(2026, 9, 20),  # Sunday, swapped workday
        date(2026, 9, 21),
        date(2026, 9, 22),
        date(2026, 9, 23),
        date(2026, 9, 24),  # 25th to 27th: Mid-Autumn Festival
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),  # 1st to 7th October: National Day
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 10),  # Saturday, swapped workday
        date(2026, 10, 12),
    ]


def test_a_swapped_workday_counts_as_a_working_day():
    assert date(2026, 10, 10).weekday() == 5  # a Saturday
    assert is_working_day(date(2026, 10, 10)) is True
    assert is_working_day(date(2026, 10, 11)) is False  # the Sunday after it is not swapped
    assert working_days_between(date(2026, 10, 9), date(2026, 10, 12)) == 2  # Saturday 10th and Monday 12th


def test_add_working_days_across_the_spring_festival():
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert add_working_days(date(2026, 2, 13), 7) == date(2026, 3, 2)


def test_add_working_days_across_national_day():
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 4


def test_zero_days_is_the_start_itself_or_the_next_working_day():
    assert add_working_days(date(2026, 9, 30), 0) == date(2026, 9, 30)
    assert add_working_days(date(2026, 10, 1), 0) == date(2026, 10, 8)


def test_between_is_start_exclusive_end_inclusive_and_zero_backwards():
    assert working_days_between(date(2026, 11, 20), date(2026, 11, 23)) == 1  # Friday to Monday
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 23)) == 0
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 20)) == 0
    for n in (1, 5, 30):
        assert working_days_between(date(2026, 2, 13), add_working_days(date(2026, 2, 13), n)) == n


def test_negative_days_and_datetimes_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 23), -1)
    with pytest.raises(ValueError):
        working_deadline(date(2026, 11, 23), -1)
    # A datetime's calendar day depends on the time zone: the caller must choose it.
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 11, 23, 9, 0))


def test_years_known_from_the_package_and_not_beyond():
    assert schedule_known(2004) is True
    assert schedule_known(2026) is True
    assert schedule_known(2003) is False
    assert schedule_known(2027) is False


def test_a_deadline_into_an_unloaded_year_is_provisional_and_counts_weekends_only():
    deadline = working_deadline(date(2026, 12, 24), 10)

    # 25, 28, 29, 30, 31 December; then 1 January 2027 counted as an ordinary Friday; 4-7 January.
    assert deadline == WorkingDeadline(due=date(2027, 1, 7), provisional=True, unknown_years=(2027,))


def test_a_deadline_inside_a_known_year_is_exact():
    assert working_deadline(date(2026, 2, 13), 2) == WorkingDeadline(
        due=date(2026, 2, 24), provisional=False, unknown_years=()
    )
    assert provisional_notice(working_deadline(date(2026, 2, 13), 2)) == ""


def test_the_provisional_notice_in_chinese_and_english():
    one = WorkingDeadline(due=date(2027, 1, 7), provisional=True, unknown_years=(2027,))
    two = WorkingDeadline(due=date(2028, 1, 7), provisional=True, unknown_years=(2027, 2028))
    with translation.override("zh-hans"):
        assert provisional_notice(one) == "2027年节假日安排尚未载入，该期限暂按周末计算，可能变化"
        assert provisional_notice(two) == "2027年、2028年节假日安排尚未载入，该期限暂按周末计算，可能变化"
    with translation.override("en"):
        assert provisional_notice(one) == (
            "The 2027 holiday schedule has not been loaded yet; this deadline counts weekends only and may change"
        )
        assert provisional_notice(two) == (
            "The 2027, 2028 holiday schedules have not been loaded yet; this deadline counts weekends only "
            "and may change"
        )
