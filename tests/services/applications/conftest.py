"""Helpers of the applications tests: a draft of the standard item filled in and ready to submit,
submitted applications, and acting on their tasks as the officers do."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengtong.kernel.events.models import OutboxEvent
from zhengtong.services.applications import services
from zhengtong.services.applications.models import Application, ApplicationTask

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
STANDARD_ANSWERS = {"reason": "contract_end", "left_on": "2025-02-28"}


def pdf(name: str = "证明.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def fill_standard(people, catalogue, who: str = "citizen_a", *, fetch: bool = True) -> Application:
    """A draft of 失业保险金申领 with every answer and material (the shared one fetched and
    accepted when `fetch`, else uploaded)."""
    actor = people.actor(who)
    draft = services.draft_start(actor=actor, implementation_id=catalogue.standard.public_id)
    services.draft_answer(actor=actor, application_id=draft.public_id, answers=STANDARD_ANSWERS)
    services.material_upload(actor=actor, application_id=draft.public_id, material_code="leaving_proof", upload=pdf())
    if fetch:
        services.material_preview(actor=actor, application_id=draft.public_id, material_code="shebao")
        services.material_accept(actor=actor, application_id=draft.public_id, material_code="shebao")
    else:
        services.material_upload(actor=actor, application_id=draft.public_id, material_code="shebao",
                                 upload=pdf("参保证明.pdf"))
    draft.refresh_from_db()
    return draft


def submit(people, draft: Application, who: str = "citizen_a", key: str = "key-1") -> Application:
    return services.application_submit(actor=people.actor(who), application_id=draft.public_id, idempotency_key=key)


def open_task(application: Application, spec_id: str | None = None) -> ApplicationTask:
    tasks = ApplicationTask.objects.filter(application=application, state="open")
    if spec_id:
        tasks = tasks.filter(spec_id=spec_id)
    return tasks.get()


def act(people, who: str, application: Application, spec_id: str, outcome: str, note: str = "") -> ApplicationTask:
    return services.task_act(actor=people.actor(who), task_id=open_task(application, spec_id).public_id,
                             outcome=outcome, note=note)


def events(name: str | None = None) -> list[dict]:
    rows = OutboxEvent.objects.order_by("occurred_at", "id")
    if name:
        rows = rows.filter(name=name)
    return [row.payload for row in rows]


@pytest.fixture
def submitted(people, catalogue) -> Application:
    """A's 失业保险金申领, submitted (waiting for intake at the service centre)."""
    return submit(people, fill_standard(people, catalogue))
