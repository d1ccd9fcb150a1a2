"""Fixtures shared by the whole suite: a small slice of the demo province's real divisions."""

import pytest

from tests.kernel.identity.factories import CitizenFactory, CompanyFactory, StaffFactory, org_load
from zhengtong.kernel.org.services import departments_create_standard, division_rows_bundled, divisions_load

# Province, two cities, three counties and a township: enough for scoping and escalation.
SMALL_PROVINCE_CODES = {"330000", "330100", "330106", "330108", "330106004", "330200", "330203"}


@pytest.fixture
def small_province(db):
    """Divisions of a small slice of Zhejiang and their standard departments."""
    divisions_load(rows=[row for row in division_rows_bundled() if row.code in SMALL_PROVINCE_CODES])
    departments_create_standard()


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
