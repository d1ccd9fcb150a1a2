"""The Django admin shows schedules and loads but offers no way round the load service."""

import pytest

from zhengtong.kernel.calendar.models import HolidaySchedule
from zhengtong.kernel.calendar.services import schedule_load
from zhengtong.kernel.identity.models import User

from .conftest import EXAMPLE_SOURCE

pytestmark = pytest.mark.django_db


def test_the_admin_lists_and_shows_schedules_read_only(client, superuser_actor, example_days):
    schedule_load(actor=superuser_actor, year=2027, source=EXAMPLE_SOURCE, days=example_days)
    schedule = HolidaySchedule.objects.get()
    client.force_login(User.objects.create_superuser("root-admin", "a-long-test-password"))

    assert client.get("/admin/calendar/holidayschedule/").status_code == 200
    detail = client.get(f"/admin/calendar/holidayschedule/{schedule.id}/change/")
    assert detail.status_code == 200
    assert "2027年2月20日" in detail.content.decode()  # the swapped workday, among the read-only days
    assert client.get("/admin/calendar/scheduleload/").status_code == 200
    # No add, and a change posted anyway is refused: schedules change through schedule_load only.
    assert client.get("/admin/calendar/holidayschedule/add/").status_code == 403
    assert client.post(f"/admin/calendar/holidayschedule/{schedule.id}/change/", {"source": "改"}).status_code == 403
    assert HolidaySchedule.objects.get().source == EXAMPLE_SOURCE
