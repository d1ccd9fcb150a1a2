"""What other modules may use of kernel.loops, the generic closed-loop (闭环) case engine.

A module defines its kind once, in its AppConfig.ready():

    register_loop_kind(LoopKindSpec(code="bad_review", name=_("Bad review"),
        step_days={"assign": 1, "accept": 1, "handle": 15, "verify": 5, "appeal": 5},
        verifier="reporter", escalate=True))

and opens cases through case_report(...), keeping the returned CaseRef.public_id. Every change
publishes a "loops.case_<what happened>" event (see services.EVENT_NAMES) with the case id, kind,
subject_ref and new state, so the module can react to "loops.case_closed" and the like.

The case arguments accept a CaseRef or a public_id. Services raise PermissionDenied for an actor who
is not a party to the action, InvalidTransition (a ValidationError) for an action the case's state
does not allow, and ValidationError for bad input; in each case nothing changes.
"""

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from zhengtong.kernel.calendar.public import WorkingDeadline
from zhengtong.kernel.identity.public import Actor

from . import kinds, selectors, services
from .kinds import LoopKindSpec
from .models import Case, CaseOutcome, CaseState
from .selectors import CaseSummary, LoopMetrics
from .services import InvalidTransition

__all__ = [
    "CaseOutcome",
    "CaseRef",
    "CaseState",
    "CaseSummary",
    "InvalidTransition",
    "LoopKindSpec",
    "LoopMetrics",
    "case_accept",
    "case_appeal",
    "case_appeal_decide",
    "case_assign",
    "case_close",
    "case_get",
    "case_reopen",
    "case_report",
    "case_resolve_by_system",
    "case_respond",
    "case_summary_for_department",
    "case_verify",
    "escalate_overdue",
    "loop_kind_get",
    "loop_metrics",
    "register_loop_kind",
]


@dataclass(frozen=True)
class CaseRef:
    public_id: UUID
    kind: str
    title: str
    subject_ref: str
    state: str
    step: str
    step_deadline: WorkingDeadline | None
    assignee_department_id: int | None
    escalation_level: int
    escalated_to_department_id: int | None
    outcome: str
    opened_at: datetime
    closed_at: datetime | None
    response: str = ""  # the assignee's answer, once responded

    @property
    def step_due(self) -> date | None:
        return self.step_deadline.due if self.step_deadline else None


def _ref(case: Case) -> CaseRef:
    deadline = (
        WorkingDeadline(case.step_due, case.step_due_provisional, tuple(case.step_due_unknown_years))
        if case.step_due
        else None
    )
    return CaseRef(
        public_id=case.public_id,
        kind=case.kind,
        title=case.title,
        subject_ref=case.subject_ref,
        state=case.state,
        step=case.step,
        step_deadline=deadline,
        assignee_department_id=case.assignee_department_id,
        escalation_level=case.escalation_level,
        escalated_to_department_id=case.escalated_to_id,
        outcome=case.outcome,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        response=case.response,
    )


def register_loop_kind(spec: LoopKindSpec) -> LoopKindSpec:
    """Register a kind (idempotent for an equal spec; a different spec under a used code is an error)."""
    return kinds.register(spec)


def loop_kind_get(code: str) -> LoopKindSpec:
    """The registered kind; LookupError if none has that code."""
    return kinds.get(code)


def case_get(*, actor: Actor, public_id: UUID) -> CaseRef:
    return _ref(selectors.access_case(actor=actor, public_id=public_id))


def case_report(
    *,
    actor: Actor,
    kind: str,
    title: str,
    description: str = "",
    assignee_department_id: int | None = None,
    subject_ref: str = "",
) -> CaseRef:
    return _ref(
        services.case_report(
            actor=actor, kind=kind, title=title, description=description,
            assignee_department_id=assignee_department_id, subject_ref=subject_ref,
        )
    )


def case_assign(*, actor: Actor, case: CaseRef | UUID, department_id: int) -> CaseRef:
    return _ref(services.case_assign(actor=actor, case=case, department_id=department_id))


def case_accept(*, actor: Actor, case: CaseRef | UUID) -> CaseRef:
    return _ref(services.case_accept(actor=actor, case=case))


def case_respond(*, actor: Actor, case: CaseRef | UUID, response: str) -> CaseRef:
    return _ref(services.case_respond(actor=actor, case=case, response=response))


def case_verify(*, actor: Actor, case: CaseRef | UUID, accepted: bool, note: str = "") -> CaseRef:
    return _ref(services.case_verify(actor=actor, case=case, accepted=accepted, note=note))


def case_close(*, actor: Actor, case: CaseRef | UUID, note: str = "") -> CaseRef:
    return _ref(services.case_close(actor=actor, case=case, note=note))


def case_reopen(*, actor: Actor, case: CaseRef | UUID, reason: str) -> CaseRef:
    return _ref(services.case_reopen(actor=actor, case=case, reason=reason))


def case_appeal(*, actor: Actor, case: CaseRef | UUID, reason: str) -> CaseRef:
    return _ref(services.case_appeal(actor=actor, case=case, reason=reason))


def case_appeal_decide(*, actor: Actor, case: CaseRef | UUID, upheld: bool, note: str) -> CaseRef:
    return _ref(services.case_appeal_decide(actor=actor, case=case, upheld=upheld, note=note))


def escalate_overdue(today: date | None = None) -> int:
    """Escalate every open case whose running step is overdue (once per step). Returns the count."""
    return services.cases_escalate_overdue(today=today)


def loop_metrics(*, actor: Actor, kind: str | None = None, department_id: int | None = None) -> LoopMetrics:
    return selectors.loop_metrics(actor=actor, kind=kind, department_id=department_id)


def case_summary_for_department(department_id: int) -> CaseSummary:
    """For the staff workspace home: open cases on the department's desk, and how many are overdue."""
    return selectors.case_summary_for_department(department_id=department_id)


def case_resolve_by_system(*, case: CaseRef | UUID, note: str) -> CaseRef:
    """Close an open case (any state) because the data shows its condition no longer holds.

    The system is the actor; the outcome is "resolved", the history row carries the note, and
    "loops.case_resolved" is published. A closed case raises InvalidTransition.
    """
    return _ref(services.case_resolve_by_system(case=case, note=note))
