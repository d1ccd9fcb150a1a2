"""What other modules may use of 互联网+监管: frozen rows, not ORM objects.

    inspections_of("91330106MA2B0R9X1L")  # → [InspectionRef(plan title, drawn on, result, result_on)]
    entities_refresh(registry_ids=[...])  # the register's refresh (the command and handlers use it)
"""

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from .models import DrawnEntity, PlanState
from .services import entities_refresh, entities_refresh_credit

__all__ = ["InspectionRef", "entities_refresh", "entities_refresh_credit", "inspections_of"]


@dataclass(frozen=True)
class InspectionRef:
    plan_id: UUID
    plan_title: str
    department_code: str
    drawn_at: datetime | None
    result: str  # "", no_problem, rectification, penalty_case
    result_on: date | None
    publish_due: date | None


def inspections_of(uscc: str) -> list[InspectionRef]:
    """The random inspections a company was drawn for (published plans only), newest first."""
    rows = (DrawnEntity.objects.filter(uscc=uscc, plan__state__in=(PlanState.DRAWN, PlanState.REVEALED))
            .select_related("plan__department").order_by("-plan__drawn_at"))
    return [InspectionRef(d.plan.public_id, d.plan.title, d.plan.department.code, d.plan.drawn_at, d.result,
                          d.result_on, d.plan.publish_due) for d in rows]
