"""Fixtures for kernel.loops: the departments of a small province, the people acting, a clock."""

from datetime import date, datetime, time

import pytest
from django.utils import translation

from tests.conftest import People, people_create
from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.kernel.identity.models import User
from zhengtong.kernel.loops import kinds, services
from zhengtong.kernel.loops.models import Case, CaseTransition
from zhengtong.kernel.loops.public import LoopKindSpec, register_loop_kind

PASSWORD = "Correct-horse-42"

# A kind shaped like the bad-review loop the reviews module will define: an accept step (the
# callback), appeals, and the reporter verifies.
REVIEW_KIND = LoopKindSpec(
    code="test_bad_review",
    name="Bad review (test)",
    step_days={"assign": 1, "accept": 1, "handle": 15, "verify": 5, "appeal": 5},
    verifier="reporter",
    escalate=True,
    reopen_days=5,
)
QUIET_KIND = LoopKindSpec(
    code="test_quiet", name="Never escalated (test)", step_days={"assign": 1, "handle": 2, "verify": 1},
    verifier="assigning_department", escalate=False,
)


@pytest.fixture(autouse=True)
def english():
    """Service messages are compared in English; the tests of Chinese switch explicitly. (Pages
    take the language of the request instead, Chinese by default.)"""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def test_kinds():
    """Register the test kinds for one test, then put the process-wide registry back."""
    saved = dict(kinds.KINDS)
    register_loop_kind(REVIEW_KIND)
    register_loop_kind(QUIET_KIND)
    yield
    kinds.KINDS.clear()
    kinds.KINDS.update(saved)


class Clock:
    """Today in Beijing as the loop services see it (10:00 that day): set by the test, so due
    dates, timestamps and reopening windows are exact."""

    def __init__(self, today: date):
        self.today = today

    def now(self) -> datetime:
        return datetime.combine(self.today, time(10, 0), tzinfo=services.CHINA)


@pytest.fixture
def clock(monkeypatch):
    # 30 September 2025, the working day before the National Day holiday (1-8 October 2025).
    clock = Clock(date(2025, 9, 30))
    monkeypatch.setattr(services, "now", clock.now)
    return clock


STAFF = {
    # name: (department code, roles)
    "mz_officer": ("330106-MZ", ["case_officer"]),  # 西湖区民政局: asks for assistance
    "ga_officer": ("330106-GA", ["case_officer"]),  # 西湖区公安分局: handles it
    "ga_leader": ("330106-GA", ["leader"]),
    "city_ga_officer": ("330100-GA", ["case_officer"]),
    "province_ga_officer": ("330000-GA", ["case_officer"]),
    "binjiang_ga_officer": ("330108-GA", ["case_officer"]),
    "xihu_dsj_admin": ("330106-DSJ", ["big_data_admin"]),
    "binjiang_dsj_admin": ("330108-DSJ", ["big_data_admin"]),
    "hangzhou_leader": ("330100-BGT", ["leader"]),
    "ningbo_dsj_admin": ("330200-DSJ", ["big_data_admin"]),
}


@pytest.fixture
def people(departments) -> People:
    people = people_create(STAFF, citizens={"citizen": "110102199101010078", "other_citizen": "360426199101010071"})
    # A staff login with no department (e.g. an operator account): it is no party to any case.
    people.users["orphan_staff"] = User.objects.create_user("orphan_staff", PASSWORD, kind="staff")
    return people


@pytest.fixture
def snapshot():
    """Everything a refused call must leave as it was: the case row, its history, the outbox."""

    def take(public_id) -> tuple:
        case = Case.objects.filter(public_id=public_id).values().first()
        history = list(CaseTransition.objects.filter(case__public_id=public_id).order_by("id").values())
        return case, history, OutboxEvent.objects.count()

    return take
