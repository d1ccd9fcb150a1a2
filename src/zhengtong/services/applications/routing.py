"""Routing (一窗受理、收办分离): who takes an application in and who handles it, and by when.

The window of the division's service centre (its general office, "<division>-BGT") takes every
application in: the intake (window_officer) tasks go there. The other lanes go to the implementing
department (实施机关). Deadlines count Chinese working days from the day a task or application
starts (kernel.calendar).
"""

import secrets
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.calendar.public import add_working_days
from zhengtong.kernel.org.models import Department, DepartmentKind

INTAKE_LANE = "window_officer"
APPLICANT_LANE = "applicant"
REFERENCE_RANDOM_DIGITS = 8


def intake_department(division_code: str, *, division_id: int | None = None) -> Department:
    """The service centre of the division: its general office, or the nearest one above it (a
    township has no departments of its own). `division_id`, when the caller knows the division's
    row, saves looking it up where the division has its own office."""
    from zhengtong.kernel.org.models import Division

    if division_id:
        office = Department.objects.filter(division_id=division_id, kind=DepartmentKind.GENERAL_OFFICE).first()
        if office is not None:
            return office
    division = Division.objects.select_related("parent").filter(code=division_code).first()
    while division is not None:
        office = Department.objects.filter(division=division, kind=DepartmentKind.GENERAL_OFFICE).first()
        if office is not None:
            return office
        division = division.parent
    raise ValidationError(_("No service centre takes applications for division %(division)s yet."),
                          code="no_service_centre", params={"division": division_code})


def lane_department_id(lane: str, *, handling_department_id: int, intake_department_id: int) -> int:
    """The department whose staff do a task of this lane (the applicant's own task: the handling
    department's, which waits for it)."""
    return intake_department_id if lane == INTAKE_LANE else handling_department_id


def task_due_on(start: date, deadline_days: int | None) -> date | None:
    return add_working_days(start, deadline_days) if deadline_days is not None else None


def application_due_on(submitted_on: date, promised_days: int) -> date:
    """承诺期限: the promised number of working days after the day of submission."""
    return add_working_days(submitted_on, promised_days)


def reference_new(division_code: str, on: date) -> str:
    """办件编号: the division, the date and random digits ("330106-20250310-48213957"), unguessable
    enough that one reference says nothing about how many others there are that day."""
    digits = "".join(secrets.choice("0123456789") for _ in range(REFERENCE_RANDOM_DIGITS))
    return f"{division_code}-{on:%Y%m%d}-{digits}"
