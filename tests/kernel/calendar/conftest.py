"""Fixtures for kernel.calendar: the example schedule file and the actors who may load it."""

from pathlib import Path

import pytest

from zhengtong.kernel.calendar.schedule_file import schedule_file_read
from zhengtong.kernel.identity.public import Actor

EXAMPLE_FILE = Path(__file__).parent / "fixtures" / "holiday-schedule-example.csv"
# The example's dates are invented (see the file's header): a test schedule, not the real 2027 one.
EXAMPLE_SOURCE = "测试用2027年节假日安排（格式示例，非正式通知）"


@pytest.fixture
def example_days():
    return schedule_file_read(EXAMPLE_FILE.read_bytes())


@pytest.fixture
def superuser_actor():
    # A superuser passes every role check; user_id None keeps "loaded by" empty without a User row.
    return Actor(kind="staff", is_superuser=True)
