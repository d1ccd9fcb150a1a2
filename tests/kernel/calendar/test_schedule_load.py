"""Loading a year's schedule: the file format, the checks, all-or-nothing, replacing, the command."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import translation

from zhengtong.kernel.calendar.models import HolidaySchedule, ScheduleDay, ScheduleLoad
from zhengtong.kernel.calendar.public import (
    WorkingDeadline,
    add_working_days,
    is_working_day,
    schedule_known,
    working_deadline,
)
from zhengtong.kernel.calendar.schedule_file import ScheduleDayRow, ScheduleRejected, schedule_file_read
from zhengtong.kernel.calendar.services import schedule_load
from zhengtong.kernel.identity.public import Actor

from .conftest import EXAMPLE_FILE, EXAMPLE_SOURCE

pytestmark = pytest.mark.django_db


def table_state():
    return (
        list(HolidaySchedule.objects.values_list("year", "source")),
        list(ScheduleDay.objects.values_list("date", "kind", "name")),
        ScheduleLoad.objects.count(),
    )


def test_the_example_file_parses_to_its_rows(example_days):
    assert len(example_days) == 11
    assert example_days[0] == ScheduleDayRow(date=date(2027, 1, 1), kind="holiday", name="元旦", line=7)
    assert example_days[-1] == ScheduleDayRow(date=date(2027, 2, 20), kind="workday", name="春节", line=17)


def test_deadlines_into_2027_are_provisional_before_loading_and_exact_after(superuser_actor, example_days):
    before = working_deadline(date(2026, 12, 24), 10)
    assert before == WorkingDeadline(due=date(2027, 1, 7), provisional=True, unknown_years=(2027,))

    schedule_load(actor=superuser_actor, year=2027, source=EXAMPLE_SOURCE, days=example_days)

    # 1 January 2027 is now a holiday, so the tenth working day moves to Friday 8 January.
    after = working_deadline(date(2026, 12, 24), 10)
    assert after == WorkingDeadline(due=date(2027, 1, 8), provisional=False, unknown_years=())
    assert schedule_known(2027) is True
    # Across the example's Spring Festival (6-12 February) to its swapped Saturday, 20 February.
    assert add_working_days(date(2027, 2, 5), 1) == date(2027, 2, 15)
    assert add_working_days(date(2027, 2, 19), 1) == date(2027, 2, 20)
    assert is_working_day(date(2027, 2, 21)) is False


def test_a_load_is_stored_with_its_days_and_recorded(superuser_actor, example_days):
    schedule_load(actor=superuser_actor, year=2027, source=EXAMPLE_SOURCE, days=example_days)

    schedule = HolidaySchedule.objects.get()
    assert (schedule.year, schedule.source, schedule.loaded_by_id) == (2027, EXAMPLE_SOURCE, None)
    assert list(schedule.days.values_list("date", "kind", "name")[:2]) == [
        (date(2027, 1, 1), "holiday", "元旦"),
        (date(2027, 1, 2), "holiday", "元旦"),
    ]
    load = ScheduleLoad.objects.get()
    assert (load.year, load.holiday_count, load.workday_count, load.replaced_source) == (2027, 10, 1, "")


def test_replacing_a_loaded_year_keeps_only_the_new_days_and_records_the_replacement(
    superuser_actor, example_days
):
    schedule_load(actor=superuser_actor, year=2027, source=EXAMPLE_SOURCE, days=example_days)
    assert is_working_day(date(2027, 1, 1)) is False

    schedule_load(
        actor=superuser_actor,
        year=2027,
        source="更正后的测试安排",
        days=[ScheduleDayRow(date=date(2027, 2, 8), kind="holiday", name="春节")],
    )

    assert list(ScheduleDay.objects.values_list("date", flat=True)) == [date(2027, 2, 8)]
    assert list(ScheduleLoad.objects.order_by("id").values_list("source", "replaced_source")) == [
        (EXAMPLE_SOURCE, ""),
        ("更正后的测试安排", EXAMPLE_SOURCE),
    ]
    # The in-process copy followed the replacement.
    assert is_working_day(date(2027, 1, 1)) is True
    assert is_working_day(date(2027, 2, 8)) is False


def test_a_loaded_schedule_overrides_chinesecalendar_for_its_year(superuser_actor):
    assert is_working_day(date(2026, 10, 8)) is True
    assert is_working_day(date(2026, 10, 10)) is True

    # A correction lists the whole year; this made-up one keeps only an 8 October holiday.
    schedule_load(
        actor=superuser_actor,
        year=2026,
        source="测试用更正",
        days=[ScheduleDayRow(date=date(2026, 10, 8), kind="holiday", name="国庆节")],
    )

    assert is_working_day(date(2026, 10, 8)) is False
    assert is_working_day(date(2026, 10, 10)) is False  # a plain Saturday again
    assert is_working_day(date(2026, 10, 1)) is True  # no longer listed, so an ordinary Thursday


def test_a_bad_file_is_rejected_with_every_problem_and_nothing_is_saved(superuser_actor):
    schedule_load(
        actor=superuser_actor, year=2027, source=EXAMPLE_SOURCE,
        days=[ScheduleDayRow(date=date(2027, 1, 1), kind="holiday", name="元旦")],
    )
    before = table_state()
    text = (
        "date,kind,name\n"
        "2027-01-01,holiday,元旦\n"
        "2026-12-31,holiday,元旦\n"  # line 3: not in 2027
        "2027-01-01,holiday,元旦\n"  # line 4: listed twice
        "2027-01-04,workday,元旦\n"  # line 5: a Monday cannot be a swapped workday
        "2027-01-05,day off,元旦\n"  # line 6: unknown kind
        "2027-01-06,holiday,\n"  # line 7: holiday without a name
    )
    with translation.override("en"), pytest.raises(ScheduleRejected) as rejected:
        schedule_load(actor=superuser_actor, year=2027, source="另一份", days=schedule_file_read(text.encode()))

    assert rejected.value.problems == (
        "Line 3: 2026-12-31 is not in 2027.",
        "Line 4: 2027-01-01 is listed twice (first at Line 2).",
        "Line 5: 2027-01-04 is a Monday; a swapped workday must be a Saturday or a Sunday.",
        "Line 6: the kind must be “holiday” or “workday”, not “day off”.",
        "Line 7: give the festival's name for the holiday on 2027-01-06.",
    )
    assert table_state() == before
    assert is_working_day(date(2027, 1, 4)) is True


def test_the_problems_are_in_chinese_by_default(superuser_actor):
    with pytest.raises(ScheduleRejected) as rejected:
        schedule_load(
            actor=superuser_actor, year=2027, source="测试",
            days=schedule_file_read("date,kind,name\n2027-01-04,workday,元旦\n".encode()),
        )

    assert rejected.value.problems == ("第2行：2027-01-04 是星期一；调休上班日必须是周六或周日。",)


def test_file_shape_errors_name_the_line():
    text = "\ufeffdate,kind,name\n# a comment\n2027-1-1,holiday,元旦\n2027-01-02,holiday\n\n2027-01-03,holiday,元旦\n"
    with translation.override("en"), pytest.raises(ScheduleRejected) as rejected:
        schedule_file_read(text.encode("utf-8"))

    assert rejected.value.problems == (
        "Line 3: “2027-1-1” is not a date written as YYYY-MM-DD.",
        "Line 4: expected 3 columns (date,kind,name), found 2.",
    )


def test_a_wrong_header_and_an_empty_file_are_rejected():
    with translation.override("en"):
        with pytest.raises(ScheduleRejected) as wrong_header:
            schedule_file_read("日期,类型,名称\n2027-01-01,holiday,元旦\n".encode())
        with pytest.raises(ScheduleRejected) as empty:
            schedule_file_read(b"# only a comment\n")

    assert wrong_header.value.problems == ("Line 1: the header must be “date,kind,name”, not “日期,类型,名称”.",)
    assert empty.value.problems == (
        "The file is empty: it needs the header “date,kind,name” and one line per day.",
    )


def test_a_gb18030_file_from_excel_is_read():
    rows = schedule_file_read("date,kind,name\r\n2027-01-01,holiday,元旦\r\n".encode("gb18030"))

    assert rows == [ScheduleDayRow(date=date(2027, 1, 1), kind="holiday", name="元旦", line=2)]


def test_only_big_data_administrators_and_superusers_may_load(example_days):
    case_officer = Actor(kind="staff", user_id=None, department_id=1, roles=frozenset({"case_officer"}))
    big_data_admin = Actor(kind="staff", user_id=None, department_id=1, roles=frozenset({"big_data_admin"}))
    # An API client's scopes arrive as roles; a scope named like the role must not open the door.
    api_client = Actor(kind="api_client", api_client_id=1, roles=frozenset({"big_data_admin"}))

    for actor in (case_officer, api_client):
        with pytest.raises(PermissionDenied):
            schedule_load(actor=actor, year=2027, source=EXAMPLE_SOURCE, days=example_days)
    assert table_state() == ([], [], 0)

    schedule_load(actor=big_data_admin, year=2027, source=EXAMPLE_SOURCE, days=example_days)
    assert HolidaySchedule.objects.count() == 1


def test_the_command_loads_a_file(capsys):
    call_command("calendar_load", str(EXAMPLE_FILE), "--year", "2027", "--source", EXAMPLE_SOURCE)

    assert capsys.readouterr().out == f"Loaded 2027: 10 holidays, 1 swapped workdays ({EXAMPLE_SOURCE}).\n"
    assert HolidaySchedule.objects.get().loaded_by is None
    assert working_deadline(date(2026, 12, 24), 10).due == date(2027, 1, 8)


def test_the_command_refuses_a_file_for_another_year_and_loads_nothing():
    with translation.override("en"), pytest.raises(CommandError) as error:
        call_command("calendar_load", str(EXAMPLE_FILE), "--year", "2028", "--source", "测试")

    message = str(error.value)
    assert message.startswith(f"{EXAMPLE_FILE}: nothing was loaded.\n  Line 7: 2027-01-01 is not in 2028.\n")
    assert message.count("is not in 2028") == 11
    assert table_state() == ([], [], 0)
