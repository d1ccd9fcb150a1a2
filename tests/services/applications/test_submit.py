"""Submission: everything checked, routed to the service centre's window and the handling
department (一窗受理、收办分离), a reference and a promised date, the ledger entry, the event and
the notice — and a retry with the same idempotency key changes nothing."""

import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhengtong.kernel.calendar.public import add_working_days
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.applications import services
from zhengtong.services.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationTask,
    Notice,
)

from .conftest import events, fill_standard, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def ledger(kind: str) -> list[tuple[str, str, dict]]:
    return [(leaf.subject, leaf.actor, json.loads(leaf.body)["payload"])
            for leaf in LedgerLeaf.objects.filter(kind=kind).order_by("id")]


def state() -> dict:
    """What a refused submission must leave as it was."""
    return {
        "applications": list(Application.objects.order_by("id").values_list(
            "state", "reference", "idempotency_key", "submitted_at", "due_on", "workflow", "updated_at")),
        "tasks": ApplicationTask.objects.count(), "events": ApplicationEvent.objects.count(),
        "notices": Notice.objects.count(), "ledger": LedgerLeaf.objects.filter(kind__startswith="application.").count(),
        "outbox": len(events()),
    }


def test_a_submission_is_routed_referenced_logged_and_announced(people, catalogue):
    draft = fill_standard(people, catalogue)
    application = submit(people, draft)
    today = timezone.localdate()
    assert application.public_id == draft.public_id
    assert application.state == "submitted"
    assert re.fullmatch(r"330106-\d{8}-\d{8}", application.reference)
    assert application.reference[7:15] == today.strftime("%Y%m%d")
    assert application.due_on == add_working_days(today, 5)
    assert (application.idempotency_key, application.visits, application.instant) == ("key-1", 0, False)
    # 一窗受理: the intake is at the service centre (the general office), due in one working day.
    (task,) = ApplicationTask.objects.filter(application=application)
    assert (task.spec_id, task.name, task.role, task.department.code, task.state, task.due_on) == (
        "intake", "窗口受理", "window_officer", "330106-BGT", "open", add_working_days(today, 1))
    ((subject, actor, payload),) = ledger("application.submitted")
    assert (subject, actor) == (f"application:{application.public_id}", f"citizen:{people.users['citizen_a'].id}")
    assert payload == {"reference": application.reference, "item": "330106-RS-001",
                       "implementation": str(catalogue.standard.public_id),
                       "department": catalogue.standard.department_id, "division": "330106", "channel": "web",
                       "materials_waived": ["shebao"], "due_on": application.due_on.isoformat()}
    assert events("applications.submitted") == [{
        "application": str(application.public_id), "reference": application.reference, "state": "submitted",
        "item": "330106-RS-001", "department": catalogue.standard.department_id,
        "applicant_user": people.users["citizen_a"].id}]
    (notice,) = Notice.objects.all()
    assert (notice.user_id, notice.title) == (people.users["citizen_a"].id, f"Application {application.reference} received")
    assert [(e.kind, e.title) for e in ApplicationEvent.objects.filter(application=application)] == [
        ("submitted", "Application submitted")]


def test_the_same_key_again_returns_the_same_application_and_changes_nothing(people, catalogue):
    draft = fill_standard(people, catalogue)
    first = submit(people, draft)
    before = state()
    again = submit(people, draft)
    assert (again.pk, again.reference) == (first.pk, first.reference)
    # A new draft sent with the key already used: the first application is the answer.
    other = fill_standard(people, catalogue)
    before = state()
    third = submit(people, other)
    assert third.pk == first.pk
    assert state() == before
    other.refresh_from_db()
    assert other.state == "draft" and other.reference is None


def test_a_submitted_application_cannot_be_submitted_again_under_another_key(people, catalogue):
    draft = fill_standard(people, catalogue)
    first = submit(people, draft)
    before = state()
    with pytest.raises(ValidationError) as refused:
        submit(people, draft, key="key-2")
    assert refused.value.message_dict == {
        "application": [f"This application was submitted already (reference {first.reference})."]}
    assert state() == before


def test_a_submission_with_a_missing_answer_or_material_is_refused_and_changes_nothing(people, catalogue):
    actor = people.a
    draft = services.draft_start(actor=actor, implementation_id=catalogue.standard.public_id)
    services.draft_answer(actor=actor, application_id=draft.public_id, answers={"reason": "contract_end"})
    before = state()
    with pytest.raises(ValidationError) as refused:
        submit(people, draft)
    assert refused.value.message_dict == {
        "left_on": ["“离职日期”: this answer is required"],
        "materials.leaving_proof": ["“解除或终止劳动关系证明”: upload this material."],
        "materials.shebao": ["“社会保险参保证明”: fetch it from shared data, or upload it."],
    }
    assert state() == before


def test_a_previewed_but_not_accepted_material_does_not_count(people, catalogue):
    draft = fill_standard(people, catalogue)
    ApplicationMaterial.objects.filter(application=draft, material__code="shebao").update(waived=False)
    before = state()
    with pytest.raises(ValidationError) as refused:
        submit(people, draft)
    assert refused.value.message_dict == {
        "materials.shebao": ["“社会保险参保证明”: confirm the fetched document, or upload it."]}
    assert state() == before


def test_an_answer_made_invalid_after_saving_is_caught_at_submission(people, catalogue):
    draft = fill_standard(people, catalogue)
    Application.objects.filter(pk=draft.pk).update(answers={**draft.answers, "reason": "tampered"})
    before = state()
    with pytest.raises(ValidationError) as refused:
        submit(people, draft)
    assert refused.value.message_dict == {"reason": ["“离职原因”: choose one of 劳动合同到期, 被用人单位解除"]}
    assert state() == before


@pytest.mark.parametrize("key", ["", " ", "k" * 129])
def test_an_idempotency_key_is_required(people, catalogue, key):
    draft = fill_standard(people, catalogue)
    before = state()
    with pytest.raises(ValidationError) as refused:
        submit(people, draft, key=key)
    assert refused.value.message_dict == {"idempotency_key": ["Send an idempotency key of 1 to 128 characters."]}
    assert state() == before


def test_only_the_applicant_submits(people, catalogue):
    draft = fill_standard(people, catalogue)
    before = state()
    with pytest.raises(PermissionDenied):
        submit(people, draft, who="citizen_b")
    with pytest.raises(PermissionDenied):
        submit(people, draft, who="window")
    assert state() == before


def test_a_suspended_implementation_takes_no_submission(people, catalogue):
    draft = fill_standard(people, catalogue)
    catalogue.standard.status = "suspended"
    catalogue.standard.save()
    before = state()
    with pytest.raises(ValidationError) as refused:
        submit(people, draft)
    assert refused.value.message_dict == {"implementation": ["This service is not open for applications any more."]}
    assert state() == before


def test_a_company_applies_and_its_intake_is_at_its_division_s_window(people, catalogue):
    from .conftest import pdf

    company = people.actor("company")
    draft = services.draft_start(actor=company, implementation_id=catalogue.simple.public_id)
    services.draft_answer(actor=company, application_id=draft.public_id, answers={"new_name": "杭州西湖数智有限公司"})
    services.material_preview(actor=company, application_id=draft.public_id, material_code="licence")
    services.material_accept(actor=company, application_id=draft.public_id, material_code="licence")
    services.material_upload(actor=company, application_id=draft.public_id, material_code="resolution", upload=pdf())
    application = services.application_submit(actor=company, application_id=draft.public_id, idempotency_key="c-1")
    assert (application.state, application.department.code, application.company_id) == (
        "submitted", "330106-SJ", people.company.id)
    assert ApplicationTask.objects.get(application=application).department.code == "330106-BGT"
