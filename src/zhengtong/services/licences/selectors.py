"""Reads of licences, each scoped to what the actor may see."""

from uuid import UUID

from django.utils.translation import gettext as _

from zhengtong.kernel.identity.public import Actor

from .errors import LicenceNotFound
from .models import Licence, LicenceState, LicenceType, Seal


def licence_list_mine(*, actor: Actor) -> list[Licence]:
    """The holder's wallet: their own licences, newest first."""
    if actor.user_id is None or actor.kind not in ("citizen", "company"):
        return []
    return list(Licence.objects.select_related("type", "department").filter(holder_user_id=actor.user_id))


def access_licence(*, actor: Actor, licence_id) -> Licence:
    """One licence for its holder, or for staff of its issuing department; anyone else is told it
    does not exist (the same answer as for an unknown id)."""
    try:
        licence_id = UUID(str(licence_id))
    except ValueError:
        raise LicenceNotFound(_("No such licence.")) from None
    licence = Licence.objects.select_related("type", "department", "seal").filter(public_id=licence_id).first()
    if licence is not None and actor.user_id is not None and (
        licence.holder_user_id == actor.user_id
        or (actor.kind == "staff" and actor.department_id == licence.department_id)
    ):
        return licence
    raise LicenceNotFound(_("No such licence."))


def licence_list_issued(*, actor: Actor) -> list[Licence]:
    """The licences the staff member's department issued."""
    if actor.kind != "staff" or actor.department_id is None:
        return []
    return list(Licence.objects.select_related("type", "department").filter(department_id=actor.department_id))


def licence_active_of(*, holder_user_id: int, type_code: str) -> Licence | None:
    """The holder's newest active licence of the type (no access check: for the holder's own use)."""
    return (Licence.objects.select_related("type", "department")
            .filter(holder_user_id=holder_user_id, type__code=type_code, state=LicenceState.ACTIVE)
            .order_by("-issued_at").first())


def licence_type_get(code: str) -> LicenceType | None:
    return LicenceType.objects.filter(code=code).first()


def seal_list(*, actor: Actor) -> list[Seal]:
    if actor.kind != "staff" or actor.department_id is None:
        return []
    return list(Seal.objects.filter(department_id=actor.department_id))
