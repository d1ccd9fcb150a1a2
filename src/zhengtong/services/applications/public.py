"""What other modules may use of applications (办件): the services one-thing bundles build on,
frozen references to applications, the decision hooks and the events.

    from zhengtong.services.applications.public import application_ref_get, register_decision_hook

Events (published after commit, through kernel.events):
  applications.submitted            {application, reference, state, item, department, applicant_user}
  applications.concluded            (the same keys; state approved / rejected / withdrawn)
  applications.correction_requested (the same keys)
  applications.resubmitted          (the same keys)
"""

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from .evidence import Evidence, EvidenceUnavailable, register_evidence_provider, service_platform_client
from .expressions import RestrictedScriptEngine
from .hooks import ApplicationFacts, HookVerdict, register_decision_hook, unregister_decision_hook
from .models import Application, ApplicationState
from .notices import notice_create
from .services import (
    EVENT_CONCLUDED,
    EVENT_CORRECTION_REQUESTED,
    EVENT_RESUBMITTED,
    EVENT_SUBMITTED,
    application_correct,
    application_start_submitted,
    application_submit,
    application_withdraw,
    draft_answer,
    draft_start,
    material_accept,
    material_preview,
    material_upload,
    material_waive_produced,
)

__all__ = [
    "EVENT_CONCLUDED", "EVENT_CORRECTION_REQUESTED", "EVENT_RESUBMITTED", "EVENT_SUBMITTED", "ApplicationFacts",
    "ApplicationHandling", "ApplicationRef", "ApplicationState", "Evidence", "RestrictedScriptEngine", "EvidenceUnavailable", "HookVerdict", "application_answers_get",
    "application_correct",
    "application_handling_get", "application_ref_get", "application_refs_get", "application_start_submitted",
    "application_submit",
    "application_withdraw", "draft_answer", "draft_start", "material_accept", "material_preview",
    "material_upload", "material_waive_produced", "notice_create", "register_decision_hook", "register_evidence_provider",
    "service_platform_client", "unregister_decision_hook",
]


@dataclass(frozen=True)
class ApplicationRef:
    public_id: UUID
    reference: str | None
    state: str
    item_code: str
    department_id: int
    due_on: date | None
    submitted_at: datetime | None
    concluded_at: datetime | None
    instant: bool
    applicant_user_id: int
    outcome_reason: str
    implementation_id: UUID | None = None  # the implementation list applied under (guide.public)


def _ref(application: Application) -> ApplicationRef:
    return ApplicationRef(application.public_id, application.reference, application.state, application.item.code,
                          application.department_id, application.due_on, application.submitted_at,
                          application.concluded_at, application.instant, application.applicant_user_id,
                          application.outcome_reason, application.implementation.public_id)


def _uuid(value) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError):
        return None


def application_ref_get(public_id) -> ApplicationRef | None:
    """The application's reference, or None. No access check: for modules that hold the id
    because they made the application (a bundle's parts)."""
    public_id = _uuid(public_id)
    application = (Application.objects.select_related("item", "implementation").filter(public_id=public_id).first()
                   if public_id else None)
    return _ref(application) if application else None


@dataclass(frozen=True)
class ApplicationHandling:
    """Who handled an application and where: for modules attaching records to it (reviews)."""

    pk: int  # the row, for a foreign key to the application
    public_id: UUID
    item_id: int
    item_name: str
    department_id: int
    division_id: int
    officer_user_ids: tuple[int, ...]  # the staff who acted on its tasks


def application_handling_get(public_id) -> ApplicationHandling | None:
    """The application's handling facts, or None. No access check: the caller has checked the
    actor against application_ref_get first."""
    public_id = _uuid(public_id)
    application = (Application.objects.select_related("item").only(
        "public_id", "item__name", "item_id", "department_id", "division_id").filter(public_id=public_id).first()
        if public_id else None)
    if application is None:
        return None
    officers = tuple(sorted(set(application.tasks.exclude(acted_by=None).values_list("acted_by_id", flat=True))))
    return ApplicationHandling(application.pk, application.public_id, application.item_id, application.item.name,
                               application.department_id, application.division_id, officers)


def application_answers_get(public_id) -> dict | None:
    """The application's answers (question name → value), or None. No access check: for modules
    acting on the application's outcome (licences fill a licence's fields from them)."""
    public_id = _uuid(public_id)
    found = Application.objects.filter(public_id=public_id).values_list("answers", flat=True) if public_id else []
    for answers in found:
        return dict(answers or {})
    return None


def application_refs_get(public_ids) -> dict[UUID, ApplicationRef]:
    """Several at once (one query), by public id; unknown ids are left out."""
    ids = [u for u in (_uuid(v) for v in public_ids) if u is not None]
    return {a.public_id: _ref(a) for a in Application.objects.select_related("item", "implementation")
            .filter(public_id__in=ids)}
