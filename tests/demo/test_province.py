from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.demo.conftest import demo_built_once
from zhengtong.demo.province import DEMO_PASSWORD, DEMO_STAFF, ProvinceBuilder
from zhengtong.kernel.identity.models import Citizen, Company, StaffMember, User
from zhengtong.kernel.ids.public import resident_id_parse, uscc_parse
from zhengtong.kernel.org.models import Department, Division


def sample_rows(seed: int, count: int = 200):
    """Rows from the generator alone (no database): the same seed must give the same rows."""
    city = Division(id=1, code="330100", name="杭州市", level="city")
    county = Division(id=2, code="330106", name="西湖区", level="county", parent=city)
    township = Division(id=3, code="330106001", name="北山街道", level="township", parent=county)
    builder = ProvinceBuilder(seed=seed, progress=False)
    return [
        (row.resident_id, row.name, row.address, row.mobile)
        for row in (builder.person_row([county], {county.id: [township]}) for _ in range(count))
    ]


def test_the_same_seed_builds_the_same_people_and_another_seed_does_not():
    assert sample_rows(7) == sample_rows(7)
    assert sample_rows(7) != sample_rows(8)


def test_generated_addresses_lie_in_the_persons_division():
    for _, _, address, mobile in sample_rows(3, count=50):
        assert address.startswith("浙江省杭州市西湖区北山街道")
        assert len(mobile) == 11 and mobile[0] == "1"


pytestmark = pytest.mark.xdist_group("demo_province")


@pytest.fixture(scope="module")
def province_once(django_db_setup, django_db_blocker, tmp_path_factory):
    with demo_built_once(django_db_blocker, tmp_path_factory.mktemp("lake"), seed=5) as out:
        yield out


@pytest.fixture
def built_province(province_once, db):
    return province_once


def test_demo_builds_a_consistent_province(built_province):
    assert Division.objects.count() == 1489
    assert Department.objects.count() == (1 + 11 + 90) * 11
    assert Citizen.objects.count() == 1000
    assert Company.objects.count() == 100
    for citizen in Citizen.objects.select_related("division"):
        parsed = resident_id_parse(citizen.resident_id)
        # The ID, the record and the county must tell the same story.
        assert parsed.birth_date == citizen.birth_date
        assert parsed.gender == citizen.gender
        assert parsed.division_code == citizen.division.code
        assert citizen.division.level == "county"
    for company in Company.objects.select_related("legal_representative", "division"):
        code = uscc_parse(company.uscc)
        assert code.division_code == company.division.code
        assert company.legal_representative.birth_date <= date(2004, 1, 1)


def test_demo_accounts_are_printed_and_can_sign_in(built_province):
    for spec in DEMO_STAFF:
        assert spec.username in built_province
    assert DEMO_PASSWORD in built_province
    request = RequestFactory().post("/account/login/")
    # The province's demo citizen and company have the lowest ids; the service platform's demo adds more logins.
    citizen = Citizen.objects.filter(user__isnull=False).order_by("id").first()
    company = Company.objects.filter(user__isnull=False).order_by("id").first()
    assert citizen.resident_id in built_province and company.uscc in built_province
    for login in [citizen.resident_id, company.uscc] + [spec.username for spec in DEMO_STAFF]:
        assert authenticate(request, username=login, password=DEMO_PASSWORD) is not None, login
    # Officers of two departments, a data officer, a big-data admin and a leader, each with TOTP.
    roles = {m.user.username: (m.department.name, m.roles) for m in StaffMember.objects.select_related("user", "department")}
    assert roles["hz.amr.officer"] == ("杭州市市场监督管理局", {"window_officer", "case_officer"})
    assert roles["hz.hrss.officer"] == ("杭州市人力资源和社会保障局", {"case_officer"})
    assert roles["hz.amr.data"][1] == {"data_officer"}
    assert roles["zj.bigdata.admin"] == ("浙江省大数据发展管理局", {"big_data_admin"})
    assert roles["hz.leader"][1] == {"leader"}
    assert TOTPDevice.objects.filter(confirmed=True, user__username__in=[s.username for s in DEMO_STAFF]).count() == len(
        DEMO_STAFF)


def test_demo_refuses_to_build_twice_and_if_empty_only_prints(built_province):
    users_before = User.objects.count()
    with pytest.raises(CommandError, match="already holds persons"):
        call_command("demo", scale=1, seed=5, no_progress=True, stdout=StringIO())
    out = StringIO()
    call_command("demo", scale=1, seed=5, if_empty=True, no_progress=True, stdout=out)
    assert "hz.amr.officer" in out.getvalue()
    assert (Citizen.objects.count(), User.objects.count()) == (1000, users_before)


def test_demo_otp_prints_the_current_code_for_demo_staff_only(built_province):
    from django_otp.oath import totp

    out = StringIO()
    call_command("demo_otp", "hz.leader", stdout=out, stderr=StringIO())
    device = TOTPDevice.objects.get(user__username="hz.leader")
    assert out.getvalue().strip() == f"{totp(device.bin_key):06d}"
    with pytest.raises(CommandError, match="not a demo staff account"):
        call_command("demo_otp", "someone.else", stdout=StringIO())


def test_demo_opens_assistance_cases_between_its_departments(built_province):
    from zhengtong.kernel.loops.models import Case

    states = sorted(Case.objects.filter(kind="assistance").values_list("assignee_department__code", "state"))
    assert states == [("330100-RS", "handling"), ("330100-RS", "responded"), ("330100-SJ", "assigned")]
