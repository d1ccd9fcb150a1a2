"""Helpers of the reviews tests: applications made as direct rows (their own write path is tested in
tests/services/applications), in the state a review needs, with a task an officer acted on."""

import uuid

import pytest
from django.utils import timezone

from tests.services.conftest import implementation_make, item_make
from zhengtong.kernel.org.models import Department
from zhengtong.services.applications.models import Application, ApplicationState, ApplicationTask


@pytest.fixture
def implementation(people):
    return implementation_make(item_make("330106-RS-001", "失业保险金申领", item_type="benefit"),
                               department="330106-RS")


@pytest.fixture
def application_make(people, implementation):
    counter = iter(range(1, 1000))

    def make(who: str = "citizen_a", state: str = ApplicationState.APPROVED, officer: str | None = "rs_case"):
        user = people.user(who)
        concluded = state in (ApplicationState.APPROVED, ApplicationState.REJECTED, ApplicationState.WITHDRAWN)
        application = Application.objects.create(
            implementation=implementation, item=implementation.item, applicant_user=user,
            division=implementation.division, department=implementation.department, state=state,
            reference=None if state == ApplicationState.DRAFT else f"RV{next(counter):06d}",
            submitted_at=None if state == ApplicationState.DRAFT else timezone.now(),
            concluded_at=timezone.now() if concluded else None,
        )
        if officer:
            ApplicationTask.objects.create(
                application=application, spec_id="review", workflow_task_id=str(uuid.uuid4()), name="审核",
                role="case_officer", department=Department.objects.get(code="330106-RS"), state="done",
                outcome="approve", acted_by=people.user(officer), completed_at=timezone.now(),
            )
        return application

    return make
