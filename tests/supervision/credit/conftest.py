"""Helpers of the credit tests: staff of Xihu's market regulation and tax bureaux and of the big
data bureau (the credit lead), a citizen and a company with logins, and valid identifiers."""

from datetime import date

import pytest

from tests.conftest import people_create
from tests.kernel.identity.factories import PASSWORD
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.models import Citizen, User
from zhengtong.kernel.identity.public import actor_from_user
from zhengtong.kernel.ids.public import organization_code_check_char, resident_id_check_char, uscc_check_char
from zhengtong.kernel.org.models import Division


def uscc(n: int) -> str:
    organization = f"MA{n:06d}"
    body = "91330106" + organization + organization_code_check_char(organization)
    return body + uscc_check_char(body)


def resident(n: int) -> str:
    body = f"33010619850302{n:03d}"
    return body + resident_id_check_char(body)


CITIZEN_ID = resident(12)
COMPANY_USCC = uscc(1)
STAFF = {
    "sj_officer": ("330106-SJ", ["case_officer"]),
    "sw_officer": ("330106-SW", ["case_officer"]),
    "credit_officer": ("330106-DSJ", ["big_data_admin"]),
}


class CreditPeople:
    def __init__(self, base, company_user):
        self.users = {**base.users, "company": company_user}

    def actor(self, name: str):
        return actor_from_user(User.objects.get(pk=self.users[name].pk))


@pytest.fixture
def people(departments):
    base = people_create(STAFF, citizens={"citizen": CITIZEN_ID})
    company = identity_services.company_create(
        uscc=COMPANY_USCC, name="杭州信用测试有限公司", kind="enterprise",
        legal_representative=Citizen.objects.get(user=base.users["citizen"]),
        division=Division.objects.get(code="330106"), registered_on=date(2019, 3, 5), address="西湖区文三路1号",
        password=PASSWORD,
    )
    return CreditPeople(base, company.user)


@pytest.fixture
def measures(db):
    """The measure list as the migration seeds it; seeded again when a transactional test run
    earlier in the session flushed the migration's rows."""
    from zhengtong.supervision.credit.measures import measures_seed
    from zhengtong.supervision.credit.models import JointMeasure

    if not JointMeasure.objects.exists():
        measures_seed()
