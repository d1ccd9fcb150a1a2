"""The data resource catalog (数据资源目录, 一本账): datasets, their table schemas and quality rules."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ShareType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("Shared unconditionally")
    CONDITIONAL = "conditional", _("Shared on conditions")
    NOT_SHARED = "not_shared", _("Not shared")


class OpenType(models.TextChoices):
    # "Open unconditionally" (无条件开放), not plain "Open": that msgid is the web app's "在办" (a case
    # still open), and the earlier app's Chinese would win for both.
    OPEN = "open", _("Open unconditionally")
    CONDITIONAL = "conditional", _("Open on application")
    NOT_OPEN = "not_open", _("Not open")


class UpdateCycle(models.TextChoices):
    REALTIME = "realtime", _("Real time")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    IRREGULAR = "irregular", _("Irregular")


class Grade(models.TextChoices):
    """GB/T 43697-2024 data classification."""

    GENERAL = "general", _("General data")
    IMPORTANT = "important", _("Important data")
    CORE = "core", _("Core data")


class Sensitivity(models.TextChoices):
    """DB33/T 2350-2021 public-data sensitivity levels."""

    L1 = "L1", _("L1 not sensitive (open)")
    L2 = "L2", _("L2 low sensitivity")
    L3 = "L3", _("L3 fairly sensitive")
    L4 = "L4", _("L4 sensitive (never opened)")


class Licence(models.TextChoices):
    """The licence of a dataset's open distributions (see catalog.vocabularies for the IRIs)."""

    CC_BY_4_0 = "CC-BY-4.0", _("Creative Commons Attribution 4.0")
    CC0_1_0 = "CC0-1.0", _("Creative Commons Zero 1.0 (public domain)")


class DatasetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Dataset(models.Model):
    """数据资源: one dataset of one owner department, with DCAT-AP 3 metadata and catalog fields."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # 资源代码: unique in the catalog, e.g. "330100-SJ-00001".
    resource_code = models.CharField(_("resource code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    owner_department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="datasets")
    contact_name = models.CharField(_("contact point"), max_length=64, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact telephone"), max_length=32, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    # DCAT-AP theme: an EU data-theme code (e.g. "GOVE", "SOCI", "ECON"); see catalog.vocabularies.
    theme = models.CharField(_("theme"), max_length=16, blank=True)
    spatial = models.ForeignKey("org.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    temporal_start = models.DateField(_("temporal coverage from"), null=True, blank=True)
    temporal_end = models.DateField(_("temporal coverage to"), null=True, blank=True)
    share_type = models.CharField(_("share type"), max_length=16, choices=ShareType.choices)
    open_type = models.CharField(_("open type"), max_length=16, choices=OpenType.choices)
    update_cycle = models.CharField(_("update cycle"), max_length=16, choices=UpdateCycle.choices)
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices, default=Grade.GENERAL)
    sensitivity = models.CharField(_("sensitivity level"), max_length=2, choices=Sensitivity.choices)
    status = models.CharField(_("status"), max_length=16, choices=DatasetStatus.choices, default=DatasetStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # DCAT-AP asks for the title and description in every language the catalog offers.
    title_en = models.CharField(_("title in English"), max_length=200, blank=True, default="")
    description_en = models.TextField(_("description in English"), blank=True, default="")
    licence = models.CharField(_("licence"), max_length=16, choices=Licence.choices, default=Licence.CC_BY_4_0)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)

    class Meta:
        ordering = ["resource_code"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return f"{self.title}（{self.resource_code}）"


class TableSchema(models.Model):
    """表结构: a version of a dataset's Frictionless Table Schema; versions are never edited.

    `descriptor` is a Frictionless Table Schema (fields, primaryKey, missingValues). A field may
    carry the platform's extra properties:
      "domainType": "resident_id" | "uscc" | "division_code" | "mobile" | "cn_date"
      "maskingKind": a kernel.masking FieldKind ("name", "resident_id", "mobile", "address", …)
    and the standard "constraints" (required, unique, pattern, enum, minimum, maximum…).
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="schemas")
    version = models.PositiveIntegerField()
    descriptor = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["dataset", "version"], name="catalog_schema_version_unique")]
        verbose_name = _("table schema")
        verbose_name_plural = _("table schemas")


class RuleKind(models.TextChoices):
    REQUIRED = "required", _("Completeness: value present")
    PATTERN = "pattern", _("Validity: matches a pattern")
    ENUM = "enum", _("Validity: one of the allowed values")
    RANGE = "range", _("Validity: within a range")
    DATE = "date", _("Validity: a real date")
    RESIDENT_ID = "resident_id", _("Validity: resident ID check digit")
    USCC = "uscc", _("Validity: credit code check characters")
    MOBILE = "mobile", _("Validity: mobile number")
    DIVISION_CODE = "division_code", _("Validity: division code")
    UNIQUE = "unique", _("Uniqueness")
    CONSISTENCY = "consistency", _("Consistency between fields")
    REFERENCE = "reference", _("Consistency: refers to another dataset")
    TIMELINESS = "timeliness", _("Timeliness against the update cycle")


class QualityRule(models.Model):
    """质量规则: a rule a dataset's rows (or the dataset as a whole, for timeliness) must satisfy.

    Rules implied by the schema (required, unique, pattern, enum, range, domain types) are derived
    from it by catalog.public.rules_for(); these rows are the extra, explicit ones. `params` by kind:
      pattern {"regex"}, enum {"values"}, range {"minimum", "maximum"}, date {"format"},
      consistency {"check": "birth_date_matches_resident_id" | "gender_matches_resident_id",
                   "fields": {...}}, reference {"dataset": resource_code, "field": name},
      timeliness {} (uses the dataset's update cycle).
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="rules")
    code = models.CharField(_("rule code"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices)
    field = models.CharField(_("field"), max_length=64, blank=True)
    params = models.JSONField(default=dict, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "code"]
        constraints = [models.UniqueConstraint(fields=["dataset", "code"], name="catalog_rule_code_unique")]
        verbose_name = _("quality rule")
        verbose_name_plural = _("quality rules")


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Registered in the catalog")
    UPDATED = "updated", _("Catalog metadata changed")
    PUBLISHED = "published", _("Published in the catalog")
    RETIRED = "retired", _("Retired from the catalog")
    SCHEMA_VERSIONED = "schema_versioned", _("New table schema version")
    RULE_CREATED = "rule_created", _("Quality rule added")
    RULE_DEACTIVATED = "rule_deactivated", _("Quality rule deactivated")


class DatasetChange(models.Model):
    """目录变更记录: who changed what in a dataset's catalog entry, written with the change itself."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(_("action"), max_length=32, choices=ChangeAction.choices)
    actor_kind = models.CharField(max_length=16)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # {"field": [before, after]} for metadata, {"version": n} for a schema, {"rule": code} for rules.
    changes = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "-at", "-id"]
        verbose_name = _("catalog change")
        verbose_name_plural = _("catalog changes")


class ResourceCodeSequence(models.Model):
    """The last sequence number given to a department's generated resource codes."""

    department = models.OneToOneField("org.Department", on_delete=models.CASCADE, related_name="+")
    last_value = models.PositiveIntegerField(default=0)
