"""Measures of the service platform (一网通办 indicators), computed from the application rows:

- online rate: applications made on the website or a phone, over all submitted;
- phone rate: made on a phone (掌上办);
- zero-trip rate: applications that took no trip to a counter (跑零次, visits == 0);
- materials waived: materials fetched instead of submitted (免提交), count and share of all;
- instant approvals: approved by a decision table without a person (秒办);
- on-time rate: decided (approved or rejected) on or before the promised date;
- average handling time: working days from submission to the decision.

Scoped: staff see their department's applications; big-data administrators and the leaders of a
division's general office see everything handled in their division.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from zhengtong.kernel.calendar.public import working_days_between
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import department_get, division_prefix

from .models import Application

DECIDED = ("approved", "rejected")
RATE_DIGITS = 4


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, RATE_DIGITS) if whole else None


@dataclass(frozen=True)
class Measure:
    scope: str  # "total", "item" or "department"
    key: str  # the item's code or the department's code; "" for the total
    label: str
    submitted: int
    online: int
    phone: int
    zero_trip: int
    materials: int
    materials_waived: int
    instant_approvals: int
    decided: int
    on_time: int
    handling_days: int  # summed over the decided applications

    @property
    def online_rate(self) -> float | None:
        return _rate(self.online, self.submitted)

    @property
    def phone_rate(self) -> float | None:
        return _rate(self.phone, self.submitted)

    @property
    def zero_trip_rate(self) -> float | None:
        return _rate(self.zero_trip, self.submitted)

    @property
    def materials_waived_rate(self) -> float | None:
        return _rate(self.materials_waived, self.materials)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.decided)

    @property
    def average_handling_days(self) -> float | None:
        return round(self.handling_days / self.decided, 2) if self.decided else None


def measures_scope(actor: Actor) -> Q:
    """Which applications the actor's measures count."""
    if not actor.is_staff_member:
        raise PermissionDenied(gettext("Only staff see the measures of applications."))
    department = department_get(actor.department_id)
    whole_division = "big_data_admin" in actor.roles or ("leader" in actor.roles and department is not None
                                                         and department.kind == "general_office")
    if whole_division:
        prefix = division_prefix(actor.division_code)
        if prefix:
            return Q(division__code__startswith=prefix)
    return Q(department_id=actor.department_id)


@dataclass
class _Sum:
    label: str
    submitted: int = 0
    online: int = 0
    phone: int = 0
    zero_trip: int = 0
    materials: int = 0
    materials_waived: int = 0
    instant_approvals: int = 0
    decided: int = 0
    on_time: int = 0
    handling_days: int = 0

    def add(self, row: dict) -> None:
        self.submitted += 1
        self.online += row["channel"] in ("web", "mobile")
        self.phone += row["channel"] == "mobile"
        self.zero_trip += row["visits"] == 0
        self.materials += row["materials_n"]
        self.materials_waived += row["waived_n"]
        self.instant_approvals += bool(row["instant"] and row["state"] == "approved")
        if row["state"] in DECIDED and row["concluded_at"] is not None:
            submitted = timezone.localdate(row["submitted_at"])
            concluded = timezone.localdate(row["concluded_at"])
            self.decided += 1
            self.on_time += row["due_on"] is not None and concluded <= row["due_on"]
            self.handling_days += working_days_between(submitted, concluded) if concluded > submitted else 0

    def measure(self, scope: str, key: str) -> Measure:
        return Measure(scope, key, self.label, self.submitted, self.online, self.phone, self.zero_trip, self.materials,
                       self.materials_waived, self.instant_approvals, self.decided, self.on_time, self.handling_days)


def measures(*, actor: Actor, item_code: str | None = None, department_id: int | None = None,
             since: date | None = None, until: date | None = None) -> list[Measure]:
    """The total first, then one measure per item and one per department (by code)."""
    rows = Application.objects.filter(measures_scope(actor), submitted_at__isnull=False)
    if item_code:
        rows = rows.filter(item__code=item_code)
    if department_id:
        rows = rows.filter(department_id=department_id)
    if since:
        rows = rows.filter(submitted_at__date__gte=since)
    if until:
        rows = rows.filter(submitted_at__date__lte=until)
    values = rows.values("id", "item__code", "item__name", "department__code", "department__name", "channel", "visits",
                         "instant", "state", "submitted_at", "concluded_at", "due_on").annotate(
        materials_n=Count("materials"), waived_n=Count("materials", filter=Q(materials__waived=True)))
    total = _Sum(pgettext("办件", "All applications"))
    items: dict[str, _Sum] = {}
    departments: dict[str, _Sum] = {}
    for row in values:
        total.add(row)
        items.setdefault(row["item__code"], _Sum(row["item__name"])).add(row)
        departments.setdefault(row["department__code"], _Sum(row["department__name"])).add(row)
    return ([total.measure("total", "")]
            + [items[code].measure("item", code) for code in sorted(items)]
            + [departments[code].measure("department", code) for code in sorted(departments)])
