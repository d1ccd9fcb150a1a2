"""Who may do what with bundles. Services and selectors ask here, first.

- A bundle is defined (created, given parts, published) by the platform itself (a system actor:
  the demo, scheduled jobs), a superuser, or staff who run services for its division: the general
  office (the service centre, 政务服务管理办公室) of the division or of one above it, with the
  leader or case-officer role, and the big-data bureau's administrators of the division or above.
- A published bundle is public: anyone may read its guide.
- A bundle application is its applicant's alone: anyone else meets "not found" (never "forbidden",
  which would say that it exists).
"""

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import DepartmentKind, Role, department_get, division_contains

SYSTEM = "system"
APPLICANT_KINDS = ("citizen", "company")
DEFINER_ROLES = (Role.LEADER, Role.CASE_OFFICER)


def may_define(actor: Actor, division_code: str) -> bool:
    """May define bundles offered at `division_code`."""
    if actor.is_superuser or actor.kind == SYSTEM:
        return True
    if not actor.is_staff_member or not actor.division_code:
        return False
    if not division_contains(actor.division_code, division_code):
        return False
    if actor.has_role(Role.BIG_DATA_ADMIN):
        return True
    department = department_get(actor.department_id)
    return (department is not None and department.kind == DepartmentKind.GENERAL_OFFICE
            and any(actor.has_role(role) for role in DEFINER_ROLES))


def may_apply(actor: Actor, serving: str) -> bool:
    """A signed-in citizen or company with a real-name record, of the kind the bundle serves."""
    if actor.kind not in APPLICANT_KINDS or actor.user_id is None:
        return False
    if actor.kind == "citizen" and not actor.citizen_id or actor.kind == "company" and not actor.company_id:
        return False
    return serving in ("both", actor.kind)
