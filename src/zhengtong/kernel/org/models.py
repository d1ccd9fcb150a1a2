"""Administrative divisions, departments, positions and roles."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")


# How many leading digits of a code identify a division at each level: everything inside a
# division shares that prefix (330106 and 330106001 are both inside 3301 and 33).
LEVEL_PREFIX_LENGTH = {
    DivisionLevel.PROVINCE: 2,
    DivisionLevel.CITY: 4,
    DivisionLevel.COUNTY: 6,
    DivisionLevel.TOWNSHIP: 9,
}


class Division(models.Model):
    """行政区划: a division with its GB/T 2260 code (9 digits for townships)."""

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=DivisionLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        return self.code[: LEVEL_PREFIX_LENGTH[DivisionLevel(self.level)]]


class DepartmentKind(models.TextChoices):
    GENERAL_OFFICE = "general_office", _("General Office of the Government")
    PUBLIC_SECURITY = "public_security", _("Public Security")
    HUMAN_RESOURCES = "human_resources", _("Human Resources and Social Security")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil Affairs")
    HEALTH = "health", _("Health Commission")
    MARKET_REGULATION = "market_regulation", _("Market Regulation")
    TAXATION = "taxation", _("Taxation")
    NATURAL_RESOURCES = "natural_resources", _("Natural Resources")
    HOUSING = "housing", _("Housing and Urban-Rural Development")
    EDUCATION = "education", _("Education")
    BIG_DATA = "big_data", _("Big Data Bureau")


class Department(models.Model):
    """部门: a government department at one division (province, city or county level)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("department code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=32, choices=DepartmentKind.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="departments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["division__code", "kind"]
        constraints = [models.UniqueConstraint(fields=["division", "kind"], name="org_one_department_kind_per_division")]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    WINDOW_OFFICER = "window_officer", _("Window officer")
    CASE_OFFICER = "case_officer", _("Case officer")
    DATA_OFFICER = "data_officer", _("Data officer")
    BIG_DATA_ADMIN = "big_data_admin", _("Big-data bureau administrator")
    INSPECTOR = "inspector", _("Inspector")
    LEADER = "leader", _("Leader")


class Position(models.Model):
    """岗位: a post in a department that carries one role."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="positions")
    name = models.CharField(_("name"), max_length=64)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        ordering = ["department_id", "role"]
        constraints = [models.UniqueConstraint(fields=["department", "role"], name="org_one_position_per_role")]
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self) -> str:
        return f"{self.department.name} · {self.name}"
