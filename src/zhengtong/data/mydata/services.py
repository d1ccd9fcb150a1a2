"""Writes for mydata: correction requests (with their closed-loop cases) and the logged export.

Authorizations to third parties are the exchange's (exchange.public consent_give / consent_revoke);
the pages call them directly.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from zhengtong.data.exchange.public import access_log_for
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.loops.public import (
    CaseRef,
    CaseState,
    LoopKindSpec,
    case_close,
    case_get,
    case_report,
    case_verify,
)

from . import selectors
from .models import CorrectionRequest, CorrectionStatus

# 数据纠错: the source department takes the request on within 5 working days and answers within
# 10 more (15 in all); the person then checks the answer (10 working days, or it escalates).
# Routed at once, so "assign" never runs; escalation goes to the same kind of department one
# level up, like every late loop.
MYDATA_CORRECTION = LoopKindSpec(
    code="mydata_correction",
    name=_("Correction of personal data"),
    step_days={"assign": 1, "accept": 5, "handle": 10, "verify": 10},
    verifier="reporter",
    escalate=True,
    reopen_days=10,
    description=_("A person says a value their record holds is wrong: the source department checks and corrects it."),
)
ACCEPT_DAYS = MYDATA_CORRECTION.step_days["accept"]
ANSWER_DAYS = MYDATA_CORRECTION.step_days["accept"] + MYDATA_CORRECTION.step_days["handle"]

EXPORT_FORMAT = "zhengtong.mydata/1"
PROPOSED_MAX_LENGTH = 500
REASON_MAX_LENGTH = 1000

STATUS_OF_STATE = {
    CaseState.REPORTED: CorrectionStatus.SUBMITTED,
    CaseState.ASSIGNED: CorrectionStatus.SUBMITTED,
    CaseState.HANDLING: CorrectionStatus.HANDLING,
    CaseState.APPEALED: CorrectionStatus.HANDLING,
    CaseState.RESPONDED: CorrectionStatus.RESPONDED,
    CaseState.VERIFIED: CorrectionStatus.CLOSED,
    CaseState.CLOSED: CorrectionStatus.CLOSED,
}


def actor_label(actor: Actor) -> str:
    """Who acted, as the ledger names them."""
    return f"{actor.kind}:{actor.user_id}" if actor.user_id is not None else actor.kind


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def correction_request(*, actor: Actor, subject: "selectors.CorrectionSubject", proposed_value: str,
                       reason: str = "") -> CorrectionRequest:
    """"This is wrong": a correction request and its case on the source department's desk.

    `subject` comes from selectors.correction_subject() for the same person, so it is one of
    their own records. ValidationError (nothing saved) for an empty or too long value, or one
    equal to what the record already holds."""
    me = selectors.me_get(actor)
    proposed_value = (proposed_value or "").strip()
    reason = (reason or "").strip()
    errors: dict[str, list] = {}
    if not proposed_value:
        errors["proposed_value"] = [_("Write what the value should be.")]
    elif len(proposed_value) > PROPOSED_MAX_LENGTH:
        errors["proposed_value"] = [_("Keep the value to at most %(limit)s characters.") % {"limit": PROPOSED_MAX_LENGTH}]
    elif subject.current_value is not None and proposed_value == str(subject.current_value).strip():
        errors["proposed_value"] = [_("This is what the record already holds: write the value it should hold.")]
    if len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = [_("Keep the reason to at most %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        correction = CorrectionRequest(
            citizen_id=me.citizen_id, company_id=me.company_id, subject_ref=me.subject_ref, target=subject.target,
            service_code=subject.service_code, record_key=subject.record_key, registry_id=subject.registry_id,
            source_name=subject.source_name[:200], field=subject.field, field_title=subject.field_title[:200],
            proposed_value=proposed_value, reason=reason, department_id=subject.department_id,
        )
        title = gettext("Correction of personal data: %(source)s · %(field)s") % {
            "source": subject.source_name, "field": subject.field_title}
        # The case says what to look at and where; the value itself stays encrypted in mydata and is
        # shown to the department on the request's page (each reading logged for the person).
        description = gettext(
            "A %(who)s says the field “%(field)s” of their record in “%(source)s” is wrong. "
            "The proposed value and the reason are on the request's page: %(url)s"
        ) % {
            "who": gettext("citizen") if me.citizen_id else gettext("company"),
            "field": subject.field_title, "source": subject.source_name,
            "url": reverse("mydata:correction-department", kwargs={"public_id": correction.public_id}),
        }
        case = case_report(
            actor=actor, kind=MYDATA_CORRECTION.code, title=_truncate(title, 200), description=description,
            assignee_department_id=subject.department_id, subject_ref=f"mydata.correction:{correction.public_id}",
        )
        correction.case_id = case.public_id
        correction.status = STATUS_OF_STATE[case.state]
        correction.save()
    return correction


def correction_sync(*, correction: CorrectionRequest, case: CaseRef) -> CorrectionRequest:
    """Keep the request's status in step with its case (read by the person, who may see it)."""
    status = STATUS_OF_STATE.get(case.state, correction.status)
    if status != correction.status:
        correction.status = status
        correction.save(update_fields=["status", "updated_at"])
    return correction


def correction_case(*, actor: Actor, correction: CorrectionRequest) -> CaseRef:
    """The request's case as the person (its reporter) sees it; the status follows it."""
    case = case_get(actor=actor, public_id=correction.case_id)
    correction_sync(correction=correction, case=case)
    return case


def corrections_current(*, actor: Actor) -> list[CorrectionRequest]:
    """My correction requests, newest first, each open one's status brought up to date from its
    case (one read per open request: a person has few)."""
    corrections = selectors.corrections_of(selectors.me_get(actor))
    for correction in corrections:
        if correction.status != CorrectionStatus.CLOSED:
            correction_case(actor=actor, correction=correction)
    return corrections


def correction_verify(*, actor: Actor, correction: CorrectionRequest, resolved: bool, note: str = "") -> CaseRef:
    """The person checks the department's answer: resolved closes the case, otherwise it goes
    back to the department with what is still wrong (a note is then required)."""
    selectors.access_correction(selectors.me_get(actor), correction.public_id)
    with transaction.atomic():
        case = case_verify(actor=actor, case=correction.case_id, accepted=resolved, note=note)
        if resolved:
            case = case_close(actor=actor, case=correction.case_id, note=note)
        correction_sync(correction=correction, case=case)
    return case


def correction_department_read(*, actor: Actor, correction: CorrectionRequest, case: CaseRef) -> None:
    """A department officer opened the request (with the proposed value and the record's key):
    logged under the person's subject ref, so it shows in their access log."""
    ledger_append(kind="mydata.correction.read", subject=correction.subject_ref, actor=actor_label(actor), payload={
        "correction": str(correction.public_id), "case": str(case.public_id), "department": actor.department_id,
        "fields": ["record_key", "proposed_value", "reason"], "purpose": gettext("Handling a correction request"),
        "outcome": "ok",
    })


# --- export -------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _json_value(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def export_build(*, actor: Actor, generated_at: datetime | None = None) -> dict:
    """Everything mydata shows the person, as one JSON document, and the export logged in the
    ledger ("mydata.export", subject = their subject ref) in the same transaction.

    Shape (format "zhengtong.mydata/1"):
      format, generated_at (ISO 8601),
      subject:      {kind, name, identifier, subject_ref}
      registry:     null | {registry_id, kind, merged_ids, attributes: [{name, label, value,
                    source_dataset, resource_code, department, verified, authoritative, updated_at}]}
      records:      [{department, service, service_name, resource_code, version, key, values: {field: value},
                    titles: {field: title}}]
      access_log:   [{id, leaf_index, at, kind, department, system, service, service_name, registry,
                    operation, via, fields: [name], purpose, outcome, correlation_id}]
      consents:     [{id, status, system, services: [code], fields: [name], purpose, version, created_at,
                    expires_at, revoked_at}]
      corrections:  [{id, target, service, registry_id, source, field, field_title, proposed_value, reason,
                    department, status, case, created_at}]
    """
    me = selectors.me_get(actor)
    generated_at = generated_at or timezone.now()
    registry = selectors.registry_record(me)
    records = selectors.dataset_records(me)
    access = access_log_for(subject_refs=selectors.access_subjects(me, registry), limit=10000)
    consents = selectors.consent_views(actor)
    corrections = corrections_current(actor=actor)
    document = {
        "format": EXPORT_FORMAT,
        "generated_at": generated_at.isoformat(),
        "subject": {"kind": me.kind, "name": me.name, "identifier": me.identifier, "subject_ref": me.subject_ref},
        "registry": None if registry is None else {
            "registry_id": registry.registry_id, "kind": registry.kind, "merged_ids": list(registry.merged_ids),
            "attributes": [{
                "name": a.name, "label": str(a.label), "value": a.value, "source_dataset": a.dataset_title,
                "resource_code": a.resource_code, "department": a.department_name, "verified": a.verified,
                "authoritative": a.authoritative, "updated_at": _iso(a.updated_at),
            } for a in registry.attributes],
        },
        "records": [{
            "department": r.department_name, "service": r.service_code, "service_name": r.service_name,
            "resource_code": r.resource_code, "version": r.version, "key": r.key,
            "values": {f.name: _json_value(f.value) for f in r.fields},
            "titles": {f.name: f.title for f in r.fields},
        } for r in records],
        "access_log": [{
            "id": str(e.id), "leaf_index": e.leaf_index, "at": _iso(e.at), "kind": e.kind,
            "department": e.department_name, "system": e.system, "service": e.service_code,
            "service_name": e.service_name, "registry": e.registry, "operation": e.operation, "via": e.via,
            "fields": [f.name for f in e.fields], "purpose": e.purpose, "outcome": e.outcome,
            "correlation_id": e.correlation_id,
        } for e in access],
        "consents": [{
            "id": str(c.public_id), "status": c.status, "system": c.system,
            "services": [code for code, _name in c.services], "fields": [name for name, _title in c.fields],
            "purpose": c.purpose, "version": c.version, "created_at": _iso(c.created_at),
            "expires_at": _iso(c.expires_at), "revoked_at": _iso(c.revoked_at),
        } for c in consents],
        "corrections": [{
            "id": str(c.public_id), "target": c.target, "service": c.service_code, "registry_id": c.registry_id,
            "source": c.source_name, "field": c.field, "field_title": c.field_title,
            "proposed_value": c.proposed_value, "reason": c.reason, "department": c.department.name,
            "status": c.status, "case": str(c.case_id), "created_at": _iso(c.created_at),
        } for c in corrections],
    }
    with transaction.atomic():
        ledger_append(kind="mydata.export", subject=me.subject_ref, actor=actor_label(actor), payload={
            "format": EXPORT_FORMAT, "generated_at": generated_at.isoformat(),
            "counts": {name: len(document[name]) for name in ("records", "access_log", "consents", "corrections")},
            "registry": registry.registry_id if registry else None,
        })
    return document
