"""Reads for closed-loop cases, every one scoped to what the actor may see."""

from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from zhengtong.kernel.identity.public import Actor

from . import kinds, permissions, services
from .models import Case, CaseState, CaseTransition


@dataclass(frozen=True)
class LoopMetrics:
    total: int
    open: int
    closed: int
    overdue: int
    # Closed cases every completed step of which met its due date, over closed cases.
    on_time_rate: float | None


@dataclass(frozen=True)
class CaseSummary:
    open: int
    overdue: int


def _overdue_q(today) -> Q:
    return ~Q(state=CaseState.CLOSED) & Q(step_due__lt=today)


def _scoped(
    actor: Actor, *, state: str | None = None, kind: str | None = None, overdue: bool | None = None,
    department_id: int | None = None,
) -> QuerySet[Case]:
    scope = permissions.visible_cases_q(actor)
    if scope is None:
        return Case.objects.none()
    qs = Case.objects.filter(scope)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if overdue:
        qs = qs.filter(_overdue_q(services.china_today()))
    if department_id:
        qs = qs.filter(assignee_department_id=department_id)
    return qs


def case_list(
    *,
    actor: Actor,
    state: str | None = None,
    kind: str | None = None,
    overdue: bool | None = None,
    department_id: int | None = None,
) -> QuerySet[Case]:
    """Cases the actor may see, newest first, each annotated with is_overdue (as of today)."""
    return (
        _scoped(actor, state=state, kind=kind, overdue=overdue, department_id=department_id)
        .select_related("assignee_department", "escalated_to", "reporting_department")
        .annotate(is_overdue=ExpressionWrapper(_overdue_q(services.china_today()), output_field=BooleanField()))
        .order_by("-opened_at", "-id")
    )


def access_case(*, actor: Actor, public_id: UUID) -> Case:
    """One case, if the actor may see it: Case.DoesNotExist if there is none, else PermissionDenied."""
    case = (
        Case.objects.select_related(
            "assignee_department__division", "escalated_to", "reporting_department__division",
            "assigning_department", "reporter",
        )
        .annotate(is_overdue=ExpressionWrapper(_overdue_q(services.china_today()), output_field=BooleanField()))
        .get(public_id=public_id)
    )
    if not permissions.may_see(actor, case, kinds.get(case.kind)):
        raise PermissionDenied(f"{actor.kind} actor may not see case {public_id}.")
    return case


def case_history(*, case: Case) -> QuerySet[CaseTransition]:
    """A case's history, oldest first. Call access_case first: this does not check again."""
    return case.transitions.select_related("actor_user", "actor_department", "escalated_to").order_by("at", "id")


def case_available_actions(*, actor: Actor, case: Case) -> list[str]:
    """The actions this actor may take on the case now, in the order a page offers them."""
    spec = kinds.get(case.kind)
    available = []
    for action, states in permissions.ACTION_FROM_STATES.items():
        if case.state not in states or not permissions.may_act(actor, case, spec, action):
            continue
        if action == "appeal" and not spec.appealable:
            continue
        if action == "reopen":
            last_day = services.reopen_deadline(case, spec)
            if last_day is None or services.china_today() > last_day:
                continue
        available.append(action)
    return available


def loop_metrics(*, actor: Actor, kind: str | None = None, department_id: int | None = None) -> LoopMetrics:
    """Counts over the cases the actor may see (optionally one kind, one assignee department)."""
    qs = _scoped(actor, kind=kind, department_id=department_id)
    late_step = CaseTransition.objects.filter(case=OuterRef("pk"), on_time=False)
    closed = Q(state=CaseState.CLOSED)
    counts = qs.aggregate(
        total=Count("id"),
        closed=Count("id", filter=closed),
        overdue=Count("id", filter=_overdue_q(services.china_today())),
        closed_on_time=Count("id", filter=closed & ~Q(Exists(late_step))),
    )
    return LoopMetrics(
        total=counts["total"],
        open=counts["total"] - counts["closed"],
        closed=counts["closed"],
        overdue=counts["overdue"],
        on_time_rate=counts["closed_on_time"] / counts["closed"] if counts["closed"] else None,
    )


def case_summary_for_department(*, department_id: int) -> CaseSummary:
    """Open cases on a department's desk (assigned or escalated to it), and how many are overdue."""
    counts = (
        Case.objects.filter(Q(assignee_department_id=department_id) | Q(escalated_to_id=department_id))
        .exclude(state=CaseState.CLOSED)
        .aggregate(open=Count("id"), overdue=Count("id", filter=Q(step_due__lt=services.china_today())))
    )
    return CaseSummary(open=counts["open"], overdue=counts["overdue"])
