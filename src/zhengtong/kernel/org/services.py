"""Writes for divisions, departments and positions."""

import csv
from dataclasses import dataclass
from importlib import resources

from django.db import transaction

from .models import LEVEL_PREFIX_LENGTH, Department, DepartmentKind, Division, DivisionLevel, Position, Role

DIVISIONS_FILE = "zhejiang-divisions.csv"

# Short codes used in department codes (330100-GA = 杭州市公安局).
KIND_SHORT_CODE = {
    DepartmentKind.GENERAL_OFFICE: "BGT",
    DepartmentKind.PUBLIC_SECURITY: "GA",
    DepartmentKind.HUMAN_RESOURCES: "RS",
    DepartmentKind.CIVIL_AFFAIRS: "MZ",
    DepartmentKind.HEALTH: "WJ",
    DepartmentKind.MARKET_REGULATION: "SJ",
    DepartmentKind.TAXATION: "SW",
    DepartmentKind.NATURAL_RESOURCES: "ZR",
    DepartmentKind.HOUSING: "ZJ",
    DepartmentKind.EDUCATION: "JY",
    DepartmentKind.BIG_DATA: "DSJ",
}

# Official names follow the usual pattern: 厅/委 at the province, 局 below it.
PROVINCE_DEPARTMENT_NAME = {
    DepartmentKind.GENERAL_OFFICE: "{d}人民政府办公厅",
    DepartmentKind.PUBLIC_SECURITY: "{d}公安厅",
    DepartmentKind.HUMAN_RESOURCES: "{d}人力资源和社会保障厅",
    DepartmentKind.CIVIL_AFFAIRS: "{d}民政厅",
    DepartmentKind.HEALTH: "{d}卫生健康委员会",
    DepartmentKind.MARKET_REGULATION: "{d}市场监督管理局",
    DepartmentKind.TAXATION: "国家税务总局{d}税务局",
    DepartmentKind.NATURAL_RESOURCES: "{d}自然资源厅",
    DepartmentKind.HOUSING: "{d}住房和城乡建设厅",
    DepartmentKind.EDUCATION: "{d}教育厅",
    DepartmentKind.BIG_DATA: "{d}大数据发展管理局",
}
LOCAL_DEPARTMENT_NAME = {
    DepartmentKind.GENERAL_OFFICE: "{d}人民政府办公室",
    DepartmentKind.PUBLIC_SECURITY: "{d}公安局",
    DepartmentKind.HUMAN_RESOURCES: "{d}人力资源和社会保障局",
    DepartmentKind.CIVIL_AFFAIRS: "{d}民政局",
    DepartmentKind.HEALTH: "{d}卫生健康局",
    DepartmentKind.MARKET_REGULATION: "{d}市场监督管理局",
    DepartmentKind.TAXATION: "国家税务总局{d}税务局",
    DepartmentKind.NATURAL_RESOURCES: "{d}自然资源和规划局",
    DepartmentKind.HOUSING: "{d}住房和城乡建设局",
    DepartmentKind.EDUCATION: "{d}教育局",
    DepartmentKind.BIG_DATA: "{d}大数据发展管理局",
}

ROLE_POSITION_NAME = {
    Role.WINDOW_OFFICER: "综合受理窗口",
    Role.CASE_OFFICER: "经办岗",
    Role.DATA_OFFICER: "数据专员",
    Role.BIG_DATA_ADMIN: "数据资源管理岗",
    Role.INSPECTOR: "行政执法岗",
    Role.LEADER: "分管领导",
}


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    level: str
    parent_code: str


def division_rows_bundled() -> list[DivisionRow]:
    """The demo province's divisions as shipped with the platform (GB/T 2260, Zhejiang)."""
    text = resources.files("zhengtong.kernel.org").joinpath("data", DIVISIONS_FILE).read_text("utf-8")
    return [DivisionRow(**row) for row in csv.DictReader(text.splitlines())]


@transaction.atomic
def divisions_load(*, rows: list[DivisionRow]) -> int:
    """Insert or update divisions; parents before children. Returns how many rows were new."""
    valid_levels = set(DivisionLevel.values)
    for row in rows:
        if row.level not in valid_levels:
            raise ValueError(f"division {row.code}: unknown level {row.level!r}")
        # GB/T 2260 codes are 6 digits; township codes extend a county code to 9.
        expected_length = 9 if row.level == DivisionLevel.TOWNSHIP else 6
        if not (row.code.isdigit() and len(row.code) == expected_length):
            raise ValueError(f"division {row.code}: a {row.level} code must be {expected_length} digits")
    by_code = {d.code: d for d in Division.objects.all()}
    created = 0
    level_order = {level: i for i, level in enumerate(LEVEL_PREFIX_LENGTH)}
    for row in sorted(rows, key=lambda r: (level_order[DivisionLevel(r.level)], r.code)):
        parent = by_code.get(row.parent_code) if row.parent_code else None
        if row.parent_code and parent is None:
            raise ValueError(f"division {row.code}: parent {row.parent_code} is unknown")
        existing = by_code.get(row.code)
        if existing is None:
            by_code[row.code] = Division.objects.create(code=row.code, name=row.name, level=row.level, parent=parent)
            created += 1
        elif (existing.name, existing.level, existing.parent_id) != (row.name, row.level, parent and parent.id):
            existing.name, existing.level, existing.parent = row.name, row.level, parent
            existing.save(update_fields=["name", "level", "parent"])
    return created


def department_name(*, kind: str, division: Division) -> str:
    templates = PROVINCE_DEPARTMENT_NAME if division.level == DivisionLevel.PROVINCE else LOCAL_DEPARTMENT_NAME
    return templates[DepartmentKind(kind)].format(d=division.name)


@transaction.atomic
def departments_create_standard(*, kinds: list[str] | None = None) -> int:
    """Give every province, city and county division the standard set of departments."""
    kinds = kinds or list(DepartmentKind.values)
    divisions = Division.objects.filter(
        level__in=[DivisionLevel.PROVINCE, DivisionLevel.CITY, DivisionLevel.COUNTY]
    )
    existing = set(Department.objects.values_list("division_id", "kind"))
    new = [
        Department(
            code=f"{division.code}-{KIND_SHORT_CODE[DepartmentKind(kind)]}",
            name=department_name(kind=kind, division=division),
            kind=kind,
            division=division,
        )
        for division in divisions
        for kind in kinds
        if (division.id, kind) not in existing
    ]
    Department.objects.bulk_create(new, batch_size=500)
    return len(new)


def position_get_or_create(*, department: Department, role: str) -> Position:
    position, _ = Position.objects.get_or_create(
        department=department, role=role, defaults={"name": ROLE_POSITION_NAME[Role(role)]}
    )
    return position
