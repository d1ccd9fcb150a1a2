"""Who may see and change catalog entries. Services and selectors ask here, first.

- Every staff member may browse the catalog's published (and retired) metadata: one ledger of all
  data resources (一本账). Drafts are seen only by the owner department and the big-data bureau.
- A dataset is changed by data officers of its owner department, by big-data-bureau
  administrators (any dataset), by superusers, and by the platform itself (system actors: the
  demo, scheduled jobs).
"""

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import Role

SYSTEM = "system"


def may_browse(actor: Actor) -> bool:
    return actor.is_superuser or actor.kind == SYSTEM or actor.is_staff_member


def sees_every_department(actor: Actor) -> bool:
    """Drafts of every department, and the right to change any dataset."""
    return (
        actor.is_superuser
        or actor.kind == SYSTEM
        or (actor.is_staff_member and actor.has_role(Role.BIG_DATA_ADMIN))
    )


def may_edit(actor: Actor, owner_department_id: int | None) -> bool:
    if sees_every_department(actor):
        return True
    return (
        actor.is_staff_member
        and owner_department_id is not None
        and actor.department_id == owner_department_id
        and actor.has_role(Role.DATA_OFFICER)
    )


def may_register(actor: Actor) -> bool:
    """May register some dataset (their own department's, or any for the bureau)."""
    return sees_every_department(actor) or (actor.is_staff_member and actor.has_role(Role.DATA_OFFICER))
