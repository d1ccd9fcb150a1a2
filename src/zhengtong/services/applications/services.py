"""Writes of applications (办件): drafts with pre-filled answers, materials fetched or uploaded,
idempotent submission with routing, processes and instant decisions, officers' acts on tasks,
corrections (补正), withdrawal, escalation of overdue tasks and the correction timers.

Every service takes the actor first and keyword-only arguments, checks who may do it before
anything else, and changes nothing when it refuses (ValidationError keyed by field, or
PermissionDenied). The change, its ledger entry and its events share one transaction. Reads of
other departments' data (pre-fill, evidence) go through the sharing gateway before the
transaction opens: the gateway commits its own log of every call.
"""

import json
import logging
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _, pgettext_lazy

from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.org.public import department_escalation_target
from zhengtong.services.guide.public import ImplementationRef, form_field_validate, implementation_get

from . import workflow
from .evidence import (
    LOCKED_PREFILLS,
    REGISTRY_SERVICE,
    Applicant,
    EvidenceUnavailable,
    Lookups,
    applicant_of,
    evidence_fetch,
    prefill_fetch,
    prefill_value,
)
from .hooks import ApplicationFacts, hooks_run
from .models import (
    CONCLUDED_STATES,
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationState,
    ApplicationTask,
    Channel,
    Decision,
    Notice,
    TaskState,
)
from .notices import notice_create
from .routing import (
    APPLICANT_LANE,
    INTAKE_LANE,
    application_due_on,
    intake_department,
    lane_department_id,
    reference_new,
    task_due_on,
)
from .uploads import upload_check

logger = logging.getLogger(__name__)

EVENT_SUBMITTED = "applications.submitted"
EVENT_CONCLUDED = "applications.concluded"
EVENT_CORRECTION_REQUESTED = "applications.correction_requested"
EVENT_RESUBMITTED = "applications.resubmitted"

IDEMPOTENCY_KEY_MAX_LENGTH = 128
NOTE_MAX_LENGTH = 2000
OPEN_STATES = (ApplicationState.SUBMITTED, ApplicationState.IN_PROGRESS, ApplicationState.CORRECTION)
EDITABLE_STATES = (ApplicationState.DRAFT, ApplicationState.CORRECTION)
FETCHED_SOURCES = ("shared", "licence")
NOTE_REQUIRED = ("reject", "correct")
CITY_PREFIX_LENGTH = 4
PROVINCE_PREFIX_LENGTH = 2


# --- small shared pieces ----------------------------------------------------------------------


def now() -> datetime:
    return timezone.now()


def china_today() -> date:
    return timezone.localdate(now())


def actor_label(actor: Actor | None) -> str:
    """Who acted, as the ledger names them (the registry's and exchange's scheme)."""
    if actor is None:
        return "system"
    if actor.kind == "api_client":
        return f"api_client:{actor.api_client_id}"
    if actor.user_id is not None:
        return f"{actor.kind}:{actor.user_id}"
    return actor.kind


def _uuid(value, field: str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: _("“%(value)s” is not a valid identifier.") % {"value": value}},
                              code="invalid") from None


def _applicant(actor: Actor) -> Applicant:
    applicant = applicant_of(actor)
    if applicant is None:
        raise PermissionDenied(gettext("Only a signed-in citizen or company applies for a service."))
    return applicant


def _own_application(actor: Actor, application_id, *, lock: bool = True) -> Application:
    """The actor's own application, locked for the change; PermissionDenied for anyone else's."""
    if actor.user_id is None or actor.kind not in ("citizen", "company"):
        raise PermissionDenied(gettext("Only the applicant may change an application."))
    rows = Application.objects.select_related("implementation", "item")
    if lock:
        rows = rows.select_for_update(of=("self",))
    application = rows.filter(public_id=_uuid(application_id, "application")).first()
    if application is None:
        raise Application.DoesNotExist(f"no application {application_id}")
    if application.applicant_user_id != actor.user_id:
        raise PermissionDenied(gettext("This is not your application."))
    return application


def _implementation(application: Application) -> ImplementationRef:
    return implementation_get(public_id=application.implementation.public_id)


def _event(application: Application, kind: str, title, note: str = "", actor_label_text: str = "",
           visible: bool = True) -> ApplicationEvent:
    return ApplicationEvent.objects.create(application=application, kind=kind, title=str(title)[:200], note=note,
                                           actor_label=str(actor_label_text)[:128], visible_to_applicant=visible)


def _application_url(application: Application) -> str:
    return reverse("applications:detail", args=[application.public_id])


def _item_code(application: Application) -> str:
    """The application's item code: as the submission knew it (no query), else from its item."""
    return getattr(application, "known_item_code", "") or application.item.code


def _event_payload(application: Application) -> dict:
    return {
        "application": str(application.public_id),
        "reference": application.reference,
        "state": application.state,
        "item": _item_code(application),
        "department": application.department_id,
        "applicant_user": application.applicant_user_id,
    }


def _serving_allows(serving: str, applicant: Applicant) -> bool:
    return serving == "both" or serving == applicant.kind


# --- answers ------------------------------------------------------------------------------------


def _locked(field) -> bool:
    return field.prefill in LOCKED_PREFILLS


def _answers_check(implementation: ImplementationRef, application: Application, answers: dict) -> dict[str, str]:
    """The given answers normalised; ValidationError keyed by field for an unknown (forged) field,
    a read-only identifier changed, or an invalid answer. Only the given fields are checked."""
    if not isinstance(answers, dict):
        raise ValidationError({"answers": _("The answers must be a mapping of field names to text.")},
                              code="invalid")
    errors: dict[str, list] = {}
    clean: dict[str, str] = {}
    for name, raw in answers.items():
        field = implementation.form_field(str(name))
        if field is None:
            errors[str(name)[:64]] = [ValidationError(
                _("“%(name)s” is not a question of this form."), code="unknown_field", params={"name": str(name)[:64]})]
            continue
        if raw is not None and not isinstance(raw, (str, int, float, Decimal)):
            errors[name] = [ValidationError(_("“%(label)s”: the answer must be text."), code="invalid",
                                            params={"label": field.label})]
            continue
        try:
            value = form_field_validate(field, None if raw is None else str(raw))
        except ValidationError as error:
            errors[name] = error.error_list
            continue
        if _locked(field):
            fetched = _fetched_value(application, name)
            if fetched is not None and value != fetched:
                errors[name] = [ValidationError(
                    _("“%(label)s” comes from your real-name account and cannot be changed."), code="read_only",
                    params={"label": field.label})]
                continue
        clean[name] = value
    if errors:
        raise ValidationError(errors)
    return clean


def _fetched_value(application: Application, name: str) -> str | None:
    """The value fetched for a field (before the applicant changed it), if it was fetched."""
    provenance = (application.provenance or {}).get(name)
    if not provenance:
        return None
    if provenance.get("source") == "applicant":
        fetched = provenance.get("fetched")
        return fetched.get("value") if fetched else None
    return provenance.get("value", (application.answers or {}).get(name))


def _answers_save(application: Application, clean: dict[str, str]) -> None:
    """Store the answers and their provenance: unchanged fetched values keep the source; a changed
    or typed answer is the applicant's (changed=True when it differs from what was fetched)."""
    answers = dict(application.answers or {})
    provenance = dict(application.provenance or {})
    at = now().isoformat()
    for name, value in clean.items():
        answers[name] = value
        current = provenance.get(name)
        fetched = None
        if current:
            fetched = current.get("fetched") if current.get("source") == "applicant" else {
                **current, "value": current.get("value", (application.answers or {}).get(name))}
        if fetched is not None and fetched.get("value") == value:
            restored = dict(fetched)
            restored["changed"] = False
            provenance[name] = restored
        else:
            entry = {"source": "applicant", "label": str(_("Entered by the applicant")), "at": at,
                     "changed": fetched is not None}
            if fetched is not None:
                entry["fetched"] = fetched
            provenance[name] = entry
    application.answers = answers
    application.provenance = provenance


def _complete_errors(implementation: ImplementationRef, application: Application,
                     materials: list[ApplicationMaterial] | None = None) -> dict[str, list]:
    """What is missing or invalid for submission: every field, every required material (the
    application's material rows, read unless given)."""
    errors: dict[str, list] = {}
    answers = application.answers or {}
    for field in implementation.form_fields:
        try:
            form_field_validate(field, answers.get(field.name, ""))
        except ValidationError as error:
            errors[field.name] = error.error_list
    present = {m.material_id: m for m in (application.materials.all() if materials is None else materials)}
    for material in implementation.materials:
        row = present.get(material.id)
        provided = row is not None and (row.waived or bool(row.file))
        if material.required and not provided:
            if material.source in FETCHED_SOURCES and row is not None and row.previewed_at and not row.waived:
                message = _("“%(material)s”: confirm the fetched document, or upload it.")
            elif material.source in FETCHED_SOURCES:
                message = _("“%(material)s”: fetch it from shared data, or upload it.")
            else:
                message = _("“%(material)s”: upload this material.")
            errors[f"materials.{material.code}"] = [ValidationError(message, code="material_missing",
                                                                    params={"material": material.name})]
    return errors


# --- drafts -------------------------------------------------------------------------------------


def draft_start(*, actor: Actor, implementation_id, channel: str = Channel.WEB) -> Application:
    """A new draft for the implementation, each pre-filled field fetched from the registries
    through the sharing gateway (as the service platform), with its provenance."""
    applicant = _applicant(actor)
    implementation = _implementation_open(applicant, implementation_id, channel)
    public_id = uuid.uuid4()
    answers, provenance = _prefill(implementation, applicant, correlation_id=public_id.hex)
    application = _draft_new(implementation, applicant, public_id=public_id, channel=channel, answers=answers,
                             provenance=provenance)
    with transaction.atomic():
        application.save(force_insert=True)
    return application


def _implementation_open(applicant: Applicant, implementation_id, channel: str) -> ImplementationRef:
    """The published implementation the applicant may apply for through this channel."""
    implementation = implementation_get(public_id=_uuid(implementation_id, "implementation"))
    if implementation is None or implementation.status != "published":
        raise ValidationError({"implementation": _("This service is not open for applications.")},
                              code="not_published")
    if not _serving_allows(implementation.serving, applicant):
        raise PermissionDenied(gettext("This service is for %(serving)s only.") % {
            "serving": gettext("companies") if implementation.serving == "company" else gettext("citizens")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("“%(channel)s” is not a channel (web, mobile, counter).")
                               % {"channel": channel}}, code="invalid")
    if channel == Channel.WEB and not implementation.online:
        raise ValidationError({"channel": _("This service cannot be applied for online.")}, code="not_online")
    if channel == Channel.MOBILE and not implementation.mobile:
        raise ValidationError({"channel": _("This service cannot be applied for on a phone.")}, code="not_mobile")
    return implementation


def _draft_new(implementation: ImplementationRef, applicant: Applicant, *, public_id: UUID, channel: str,
               answers: dict, provenance: dict) -> Application:
    """An unsaved draft of the implementation (its division and department are its own rows)."""
    return Application(
        public_id=public_id, implementation_id=implementation.id, item_id=implementation.item_id,
        applicant_user_id=applicant.user_id, citizen_id=applicant.citizen_id, company_id=applicant.company_id,
        division_id=implementation.division_id, department_id=implementation.department_id,
        state=ApplicationState.DRAFT, channel=channel, answers=answers, provenance=provenance,
    )


def _prefill(implementation: ImplementationRef, applicant: Applicant, *, correlation_id: str,
             lookups: Lookups | None = None) -> tuple[dict, dict]:
    wanted: dict[str, list[str]] = {"person": [], "company": []}
    for field in implementation.form_fields:
        subject, _dot, attribute = field.prefill.partition(".")
        if subject in wanted and attribute and attribute not in wanted[subject]:
            if subject == "company" and applicant.kind != "company":
                continue
            wanted[subject].append(attribute)
    lookups = lookups or Lookups()
    fetched = {subject: prefill_fetch(applicant=applicant, subject=subject, attributes=attributes,
                                      correlation_id=correlation_id, lookups=lookups)
               for subject, attributes in wanted.items() if attributes}
    answers: dict[str, str] = {}
    provenance: dict[str, dict] = {}
    for field in implementation.form_fields:
        subject, _dot, attribute = field.prefill.partition(".")
        found = fetched.get(subject)
        if found is None or attribute not in found.values:
            continue
        value = prefill_value(found.values[attribute], kind=field.kind, choices=field.choices)
        try:  # a fetched value the form would refuse is offered as is for the applicant to fix
            value = form_field_validate(field, value) or value
        except ValidationError:
            pass
        answers[field.name] = value
        provenance[field.name] = {**found.provenance[attribute], "value": value}
    return answers, provenance


def draft_answer(*, actor: Actor, application_id, answers: dict, step: str = "") -> Application:
    """Save some answers of a draft (only the given fields are checked)."""
    with transaction.atomic():
        application = _own_application(actor, application_id)
        if application.state != ApplicationState.DRAFT:
            raise ValidationError({"application": _("Only a draft can be changed; this application is “%(state)s”.")
                                   % {"state": application.get_state_display()}}, code="not_draft")
        implementation = _implementation(application)
        clean = _answers_check(implementation, application, answers)
        _answers_save(application, clean)
        if step:
            application.draft_step = str(step)[:64]
        application.save(update_fields=["answers", "provenance", "draft_step", "updated_at"])
    return application


# --- materials ----------------------------------------------------------------------------------


def _material_of(implementation: ImplementationRef, code: str):
    material = implementation.material(str(code))
    if material is None:
        raise ValidationError({"material": _("“%(code)s” is not a material of this service.") % {"code": str(code)[:64]}},
                              code="unknown_material")
    return material


def _editable(application: Application) -> None:
    if application.state not in EDITABLE_STATES:
        raise ValidationError({"application": _("The materials of this application cannot be changed now (“%(state)s”).")
                               % {"state": application.get_state_display()}}, code="not_editable")


def material_preview(*, actor: Actor, application_id, material_code: str) -> ApplicationMaterial:
    """Fetch the evidence of a SHARED or LICENCE material for the applicant to look at (not yet
    accepted: `waived` stays False until material_accept)."""
    applicant = _applicant(actor)
    with transaction.atomic():  # checks first, without holding a lock over the gateway call
        application = _own_application(actor, application_id, lock=False)
        _editable(application)
        material = _material_of(_implementation(application), material_code)
    if material.source not in FETCHED_SOURCES:
        raise ValidationError({material.code: _("“%(material)s” is not fetched from shared data: upload it.")
                               % {"material": material.name}}, code="not_fetched")
    try:
        evidence = evidence_fetch(material=material, applicant=applicant, correlation_id=application.public_id.hex)
    except EvidenceUnavailable as error:
        raise ValidationError({material.code: error.message}, code="evidence_unavailable") from None
    with transaction.atomic():
        application = _own_application(actor, application_id)
        _editable(application)
        row, _created = ApplicationMaterial.objects.update_or_create(
            application=application, material_id=material.id,
            defaults={"source": material.source, "waived": False, "evidence": evidence.as_json(),
                      "evidence_ref": evidence.ref, "previewed_at": now(), "file": None, "file_name": "",
                      "content_type": "", "size": 0, "sha256": ""},
        )
    return row


def material_accept(*, actor: Actor, application_id, material_code: str) -> ApplicationMaterial:
    """The applicant accepts the previewed evidence instead of submitting the material (免提交)."""
    with transaction.atomic():
        application = _own_application(actor, application_id)
        _editable(application)
        material = _material_of(_implementation(application), material_code)
        row = ApplicationMaterial.objects.filter(application=application, material_id=material.id).first()
        if row is None or row.previewed_at is None or not row.evidence or row.source not in FETCHED_SOURCES:
            raise ValidationError({material.code: _("“%(material)s”: look at the fetched document before accepting it.")
                                   % {"material": material.name}}, code="not_previewed")
        if not row.waived:
            row.waived = True
            row.save(update_fields=["waived"])
    return row


def material_upload(*, actor: Actor, application_id, material_code: str, upload) -> ApplicationMaterial:
    """Upload a material (any material may be uploaded, a fetchable one too): its content type,
    extension and size are checked against the material's rules."""
    with transaction.atomic():
        application = _own_application(actor, application_id)
        _editable(application)
        material = _material_of(_implementation(application), material_code)
        checked = upload_check(upload=upload, code=material.code, material_name=material.name,
                               accepted_types=material.accepted_types, max_bytes=material.max_bytes)
        row = ApplicationMaterial.objects.filter(application=application, material_id=material.id).first()
        old_file = row.file.name if row is not None and row.file else ""
        if row is None:
            row = ApplicationMaterial(application=application, material_id=material.id)
        row.source = "upload"
        row.waived = False
        row.evidence = None
        row.evidence_ref = ""
        row.previewed_at = None
        row.file_name = checked.file_name
        row.content_type = checked.content_type
        row.size = checked.size
        row.sha256 = checked.sha256
        row.file.save(checked.content.name, checked.content, save=False)
        new_file, storage = row.file.name, row.file.storage
        try:
            row.save()
        except Exception:
            storage.delete(new_file)
            raise
        # The replaced file goes once the new one is kept. (A file whose outer transaction rolls
        # back later stays on disk unreferenced: harmless, and rarer than a lost upload.)
        if old_file and old_file != new_file:
            transaction.on_commit(lambda: storage.delete(old_file))
    return row


def material_waive_produced(*, actor: Actor, application_id, material_code: str,
                            produced_by: str) -> ApplicationMaterial:
    """For one-thing bundles: a PRODUCED material that another part of the bundle makes."""
    produced_by = str(produced_by or "").strip()
    with transaction.atomic():
        application = _own_application(actor, application_id)
        _editable(application)
        material = _material_of(_implementation(application), material_code)
        if material.source != "produced":
            raise ValidationError({material.code: _("“%(material)s” is not produced by another service.")
                                   % {"material": material.name}}, code="not_produced")
        if not produced_by:
            raise ValidationError({"produced_by": _("Say which application produces this material.")},
                                  code="required")
        row, _created = ApplicationMaterial.objects.update_or_create(
            application=application, material_id=material.id,
            defaults={"source": "produced", "waived": True, "evidence": {"produced_by": produced_by},
                      "evidence_ref": produced_by[:200], "previewed_at": now()},
        )
    return row


# --- submission ---------------------------------------------------------------------------------


def _key_check(idempotency_key: str) -> str:
    key = str(idempotency_key or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationError({"idempotency_key": _("Send an idempotency key of 1 to %(max)s characters.")
                               % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}}, code="idempotency_key")
    return key


def _by_key(actor: Actor, key: str) -> Application | None:
    return (Application.objects.select_related("implementation", "item")
            .filter(applicant_user_id=actor.user_id, idempotency_key=key).first())


def application_submit(*, actor: Actor, application_id, idempotency_key: str) -> Application:
    """Submit a draft: check everything, route it, give it a reference, start its process, run
    the decision hooks and (for instant items) its decision table. A retry with the same key
    returns the application the key first submitted and changes nothing."""
    applicant = _applicant(actor)
    key = _key_check(idempotency_key)
    existing = _by_key(actor, key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _submit(actor, applicant, application_id, key)
    except IntegrityError:
        # A concurrent submission with the same key won the race: answer with its application.
        existing = _by_key(actor, key)
        if existing is not None:
            existing.replayed = True
            return existing
        raise


def _submit(actor: Actor, applicant: Applicant, application_id, key: str) -> Application:
    application = _own_application(actor, application_id)
    if application.state != ApplicationState.DRAFT:
        if application.idempotency_key == key:
            return application
        raise ValidationError({"application": _("This application was submitted already (reference %(reference)s).")
                               % {"reference": application.reference or "-"}}, code="submitted")
    implementation = _implementation(application)
    if implementation is None or implementation.status != "published":
        raise ValidationError({"implementation": _("This service is not open for applications any more.")},
                              code="not_published")
    return _submit_draft(actor, applicant, application, implementation, key, list(application.materials.all()))


def _submit_draft(actor: Actor, applicant: Applicant, application: Application, implementation: ImplementationRef,
                  key: str, materials: list[ApplicationMaterial]) -> Application:
    """Submit a draft (locked, or made in this transaction) of this published implementation,
    whose material rows are `materials`."""
    errors = _complete_errors(implementation, application, materials)
    if errors:
        raise ValidationError(errors)
    today = china_today()
    intake = intake_department(implementation.division_code, division_id=implementation.division_id)
    application.reference = _reference(implementation.division_code, today)
    application.idempotency_key = key
    application.submitted_at = now()
    application.due_on = application_due_on(today, implementation.promised_days)
    application.visits = max(implementation.visits, 1 if application.channel == Channel.COUNTER else 0)
    application.state = ApplicationState.SUBMITTED
    application.known_item_code = implementation.item_code  # not a column: spares reading the item again
    # Not saved here: whatever follows (a hook's refusal, the instant decision, the process's first
    # tasks) ends in _conclude or _apply, which save the row once with all of it.
    codes = {material.id: material.code for material in implementation.materials}
    waived = [codes[m.material_id] for m in _in_material_order(implementation, materials)
              if m.waived and m.material_id in codes]
    _event(application, "submitted", _("Application submitted"),
           gettext("Reference %(reference)s; promised by %(due)s.") % {
               "reference": application.reference, "due": application.due_on.isoformat()},
           actor_label_text=gettext("Applicant"))
    ledger_append(kind="application.submitted", subject=f"application:{application.public_id}",
                  actor=actor_label(actor), payload={
                      "reference": application.reference, "item": implementation.item_code,
                      "implementation": str(implementation.public_id), "department": implementation.department_id,
                      "division": implementation.division_code, "channel": application.channel,
                      "materials_waived": waived, "due_on": application.due_on.isoformat()})
    publish(EVENT_SUBMITTED, _event_payload(application))
    notice_create(user_id=application.applicant_user_id, application=application,
                  title=gettext("Application %(reference)s received") % {"reference": application.reference},
                  body=gettext("%(item)s: promised by %(due)s.") % {"item": implementation.item_name,
                                                                    "due": application.due_on.isoformat()},
                  url=_application_url(application))

    facts = ApplicationFacts(
        public_id=application.public_id, item_code=implementation.item_code,
        implementation_id=implementation.public_id, department_id=implementation.department_id,
        division_code=implementation.division_code, applicant_kind=applicant.kind,
        resident_id=applicant.resident_id, uscc=applicant.uscc, instant=implementation.instant,
        answers=dict(application.answers or {}),
    )
    verdicts = hooks_run(facts)
    strict = False
    for name, verdict in verdicts:
        Decision.objects.create(application=application, source=f"hook:{name}", inputs={"item": facts.item_code},
                                outputs={"outcome": verdict.outcome, "reason": verdict.reason}, matched_rules=[],
                                outcome=verdict.outcome, explanation=verdict.reason)
        _event(application, "hook", _("Check by %(name)s: %(outcome)s") % {"name": name, "outcome": verdict.outcome},
               verdict.reason, actor_label_text=name)
        strict = strict or verdict.outcome == "strict"
    refusal = next((verdict for _name, verdict in verdicts if verdict.outcome == "refuse"), None)
    if refusal is not None:
        _conclude(application, ApplicationState.REJECTED, refusal.reason, actor=None)
        return application

    if implementation.instant:
        table = implementation.decision
        outcome, decision = _decide_instant(application, implementation, applicant, table, materials)
        data = {"decision_table": table, "decision_outcome": "manual" if strict else outcome,
                "reference": application.reference, "item": implementation.item_code}
        run = _start(application, "instant", data)
        if run.finished and decision is not None:
            application.instant = True
        _apply(application, run, intake=intake, actor=None,
               reason=(decision.explanation if decision is not None else ""), open_tasks={})
    else:
        run = _start(application, implementation.process, {"reference": application.reference,
                                                            "item": implementation.item_code})
        _apply(application, run, intake=intake, actor=None, open_tasks={})  # a draft has no tasks
    return application


def _in_material_order(implementation: ImplementationRef, rows: list[ApplicationMaterial]) -> list[ApplicationMaterial]:
    """Material rows in the order the database gives them (the materials' positions, then ids)."""
    position = {material.id: index for index, material in enumerate(implementation.materials)}
    return sorted(rows, key=lambda row: (position.get(row.material_id, len(position)), row.pk or 0))


def _reference(division_code: str, today: date) -> str:
    for _attempt in range(5):
        reference = reference_new(division_code, today)
        if not Application.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("could not draw a free reference")  # 10^8 per division and day: not reached


def _start(application: Application, process: str, data: dict) -> workflow.WorkflowRun:
    try:
        return workflow.process_start(process, data)
    except workflow.WorkflowError as error:
        logger.error("process %s could not start for %s: %s", process, application.public_id, error)
        raise ValidationError({"implementation": _("This service's process is not usable; the service centre "
                                                   "has been told. Try again later.")}, code="process") from error


def _typed(value):
    """An answer as a decision table compares it: numbers as numbers, yes/no as booleans."""
    if value in ("yes", "no"):
        return value == "yes"
    if isinstance(value, str) and value and (value.lstrip("-").replace(".", "", 1).isdigit()):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def decision_facts(application: Application, applicant: Applicant, implementation: ImplementationRef,
                   materials: list[ApplicationMaterial] | None = None) -> dict:
    """Flat names a decision table may read: every fetched evidence field, every answer (typed),
    and what is derived from the applicant: age, resident_of_city/_county/_province, kind. (The
    application's material rows are read unless given.)"""
    facts: dict = {}
    rows = application.materials.all() if materials is None else _in_material_order(implementation, materials)
    for row in rows:
        if row.waived and isinstance(row.evidence, dict):
            for name, value in (row.evidence.get("fields") or {}).items():
                facts.setdefault(name, value)
    for name, value in (application.answers or {}).items():
        facts[name] = _typed(value)
    birth = applicant.birth_date
    if birth:
        born = date.fromisoformat(birth)
        today = china_today()
        facts["age"] = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    home = ""
    for field in implementation.form_fields:
        if field.prefill == "person.division_code" and (application.answers or {}).get(field.name):
            home = application.answers[field.name]
    home = home or applicant.division_code
    where = implementation.division_code
    facts["resident_of_city"] = bool(home) and home[:CITY_PREFIX_LENGTH] == where[:CITY_PREFIX_LENGTH]
    facts["resident_of_province"] = bool(home) and home[:PROVINCE_PREFIX_LENGTH] == where[:PROVINCE_PREFIX_LENGTH]
    facts["resident_of_county"] = bool(home) and home[:6] == where[:6]
    facts["applicant_kind"] = applicant.kind
    return facts


def _decide_instant(application: Application, implementation: ImplementationRef, applicant: Applicant,
                    table: str, materials: list[ApplicationMaterial]) -> tuple[str, Decision | None]:
    """Run the item's decision table; record its inputs, outputs and matched rules. A table that
    cannot decide (missing, or failing) sends the application to a person."""
    facts = decision_facts(application, applicant, implementation, materials)
    try:
        names = workflow.decision_inputs(table)
        inputs = {name: facts.get(name, "") for name in names}
        result = workflow.decision_evaluate(table, inputs)
    except (workflow.WorkflowError, ValueError) as error:
        logger.warning("decision table %s could not decide %s: %s", table, application.public_id, error)
        decision = Decision.objects.create(
            application=application, source=f"dmn:{table}"[:64], inputs={}, outputs={}, matched_rules=[],
            outcome="manual", explanation=gettext("The rules could not decide; an officer will."))
        _event(application, "decision", _("Automatic check: handled by an officer"), decision.explanation,
               actor_label_text=gettext("Decision table"))
        return "manual", decision
    decision = Decision.objects.create(
        application=application, source=f"dmn:{table}"[:64], inputs=_json_safe(inputs),
        outputs=_json_safe(result.outputs), matched_rules=list(result.matched_rules), outcome=result.outcome,
        explanation=result.explanation)
    titles = {"approve": _("Automatic check: approved"), "reject": _("Automatic check: not approved"),
              "manual": _("Automatic check: handled by an officer")}
    _event(application, "decision", titles[result.outcome], result.explanation,
           actor_label_text=gettext("Decision table"))
    return result.outcome, decision


def _json_safe(values: dict) -> dict:
    safe = {}
    for name, value in values.items():
        if isinstance(value, (str, int, bool)) or value is None:
            safe[name] = value
        elif isinstance(value, float):
            safe[name] = str(value)
        else:
            safe[name] = str(value)
    return safe


# --- the process's state ------------------------------------------------------------------------

# SpiffWorkflow's serialized state depends on the order of its keys (the task tree is rebuilt in
# that order, and a parallel join reads its branches' data in it). PostgreSQL's jsonb reorders
# object keys, so the state is kept as JSON text inside the JSON column, which every database
# stores as given.
STATE_FORMAT = "spiff-json-text"


def workflow_state_pack(state: dict) -> dict:
    return {"format": STATE_FORMAT, "text": json.dumps(state, ensure_ascii=False, separators=(",", ":"))}


def workflow_state_unpack(stored: dict | None) -> dict | None:
    if stored is None:
        return None
    if stored.get("format") == STATE_FORMAT:
        return json.loads(stored["text"])
    return stored  # a state saved before it was packed




def _apply(application: Application, run: workflow.WorkflowRun, *, intake, actor: Actor | None,
           reason: str = "", open_tasks: dict | None = None) -> None:
    """Bring the application's tasks and state in line with a run of its process (`open_tasks`:
    its open tasks by workflow task id when the caller knows them, {} for a draft just submitted)."""
    application.workflow = workflow_state_pack(run.state)
    today = china_today()
    ready_ids = {task.task_id for task in run.ready}
    known = open_tasks is not None
    if open_tasks is None:
        open_tasks = {t.workflow_task_id: t for t in application.tasks.filter(state=TaskState.OPEN)}
    any_open = not known or any(task_id in ready_ids for task_id in open_tasks)
    for task_id, task in open_tasks.items():
        if task_id not in ready_ids:
            task.state = TaskState.CANCELLED
            task.completed_at = now()
            task.save(update_fields=["state", "completed_at"])
    intake_id = intake.id if intake is not None else intake_department(application.division.code).id
    for ready in run.ready:
        if ready.task_id in open_tasks:
            continue
        any_open = True
        ApplicationTask.objects.create(
            application=application, spec_id=ready.spec_id[:64], workflow_task_id=ready.task_id, name=ready.name[:200],
            role=ready.lane or "case_officer",
            department_id=lane_department_id(ready.lane, handling_department_id=application.department_id,
                                             intake_department_id=intake_id),
            due_on=task_due_on(today, ready.deadline_days),
        )
    if run.finished:
        result = run.data.get("result")
        state = ApplicationState.APPROVED if result == "approved" else ApplicationState.REJECTED
        _conclude(application, state, str(run.data.get("reason") or reason or ""), actor=actor, tasks_open=any_open)
        return
    lanes = {task.lane for task in run.ready}
    if APPLICANT_LANE in lanes:
        application.state = ApplicationState.CORRECTION
    elif INTAKE_LANE in lanes:
        application.state = ApplicationState.SUBMITTED
    else:
        application.state = ApplicationState.IN_PROGRESS
    application.save()


def _conclude(application: Application, state: str, reason: str, *, actor: Actor | None,
              tasks_open: bool = True) -> None:
    """Conclude the application (`tasks_open` False when the caller knows it has no open task)."""
    application.state = state
    application.concluded_at = now()
    application.outcome_reason = reason
    application.save()
    if tasks_open:
        application.tasks.filter(state=TaskState.OPEN).update(state=TaskState.CANCELLED, completed_at=now())
    if state == ApplicationState.WITHDRAWN:
        title, kind = _("Application withdrawn"), "withdrawn"
    elif state == ApplicationState.APPROVED:
        title, kind = pgettext_lazy("办件", "Approved"), "approved"
    else:
        title, kind = _("Not approved"), "rejected"
    label = gettext("Applicant") if state == ApplicationState.WITHDRAWN else (
        gettext("Decision table") if application.instant else application.department.name)
    _event(application, kind, title, reason, actor_label_text=label)
    ledger_kind = "application.withdrawn" if state == ApplicationState.WITHDRAWN else "application.decided"
    ledger_append(kind=ledger_kind, subject=f"application:{application.public_id}", actor=actor_label(actor),
                  payload={"reference": application.reference, "state": state, "reason": reason,
                           "instant": application.instant, "item": _item_code(application),
                           "department": application.department_id})
    publish(EVENT_CONCLUDED, _event_payload(application))
    if state != ApplicationState.WITHDRAWN:
        notice_create(user_id=application.applicant_user_id, application=application,
                      title=gettext("Application %(reference)s: %(result)s") % {
                          "reference": application.reference, "result": title},
                      body=reason, url=_application_url(application))


# --- officers' acts -----------------------------------------------------------------------------


def _may_act(actor: Actor, task: ApplicationTask) -> bool:
    if not actor.is_staff_member or task.role == APPLICANT_LANE:
        return False
    if actor.department_id == task.department_id and task.role in actor.roles:
        return True
    # Escalated (督办): the department above may act, its staff of the task's role or its leaders.
    return (task.escalated_to_id is not None and actor.department_id == task.escalated_to_id
            and (task.role in actor.roles or "leader" in actor.roles))


def task_act(*, actor: Actor, task_id, outcome: str, note: str = "") -> ApplicationTask:
    """An officer completes a task: approve / done moves on, reject ends it, correct sends it back
    to the applicant (补正). A rejection or a correction says why (note)."""
    public_id = _uuid(task_id, "task")
    note = str(note or "").strip()
    with transaction.atomic():
        task = ApplicationTask.objects.select_related("application").filter(public_id=public_id).first()
        if task is None:
            raise ApplicationTask.DoesNotExist(f"no task {task_id}")
        if not _may_act(actor, task):
            raise PermissionDenied(gettext("This task belongs to another department or role."))
        application = (Application.objects.select_for_update(of=("self",)).select_related("item", "division",
                                                                                           "department")
                       .get(pk=task.application_id))
        task = ApplicationTask.objects.select_for_update().get(pk=task.pk)
        if task.state != TaskState.OPEN or application.state not in OPEN_STATES:
            raise ValidationError({"task": _("This task was done already.")}, code="task_closed")
        if outcome not in workflow.OFFICER_OUTCOMES:
            raise ValidationError({"outcome": _("Choose approve, reject, correct or done, not “%(outcome)s”.")
                                   % {"outcome": str(outcome)[:32]}}, code="invalid")
        if outcome in NOTE_REQUIRED and not note:
            raise ValidationError({"note": _("Say why: a rejection or a request for correction needs a note for "
                                             "the applicant.")}, code="required")
        if len(note) > NOTE_MAX_LENGTH:
            raise ValidationError({"note": _("The note is at most %(max)s characters.") % {"max": NOTE_MAX_LENGTH}},
                                  code="max_length")
        try:
            run = workflow.process_complete(workflow_state_unpack(application.workflow), task.workflow_task_id,
                                            {"outcome": outcome, "note": note}, now=now())
        except workflow.WorkflowError as error:
            raise ValidationError({"task": _("The process cannot take this step now: %(error)s")
                                   % {"error": error}}, code="workflow") from error
        task.state = TaskState.DONE
        task.outcome = outcome
        task.note = note
        task.acted_by_id = actor.user_id
        task.completed_at = now()
        task.save()
        was = application.state
        _event(application, "accepted" if task.role == INTAKE_LANE and outcome in ("approve", "done") else "task_done",
               _task_title(task, outcome), note if outcome in NOTE_REQUIRED else "",
               actor_label_text=application.department.name if task.role != INTAKE_LANE else
               gettext("Service centre window"))
        _apply(application, run, intake=None, actor=actor, reason=note)
        if application.state == ApplicationState.CORRECTION and was != ApplicationState.CORRECTION:
            application.corrections += 1
            application.save(update_fields=["corrections", "updated_at"])
            _event(application, "correction_requested", _("Sent back for correction"), note,
                   actor_label_text=application.department.name)
            publish(EVENT_CORRECTION_REQUESTED, _event_payload(application))
            notice_create(user_id=application.applicant_user_id, application=application,
                          title=gettext("Application %(reference)s: please correct it") % {
                              "reference": application.reference},
                          body=note, url=_application_url(application))
    return task


def _task_title(task: ApplicationTask, outcome: str) -> str:
    words = {"approve": _("passed"), "done": _("done"), "reject": _("not approved"),
             "correct": _("sent back for correction")}
    return f"{task.name}：{words[outcome]}"


# --- the applicant after submission -------------------------------------------------------------


def application_correct(*, actor: Actor, application_id, answers: dict | None = None) -> Application:
    """The applicant resubmits after a correction request (补正): the changed answers (uploads
    through material_upload beforehand), everything checked again, then back to the process."""
    _applicant(actor)
    with transaction.atomic():
        application = _own_application(actor, application_id)
        if application.state != ApplicationState.CORRECTION:
            raise ValidationError({"application": _("This application is not waiting for a correction.")},
                                  code="not_correction")
        implementation = _implementation(application)
        clean = _answers_check(implementation, application, answers or {})
        _answers_save(application, clean)
        errors = _complete_errors(implementation, application)
        if errors:
            raise ValidationError(errors)
        task = application.tasks.filter(state=TaskState.OPEN, role=APPLICANT_LANE).first()
        if task is None:  # pragma: no cover - a correction state always has the applicant's task
            raise ValidationError({"application": _("This application is not waiting for a correction.")},
                                  code="not_correction")
        try:
            run = workflow.process_complete(workflow_state_unpack(application.workflow), task.workflow_task_id,
                                            {"outcome": "corrected"})
        except workflow.WorkflowError as error:
            raise ValidationError({"application": _("The correction period is over.")}, code="workflow") from error
        task.state = TaskState.DONE
        task.outcome = "corrected"
        task.acted_by_id = actor.user_id
        task.completed_at = now()
        task.save()
        application.save(update_fields=["answers", "provenance", "updated_at"])
        _event(application, "resubmitted", _("Corrected and resubmitted"), actor_label_text=gettext("Applicant"))
        ledger_append(kind="application.corrected", subject=f"application:{application.public_id}",
                      actor=actor_label(actor), payload={"reference": application.reference,
                                                         "fields": sorted(clean), "corrections": application.corrections})
        _apply(application, run, intake=None, actor=actor)
        publish(EVENT_RESUBMITTED, _event_payload(application))
    return application


def application_withdraw(*, actor: Actor, application_id, reason: str) -> Application:
    """The applicant withdraws an application not yet decided (a draft too)."""
    reason = str(reason or "").strip()
    with transaction.atomic():
        application = _own_application(actor, application_id)
        if application.state in CONCLUDED_STATES:
            raise ValidationError({"application": _("This application is concluded (“%(state)s”) and cannot be "
                                                    "withdrawn.") % {"state": application.get_state_display()}},
                                  code="concluded")
        if not reason:
            raise ValidationError({"reason": _("Say why you withdraw the application.")}, code="required")
        if len(reason) > NOTE_MAX_LENGTH:
            raise ValidationError({"reason": _("The reason is at most %(max)s characters.") % {"max": NOTE_MAX_LENGTH}},
                                  code="max_length")
        if application.state == ApplicationState.DRAFT:
            application.state = ApplicationState.WITHDRAWN
            application.concluded_at = now()
            application.outcome_reason = reason
            application.save()
            return application
        _conclude(application, ApplicationState.WITHDRAWN, reason, actor=actor)
    return application


def application_start_submitted(*, actor: Actor, implementation_id, answers: dict, idempotency_key: str,
                                channel: str = Channel.WEB) -> Application:
    """For zero-field instant items and APIs: draft, answers, every fetchable material fetched and
    accepted, and submission, in one transaction. A retry with the same key returns the first.

    The reads (pre-fill, evidence) go through the gateway before the transaction opens, each one
    logged; one submission looks the implementation, the applicant's registry record and the
    platform's client up once. When a concurrent submission with the same key wins the race, this
    one's whole transaction is rolled back (no draft left behind) and the winner is returned.
    An application returned for a key already used has `replayed` set (the API answers 200)."""
    applicant = _applicant(actor)
    key = _key_check(idempotency_key)
    existing = _by_key(actor, key)
    if existing is not None:
        existing.replayed = True  # not a column: tells the API to answer 200, not 201
        return existing
    implementation = _implementation_open(applicant, implementation_id, channel)
    public_id = uuid.uuid4()
    correlation_id = public_id.hex
    lookups = Lookups()
    lookups.services_prefetch([*(REGISTRY_SERVICE[f.prefill.partition(".")[0]] for f in implementation.form_fields
                                 if f.prefill.partition(".")[0] in REGISTRY_SERVICE),
                               *(m.source_ref for m in implementation.materials if m.source == "shared")])
    prefilled, provenance = _prefill(implementation, applicant, correlation_id=correlation_id, lookups=lookups)
    draft = _draft_new(implementation, applicant, public_id=public_id, channel=channel, answers=prefilled,
                       provenance=provenance)
    if answers:
        _answers_save(draft, _answers_check(implementation, draft, answers))
    fetched: list[tuple] = []
    for material in implementation.materials:
        if material.source in FETCHED_SOURCES:
            try:
                evidence = evidence_fetch(material=material, applicant=applicant, correlation_id=correlation_id,
                                          lookups=lookups)
            except EvidenceUnavailable as error:
                if material.required:
                    raise ValidationError({f"materials.{material.code}": error.message},
                                          code="evidence_unavailable") from None
                continue
            fetched.append((material, evidence))
    try:
        with transaction.atomic():
            draft.save(force_insert=True)
            at = now()
            rows = ApplicationMaterial.objects.bulk_create([
                ApplicationMaterial(application=draft, material_id=material.id, source=material.source, waived=True,
                                    evidence=evidence.as_json(), evidence_ref=evidence.ref, previewed_at=at)
                for material, evidence in fetched])
            if rows and any(row.pk is None for row in rows):  # a database that returns no ids
                rows = list(draft.materials.all())
            return _submit_draft(actor, applicant, draft, implementation, key, rows)
    except IntegrityError:
        # A concurrent submission with the same key won the race: this one's draft, materials and
        # everything else rolled back with the transaction; answer with the winner's application.
        existing = _by_key(actor, key)
        if existing is not None:
            existing.replayed = True
            return existing
        raise


# --- periodic work -------------------------------------------------------------------------------


def tasks_escalate_overdue(*, today: date | None = None) -> int:
    """Escalate each open officer task past its due date, once, to the same kind of department one
    level up (督办): recorded on the task and the timeline, the leaders told. Returns the count."""
    today = today or china_today()
    candidates = list(ApplicationTask.objects.filter(
        state=TaskState.OPEN, due_on__lt=today, escalated_at__isnull=True).exclude(role=APPLICANT_LANE)
        .values_list("pk", flat=True))
    escalated = 0
    for pk in candidates:
        with transaction.atomic():  # one per task: one failure does not undo the others
            task = ApplicationTask.objects.select_for_update().select_related("department").get(pk=pk)
            if task.state != TaskState.OPEN or task.escalated_at is not None or not task.due_on or task.due_on >= today:
                continue
            target = department_escalation_target(task.department_id)
            if target is None:
                continue
            task.escalated_at = now()
            task.escalated_to_id = target.id
            task.save(update_fields=["escalated_at", "escalated_to"])
            application = Application.objects.select_related("item").get(pk=task.application_id)
            _event(application, "escalated", _("Overdue: escalated to %(department)s") % {"department": target.name},
                   gettext("%(task)s was due on %(due)s.") % {"task": task.name, "due": task.due_on.isoformat()},
                   actor_label_text=target.name, visible=False)
            for user_id in _leaders(task.department_id, target.id):
                notice_create(user_id=user_id, application=application,
                              title=gettext("Overdue task escalated: %(reference)s %(task)s") % {
                                  "reference": application.reference, "task": task.name},
                              body=gettext("%(item)s: due on %(due)s.") % {"item": application.item.name,
                                                                          "due": task.due_on.isoformat()},
                              url=f"/workspace/applications/{application.public_id}/")
            escalated += 1
    return escalated


def _leaders(*department_ids: int) -> list[int]:
    from zhengtong.kernel.identity.models import StaffMember

    users = []
    for member in StaffMember.objects.filter(department_id__in=department_ids).select_related("user"):
        if "leader" in (member.roles or []) and member.user_id not in users:
            users.append(member.user_id)
    return users


def applications_timers_fire(*, at: datetime | None = None) -> int:
    """Fire the processes' due timers (a correction not made in time rejects the application).
    Returns how many applications moved."""
    at = at or now()
    moved = 0
    for pk, state in Application.objects.filter(state=ApplicationState.CORRECTION).values_list("pk", "workflow"):
        try:
            due = workflow.process_pending_timers(workflow_state_unpack(state)) if state else []
        except workflow.WorkflowError:
            logger.exception("application %s: unreadable workflow state", pk)
            continue
        if not any(when <= at for when in due):
            continue
        with transaction.atomic():
            application = (Application.objects.select_for_update(of=("self",))
                           .select_related("item", "division", "department").get(pk=pk))
            if application.state != ApplicationState.CORRECTION:
                continue
            run = workflow.process_fire_timers(workflow_state_unpack(application.workflow), at)
            _apply(application, run, intake=None, actor=None)
            moved += 1
    return moved


# --- notices ------------------------------------------------------------------------------------


def notice_read(*, actor: Actor, notice_id) -> Notice:
    """Mark one of the actor's notices read."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(public_id=_uuid(notice_id, "notice")).first()
        if notice is None:
            raise Notice.DoesNotExist(f"no notice {notice_id}")
        if notice.user_id != actor.user_id:
            raise PermissionDenied(gettext("This is not your notice."))
        if notice.read_at is None:
            notice.read_at = now()
            notice.save(update_fields=["read_at"])
    return notice


__all__ = [
    "EVENT_CONCLUDED", "EVENT_CORRECTION_REQUESTED", "EVENT_RESUBMITTED", "EVENT_SUBMITTED",
    "application_correct", "application_start_submitted", "application_submit", "application_withdraw",
    "applications_timers_fire", "decision_facts", "draft_answer", "draft_start", "material_accept",
    "material_preview", "material_upload", "material_waive_produced", "notice_read", "task_act",
    "tasks_escalate_overdue",
]
