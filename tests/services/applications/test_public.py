"""What other modules use of applications: frozen references, the platform's API client, the
periodic jobs."""

from datetime import timedelta

import pytest

from zhengtong.kernel.identity.models import ApiClient
from zhengtong.services.applications import public, tasks
from zhengtong.services.applications.evidence import service_platform_client

from .conftest import act

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_application_refs_are_frozen_and_found_by_public_id(people, submitted):
    ref = public.application_ref_get(submitted.public_id)
    assert (ref.public_id, ref.reference, ref.state, ref.item_code, ref.department_id, ref.due_on, ref.instant) == (
        submitted.public_id, submitted.reference, "submitted", "330106-RS-001", submitted.department_id,
        submitted.due_on, False)
    with pytest.raises(AttributeError):
        ref.state = "approved"
    assert public.application_ref_get("00000000-0000-0000-0000-000000000000") is None
    assert public.application_ref_get("nonsense") is None
    assert list(public.application_refs_get([str(submitted.public_id), "nonsense"])) == [submitted.public_id]


def test_the_service_platform_has_one_api_client_at_the_province_s_big_data_bureau(departments):
    first = service_platform_client()
    assert service_platform_client().pk == first.pk
    assert (first.name, first.department.code) == ("浙江政务服务网（一网通办）", "330000-DSJ")
    assert ApiClient.objects.filter(name="浙江政务服务网（一网通办）").count() == 1


def test_the_periodic_jobs_escalate_and_fire_timers(people, submitted, monkeypatch):
    from zhengtong.services.applications import services

    assert [interval for _job, interval in tasks.JOBS] == [600, 300]
    assert tasks.applications_escalate_job() == 0 and tasks.applications_timers_job() == 0
    act(people, "window", submitted, "intake", "correct", note="请补充")
    later = services.now() + timedelta(days=60)
    monkeypatch.setattr(services, "now", lambda: later)
    assert tasks.applications_timers_job() == 1
    submitted.refresh_from_db()
    assert submitted.state == "rejected"
