"""风险预警 (risk warning): signals from shared data, rules that score them, clues dispatched as
loops to the responsible department, and the feedback rate and timeliness of those loops.

- risk_signals_load(rows, source=…): all or nothing; a bad row is refused naming its number.
- risk_rule_define(...): a rule (weights per signal kind, threshold, department kind responsible).
- risk_scan(rule_codes=None): one GROUP BY over the signals per rule; entities at or over the
  threshold get a RiskClue (once while an earlier clue of that entity and rule is open) and a
  "supervision_risk_clue" loop assigned to the rule's department kind at the entity's division
  (or the nearest division above that has one).
- risk_clue_feedback(...): 核查反馈 by the department (verified / not confirmed, with a note); it
  closes the loop.
- risk_clue_figures(department_id=None): dispatched, fed back, feedback rate, on-time rate.

Settings read (with getattr): SUPERVISION_CLUE_FEEDBACK_DAYS, working days for the feedback (10).
The credit grade is read live through credit.public.credit_classes: a C or D entity gets the
rule's "credit_grade" weight once; loaded "credit_grade" signal rows are kept but not summed.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.calendar.public import add_working_days
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ids.public import IdValidationError, uscc_parse
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.loops import public as loops
from zhengtong.kernel.org.models import Department, DepartmentKind, Division
from zhengtong.supervision.credit.public import credit_classes

from .loop_kinds import RISK_CLUE_KIND
from .models import ClueFeedback, InspectableEntity, RiskClue, RiskRule, RiskSignal, SignalKind
from .services import LAW_EDITOR_ROLES, _staff, actor_label, today

SYSTEM = Actor(kind="system")
SUMMED_KINDS = tuple(k for k in SignalKind.values if k != SignalKind.CREDIT_GRADE)
# The reasons are written in Chinese whatever the language of the request (they are data).
REASON_LABELS = {
    SignalKind.ABNORMAL_OPERATION: ("列入经营异常名录", "次"),
    SignalKind.COMPLAINT: ("投诉举报", "件"),
    SignalKind.TAX_ARREARS: ("欠税记录", "笔"),
    SignalKind.PENALTY: ("行政处罚", "次"),
}


def clue_feedback_days() -> int:
    return int(getattr(settings, "SUPERVISION_CLUE_FEEDBACK_DAYS", 10))


# --- signals ------------------------------------------------------------------------------------


def _row_error(n: int, message) -> ValidationError:
    return ValidationError(_("Row %(row)s: %(problem)s") % {"row": n, "problem": message}, code="bad_row")


def _signal(n: int, row: dict, source: str) -> RiskSignal:
    raw = (row.get("uscc") or "").strip().upper()
    try:
        uscc_parse(raw)
    except (IdValidationError, ValueError):
        raise _row_error(n, _("%(value)s is not a valid unified social credit code.") % {"value": raw or "—"}) from None
    kind = (row.get("kind") or "").strip()
    if kind not in SignalKind.values:
        raise _row_error(n, _("%(value)s is not a kind of risk signal.") % {"value": kind or "—"})
    value = row.get("value", 1)
    try:
        value = int(str(value).strip() or "1")
    except ValueError:
        value = -1
    if value < 1:
        raise _row_error(n, _("The value must be a whole number of at least 1."))
    observed = row.get("observed_at")
    if isinstance(observed, str):
        try:
            observed = date.fromisoformat(observed.strip())
        except ValueError:
            observed = None
    if not isinstance(observed, date) or observed > today():
        raise _row_error(n, _("Give the date observed as YYYY-MM-DD, not in the future."))
    return RiskSignal(uscc=raw, kind=kind, value=value, source=source, observed_at=observed)


@transaction.atomic
def risk_signals_load(rows, *, source: str) -> int:
    """Load signal rows (dicts: uscc, kind, value, observed_at); all or nothing."""
    source = (source or "").strip()
    if not source:
        raise ValidationError({"source": _("Name the source of the signals.")}, code="required")
    signals = [_signal(n, row, source) for n, row in enumerate(rows, start=1)]
    RiskSignal.objects.bulk_create(signals, batch_size=2000)
    ledger_append(kind="supervision.risk_signals_loaded", subject=f"risk_source:{source}", actor="system",
                  payload={"rows": len(signals)})
    return len(signals)


# --- rules --------------------------------------------------------------------------------------


def risk_rule_define(*, actor: Actor, code: str, name: str, department_kind: str, weights: dict,
                     threshold: int, legal_basis: str = "", active: bool = True) -> RiskRule:
    """Create or replace a rule (a leader or the big-data administrator)."""
    _staff(actor)
    if not (actor.is_superuser or LAW_EDITOR_ROLES.intersection(actor.roles)):
        raise PermissionDenied(_("Only a leader or the big-data administrator defines risk rules."))
    errors = {}
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        errors["code"] = [_("Give the rule a code.")]
    if not name:
        errors["name"] = [_("Give the rule a name.")]
    if department_kind not in DepartmentKind.values:
        errors["department_kind"] = [_("Choose the kind of department responsible.")]
    clean = {}
    for kind, weight in (weights or {}).items():
        if kind not in SignalKind.values or not isinstance(weight, int) or weight < 0:
            errors["weights"] = [_("Weights are whole points, at least 0, for kinds of risk signal.")]
            break
        clean[kind] = weight
    if not any(clean.values()):
        errors.setdefault("weights", [_("Weights are whole points, at least 0, for kinds of risk signal.")])
    if not isinstance(threshold, int) or threshold < 1:
        errors["threshold"] = [_("The threshold must be a whole number of at least 1.")]
    if errors:
        raise ValidationError(errors)
    rule, _created = RiskRule.objects.update_or_create(
        code=code, defaults={"name": name, "department_kind": department_kind, "weights": clean,
                             "threshold": threshold, "legal_basis": (legal_basis or "").strip(), "active": active})
    return rule


# --- scan ---------------------------------------------------------------------------------------


def _department_for(kind: str, division_code: str) -> Department | None:
    """The department of that kind at the division, or at the nearest division above it."""
    division = Division.objects.filter(code=division_code).first()
    while division is not None:
        department = Department.objects.filter(kind=kind, division=division).first()
        if department is not None:
            return department
        division = division.parent
    return None


def _reasons(totals: dict, weights: dict, credit: str | None) -> list[str]:
    reasons = []
    for kind in SUMMED_KINDS:
        count = totals.get(kind) or 0
        if count and weights.get(kind):
            label, unit = REASON_LABELS[kind]
            reasons.append(f"{label}{count}{unit}（+{count * weights[kind]}分）")
    if credit:
        reasons.append(f"公共信用等级为{credit}类（+{weights[SignalKind.CREDIT_GRADE]}分）")
    return reasons


def _scan_rule(rule: RiskRule) -> list[RiskClue]:
    weights = {k: int(v) for k, v in rule.weights.items()}
    credit_weight = weights.get(SignalKind.CREDIT_GRADE, 0)
    summed = {k: weights.get(k, 0) for k in SUMMED_KINDS if weights.get(k, 0)}
    per_kind = {k: Coalesce(Sum("value", filter=Q(kind=k)), Value(0)) for k in summed}
    score = sum((F(k) * Value(w) for k, w in summed.items()), Value(0))
    # One GROUP BY uscc; rows that could reach the threshold with the credit weight added.
    rows = list(RiskSignal.objects.filter(kind__in=list(summed)).values("uscc").annotate(**per_kind)
                .annotate(score=score).filter(score__gte=max(rule.threshold - credit_weight, 0))
                .order_by("uscc"))
    classes = credit_classes(sorted({r["uscc"] for r in rows})) if credit_weight else {}
    open_for = set(RiskClue.objects.filter(rule=rule, open=True).values_list("uscc", flat=True))
    names = dict(InspectableEntity.objects.filter(uscc__in=[r["uscc"] for r in rows])
                 .values_list("uscc", "name"))
    divisions = dict(InspectableEntity.objects.filter(uscc__in=[r["uscc"] for r in rows])
                     .values_list("uscc", "division_code"))
    made, departments = [], {}
    for row in rows:
        uscc = row["uscc"]
        credit = classes.get(uscc) if classes.get(uscc) in ("C", "D") else None
        total = row["score"] + (credit_weight if credit else 0)
        if total < rule.threshold or uscc in open_for:
            continue
        division_code = divisions.get(uscc) or uscc[2:8]
        if division_code not in departments:
            departments[division_code] = _department_for(rule.department_kind, division_code)
        department = departments[division_code]
        if department is None:
            continue
        made.append(_open_clue(rule, uscc, names.get(uscc, ""), total,
                               _reasons({k: row[k] for k in summed}, weights, credit), department))
    return made


def _open_clue(rule, uscc, name, score, reasons, department) -> RiskClue:
    due = add_working_days(today(), clue_feedback_days())
    clue = RiskClue.objects.create(rule=rule, uscc=uscc, name=name, score=score, reasons=reasons,
                                   department=department, due_on=due)
    case = loops.case_report(
        actor=SYSTEM, kind=RISK_CLUE_KIND,
        title=f"风险线索：{name or uscc}（{rule.name}，{score}分）"[:200],
        description="；".join(reasons), assignee_department_id=department.id,
        subject_ref=f"risk_clue:{clue.public_id}")
    clue.case_id = case.public_id
    clue.save(update_fields=["case_id"])
    ledger_append(kind="supervision.risk_clue_opened", subject=f"risk_clue:{clue.public_id}", actor="system",
                  payload={"uscc": uscc, "rule": rule.code, "score": score, "department_id": department.id})
    return clue


@transaction.atomic
def risk_scan(*, rule_codes=None) -> list[RiskClue]:
    """Score every entity by the active rules (or those named) and open the new clues."""
    rules = RiskRule.objects.filter(active=True)
    if rule_codes is not None:
        rules = rules.filter(code__in=list(rule_codes))
    made = []
    for rule in rules.order_by("code"):
        made += _scan_rule(rule)
    return made


# --- feedback -----------------------------------------------------------------------------------


@transaction.atomic
def risk_clue_feedback(*, actor: Actor, clue_id, verified: bool, note: str) -> RiskClue:
    """核查反馈: the clue's department says whether the clue was verified; this closes its loop."""
    _staff(actor)
    clue = RiskClue.objects.select_for_update().filter(public_id=clue_id).first()
    if clue is None:
        raise RiskClue.DoesNotExist
    if clue.department_id != actor.department_id:
        raise PermissionDenied(_("Only the department the clue was dispatched to gives its feedback."))
    if not clue.open:
        raise ValidationError(_("This clue already has its feedback."), code="closed")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Describe what the verification found.")}, code="required")
    if clue.case_id is not None:
        case = loops.case_get(actor=actor, public_id=clue.case_id)
        if case.state == loops.CaseState.ASSIGNED:
            loops.case_accept(actor=actor, case=case.public_id)
        loops.case_respond(actor=actor, case=case.public_id, response=note)
        loops.case_resolve_by_system(case=case.public_id, note=note)
    clue.feedback = ClueFeedback.VERIFIED if verified else ClueFeedback.NOT_CONFIRMED
    clue.feedback_note, clue.feedback_at, clue.fed_back_on, clue.open = note, timezone.now(), today(), False
    clue.save()
    ledger_append(kind="supervision.risk_clue_fed_back", subject=f"risk_clue:{clue.public_id}",
                  actor=actor_label(actor), payload={"feedback": clue.feedback, "note": note})
    return clue


# --- selectors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClueFigures:
    dispatched: int
    fed_back: int
    on_time: int
    feedback_rate: Decimal | None  # percent, one decimal; None with nothing dispatched
    on_time_rate: Decimal | None  # of the clues fed back, the share fed back by their due date


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def risk_clue_figures(department_id: int | None = None) -> ClueFigures:
    clues = RiskClue.objects.all()
    if department_id is not None:
        clues = clues.filter(department_id=department_id)
    counts = clues.aggregate(
        dispatched=Coalesce(Sum(Value(1), output_field=IntegerField()), Value(0)),
        fed_back=Coalesce(Sum(Value(1), filter=Q(fed_back_on__isnull=False), output_field=IntegerField()), Value(0)),
        on_time=Coalesce(Sum(Value(1), filter=Q(fed_back_on__lte=F("due_on")), output_field=IntegerField()),
                         Value(0)))
    return ClueFigures(counts["dispatched"], counts["fed_back"], counts["on_time"],
                       _percent(counts["fed_back"], counts["dispatched"]),
                       _percent(counts["on_time"], counts["fed_back"]))


def department_clues(actor: Actor) -> list[RiskClue]:
    """The actor's department's clues, open ones first, soonest due first."""
    _staff(actor)
    return list(RiskClue.objects.filter(department_id=actor.department_id).select_related("rule")
                .order_by("-open", "due_on", "id"))


def clue_get(*, actor: Actor, public_id) -> RiskClue:
    _staff(actor)
    clue = RiskClue.objects.select_related("rule").filter(public_id=public_id).first()
    if clue is None:
        raise RiskClue.DoesNotExist
    if clue.department_id != actor.department_id:
        raise PermissionDenied(_("Only the department the clue was dispatched to may see it."))
    return clue
