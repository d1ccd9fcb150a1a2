"""Measures from the application rows: online, phone and zero-trip rates, materials waived,
instant approvals, on-time rate and handling time in working days — per item and department,
scoped to what the actor may see."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from zhengtong.services.applications import services
from zhengtong.services.applications.models import Application
from zhengtong.services.applications.selectors import measures

from .conftest import act, fill_standard, pdf, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
CHINA = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=CHINA)


@pytest.fixture
def handled(people, catalogue):
    """Three applications of Xihu's human resources bureau and one of its market regulator."""
    first = submit(people, fill_standard(people, catalogue))  # web, 1 of 2 materials fetched
    act(people, "window", first, "intake", "approve")
    act(people, "rs_case", first, "review", "done")
    act(people, "rs_leader", first, "approve", "approve")
    Application.objects.filter(pk=first.pk).update(submitted_at=at(3), concluded_at=at(6), due_on=date(2025, 3, 10))

    instant = services.application_start_submitted(actor=people.a, implementation_id=catalogue.instant.public_id,
                                                   answers={}, idempotency_key="i-1")

    late = submit(people, fill_standard(people, catalogue, "citizen_b", fetch=False), who="citizen_b")
    act(people, "window", late, "intake", "approve")
    act(people, "rs_case", late, "review", "reject", note="不符合条件")
    Application.objects.filter(pk=late.pk).update(submitted_at=at(3), concluded_at=at(14), due_on=date(2025, 3, 10),
                                                  channel="mobile", visits=1)

    company = people.actor("company")
    draft = services.draft_start(actor=company, implementation_id=catalogue.simple.public_id)
    services.draft_answer(actor=company, application_id=draft.public_id, answers={"new_name": "杭州西湖数智有限公司"})
    services.material_upload(actor=company, application_id=draft.public_id, material_code="licence", upload=pdf())
    services.material_upload(actor=company, application_id=draft.public_id, material_code="resolution", upload=pdf())
    services.application_submit(actor=company, application_id=draft.public_id, idempotency_key="c-1")
    # A draft is never counted.
    services.draft_start(actor=people.b, implementation_id=catalogue.standard.public_id)
    return {"first": first, "instant": instant, "late": late}


def row(measure) -> tuple:
    return (measure.scope, measure.key, measure.submitted, measure.online, measure.phone, measure.zero_trip,
            measure.materials, measure.materials_waived, measure.instant_approvals, measure.decided, measure.on_time,
            measure.handling_days)


def test_a_department_sees_its_own_measures(people, handled):
    total, *rest = measures(actor=people.actor("rs_case"))
    assert row(total) == ("total", "", 3, 3, 1, 2, 5, 2, 1, 3, 2, 12)
    assert (total.online_rate, total.phone_rate, total.zero_trip_rate, total.materials_waived_rate,
            total.on_time_rate, total.average_handling_days) == (1.0, 0.3333, 0.6667, 0.4, 0.6667, 4.0)
    assert [row(m) for m in rest] == [
        ("item", "330106-RS-001", 2, 2, 1, 1, 4, 1, 0, 2, 1, 12),
        ("item", "330106-RS-002", 1, 1, 0, 1, 1, 1, 1, 1, 1, 0),
        ("department", "330106-RS", 3, 3, 1, 2, 5, 2, 1, 3, 2, 12),
    ]
    assert rest[0].label == "失业保险金申领"


def test_filters_narrow_the_measures(people, handled):
    (total, item, department) = measures(actor=people.actor("rs_leader"), item_code="330106-RS-001")
    assert row(total) == ("total", "", 2, 2, 1, 1, 4, 1, 0, 2, 1, 12)
    (total, *_rest) = measures(actor=people.actor("rs_case"), since=date(2025, 3, 1), until=date(2025, 3, 5))
    assert total.submitted == 2


def test_the_county_s_leaders_and_the_big_data_bureau_see_the_whole_county(people, handled):
    for who in ("xihu_leader", "xihu_dsj_admin"):
        total, *rest = measures(actor=people.actor(who))
        assert (total.submitted, [m.key for m in rest if m.scope == "department"]) == (4, ["330106-RS", "330106-SJ"])
    assert measures(actor=people.actor("sj_case"))[0].submitted == 1


def test_outside_the_county_nothing_is_counted_and_applicants_see_no_measures(people, handled):
    (total,) = measures(actor=people.actor("binjiang_rs_case"))
    assert (total.submitted, total.online_rate, total.on_time_rate, total.average_handling_days) == (0, None, None, None)
    with pytest.raises(PermissionDenied):
        measures(actor=people.a)
