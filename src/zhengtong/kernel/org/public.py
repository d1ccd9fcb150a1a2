"""What other modules may use of kernel.org: frozen references, not ORM rows."""

from dataclasses import dataclass

from django.db import models

from .models import LEVEL_PREFIX_LENGTH, Department, DepartmentKind, Division, DivisionLevel, Role

__all__ = [
    "DepartmentKind",
    "DepartmentRef",
    "DivisionLevel",
    "DivisionRef",
    "Role",
    "department_escalation_target",
    "department_get",
    "departments_within_reach",
    "division_contains",
    "division_get",
    "division_prefix",
]


@dataclass(frozen=True)
class DivisionRef:
    code: str
    name: str
    level: str
    parent_code: str | None


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    code: str
    name: str
    kind: str
    division_code: str
    division_level: str


def _division_ref(division: Division) -> DivisionRef:
    parent_code = division.parent.code if division.parent_id else None
    return DivisionRef(division.code, division.name, division.level, parent_code)


def _department_ref(department: Department) -> DepartmentRef:
    return DepartmentRef(
        department.id,
        department.code,
        department.name,
        department.kind,
        department.division.code,
        department.division.level,
    )


def division_get(code: str) -> DivisionRef | None:
    division = Division.objects.select_related("parent").filter(code=code).first()
    return _division_ref(division) if division else None


def division_contains(outer_code: str, inner_code: str) -> bool:
    """Whether inner lies within outer (or is outer): by GB/T 2260 code prefix."""
    outer = Division.objects.filter(code=outer_code).only("code", "level").first()
    if outer is None:
        return False
    return inner_code.startswith(outer.code[: LEVEL_PREFIX_LENGTH[DivisionLevel(outer.level)]])


def department_get(department_id: int) -> DepartmentRef | None:
    department = Department.objects.select_related("division").filter(id=department_id).first()
    return _department_ref(department) if department else None


def department_escalation_target(department_id: int) -> DepartmentRef | None:
    """The same kind of department one level up (county 公安局 → city 公安局); None at the top."""
    department = Department.objects.select_related("division__parent").get(id=department_id)
    division = department.division.parent
    # Townships have no departments, so walk up until a division has one.
    while division is not None:
        upper = Department.objects.select_related("division").filter(division=division, kind=department.kind).first()
        if upper is not None:
            return _department_ref(upper)
        division = division.parent
    return None


def division_prefix(code: str | None) -> str | None:
    """The code prefix everything inside the division shares (33, 3301, 330106…); None if unknown."""
    division = Division.objects.filter(code=code).only("code", "level").first() if code else None
    return division.code[: LEVEL_PREFIX_LENGTH[DivisionLevel(division.level)]] if division else None


def departments_within_reach(division_code: str) -> list[DepartmentRef]:
    """Departments of the division's city and of the province: whom a department usually asks.

    A request further afield goes through that level's own staff.
    """
    qs = Department.objects.select_related("division").filter(
        models.Q(division__code__startswith=division_code[:4]) | models.Q(division__code=division_code[:2] + "0000")
    )
    return [_department_ref(d) for d in qs.order_by("division__code", "kind")]
