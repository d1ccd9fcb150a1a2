import pytest

from .factories import CitizenFactory, CompanyFactory, StaffFactory, org_load


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
