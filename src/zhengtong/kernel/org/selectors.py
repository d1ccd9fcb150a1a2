"""Reads for divisions and departments. Divisions and department names are public information."""

from django.db.models import QuerySet

from .models import LEVEL_PREFIX_LENGTH, Department, Division, DivisionLevel


def division_list(*, parent_code: str | None = None, level: str | None = None) -> QuerySet[Division]:
    qs = Division.objects.select_related("parent")
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    if level:
        qs = qs.filter(level=level)
    return qs


def division_descendants(division: Division) -> QuerySet[Division]:
    prefix = division.code[: LEVEL_PREFIX_LENGTH[DivisionLevel(division.level)]]
    return Division.objects.filter(code__startswith=prefix)


def department_list(*, division_code: str | None = None, kind: str | None = None) -> QuerySet[Department]:
    qs = Department.objects.select_related("division")
    if division_code:
        qs = qs.filter(division__code=division_code)
    if kind:
        qs = qs.filter(kind=kind)
    return qs
