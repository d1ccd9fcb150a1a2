"""Fixtures shared by the whole suite: a small slice of the demo province's real divisions."""

from dataclasses import dataclass
from datetime import date

import pytest

from tests.kernel.identity.factories import PASSWORD, CitizenFactory, CompanyFactory, StaffFactory, org_load
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.models import User
from zhengtong.kernel.identity.public import Actor, actor_from_user
from zhengtong.kernel.org.models import Department, Division
from zhengtong.kernel.org.services import departments_create_standard, division_rows_bundled, divisions_load

# Province, two cities, three counties and a township: enough for scoping and escalation.
SMALL_PROVINCE_CODES = {"330000", "330100", "330106", "330108", "330106004", "330200", "330203"}


@pytest.fixture
def small_province(db):
    """Divisions of a small slice of Zhejiang and their standard departments."""
    divisions_load(rows=[row for row in division_rows_bundled() if row.code in SMALL_PROVINCE_CODES])
    departments_create_standard()


@pytest.fixture
def departments(small_province) -> dict[str, Department]:
    return {department.code: department for department in Department.objects.all()}


@dataclass
class People:
    """Users of the small province, and their actors."""

    users: dict[str, User]

    def actor(self, name: str) -> Actor:
        # Fresh from the database, as a request would build it.
        return actor_from_user(User.objects.get(pk=self.users[name].pk))


def people_create(staff: dict[str, tuple[str, list[str]]], *, citizens: dict[str, str] | None = None) -> People:
    """Staff (name: (department code, roles)) and citizens of Xihu (name: resident ID), built
    through the identity services; a module's `people` fixture adds what else it needs."""
    users = {}
    for name, (code, roles) in staff.items():
        users[name] = identity_services.staff_create(
            username=name, name=name, department=Department.objects.get(code=code), roles=roles, password=PASSWORD
        ).user
    xihu = Division.objects.get(code="330106")
    for name, resident_id in (citizens if citizens is not None else {"citizen": "110102199101010078"}).items():
        users[name] = identity_services.citizen_create(
            resident_id=resident_id, name=name, gender="M", birth_date=date(1991, 1, 1), division=xihu,
            password=PASSWORD,
        ).user
    return People(users)


# Accounts for the identity, web and browser tests: Xihu's market regulation bureau, one citizen,
# one company and one officer, each built through the identity services.
@pytest.fixture
def department(db):
    return org_load()


@pytest.fixture
def citizen(department):
    return CitizenFactory()


@pytest.fixture
def company(department):
    return CompanyFactory()


@pytest.fixture
def officer(department):
    return StaffFactory()


@pytest.fixture(autouse=True)
def language_reset():
    """Each test starts and ends in the default language. A request through LocaleMiddleware leaves
    its language active on the thread, so a test that asked for English would otherwise decide the
    language of whichever test the same worker runs next."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def ledger_check_throttle_reset(monkeypatch):
    """Each test starts as a fresh process would: its first ledger commit checks for a sequencing
    task (kernel.ledger throttles that check per process, SEQUENCING_CHECK_INTERVAL)."""
    from zhengtong.kernel.ledger import services as ledger_services

    monkeypatch.setattr(ledger_services, "_sequencing_checked_at", -1e9)
