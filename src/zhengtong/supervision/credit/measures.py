"""联合奖惩: the measure list, the approval decision hook and the public-resource eligibility check.

Approvals: applications runs every registered decision hook at each submission (a hot path with a
speed target). Ours costs one indexed query (the subject's current grade) and nothing more when the
subject has no grade; otherwise the DMN table data/credit_approval.dmn chooses the measure by grade
and list membership, and the measure's row gives the outcome and the legal basis shown to the
applicant. The DMN cells are evaluated by applications' restricted expression engine (decision
0008: no eval on stored text).
"""

import json
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.services.applications.public import ApplicationFacts, HookVerdict

from .models import AppliedMeasure, CreditGrade, JointMeasure, MeasureKind, MeasureScene, SubjectKind
from .selectors import CREDIT_ROLE, grade_current
from .services import actor_label, identifier_kind, ledger_subject
from .subjects import company_key, normalize, person_key

DATA_DIR = Path(__file__).resolve().parent / "data"
APPROVAL_TABLE = "credit_approval"
HOOK_NAME = "credit"
ELIGIBILITY_SCOPE = "credit:eligibility"
LIST_NAMES = ("black_list", "red_list", "court_enforcement")


@transaction.atomic
def measure_create(*, actor: Actor | None, code: str, name: str, kind: str, scenes: str, legal_basis: str,
                   grades: str = "", lists: str = "", outcome: str = "", description: str = "") -> JointMeasure:
    """Add a measure to the list. A measure without a legal basis is refused (国办发〔2020〕49号:
    every measure is applied from a list and cites a law, regulation or central policy)."""
    if actor is not None and not (actor.is_superuser or actor.has_role(CREDIT_ROLE)):
        raise PermissionDenied(_("Only the credit lead department may change the measure list."))
    errors: dict = {}
    legal_basis = (legal_basis or "").strip()
    if not legal_basis:
        errors["legal_basis"] = [_("A joint measure must cite its legal basis: a law, a regulation or a central "
                                   "policy document.")]
    if not (code or "").strip() or not (name or "").strip():
        errors["code"] = [_("Give the measure's code and name.")]
    if kind not in MeasureKind.values:
        errors["kind"] = [_("Choose reward or punishment.")]
    scene_list = (scenes or "").split()
    if not scene_list or any(s not in MeasureScene.values for s in scene_list):
        errors["scenes"] = [_("Choose where the measure applies.")]
    if any(g not in "ABCD" for g in grades or ""):
        errors["grades"] = [_("A credit grade is one of A, B, C and D.")]
    if any(name_ not in LIST_NAMES for name_ in (lists or "").split()):
        errors["lists"] = [_("Choose lists among the red list, the black list and dishonest judgment debtors.")]
    if outcome and outcome not in ("refuse", "strict", "priority", "tolerate", "note"):
        errors["outcome"] = [_("Choose an approval outcome from the list.")]
    if errors:
        raise ValidationError(errors)
    measure, _created = JointMeasure.objects.update_or_create(code=code.strip(), defaults=dict(
        name=name.strip(), kind=kind, grades=grades, lists=" ".join((lists or "").split()), scenes=" ".join(scene_list),
        outcome=outcome, legal_basis=legal_basis, description=description or "", active=True))
    ledger_append(kind="credit.measure_listed", subject=f"credit.measure:{measure.code}", actor=actor_label(actor),
                  payload={"code": measure.code, "name": measure.name, "legal_basis": measure.legal_basis})
    return measure


def measures_seed() -> int:
    """The measures of DOMAIN.md with their bases (data/measures.json), created or updated."""
    rows = json.loads((DATA_DIR / "measures.json").read_text(encoding="utf-8"))
    for row in rows:
        measure_create(actor=None, **row)
    return len(rows)


# --- the approval hook --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _approval_engine():
    from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser

    parser = BpmnDmnParser()
    parser.add_dmn_file(str(DATA_DIR / f"{APPROVAL_TABLE}.dmn"))
    return parser.get_engine(APPROVAL_TABLE, None)


class _DecisionTask:
    """What SpiffWorkflow's DMN engine needs of a task: its data and a script engine."""

    def __init__(self, data: dict):
        from zhengtong.services.applications.public import RestrictedScriptEngine

        self.data = data
        self.workflow = self
        self.script_engine = RestrictedScriptEngine()


def approval_measure_code(grade: str, lists: set[str]) -> str | None:
    """The DMN table's choice for an applicant of this grade and these lists (None: no measure)."""
    task = _DecisionTask({"grade": grade, **{name: name in lists for name in LIST_NAMES}})
    rules = _approval_engine().decide(task)
    if len(rules) > 1:
        raise ValueError(f"{APPROVAL_TABLE} matched several rules: {', '.join(r.id for r in rules)}")
    return rules[0].output_as_dict(task).get("measure") if rules else None


def _apply(*, grade: CreditGrade, measure: JointMeasure, scene: str, reference: str, ledger_subject_ref: str,
           actor: str) -> AppliedMeasure:
    applied = AppliedMeasure.objects.create(subject_key=grade.subject_key, measure=measure, scene=scene,
                                            reference=reference[:100], grade=grade.grade, at=timezone.now())
    applied.ledger_leaf_id = ledger_append(
        kind="credit.measure_applied", subject=ledger_subject_ref, actor=actor,
        payload={"measure": measure.code, "name": measure.name, "scene": scene, "reference": reference[:100],
                 "grade": grade.grade, "legal_basis": measure.legal_basis})
    applied.save(update_fields=["ledger_leaf_id"])
    return applied


def verdict_reason(measure: JointMeasure, grade: CreditGrade) -> str:
    return f"公共信用联合奖惩：{measure.name}（信用等级{grade.grade}；依据：{measure.legal_basis}）"


def approval_hook(facts: ApplicationFacts) -> HookVerdict | None:
    """applications' decision hook "credit": the measure for the applicant, with its basis."""
    if facts.applicant_kind == "company" and facts.uscc:
        kind, identifier = SubjectKind.COMPANY, normalize(facts.uscc)
        key = company_key(identifier)
    elif facts.resident_id:
        kind, identifier = SubjectKind.PERSON, normalize(facts.resident_id)
        key = person_key(identifier)
    else:
        return None
    grade = grade_current(key)
    if grade is None:  # no record, no grade: nothing more
        return None
    code = approval_measure_code(grade.grade, set(grade.lists.split()))
    if code is None:
        return None
    measure = JointMeasure.objects.filter(code=code, active=True).first()
    if measure is None or not measure.outcome:
        return None
    _apply(grade=grade, measure=measure, scene=MeasureScene.APPROVAL, reference=str(facts.public_id),
           ledger_subject_ref=ledger_subject(kind, identifier), actor=f"hook:{HOOK_NAME}")
    return HookVerdict(outcome=measure.outcome, reason=verdict_reason(measure, grade))


# --- public-resource trading ----------------------------------------------------------------------


def eligibility_check(*, actor: Actor, uscc: str, reference: str = "") -> dict:
    """May this company take part in public-resource trading (政府采购, 招投标)? For API clients
    holding ELIGIBILITY_SCOPE and staff; the check is logged under the company, and a restricting
    measure applied is recorded as applied."""
    if not (actor.kind == "api_client" and actor.has_role(ELIGIBILITY_SCOPE)) and not actor.is_staff_member:
        raise PermissionDenied(_("This check needs the credit eligibility scope."))
    if identifier_kind(uscc) != SubjectKind.COMPANY:
        raise ValidationError({"uscc": _("Give a valid unified social credit code.")}, code="identifier")
    identifier = normalize(uscc)
    key = company_key(identifier)
    with transaction.atomic():
        grade = grade_current(key)
        grade_letter = grade.grade if grade else "B"
        lists = set(grade.lists.split()) if grade else set()
        restricting = [m for m in JointMeasure.objects.filter(active=True, kind=MeasureKind.PUNISHMENT)
                       if MeasureScene.PUBLIC_RESOURCE in m.scenes.split()
                       and (grade_letter in m.grades or lists & set(m.lists.split()))]
        for measure in restricting:
            _apply(grade=grade, measure=measure, scene=MeasureScene.PUBLIC_RESOURCE, reference=reference,
                   ledger_subject_ref=ledger_subject(SubjectKind.COMPANY, identifier), actor=actor_label(actor))
        ledger_append(kind="credit.eligibility_checked", subject=ledger_subject(SubjectKind.COMPANY, identifier),
                      actor=actor_label(actor),
                      payload={"eligible": not restricting, "grade": grade_letter, "reference": reference[:100],
                               "measures": [m.code for m in restricting]})
    return {
        "uscc": identifier, "grade": grade_letter, "eligible": not restricting,
        "measures": [{"code": m.code, "name": m.name, "legal_basis": m.legal_basis} for m in restricting],
    }
