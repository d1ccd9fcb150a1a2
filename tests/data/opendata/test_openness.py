"""The openness index per department: exact numbers for the fixtures, public datasets only."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.data.opendata.conftest import Codes
from zhengtong.data.opendata import services
from zhengtong.data.opendata.models import OpenDataset
from zhengtong.data.opendata.openness import METADATA_CRITERIA, WEIGHTS, combined_index, metadata_checks, openness_index
from zhengtong.kernel.org.models import Department

pytestmark = pytest.mark.django_db


def by_code() -> dict:
    return {entry.department_code: entry for entry in openness_index()}


def test_weights_add_up_to_a_hundred():
    assert sum(weight for weight, _label in WEIGHTS.values()) == 100
    assert combined_index({"open_share": Decimal(1), "stars": Decimal(1), "quality": Decimal(1),
                           "metadata": Decimal(1), "requests": Decimal(1)}) == Decimal("100.0")
    assert combined_index({"open_share": Decimal(0), "stars": None, "quality": None, "metadata": None,
                           "requests": None}) == Decimal("0.0")


def test_the_index_of_the_fixtures(open_world_unserved):
    entries = openness_index()
    # Only departments with public datasets; 西湖区公安局's datasets are all hidden.
    assert [(e.rank, e.department_code) for e in entries] == [(1, "330200-GA"), (2, "330106-SJ")]
    ningbo, sj = entries
    assert (sj.department_name, sj.datasets, sj.open_to_everyone, sj.open_share) == (
        "西湖区市场监督管理局", 2, 1, Decimal("0.5000"))
    assert (sj.mean_stars, sj.mean_quality, sj.quality_scored) == (Decimal("0.00"), None, 0)
    # keywords, theme, spatial coverage, licence, up to date: 5 of 8 each.
    assert sj.metadata_completeness == Decimal("0.6250")
    assert (sj.requests_due, sj.requests_on_time, sj.on_time_share) == (0, 0, None)
    # (20 × 0.5 + 15 × 0 + 30 × 0.625) / 65 × 100
    assert sj.index == Decimal("44.2")
    # Ningbo's dataset has no data: not up to date, 4 of 8. (20 × 1 + 30 × 0.5) / 65 × 100
    assert (ningbo.datasets, ningbo.open_share, ningbo.metadata_completeness) == (1, Decimal("1.0000"), Decimal("0.5000"))
    assert ningbo.index == Decimal("53.8")
    assert (sj.open_percent, sj.metadata_percent, sj.on_time_percent) == (Decimal("50.0"), Decimal("62.5"), None)


def test_requests_answered_on_time_count(open_world_unserved, people):
    request = services.data_request_submit(requester_user=people.users["developer"], title="停车泊位数据",
                                           description="希望开放停车场泊位数据，用于导航。",
                                           department=Department.objects.get(code="330106-SJ"))
    services.data_request_submit(requester_user=people.users["other"], title="交通违法窗口排队数据",
                                 description="希望开放各窗口的实时排队人数。",
                                 department=Department.objects.get(code="330200-GA"))
    # Not yet due, not yet answered: nothing counts.
    assert by_code()["330200-GA"].requests_due == 0
    services.data_request_answer(actor=people.actor("sj_data"), request=request, answer="已开放。", outcome="opened",
                                 dataset=OpenDataset.objects.get(resource_code=Codes.OPEN))
    sj = by_code()["330106-SJ"]
    assert (sj.requests_due, sj.requests_on_time, sj.on_time_share) == (1, 1, Decimal("1.0000"))
    # (10 + 0 + 18.75 + 15 × 1) / 80 × 100
    assert sj.index == Decimal("54.7")
    # Sixty days on, Ningbo's request is overdue and unanswered; the SJ datasets are out of date.
    later = {e.department_code: e for e in openness_index(today=services.china_today() + timedelta(days=60))}
    assert (later["330200-GA"].requests_due, later["330200-GA"].requests_on_time) == (1, 0)
    assert later["330200-GA"].index == Decimal("43.8")  # (20 + 15 + 0) / 80
    assert later["330106-SJ"].metadata_completeness == Decimal("0.5000")
    assert later["330106-SJ"].index == Decimal("50.0")  # (10 + 15 + 15) / 80


def test_every_metadata_criterion_can_be_met(open_world_unserved):
    dataset = OpenDataset.objects.get(resource_code=Codes.OPEN)
    assert sum(metadata_checks(dataset, services.china_today()).values()) == 5
    dataset.description = "许" * 100
    dataset.temporal_start = services.china_today()
    dataset.contact_email = "data@example.org"
    assert metadata_checks(dataset, services.china_today()) == {name: True for name in METADATA_CRITERIA}
    dataset.description = "许" * 99
    dataset.keywords = [" "]
    assert {k for k, v in metadata_checks(dataset, services.china_today()).items() if not v} == {"description", "keywords"}
