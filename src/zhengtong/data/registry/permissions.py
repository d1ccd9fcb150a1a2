"""Who may see and change what in the registries. Services and selectors ask here, first.

- The big-data bureau (its staff, and big-data administrators anywhere) governs the registries:
  it sees every master record, masked, runs the linkage and reviews pairs across departments.
- A department's staff see the masters their department's sources contributed to, masked.
- Clerical review: data officers of the department a pair is routed to, the bureau's
  administrators (within their division) and superusers.
- System actors (the demo, the scheduler, the worker) may run linkage.
"""

from django.db.models import Q

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import DepartmentKind, Role, department_get, division_prefix

SYSTEM = "system"


def is_system(actor: Actor) -> bool:
    return actor.kind == SYSTEM


def in_big_data_bureau(actor: Actor) -> bool:
    if actor.is_superuser and actor.kind == "staff":
        return True
    if not actor.is_staff_member:
        return False
    if actor.has_role(Role.BIG_DATA_ADMIN):
        return True
    department = department_get(actor.department_id)
    return department is not None and department.kind == DepartmentKind.BIG_DATA


def may_run(actor: Actor) -> bool:
    return is_system(actor) or (actor.kind == "staff" and actor.is_superuser) or (
        actor.is_staff_member and actor.has_role(Role.BIG_DATA_ADMIN)
    )


def may_configure(actor: Actor) -> bool:
    """Register sources and grants: the bureau's administrators and the platform itself."""
    return may_run(actor)


def may_review_in_department(actor: Actor, department_id: int | None) -> bool:
    """Decide pairs routed to this department (supervisors are checked against the division too)."""
    if actor.kind == "staff" and actor.is_superuser:
        return True
    if not actor.is_staff_member:
        return False
    if department_id is not None and actor.department_id == department_id and (
        actor.has_role(Role.DATA_OFFICER) or actor.has_role(Role.BIG_DATA_ADMIN)
    ):
        return True
    return actor.has_role(Role.BIG_DATA_ADMIN) and _within_division(actor, department_id)


def _within_division(actor: Actor, department_id: int | None) -> bool:
    prefix = division_prefix(actor.division_code)
    if prefix is None:
        return False
    if department_id is None:  # an unrouted pair: the province's administrators
        return len(prefix) == 2
    department = department_get(department_id)
    return department is not None and department.division_code.startswith(prefix)


def review_queue_q(actor: Actor) -> Q | None:
    """may_review_in_department as a filter on ReviewPair; None when the actor reviews nothing."""
    if actor.kind == "staff" and actor.is_superuser:
        return Q()
    if not actor.is_staff_member:
        return None
    q = None
    if actor.has_role(Role.DATA_OFFICER) or actor.has_role(Role.BIG_DATA_ADMIN):
        q = Q(department_id=actor.department_id)
    if actor.has_role(Role.BIG_DATA_ADMIN):
        prefix = division_prefix(actor.division_code)
        if prefix:
            q |= Q(department__division__code__startswith=prefix)
            if len(prefix) == 2:
                q |= Q(department__isnull=True)
    return q
