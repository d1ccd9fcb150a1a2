"""公共信用: credit records, grades, joint reward and punishment measures and the measures applied.

Every subject (a company or a person) is known here by its subject key: "C:" + the unified social
credit code for a company (a public identifier), "P:" + a keyed blind index of the resident ID for a
person (keys.subject_key). Records and grades share the key, so a grade lookup is one indexed query
and the set-based evaluation groups records by it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from zhengtong.kernel.crypto.fields import EncryptedTextField


class SubjectKind(models.TextChoices):
    COMPANY = "company", pgettext_lazy("公共信用", "Company")  # 法人和非法人组织
    PERSON = "person", pgettext_lazy("公共信用", "Person")  # 自然人


class RecordCategory(models.TextChoices):
    LICENSING = "licensing", _("Administrative licensing")  # 行政许可
    PENALTY = "penalty", _("Administrative penalty")  # 行政处罚
    RED_LIST = "red_list", _("Red list")  # 红名单
    BLACK_LIST = "black_list", _("Black list (serious dishonesty)")  # 黑名单/严重失信主体名单
    HONOUR = "honour", _("Commendation and honour")  # 表彰荣誉
    TAX_CREDIT = "tax_credit", _("Tax credit")  # 纳税信用
    COURT_ENFORCEMENT = "court_enforcement", _("Dishonest judgment debtor")  # 法院失信被执行人


class PenaltyDomain(models.TextChoices):
    """Fields whose penalty records stay published at least one year (NDRC Order 58, 2023)."""

    GENERAL = "", _("General")
    SPECIAL_EQUIPMENT = "special_equipment", _("Special equipment")  # 特种设备
    WORK_SAFETY = "work_safety", _("Work safety")  # 安全生产
    FIRE_SAFETY = "fire_safety", _("Fire safety")  # 消防安全


# In context: earlier apps' "Published" (已发布), "field" (字段), "grade" (数据分级), "Pending"
# (待投递) and "subject kind" (数据主体类型) are not the credit register's words.
class RecordState(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("公共信用", "Published")  # 公示中
    REPAIRED = "repaired", _("Repaired")  # 已修复
    EXPIRED = "expired", _("Removed at expiry")  # 到期移除


class CreditRecord(models.Model):
    """信用记录: one fact about a subject's credit, filed by its source department with its basis.

    A person's resident ID and name are encrypted; the subject key (a blind index for persons) is
    how records are found. A penalty record's publication runs from `published_on` to at most
    `publish_max_until`; it may be removed early (信用修复) from `publish_min_until`.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject_kind = models.CharField(pgettext_lazy("公共信用", "subject kind"), max_length=16, choices=SubjectKind.choices)
    subject_key = models.CharField(max_length=80, db_index=True)
    subject_name = EncryptedTextField(_("subject name"))
    subject_identifier = EncryptedTextField(_("subject identifier"))
    registry_id = models.CharField(_("registry id"), max_length=32, blank=True, default="")
    category = models.CharField(_("category"), max_length=24, choices=RecordCategory.choices)
    serious = models.BooleanField(_("serious"), default=False)  # 情节严重 (penalties)
    domain = models.CharField(pgettext_lazy("公共信用", "field"), max_length=24, choices=PenaltyDomain.choices, blank=True, default="")
    level = models.CharField(_("level"), max_length=2, blank=True, default="")  # 纳税信用级别 A/B/M/C/D
    title = models.CharField(_("title"), max_length=300)
    decision_number = models.CharField(_("decision number"), max_length=100, blank=True, default="")
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    legal_basis = models.CharField(_("legal basis"), max_length=500)
    decided_on = models.DateField(_("decided on"))
    published_on = models.DateField(_("published on"))
    publish_min_until = models.DateField(null=True, blank=True)
    publish_max_until = models.DateField(null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=RecordState.choices, default=RecordState.PUBLISHED)
    state_reason = models.CharField(max_length=500, blank=True, default="")
    state_changed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200)  # the actor as the ledger names them
    created_at = models.DateTimeField(auto_now_add=True)
    ledger_leaf_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_on", "-id"]
        indexes = [
            models.Index(fields=["state", "publish_max_until"], name="credit_record_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(legal_basis=""), name="credit_record_has_basis"),
        ]
        verbose_name = _("credit record")

    def __str__(self) -> str:
        return f"{self.category} {self.public_id}"


class CreditGrade(models.Model):
    """信用等级: a subject's grade as evaluated (or set by hand), kept with its history.

    `current` marks the subject's grade in force (one per subject, enforced by a partial unique
    index, which also serves the approval hook's one lookup); older rows are the history.
    `lists` names the lists the subject is on at evaluation ("black_list red_list"), for measures.
    """

    subject_key = models.CharField(max_length=80)
    subject_kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    grade = models.CharField(pgettext_lazy("公共信用", "grade"), max_length=1)
    score = models.IntegerField(_("score"), null=True, blank=True)
    lists = models.CharField(max_length=100, blank=True, default="")
    # indicator code → number of records it counted (the reasons, as data; explained by evaluation.py)
    counts = models.JSONField(default=dict, blank=True)
    manual = models.BooleanField(default=False)
    reason = models.CharField(max_length=500, blank=True, default="")  # a manual grade's reason
    model_version = models.CharField(max_length=32, blank=True, default="")
    current = models.BooleanField(default=True)
    evaluated_at = models.DateTimeField()

    class Meta:
        ordering = ["-evaluated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subject_key"], condition=Q(current=True), name="credit_grade_one_current"),
        ]
        indexes = [models.Index(fields=["subject_key", "evaluated_at"], name="credit_grade_history")]
        verbose_name = _("credit grade")

    def __str__(self) -> str:
        return f"{self.subject_key} {self.grade}"


class MeasureKind(models.TextChoices):
    REWARD = "reward", _("Reward")  # 激励
    PUNISHMENT = "punishment", _("Punishment")  # 惩戒


class MeasureScene(models.TextChoices):
    APPROVAL = "approval", _("Administrative approval")  # 行政审批
    INSPECTION = "inspection", _("Inspection")  # 监管检查
    PUBLIC_RESOURCE = "public_resource", _("Public resource trading")  # 公共资源交易


class JointMeasure(models.Model):
    """联合奖惩措施: one measure of the list, applied to some grades or list memberships, in some
    scenes, always with its legal basis (国办发〔2020〕49号: measures only from a list, with a basis)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=MeasureKind.choices)
    grades = models.CharField(_("grades"), max_length=8, blank=True, default="")  # e.g. "CD"
    lists = models.CharField(_("lists"), max_length=100, blank=True, default="")  # e.g. "black_list"
    scenes = models.CharField(_("scenes"), max_length=100)  # space-separated MeasureScene values
    outcome = models.CharField(max_length=16, blank=True, default="")  # the approval hook's outcome
    legal_basis = models.CharField(_("legal basis"), max_length=500)
    description = models.TextField(_("description"), blank=True, default="")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [models.CheckConstraint(condition=~Q(legal_basis=""), name="credit_measure_has_basis")]
        verbose_name = _("joint measure")

    def __str__(self) -> str:
        return self.name

    @property
    def scene_labels(self) -> list[str]:
        labels = dict(MeasureScene.choices)
        return [str(labels.get(scene, scene)) for scene in self.scenes.split()]

    @property
    def list_labels(self) -> list[str]:
        labels = dict(RecordCategory.choices)
        return [str(labels.get(name, name)) for name in self.lists.split()]


class AppliedMeasure(models.Model):
    """已实施措施: a measure applied to a subject, where and on what (an application's id…)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject_key = models.CharField(max_length=80)
    measure = models.ForeignKey(JointMeasure, on_delete=models.PROTECT, related_name="applications")
    scene = models.CharField(max_length=16, choices=MeasureScene.choices)
    reference = models.CharField(max_length=100, blank=True, default="")
    grade = models.CharField(max_length=1, blank=True, default="")
    at = models.DateTimeField()
    ledger_leaf_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_key", "at"], name="credit_applied_subject")]


class RepairState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("公共信用", "Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class RepairRequest(models.Model):
    """信用修复申请: the subject asks to remove a penalty record early, with proof of correction;
    the record's source department decides."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record = models.ForeignKey(CreditRecord, on_delete=models.PROTECT, related_name="repairs")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proof = models.TextField(_("proof of correction"))
    state = models.CharField(_("state"), max_length=16, choices=RepairState.choices, default=RepairState.PENDING)
    decision_note = models.CharField(max_length=500, blank=True, default="")
    decided_by = models.CharField(max_length=200, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["record"], condition=Q(state="pending"), name="credit_one_pending_repair"),
        ]
