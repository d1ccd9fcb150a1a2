"""Who may see and change catalog entries. Services and selectors ask here, first.

- Every staff member may browse the catalog's published (and retired) metadata: one ledger of all
  data resources (一本账). Drafts are seen only by the owner department and the big-data bureau.
- A dataset is changed by data officers of its owner department, by big-data-bureau
  administrators for the departments of their own division (the provincial bureau: the province;
  a city's bureau: that city and its counties), by superusers, and by the platform itself (system
  actors: the demo, scheduled jobs).
"""

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import Role, division_prefix

SYSTEM = "system"


def may_browse(actor: Actor) -> bool:
    return actor.is_superuser or actor.kind == SYSTEM or actor.is_staff_member


def sees_every_department(actor: Actor) -> bool:
    """Drafts of every department in the province, and the right to change any dataset."""
    return actor.is_superuser or actor.kind == SYSTEM


def governed_division_prefix(actor: Actor) -> str | None:
    """The division-code prefix of the departments whose datasets the actor governs as a
    big-data-bureau administrator ("33" for the province, "3302" for Ningbo), "" for everything
    (superusers, system actors), None when the actor governs none."""
    if sees_every_department(actor):
        return ""
    if actor.is_staff_member and actor.has_role(Role.BIG_DATA_ADMIN):
        return division_prefix(actor.division_code)
    return None


def governs(actor: Actor, owner_division_code: str | None) -> bool:
    prefix = governed_division_prefix(actor)
    return prefix is not None and owner_division_code is not None and owner_division_code.startswith(prefix)


def may_edit(actor: Actor, owner_department_id: int | None, owner_division_code: str | None = None) -> bool:
    if governs(actor, owner_division_code):
        return True
    return (
        actor.is_staff_member
        and owner_department_id is not None
        and actor.department_id == owner_department_id
        and actor.has_role(Role.DATA_OFFICER)
    )


def may_register(actor: Actor) -> bool:
    """May register some dataset (their own department's, or those of the division they govern)."""
    return governed_division_prefix(actor) is not None or (
        actor.is_staff_member and actor.has_role(Role.DATA_OFFICER)
    )
