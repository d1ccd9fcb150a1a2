"""Writes for closed-loop cases. Each service: authorization first, then the state check, then the
change, its history row and its domain event, all in one transaction on the locked case row."""

from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.calendar.public import add_working_days, working_deadline
from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import department_escalation_target, department_get

from . import kinds, permissions
from .kinds import LoopKindSpec
from .models import OPEN_STATES, Case, CaseAction, CaseOutcome, CaseState, CaseTransition

# Chinese working days are Beijing-time days, whatever the server's clock says.
CHINA = ZoneInfo("Asia/Shanghai")

ACTION_VERBS = {
    "assign": _("assign"),
    "accept": _("accept"),
    "respond": _("respond to"),
    "verify": _("verify"),
    "close": _("close"),
    "reopen": _("reopen"),
    "appeal": _("appeal"),
    "appeal_decide": _("decide the appeal on"),
}

# The domain event each history action publishes, "loops.case_<what happened>".
EVENT_NAMES = {
    CaseAction.REPORT: "loops.case_reported",
    CaseAction.ASSIGN: "loops.case_assigned",
    CaseAction.ACCEPT: "loops.case_accepted",
    CaseAction.RESPOND: "loops.case_responded",
    CaseAction.VERIFY: "loops.case_verified",
    CaseAction.REJECT: "loops.case_verification_failed",
    CaseAction.CLOSE: "loops.case_closed",
    CaseAction.REOPEN: "loops.case_reopened",
    CaseAction.APPEAL: "loops.case_appealed",
    CaseAction.UPHOLD_APPEAL: "loops.case_appeal_upheld",
    CaseAction.DISMISS_APPEAL: "loops.case_appeal_dismissed",
    CaseAction.ESCALATE: "loops.case_escalated",
}

REPORTER_KINDS = ("staff", "citizen", "company", "api_client", "system")


class InvalidTransition(ValidationError):
    """The action is not possible in the case's current state. The message names both."""

    def __init__(self, *, action: str, state: str):
        super().__init__(
            _("Cannot %(action)s this case: its state is “%(state)s”."),
            code="invalid_transition",
            params={"action": ACTION_VERBS[action], "state": CaseState(state).label},
        )
        self.action = action
        self.state = state

    def __str__(self) -> str:
        return " ".join(self.messages)


def now() -> datetime:
    """The services' one clock: timestamps and "today" come from it, so they always agree."""
    return timezone.now()


def china_today() -> date:
    return timezone.localdate(now(), timezone=CHINA)


def _public_id(case) -> UUID:
    if isinstance(case, UUID):
        return case
    if isinstance(case, str):
        return UUID(case)
    return case.public_id


def _lock(case) -> Case:
    # of=self: PostgreSQL cannot lock the nullable side of the outer joins, and need not.
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("assignee_department__division", "reporting_department__division")
        .get(public_id=_public_id(case))
    )


def _authorize(actor: Actor, case: Case, kind: LoopKindSpec, action: str) -> None:
    if not permissions.may_act(actor, case, kind, action):
        raise PermissionDenied(f"{actor.kind} actor may not {action} case {case.public_id}.")
    if case.state not in permissions.ACTION_FROM_STATES[action]:
        raise InvalidTransition(action=action, state=case.state)


def _required_text(value: str, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message}, code="required")
    return value


def _department_ref(department_id: int, field: str):
    department = department_get(department_id) if department_id is not None else None
    if department is None:
        raise ValidationError({field: _("Choose a department that exists.")}, code="unknown_department")
    return department


class _Keep:
    """Marker: the action leaves the running step and its due date as they are."""


KEEP = _Keep()


def _record(
    *,
    case: Case,
    kind: LoopKindSpec,
    actor: Actor | None,
    action: str,
    to_state: str,
    today: date,
    next_step: str | None | _Keep,
    completes_step: bool,
    note: str = "",
    escalated_to_id: int | None = None,
    from_state: str | None = None,
    event_name: str | None = None,
) -> Case:
    """Move the case, write its history row and publish its event (after commit, via the outbox).

    The event is the action's (EVENT_NAMES) unless event_name names another.
    """
    from_state = case.state if from_state is None else from_state
    due_before = case.step_due
    on_time = (today <= due_before) if completes_step and due_before is not None else None
    if not isinstance(next_step, _Keep):
        if next_step is None:
            case.step, case.step_due, case.step_due_provisional, case.step_due_unknown_years = "", None, False, []
        else:
            deadline = working_deadline(today, kind.step_days[next_step])
            case.step = next_step
            case.step_due = deadline.due
            case.step_due_provisional = deadline.provisional
            case.step_due_unknown_years = list(deadline.unknown_years)
        case.step_escalated = False
    case.state = to_state
    case.save()
    actor_user_id = actor.user_id if actor else None
    actor_department_id = actor.department_id if actor and actor.kind in ("staff", "api_client") else None
    CaseTransition.objects.create(
        case=case,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_user_id=actor_user_id,
        actor_department_id=actor_department_id,
        note=note,
        at=now(),
        step_due_before=due_before,
        step_due_after=case.step_due,
        on_time=on_time,
        escalated_to_id=escalated_to_id,
    )
    publish(
        event_name or EVENT_NAMES[action],
        {
            "case": str(case.public_id),
            "kind": case.kind,
            "subject_ref": case.subject_ref,
            "action": action,
            "from_state": from_state,
            "to_state": to_state,
            "step": case.step,
            "step_due": case.step_due.isoformat() if case.step_due else None,
            "assignee_department_id": case.assignee_department_id,
            "escalated_to_department_id": case.escalated_to_id,
            "escalation_level": case.escalation_level,
            "outcome": case.outcome,
            "actor_user_id": actor_user_id,
            "actor_department_id": actor_department_id,
        },
    )
    return case


def _first_step_after_assignment(kind: LoopKindSpec) -> str:
    return "accept" if kind.has_accept_step else "handle"


@transaction.atomic
def case_report(
    *,
    actor: Actor,
    kind: str,
    title: str,
    description: str = "",
    assignee_department_id: int | None = None,
    subject_ref: str = "",
) -> Case:
    """Open a case. With an assignee it starts assigned; otherwise the reporting side assigns it.

    Staff report for their department. Citizens and companies (and other modules acting for the
    system) have no department to route the case, so they must name the assignee.
    """
    if actor.kind not in REPORTER_KINDS or (actor.kind == "staff" and not actor.is_staff_member):
        raise PermissionDenied(f"{actor.kind} actor may not report a case.")
    spec = kinds.get(kind)
    title = _required_text(title, "title", _("Give the case a title."))
    if len(title) > 200:
        raise ValidationError({"title": _("The title must be at most 200 characters.")}, code="max_length")
    reporting_department_id = actor.department_id if actor.kind in ("staff", "api_client") else None
    if assignee_department_id is None and reporting_department_id is None:
        raise ValidationError(
            {"assignee_department_id": _("Choose the department that is to handle the case.")}, code="required"
        )
    if assignee_department_id is not None:
        _department_ref(assignee_department_id, "assignee_department_id")
    today = china_today()
    case = Case(
        kind=spec.code,
        title=title,
        description=description.strip(),
        subject_ref=subject_ref,
        reporter_id=actor.user_id,
        reporting_department_id=reporting_department_id,
        assigning_department_id=reporting_department_id if assignee_department_id is not None else None,
        assignee_department_id=assignee_department_id,
        opened_at=now(),
    )
    if assignee_department_id is None:
        state, step = CaseState.REPORTED, "assign"
    else:
        state, step = CaseState.ASSIGNED, _first_step_after_assignment(spec)
    return _record(
        case=case, kind=spec, actor=actor, action=CaseAction.REPORT, to_state=state, today=today,
        next_step=step, completes_step=False, from_state="",
    )


@transaction.atomic
def case_assign(*, actor: Actor, case, department_id: int) -> Case:
    """Route a reported case to a department, or pass an assigned one on (转办)."""
    case = _lock(case)
    spec = kinds.get(case.kind)
    _authorize(actor, case, spec, "assign")
    _department_ref(department_id, "department_id")
    if department_id == case.assignee_department_id:
        raise ValidationError({"department_id": _("The case is already assigned to this department.")}, code="same")
    completes = case.state == CaseState.REPORTED
    case.assignee_department_id = department_id
    if case.assigning_department_id is None and actor.is_staff_member:
        # The first department to route the case is the one that checks the answer.
        case.assigning_department_id = actor.department_id
    return _record(
        case=case, kind=spec, actor=actor, action=CaseAction.ASSIGN, to_state=CaseState.ASSIGNED,
        today=china_today(), next_step=_first_step_after_assignment(spec), completes_step=completes,
    )


@transaction.atomic
def case_accept(*, actor: Actor, case) -> Case:
    """The assignee takes the case on (assigned → handling)."""
    case = _lock(case)
    spec = kinds.get(case.kind)
    _authorize(actor, case, spec, "accept")
    # With an accept step, accepting completes it and the handling time starts now; without one,
    # the handling time has been running since assignment and goes on.
    return _record(
        case=case, kind=spec, actor=actor, action=CaseAction.ACCEPT, to_state=CaseState.HANDLING,
        today=china_today(), next_step="handle" if spec.has_accept_step else KEEP,
        completes_step=spec.has_accept_step,
    )


@transaction.atomic
def case_respond(*, actor: Actor, case, response: str) -> Case:
    """The assignee answers (handling → responded); the verifying side checks the answer next."""
    case = _lock(case)
    spec = kinds.get(case.kind)
    _authorize(actor, case, spec, "respond")
    case.response = _required_text(response, "response", _("Write the response."))
    return _record(
        case=case, kind=spec, actor=actor, action=CaseAction.RESPOND, to_state=CaseState.RESPONDED,
        today=china_today(), next_step="verify", completes_step=True, note=case.response,
    )


@transaction.atomic
def case_verify(*, actor: Actor, case, accepted: bool, note: str = "") -> Case:
    """The verifying side accepts the response (→ verified) or sends it back (→ handling)."""
    case = _lock(case)
    spec = kinds.get(case.kind)
    _authorize(actor, case, spec, "verify")
    if accepted:
        return _record(
            case=case, kind=spec, actor=actor, action=CaseAction.VERIFY, to_state=CaseState.VERIFIED,
            today=china_today(), next_step=None, completes_step=True, note=(note or "").strip(),
        )
    note = _required_text(note, "note", _("Say what is still wrong, so the department can put it right."))
    return _record(
        case=case, kind=spec, actor=actor, action=CaseAction.REJECT, to_state=CaseState.HANDLING,
        today=china_today(), next_step="handle", completes_step=True, note=note,
    )


@transaction.atomic
def case_close(*, actor: Actor, case, note: str = "") -> Case:
    """Close a verified case as resolved."""
    case = _lock(case)
    spec = kinds.get(case.kind)
    _authorize(actor, case, spec, "close")
    case.closed_at = now()
    case.outcome = CaseOutcome.RESOLVED
    return _record(
        case=case, kind=spec, actor=actor, action=CaseAction.CLOSE, to_state=CaseState.CLOSED,
        today=china_today(), next_step=None, completes_step=False, note=(note or "").strip(),
    )


def reopen_deadline(case: Case, spec: LoopKindSpec) -> date | None:
    """The last day the verifying side may reopen a closed case; None if it cannot be reopened."""
    if case.state != CaseState.CLOSED or case.outcome != CaseOutcome.RESOLVED or case.closed_at is None:
        return None
    return add_working_days(timezone.localdate(case.closed_at, timezone=CHINA), spec.reopen_days)


@transaction.atomic
def case_reopen(*, actor: Actor, case, reason: str) -> Case:
    """The verifying side reopens a resolved case within the kind's window (closed → handling)."""
    case = _lock(case)
    spec = kinds.get(case.kind)
    _authorize(actor, case, spec, "reopen")
    reason = _required_text(reason, "reason", _("Say why the case is reopened."))
    today = china_today()
    last_day = reopen_deadline(case, spec)
    if last_day is None:
        # An upheld appeal is final: the case was found mistaken or malicious.
        raise ValidationError(_("A case closed by an upheld appeal cannot be reopened."), code="appeal_final")
    if today > last_day:
        raise ValidationError(
            _("The case can no longer be reopened: the last day to do so was %(date)s."),
            code="reopen_window", params={"date": last_day.isoformat()},
        )
    case.closed_at = None
    case.outcome = ""
    return _record(
        case=case, kind=spec, actor=actor, action=CaseAction.REOPEN, to_state=CaseState.HANDLING,
        today=today, next_step="handle", completes_step=False, note=reason,
    )


@transaction.atomic
def case_appeal(*, actor: Actor, case, reason: str) -> Case:
    """The handling department contests the case (a mistaken or malicious report)."""
    case = _lock(case)
    spec = kinds.get(case.kind)
    _authorize(actor, case, spec, "appeal")
    if not spec.appealable:
        raise ValidationError(
            _("Cases of the kind “%(kind)s” cannot be appealed."), code="not_appealable", params={"kind": spec.name}
        )
    reason = _required_text(reason, "reason", _("Give the grounds of the appeal."))
    # The appeal interrupts the running step rather than completing it: no on-time verdict.
    return _record(
        case=case, kind=spec, actor=actor, action=CaseAction.APPEAL, to_state=CaseState.APPEALED,
        today=china_today(), next_step="appeal", completes_step=False, note=reason,
    )


@transaction.atomic
def case_appeal_decide(*, actor: Actor, case, upheld: bool, note: str) -> Case:
    """A supervisor outside the department decides: upheld closes the case, dismissed sends it back."""
    case = _lock(case)
    spec = kinds.get(case.kind)
    _authorize(actor, case, spec, "appeal_decide")
    note = _required_text(note, "note", _("Give the reasons for the decision."))
    today = china_today()
    if upheld:
        case.closed_at = now()
        case.outcome = CaseOutcome.APPEAL_UPHELD
        return _record(
            case=case, kind=spec, actor=actor, action=CaseAction.UPHOLD_APPEAL, to_state=CaseState.CLOSED,
            today=today, next_step=None, completes_step=True, note=note,
        )
    return _record(
        case=case, kind=spec, actor=actor, action=CaseAction.DISMISS_APPEAL, to_state=CaseState.HANDLING,
        today=today, next_step="handle", completes_step=True, note=note,
    )


def cases_escalate_overdue(*, today: date | None = None) -> int:
    """Escalate each open case whose running step is past due, once per step, one level up.

    The first escalation goes to the assignee's counterpart one level up (county 公安局 → city
    公安局), a later one further up from there; once at the top, a later overdue step is escalated
    to the same department again (one level more, a new event). A case assigned to a province
    department has nobody above it: it stays overdue, as the metrics show. Returns the count.
    """
    today = today or china_today()
    escalating = [code for code, spec in kinds.KINDS.items() if spec.escalate]
    candidates = list(
        Case.objects.filter(
            kind__in=escalating, state__in=OPEN_STATES, step_due__lt=today, step_escalated=False
        ).values_list("public_id", flat=True)
    )
    escalated = 0
    for public_id in candidates:
        # One transaction per case: one failure does not undo the others' escalations.
        with transaction.atomic():
            case = _lock(public_id)
            # Checked again under the lock: the case may have moved on since the list was read.
            if not (case.is_open and case.step_due and case.step_due < today and not case.step_escalated):
                continue
            base_id = case.escalated_to_id or case.assignee_department_id or case.reporting_department_id
            target = department_escalation_target(base_id) if base_id else None
            target_id = target.id if target else case.escalated_to_id
            if target_id is None:
                continue
            case.escalated_to_id = target_id
            case.escalation_level += 1
            case.step_escalated = True
            _record(
                case=case, kind=kinds.get(case.kind), actor=None, action=CaseAction.ESCALATE, to_state=case.state,
                today=today, next_step=KEEP, completes_step=False, escalated_to_id=target_id,
            )
            escalated += 1
    return escalated


# No person acts when the data itself shows a case resolved: the history names the system.
SYSTEM_ACTOR = Actor(kind="system")
RESOLVED_BY_SYSTEM_EVENT = "loops.case_resolved"


@transaction.atomic
def case_resolve_by_system(*, case, note: str) -> Case:
    """Close an open case, in whatever state, because the condition it reports no longer holds.

    For kinds whose condition the platform can check itself (problem data: a later load no longer
    has the problem), the check is the verification, so nobody needs to respond or verify. The
    running step counts as completed now (on time or late against its due date, for the metrics);
    the outcome is "resolved" and the history row, written by the system, says why. Publishes
    "loops.case_resolved". A closed case raises InvalidTransition and nothing changes.

    Only other modules' own jobs and event handlers call this: it takes no actor because it acts
    as the system, never for a person.
    """
    case = _lock(case)
    spec = kinds.get(case.kind)
    if not case.is_open:
        raise InvalidTransition(action="close", state=case.state)
    note = (note or "").strip()
    if not note:
        # Code calls this, not a form: a missing note is a programming error, not a user's.
        raise ValueError("case_resolve_by_system needs a note saying how the case was found resolved.")
    case.closed_at = now()
    case.outcome = CaseOutcome.RESOLVED
    return _record(
        case=case, kind=spec, actor=SYSTEM_ACTOR, action=CaseAction.CLOSE, to_state=CaseState.CLOSED,
        today=china_today(), next_step=None, completes_step=True, note=note,
        event_name=RESOLVED_BY_SYSTEM_EVENT,
    )
