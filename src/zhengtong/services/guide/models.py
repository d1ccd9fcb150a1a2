"""Service items (政务服务事项) and their implementation lists (实施清单 / 办事指南).

The catalogue entry (`ServiceItem`) holds what is the same at every level (四级四同): name, code,
type and legal basis. Each division that handles the item has an `ItemImplementation` that varies
the rest: the implementing department, conditions, materials, time limits, fees, visits on site,
the online and phone channels, the BPMN process and (for instant items, 秒办) the DMN decision.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ItemType(models.TextChoices):
    """事项类型 (DOMAIN.md): administrative powers, then public services."""

    LICENSING = "licensing", _("Administrative licensing")  # 行政许可
    CONFIRMATION = "confirmation", _("Administrative confirmation")  # 行政确认
    ADJUDICATION = "adjudication", _("Administrative adjudication")  # 行政裁决
    BENEFIT = "benefit", _("Administrative benefit payment")  # 行政给付
    REWARD = "reward", _("Administrative reward")  # 行政奖励
    FILING = "filing", _("Administrative filing")  # 行政备案
    OTHER_POWER = "other_power", _("Other administrative power")  # 其他行政权力
    PUBLIC_SERVICE = "public_service", _("Public service")  # 公共服务


class HandlingKind(models.TextChoices):
    """办理项: what the applicant asks for under a sub-item.

    With a context: bare "New" and "Change" mean 新建 and 修改 elsewhere on the platform."""

    NEW = "new", pgettext_lazy("handling kind", "New")  # 设立、新办
    CHANGE = "change", pgettext_lazy("handling kind", "Change")  # 变更
    RENEWAL = "renewal", pgettext_lazy("handling kind", "Renewal")  # 延续
    CANCELLATION = "cancellation", pgettext_lazy("handling kind", "Cancellation")  # 注销
    OTHER = "other", pgettext_lazy("handling kind", "Other")


class ServingSubject(models.TextChoices):
    """Who may apply (服务对象)."""

    CITIZEN = "citizen", _("Citizens")
    COMPANY = "company", _("Companies")
    BOTH = "both", _("Citizens and companies")


class ServiceItem(models.Model):
    """政务服务事项 (basic catalogue): the elements that are the same at every level (四级四同).

    `code` follows GB/T 39554.1 in spirit: the catalogue code shared by every level. Items split
    主项 → 子项 → 办理项 through `parent`; only leaves (办理项) are applied for.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("item code"), max_length=64, unique=True)
    name = models.CharField(_("item name"), max_length=200)
    item_type = models.CharField(_("item type"), max_length=32, choices=ItemType.choices)
    competent_department_kind = models.CharField(_("competent department"), max_length=32)  # org.DepartmentKind
    basis = models.TextField(_("legal basis"))  # 设定和实施依据
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    handling_kind = models.CharField(_("handling kind"), max_length=16, choices=HandlingKind.choices,
                                     default=HandlingKind.NEW)
    serving = models.CharField(_("who may apply"), max_length=16, choices=ServingSubject.choices)
    # "theme" alone is the data catalogue's 数据主题, which comes first in INSTALLED_APPS.
    theme = models.CharField(pgettext_lazy("service item", "theme"), max_length=64, blank=True,
                             default="")  # life event / company stage
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service item")
        verbose_name_plural = _("service items")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ImplementationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUSPENDED = "suspended", _("Suspended")


class ItemImplementation(models.Model):
    """实施清单 / 办事指南: one division's implementation of a service item.

    The implementing department (实施机关) is at `division` or above it. `form_fields` is the list
    of questions the applicant answers (see guide.forms for the field kinds and the pre-fill
    sources); an instant item (秒办) has none to fill and a DMN `decision` that approves it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="implementations")
    division = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")  # 实施机关
    status = models.CharField(_("status"), max_length=16, choices=ImplementationStatus.choices,
                              default=ImplementationStatus.DRAFT)
    conditions = models.TextField(_("conditions for acceptance"), blank=True, default="")  # 受理条件
    legal_days = models.PositiveIntegerField(_("statutory time limit (working days)"))  # 法定期限
    promised_days = models.PositiveIntegerField(_("promised time limit (working days)"))  # 承诺期限
    fees = models.JSONField(_("fees"), default=list, blank=True)  # [{"name", "amount_fen", "basis"}]; [] = free
    result_name = models.CharField(_("result"), max_length=200)  # 办理结果
    result_licence_type = models.CharField(_("licence type of the result"), max_length=64, blank=True, default="")
    visits = models.PositiveSmallIntegerField(_("visits on site"), default=0)  # 到现场次数; 0 = 跑零次
    online = models.BooleanField(_("can be applied for online"), default=True)
    mobile = models.BooleanField(_("can be applied for on a phone"), default=True)
    instant = models.BooleanField(_("instant approval"), default=False)  # 秒办: decided by `decision`
    process = models.CharField(_("process (BPMN)"), max_length=64)  # a file name in applications/processes
    decision = models.CharField(_("decision table (DMN)"), max_length=64, blank=True, default="")
    form_fields = models.JSONField(_("form fields"), default=list, blank=True)
    place = models.CharField(_("place"), max_length=255, blank=True, default="")  # 办理地点
    hours = models.CharField(_("office hours"), max_length=255, blank=True, default="")  # 办理时间
    consultation = models.CharField(_("enquiries"), max_length=255, blank=True, default="")  # 咨询方式
    complaints = models.CharField(_("complaints"), max_length=255, blank=True, default="")  # 监督投诉方式
    special_steps = models.TextField(_("special steps"), blank=True, default="")  # 特殊环节
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item__code", "division__code"]
        constraints = [models.UniqueConstraint(fields=["item", "division"], name="guide_one_implementation_per_division")]
        verbose_name = _("implementation list")
        verbose_name_plural = _("implementation lists")

    def __str__(self) -> str:
        return f"{self.item.name} @ {self.division_id}"


class MaterialSource(models.TextChoices):
    """Where a material comes from: uploaded, or fetched instead of asked for (免提交)."""

    UPLOAD = "upload", _("Uploaded by the applicant")
    SHARED = "shared", _("Fetched from shared data")  # a sharing service of the exchange
    LICENCE = "licence", _("Fetched from an e-licence")  # an e-licence type
    PRODUCED = "produced", _("Produced by an earlier step")  # inside a one-thing bundle


class Material(models.Model):
    """申请材料: one material of an implementation list, with where it can be fetched from."""

    implementation = models.ForeignKey(ItemImplementation, on_delete=models.CASCADE, related_name="materials")
    code = models.SlugField(_("material code"), max_length=64)  # stable within the implementation
    name = models.CharField(_("material name"), max_length=200)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    basis = models.CharField(_("basis"), max_length=255, blank=True, default="")
    form = models.CharField(_("form"), max_length=32, default="electronic")  # electronic / paper / both
    required = models.BooleanField(_("required"), default=True)
    source = models.CharField(_("source"), max_length=16, choices=MaterialSource.choices, default=MaterialSource.UPLOAD)
    # SHARED: the sharing service code; LICENCE: the licence type code; PRODUCED: the item code
    # whose result this is. Blank for uploads.
    source_ref = models.CharField(_("fetched from"), max_length=128, blank=True, default="")
    accepted_types = models.JSONField(_("accepted file types"), default=list, blank=True)  # ["pdf", "jpg", "png"]
    max_bytes = models.PositiveIntegerField(_("largest upload (bytes)"), default=10 * 1024 * 1024)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["implementation_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["implementation", "code"], name="guide_material_code_unique")]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return self.name


class FinderQuestion(models.Model):
    """智能导服: one question of the guided finder; each answer narrows to items or asks the next."""

    code = models.SlugField(max_length=64, unique=True)
    text = models.CharField(_("question"), max_length=200)
    # [{"code", "label", "next": question code | "", "themes": [...], "items": [item codes]}]
    answers = models.JSONField(default=list)
    is_start = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("finder question")
        verbose_name_plural = _("finder questions")

    def __str__(self) -> str:
        return self.text
