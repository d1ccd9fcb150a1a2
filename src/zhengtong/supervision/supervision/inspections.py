"""Writes of 掌上执法 (on-site inspections) and 行政处罚 (penalty cases).

Who may write:
- an inspection: an active inspector assigned to the drawn entity (or, ad hoc, an inspector of the
  item's department), signed by at least two such inspectors, none of whom must recuse;
- its re-check (复查) after a rectification order: staff of the inspecting department;
- a penalty case: staff of its department move it along; only a leader decides it.

A decision is published (双公示), written to the ledger and announced as the event
"supervision.penalty_decided", which credit files as a penalty record.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.calendar.public import add_working_days
from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.loops import public as loops
from zhengtong.kernel.org.models import Department
from zhengtong.kernel.org.public import Role

from .loop_kinds import RECTIFICATION_DAYS, RECTIFICATION_KIND
from .models import (
    Article,
    CheckVerdict,
    DrawnEntity,
    InspectableEntity,
    Inspection,
    InspectionPlan,
    InspectionResult,
    Inspector,
    PenaltyCase,
    PenaltyKind,
    PenaltyState,
    ProvisionState,
    SupervisionItem,
)
from .services import _recused, _staff, actor_label, today

PENALTY_DECIDED = "supervision.penalty_decided"
PHOTO_TYPES = {"image/jpeg": ("jpg", b"\xff\xd8\xff"), "image/png": ("png", b"\x89PNG\r\n\x1a\n"),
               "image/webp": ("webp", b"RIFF")}
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_COUNT = 9


@dataclass(frozen=True)
class Signature:
    """One inspector's signature: the certificate number, the name typed and "I confirm" ticked."""

    certificate_no: str
    name: str
    confirmed: bool


def my_inspector(actor: Actor) -> Inspector | None:
    if not actor.is_staff_member or actor.user_id is None:
        return None
    return Inspector.objects.filter(user_id=actor.user_id, active=True).first()


def inspections_to_do(actor: Actor) -> list[DrawnEntity]:
    """The drawn entities the actor is assigned to inspect and that have no result yet."""
    inspector = my_inspector(actor)
    if inspector is None:
        return []
    rows = DrawnEntity.objects.filter(result="").exclude(plan__drawn_at=None).select_related("plan")
    return [d for d in rows.order_by("plan__drawn_at", "uscc") if inspector.certificate_no in d.inspectors]


def _checks(item: SupervisionItem, answers: dict) -> list[dict]:
    checks = []
    for check in item.checklist:
        verdict, note = (answers.get(check) or ("", ""))
        if verdict not in CheckVerdict.values:
            raise ValidationError({"checks": _("Answer every check of the item: conforms, does not conform or "
                                               "not applicable (%(check)s).") % {"check": check}}, code="checks")
        checks.append({"check": check, "verdict": verdict, "note": (note or "").strip()})
    return checks


def _photos(photos) -> list:
    photos = list(photos or ())
    if len(photos) > PHOTO_MAX_COUNT:
        raise ValidationError({"photos": _("At most %(n)d photos.") % {"n": PHOTO_MAX_COUNT}}, code="photos")
    for photo in photos:
        kind = PHOTO_TYPES.get(getattr(photo, "content_type", ""))
        head = photo.read(12)
        photo.seek(0)
        if kind is None or not head.startswith(kind[1]):
            raise ValidationError({"photos": _("A photo must be a JPEG, PNG or WebP image.")}, code="photo_type")
        if photo.size > PHOTO_MAX_BYTES:
            raise ValidationError({"photos": _("A photo may be at most 5 MB.")}, code="photo_size")
    return photos


def _coordinate(value, limit: int, field: str):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or abs(number) > limit:
        raise ValidationError({field: _("The location is not a valid latitude and longitude.")}, code="location")
    return number


@transaction.atomic
def inspection_record(*, actor: Actor, uscc: str, outcome: str, answers: dict, signatures: list[Signature],
                      findings: str = "", plan_id=None, item_id=None, photos=(), latitude=None, longitude=None,
                      on: date | None = None) -> Inspection:
    """Record one inspection. answers: {check: (verdict, note)} for each check of the item."""
    inspector = my_inspector(actor)
    if inspector is None:
        raise PermissionDenied(_("Only a registered inspector records an inspection."))
    uscc = (uscc or "").strip().upper()
    drawn = None
    if plan_id is not None:
        plan = InspectionPlan.objects.filter(public_id=plan_id).first()
        if plan is None:
            raise InspectionPlan.DoesNotExist
        drawn = DrawnEntity.objects.select_for_update().filter(plan=plan, uscc=uscc).first()
        if drawn is None:
            raise DrawnEntity.DoesNotExist
        assigned = list(drawn.inspectors)
        if inspector.certificate_no not in assigned:
            raise PermissionDenied(_("You are not assigned to inspect this entity."))
        if drawn.result:
            raise ValidationError(_("This inspection is already recorded."), code="recorded")
        items = list(plan.items.all())
        item = next((i for i in items if item_id is not None and i.public_id == item_id), None) or next(
            (i for i in items if i.department_id == inspector.department_id), items[0] if items else None)
        name = drawn.name
    else:
        plan = None
        item = SupervisionItem.objects.filter(public_id=item_id).first()
        if item is None or item.department_id != inspector.department_id:
            raise PermissionDenied(_("An inspection outside a plan is for an item of your own department."))
        entity = InspectableEntity.objects.filter(uscc=uscc).first()
        if entity is None:
            raise ValidationError({"uscc": _("No entity with this credit code is in the register.")}, code="entity")
        assigned = list(Inspector.objects.filter(department_id=inspector.department_id, active=True)
                        .values_list("certificate_no", flat=True))
        name = entity.name
    if item is None:
        raise ValidationError(_("The plan has no supervision item."), code="item")
    if (plan is not None and _recused(plan, inspector, uscc)) or (plan is None and uscc in set(inspector.conflicts)):
        raise PermissionDenied(_("You must recuse from this entity and cannot inspect it."))
    if outcome not in InspectionResult.values:
        raise ValidationError({"outcome": _("Choose the result: no problem, rectification ordered or penalty "
                                            "case filed.")}, code="result")
    findings = (findings or "").strip()
    if outcome == InspectionResult.PENALTY_CASE and not findings:
        raise ValidationError({"findings": _("A penalty case needs the findings of the inspection.")},
                              code="no_finding")
    checks = _checks(item, answers or {})
    signed = _signatures(plan, uscc, assigned, signatures)
    lat, lng = _coordinate(latitude, 90, "latitude"), _coordinate(longitude, 180, "longitude")
    photos = _photos(photos)
    on = on or today()
    inspection = Inspection.objects.create(
        drawn=drawn, item=item, department_id=inspector.department_id, uscc=uscc, name=name, inspected_on=on,
        checks=checks, findings=findings, latitude=lat, longitude=lng, signatures=signed, outcome=outcome,
        created_by_id=actor.user_id)
    stored = []
    for n, photo in enumerate(photos, start=1):
        extension = PHOTO_TYPES[photo.content_type][0]
        stored.append(default_storage.save(f"supervision/inspections/{inspection.public_id}/{n}.{extension}", photo))
    inspection.photos = stored
    if outcome == InspectionResult.RECTIFICATION:
        inspection.rectification_due = add_working_days(on, RECTIFICATION_DAYS)
        case = loops.case_report(
            actor=actor, kind=RECTIFICATION_KIND,
            title=str(_("Rectification by %(name)s: re-check by %(due)s"))
            % {"name": name, "due": inspection.rectification_due.isoformat()},
            description=findings, assignee_department_id=inspector.department_id,
            subject_ref=f"inspection:{inspection.public_id}")
        inspection.rectification_case_id = case.public_id
    inspection.save()
    if outcome == InspectionResult.PENALTY_CASE:
        case = PenaltyCase.objects.create(inspection=inspection, department_id=inspector.department_id, uscc=uscc,
                                          name=name, facts=findings)
        _history(case, actor, _("Filed after an inspection."))
        case.save()
    if drawn is not None:
        drawn.result, drawn.result_on, drawn.result_note = outcome, on, findings
        drawn.save()
    ledger_append(kind="supervision.inspection_recorded", subject=f"inspection:{inspection.public_id}",
                  actor=actor_label(actor), payload={"uscc": uscc, "outcome": outcome, "on": on.isoformat(),
                                                     "inspectors": [s["certificate_no"] for s in signed]})
    return inspection


def _signatures(plan, uscc: str, assigned: list[str], signatures) -> list[dict]:
    now = timezone.now().isoformat()
    inspectors = {i.certificate_no: i for i in Inspector.objects.filter(certificate_no__in=assigned, active=True)}
    signed: dict[str, dict] = {}
    for signature in signatures or ():
        number = (signature.certificate_no or "").strip()
        if not signature.confirmed or not number:
            continue
        inspector = inspectors.get(number)
        if inspector is None:
            raise ValidationError({"signatures": _("%(number)s is not an inspector assigned to this inspection.")
                                   % {"number": number}}, code="not_assigned")
        if (signature.name or "").strip() != inspector.name:
            raise ValidationError({"signatures": _("The name signed for %(number)s is not the inspector's name.")
                                   % {"number": number}}, code="signature_name")
        if (plan is not None and _recused(plan, inspector, uscc)) or uscc in set(inspector.conflicts):
            raise ValidationError({"signatures": _("Inspector %(number)s must recuse from %(entity)s (a declared "
                                                   "conflict or a registry link) and cannot inspect it.")
                                   % {"number": number, "entity": uscc}}, code="recusal")
        signed[number] = {"certificate_no": number, "name": inspector.name, "signed_at": now}
    if len(signed) < 2:
        raise ValidationError({"signatures": _("An inspection needs the signatures of at least two inspectors.")},
                              code="too_few_signatures")
    return list(signed.values())


@transaction.atomic
def inspection_recheck(*, actor: Actor, inspection_id, passed: bool, note: str) -> Inspection:
    """复查: the inspecting department re-checks a rectification; passed closes its loop."""
    _staff(actor)
    inspection = Inspection.objects.select_for_update().filter(public_id=inspection_id).first()
    if inspection is None:
        raise Inspection.DoesNotExist
    if inspection.department_id != actor.department_id:
        raise PermissionDenied(_("Only the inspecting department re-checks."))
    if inspection.rectification_case_id is None or inspection.rechecked_at is not None:
        raise ValidationError(_("This inspection has no rectification awaiting a re-check."), code="no_recheck")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Describe what the re-check found.")}, code="required")
    case = loops.case_get(actor=actor, public_id=inspection.rectification_case_id)
    if case.state == loops.CaseState.ASSIGNED:
        loops.case_accept(actor=actor, case=case.public_id)
    loops.case_respond(actor=actor, case=case.public_id, response=note)
    case = loops.case_verify(actor=actor, case=case.public_id, accepted=passed, note=note)
    if passed:
        loops.case_close(actor=actor, case=case.public_id, note=note)
        inspection.rechecked_at = timezone.now()
    inspection.recheck_note = note
    inspection.save()
    ledger_append(kind="supervision.rectification_rechecked", subject=f"inspection:{inspection.public_id}",
                  actor=actor_label(actor), payload={"passed": bool(passed), "note": note})
    return inspection


# --- penalty cases ------------------------------------------------------------------------------


def _history(case: PenaltyCase, actor: Actor, note) -> None:
    case.history = [*case.history, {"state": case.state, "at": timezone.now().isoformat(),
                                    "by": actor_label(actor), "note": str(note)}]


def _own_case(actor: Actor, case_id, expected: str) -> PenaltyCase:
    _staff(actor)
    case = PenaltyCase.objects.select_for_update().filter(public_id=case_id).first()
    if case is None:
        raise PenaltyCase.DoesNotExist
    if case.department_id != actor.department_id:
        raise PermissionDenied(_("Only the case's department may act on it."))
    if case.state != expected:
        raise ValidationError(_("The case is %(state)s; this step is not open to it.")
                              % {"state": PenaltyState(case.state).label}, code="state")
    return case


def _step(actor: Actor, case_id, expected: str, new: str, note: str, kind: str) -> PenaltyCase:
    case = _own_case(actor, case_id, expected)
    case.state = new
    _history(case, actor, (note or "").strip())
    case.save()
    ledger_append(kind=f"supervision.penalty_{kind}", subject=f"penalty:{case.public_id}", actor=actor_label(actor),
                  payload={"state": new})
    return case


@transaction.atomic
def penalty_case_investigate(*, actor: Actor, case_id, note: str = "") -> PenaltyCase:
    return _step(actor, case_id, PenaltyState.FILED, PenaltyState.INVESTIGATING, note, "investigating")


@transaction.atomic
def penalty_case_enforce(*, actor: Actor, case_id, note: str = "") -> PenaltyCase:
    return _step(actor, case_id, PenaltyState.DECIDED, PenaltyState.ENFORCING, note, "enforcing")


@transaction.atomic
def penalty_case_close(*, actor: Actor, case_id, note: str = "") -> PenaltyCase:
    return _step(actor, case_id, PenaltyState.ENFORCING, PenaltyState.CLOSED, note, "closed")


def _decision_number(case: PenaltyCase, on: date) -> str:
    department = Department.objects.get(pk=case.department_id)
    count = PenaltyCase.objects.filter(department_id=case.department_id, decided_on__year=on.year).count()
    return f"{department.code}罚〔{on.year}〕{count + 1}号"


@transaction.atomic
def penalty_case_decide(*, actor: Actor, case_id, article_id, penalty_kind: str, facts: str, fine_fen: int = 0,
                        penalty_other: str = "", serious: bool = False) -> PenaltyCase:
    """处罚决定, by a leader of the department: on an article in force, with the facts and the penalty;
    published, in the ledger, and announced to credit."""
    case = _own_case(actor, case_id, PenaltyState.INVESTIGATING)
    if not actor.has_role(Role.LEADER.value):
        raise PermissionDenied(_("Only a leader of the department decides a penalty."))
    article = Article.objects.select_related("law").filter(public_id=article_id).first() if article_id else None
    if article is None or article.state != ProvisionState.IN_FORCE or article.law.state != ProvisionState.IN_FORCE:
        raise ValidationError({"basis": _("A penalty decision needs its legal basis: an article of the law "
                                          "library in force.")}, code="basis")
    facts = (facts or case.facts or "").strip()
    if not facts:
        raise ValidationError({"facts": _("State the facts of the case.")}, code="required")
    if penalty_kind not in PenaltyKind.values:
        raise ValidationError({"penalty_kind": _("Choose the penalty: warning, fine or other.")}, code="penalty")
    fine_fen = int(fine_fen or 0)
    if penalty_kind == PenaltyKind.FINE and fine_fen <= 0:
        raise ValidationError({"fine_fen": _("Give the amount of the fine.")}, code="fine")
    penalty_other = (penalty_other or "").strip()
    if penalty_kind == PenaltyKind.OTHER and not penalty_other:
        raise ValidationError({"penalty_other": _("Describe the penalty.")}, code="penalty_other")
    on = today()
    case.basis, case.basis_text, case.facts = article, str(article), facts
    case.penalty_kind = penalty_kind
    case.fine_fen = fine_fen if penalty_kind == PenaltyKind.FINE else 0
    case.penalty_other = penalty_other if penalty_kind == PenaltyKind.OTHER else ""
    case.serious, case.decided_on = bool(serious), on
    case.decision_number = _decision_number(case, on)
    case.state = PenaltyState.DECIDED
    _history(case, actor, case.decision_number)
    case.save()
    ledger_append(kind="supervision.penalty_decided", subject=f"penalty:{case.public_id}", actor=actor_label(actor),
                  payload={"uscc": case.uscc, "decision_number": case.decision_number, "basis": case.basis_text,
                           "penalty_kind": penalty_kind, "fine_fen": case.fine_fen, "on": on.isoformat()})
    publish(PENALTY_DECIDED, {
        "uscc": case.uscc, "name": case.name, "title": f"{case.name}：{case.penalty_text}",
        "legal_basis": case.basis_text, "decided_on": on.isoformat(), "department_id": case.department_id,
        "serious": case.serious, "domain": "", "decision_number": case.decision_number})
    return case


def penalties_published(limit: int = 200) -> list[PenaltyCase]:
    """行政处罚双公示: decided cases, newest first."""
    return list(PenaltyCase.objects.exclude(decided_on=None).select_related("department")
                .order_by("-decided_on", "-id")[:limit])


def rechecks_due(actor: Actor) -> list[Inspection]:
    """The department's rectification orders still awaiting their re-check, soonest due first."""
    if not actor.is_staff_member:
        return []
    return list(Inspection.objects.filter(department_id=actor.department_id, outcome=InspectionResult.RECTIFICATION,
                                          rechecked_at=None).order_by("rectification_due", "id"))


def department_cases(actor: Actor) -> list[PenaltyCase]:
    _staff(actor)
    return list(PenaltyCase.objects.filter(department_id=actor.department_id).order_by("-created_at"))
