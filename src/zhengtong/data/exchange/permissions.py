"""Who may do what in the sharing directory and its governance. Services and selectors ask here first.

- Every staff member may browse the directory (the services and their descriptions, not data).
- A department asks for services through its data officers and big-data administrators, for one
  of its own systems (API clients).
- The owning department decides first (its data officers and big-data administrators); for
  有条件共享 the big-data bureau decides after it: a big-data administrator whose division contains
  the owning department's (the province's administrators cover every department), not the person
  who made the owner's decision.
- The owning department narrows or revokes the grants it gave; the bureau (within its division)
  may revoke them too; the consuming department may give its own grant up and subscribe its systems
  to the service's changes.
"""

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import Role, division_prefix

OFFICER_ROLES = frozenset({Role.DATA_OFFICER.value, Role.BIG_DATA_ADMIN.value})


def is_staff(actor: Actor) -> bool:
    return actor.is_staff_member or (actor.kind == "staff" and actor.is_superuser)


def is_officer_of(actor: Actor, department_id: int | None) -> bool:
    """A data officer or big-data administrator of this department."""
    return (actor.is_staff_member and department_id is not None and actor.department_id == department_id
            and bool(OFFICER_ROLES & actor.roles))


def bureau_prefix(actor: Actor) -> str | None:
    """The division prefix a big-data administrator governs; None for anyone else."""
    if not (actor.is_staff_member and actor.has_role(Role.BIG_DATA_ADMIN)):
        return None
    return division_prefix(actor.division_code)


def is_bureau_over(actor: Actor, division_code: str) -> bool:
    """A big-data administrator whose division contains `division_code`."""
    prefix = bureau_prefix(actor)
    return prefix is not None and division_code.startswith(prefix)


def may_browse(actor: Actor) -> bool:
    return is_staff(actor) or actor.kind == "api_client"


def may_request(actor: Actor) -> bool:
    """Submit a basket for the actor's own department."""
    return actor.is_staff_member and bool(OFFICER_ROLES & actor.roles)
