"""Who may manage a department's webhook subscriptions. Services and selectors ask here, first.

A department's data officers and big-data administrators manage their own department's
subscriptions; superusers and the platform itself (system actors: the demo, scheduled jobs) any.

kernel.events sits below kernel.identity and kernel.org, so it cannot import their Actor or Role.
It takes the caller's actor as a structural type instead (identity's Actor fits it as it is) and
names the two roles by their values; a test checks those values against org.Role, so a rename there
fails the build rather than locking everyone out (or in). Keeping the check here, not in each
caller, means every caller gets it: the registry today, a subscriptions page or API tomorrow.
"""

from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import PermissionDenied

SYSTEM = "system"
STAFF = "staff"
# org.Role.DATA_OFFICER and org.Role.BIG_DATA_ADMIN
MANAGER_ROLES = frozenset({"data_officer", "big_data_admin"})


class WebhookActor(Protocol):
    """What kernel.events reads of the caller (kernel.identity's Actor has all of it)."""

    kind: str
    user_id: int | None
    department_id: int | None
    roles: frozenset[str]
    is_superuser: bool


def sees_every_department(actor: WebhookActor) -> bool:
    return bool(actor.is_superuser) or actor.kind == SYSTEM


def may_manage(actor: WebhookActor, department_id: int) -> bool:
    if sees_every_department(actor):
        return True
    return (
        actor.kind == STAFF
        and actor.department_id is not None
        and actor.department_id == department_id
        and bool(MANAGER_ROLES & set(actor.roles))
    )


def check_may_manage(actor: WebhookActor, department_id: int) -> None:
    if not may_manage(actor, department_id):
        raise PermissionDenied(
            f"{actor.kind} actor may not manage the webhook subscriptions of department {department_id}."
        )


@dataclass(frozen=True)
class PlatformActor:
    """The platform itself acting (kind "system"): the admin, after Django's own permission check,
    for the operator `user_id`; scheduled jobs and the demo with no user."""

    user_id: int | None = None
    kind: str = SYSTEM
    department_id: int | None = None
    roles: frozenset[str] = frozenset()
    is_superuser: bool = False
