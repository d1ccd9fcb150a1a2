"""Who may do what to a case. One place, used by services (which refuse) and pages (which offer).

The parties to a case:
- handling side: staff of the assignee department or of the department it was escalated to, and
  supervisors (a leader or big-data administrator whose division contains the case's department);
- verifying side: the reporter (kind.verifier == "reporter") or staff of the assigning department
  ("assigning_department"); when that party does not exist (a system report, a citizen report
  routed straight to a department), supervisors verify;
- routing side: staff of the reporting department and supervisors (and, to pass a case on, 转办,
  the assignee department);
- appeal deciders: supervisors outside the assignee department, so nobody judges their own appeal.
"""

from django.db.models import Q

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import Role, division_contains, division_prefix

from .kinds import LoopKindSpec
from .models import Case, CaseState

SUPERVISOR_ROLES = frozenset({Role.LEADER.value, Role.BIG_DATA_ADMIN.value})

# Which states each action may start from; the rest is refused with InvalidTransition.
ACTION_FROM_STATES: dict[str, frozenset[str]] = {
    "assign": frozenset({CaseState.REPORTED, CaseState.ASSIGNED}),
    "accept": frozenset({CaseState.ASSIGNED}),
    "respond": frozenset({CaseState.HANDLING}),
    "verify": frozenset({CaseState.RESPONDED}),
    "close": frozenset({CaseState.VERIFIED}),
    "reopen": frozenset({CaseState.CLOSED}),
    "appeal": frozenset({CaseState.HANDLING, CaseState.RESPONDED}),
    "appeal_decide": frozenset({CaseState.APPEALED}),
}
ACTIONS = tuple(ACTION_FROM_STATES)


def _home_department(case: Case):
    """The department whose division places the case: its assignee, or who reported it."""
    return case.assignee_department or case.reporting_department


def is_supervisor(actor: Actor, case: Case) -> bool:
    if actor.kind != "staff":
        return False
    if actor.is_superuser:
        return True
    if not actor.is_staff_member or not SUPERVISOR_ROLES.intersection(actor.roles):
        return False
    department = _home_department(case)
    return department is not None and division_contains(actor.division_code, department.division.code)


def _in_department(actor: Actor, department_id: int | None) -> bool:
    return department_id is not None and actor.is_staff_member and actor.department_id == department_id


def is_handling_side(actor: Actor, case: Case) -> bool:
    return (
        _in_department(actor, case.assignee_department_id)
        or _in_department(actor, case.escalated_to_id)
        or is_supervisor(actor, case)
    )


def is_verifying_side(actor: Actor, case: Case, kind: LoopKindSpec) -> bool:
    if kind.verifier == "reporter":
        if case.reporter_id is not None:
            return actor.user_id is not None and actor.user_id == case.reporter_id
    elif case.assigning_department_id is not None:
        return _in_department(actor, case.assigning_department_id)
    return is_supervisor(actor, case)


def is_routing_side(actor: Actor, case: Case) -> bool:
    return (
        _in_department(actor, case.reporting_department_id)
        or (case.state == CaseState.ASSIGNED and _in_department(actor, case.assignee_department_id))
        or is_supervisor(actor, case)
    )


def is_appeal_decider(actor: Actor, case: Case) -> bool:
    return is_supervisor(actor, case) and actor.department_id != case.assignee_department_id


def may_act(actor: Actor, case: Case, kind: LoopKindSpec, action: str) -> bool:
    """Whether this actor is a party entitled to take the action (whatever the case's state)."""
    if action == "assign":
        return is_routing_side(actor, case)
    if action in ("accept", "respond"):
        return is_handling_side(actor, case)
    if action in ("verify", "reopen"):
        return is_verifying_side(actor, case, kind)
    if action == "close":
        return is_handling_side(actor, case) or is_verifying_side(actor, case, kind)
    if action == "appeal":
        # The handling department itself contests the case, not the upper level on its behalf.
        return _in_department(actor, case.assignee_department_id) or (actor.kind == "staff" and actor.is_superuser)
    if action == "appeal_decide":
        return is_appeal_decider(actor, case)
    raise ValueError(f"Unknown case action {action!r}.")


def may_see(actor: Actor, case: Case, kind: LoopKindSpec) -> bool:
    return (
        (actor.user_id is not None and actor.user_id == case.reporter_id)
        or any(
            _in_department(actor, department_id)
            for department_id in (
                case.assignee_department_id, case.escalated_to_id, case.reporting_department_id,
                case.assigning_department_id,
            )
        )
        or (actor.kind == "api_client" and actor.department_id is not None and actor.department_id in (
            case.assignee_department_id, case.escalated_to_id, case.reporting_department_id,
            case.assigning_department_id,
        ))
        or is_supervisor(actor, case)
    )


def visible_cases_q(actor: Actor) -> Q | None:
    """The same rule as may_see, as a query filter. None: the actor may see no case at all."""
    if actor.kind == "staff" and actor.is_superuser:
        return Q()
    if actor.kind == "api_client":
        return _department_q(actor.department_id) if actor.department_id else None
    if actor.kind in ("citizen", "company"):
        return Q(reporter_id=actor.user_id) if actor.user_id else None
    if not actor.is_staff_member:
        return None
    q = _department_q(actor.department_id) | Q(reporter_id=actor.user_id)
    if SUPERVISOR_ROLES.intersection(actor.roles):
        prefix = division_prefix(actor.division_code)
        if prefix:
            q |= Q(assignee_department__division__code__startswith=prefix) | Q(
                assignee_department__isnull=True, reporting_department__division__code__startswith=prefix
            )
    return q


def _department_q(department_id: int) -> Q:
    return (
        Q(assignee_department_id=department_id)
        | Q(escalated_to_id=department_id)
        | Q(reporting_department_id=department_id)
        | Q(assigning_department_id=department_id)
    )
