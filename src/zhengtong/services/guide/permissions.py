"""Who may keep the guide.

- An implementation list (实施清单) is kept by its implementing department: staff of that
  department with the case-officer or leader role. The division's big-data bureau administrators
  and its general office (办公厅/办公室, which runs the service catalogue), at the implementation's
  division or any division above it, may keep it too.
- The catalogue entries (事项目录, 四级四同: the same name, code, type and basis everywhere) are the
  province's: its general office, its big-data bureau administrators, and the province-level
  department of the item's competent kind (人社厅 for a social-insurance item).
- A superuser, and the platform itself (a system actor: management commands, the demo), may do
  anything.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.models import LEVEL_PREFIX_LENGTH, Department, DepartmentKind, DivisionLevel, Role

EDITOR_ROLES = frozenset({Role.CASE_OFFICER, Role.LEADER})
COORDINATING_KINDS = frozenset({DepartmentKind.GENERAL_OFFICE, DepartmentKind.BIG_DATA})


def _trusted(actor: Actor) -> bool:
    """A superuser, or the platform itself (management commands, the demo loader)."""
    return actor.is_superuser or actor.kind == "system"


def _is_staff(actor: Actor) -> bool:
    return actor.is_staff_member and bool(actor.division_code)


def _coordinator(actor: Actor, department_kind: str | None) -> bool:
    """A big-data administrator, or an editor of the general office or the big-data bureau."""
    if Role.BIG_DATA_ADMIN in actor.roles:
        return True
    return department_kind in COORDINATING_KINDS and bool(EDITOR_ROLES & actor.roles)


def _level_of(code: str) -> str:
    """The level of a division, read from the shape of its code."""
    if len(code) == 9:
        return DivisionLevel.TOWNSHIP
    if code.endswith("0000"):
        return DivisionLevel.PROVINCE
    if code.endswith("00"):
        return DivisionLevel.CITY
    return DivisionLevel.COUNTY


def division_prefix_of(code: str) -> str:
    """What every code inside the division starts with (GB/T 2260: 33 ⊃ 3301 ⊃ 330106 ⊃ 330106004)."""
    return code[: LEVEL_PREFIX_LENGTH[DivisionLevel(_level_of(code))]]


def _division_contains(outer_code: str, inner_code: str) -> bool:
    return inner_code.startswith(division_prefix_of(outer_code))


def _is_province(code: str) -> bool:
    return _level_of(code) == DivisionLevel.PROVINCE


class Editor:
    """What one actor may edit in the guide; built once per request or service call."""

    def __init__(self, actor: Actor):
        self.actor = actor
        self.department_kind: str | None = None
        if _is_staff(actor):
            self.department_kind = (
                Department.objects.filter(id=actor.department_id).values_list("kind", flat=True).first()
            )

    @property
    def is_staff(self) -> bool:
        return _trusted(self.actor) or _is_staff(self.actor)

    def may_edit_implementation(self, *, department_id: int, division_code: str) -> bool:
        actor = self.actor
        if _trusted(actor):
            return True
        if not _is_staff(actor):
            return False
        if actor.department_id == department_id and EDITOR_ROLES & actor.roles:
            return True
        return _coordinator(actor, self.department_kind) and _division_contains(actor.division_code, division_code)

    def may_edit_items(self, *, competent_department_kind: str | None = None) -> bool:
        """The catalogue: the province's coordinators, or the competent province department."""
        actor = self.actor
        if _trusted(actor):
            return True
        if not _is_staff(actor) or not _is_province(actor.division_code):
            return False
        if _coordinator(actor, self.department_kind):
            return True
        return (
            competent_department_kind is not None
            and self.department_kind == competent_department_kind
            and bool(EDITOR_ROLES & actor.roles)
        )

    def may_edit_any_item(self) -> bool:
        """Whether some catalogue entry could be edited by this actor (for showing the page at all)."""
        actor = self.actor
        if _trusted(actor):
            return True
        return (
            _is_staff(actor)
            and _is_province(actor.division_code)
            and (_coordinator(actor, self.department_kind) or bool(EDITOR_ROLES & actor.roles))
        )

    def may_edit_finder(self) -> bool:
        """The guided finder's questions are the province's, kept by its coordinators."""
        actor = self.actor
        if _trusted(actor):
            return True
        return (
            _is_staff(actor)
            and _is_province(actor.division_code)
            and _coordinator(actor, self.department_kind)
        )

    def implementation_scope(self):
        """A Q over ItemImplementation: the rows this actor may edit (none for non-staff)."""
        actor = self.actor
        if _trusted(actor):
            return Q()
        if not _is_staff(actor):
            return Q(pk__in=[])
        scope = Q(pk__in=[])
        if EDITOR_ROLES & actor.roles:
            scope |= Q(department_id=actor.department_id)
        if _coordinator(actor, self.department_kind):
            scope |= Q(division__code__startswith=division_prefix_of(actor.division_code))
        return scope



def implementation_editor_check(editor: Editor, *, department_id: int, division_code: str) -> None:
    if not editor.may_edit_implementation(department_id=department_id, division_code=division_code):
        raise PermissionDenied(_("Only the implementing department's case officers and leaders, or the general "
                                 "office and big-data bureau of the division, keep this implementation list"))
