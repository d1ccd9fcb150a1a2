"""互联网+监管: the law library, supervision items founded on its articles, the registers of
inspectable entities and inspectors, and 双随机一公开 plans with their checkable draw."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from zhengtong.kernel.crypto.fields import EncryptedTextField


class LawLevel(models.TextChoices):
    LAW = "law", _("Law")  # 法律
    ADMINISTRATIVE_REGULATION = "administrative_regulation", _("Administrative regulation")  # 行政法规
    LOCAL_REGULATION = "local_regulation", _("Local regulation")  # 地方性法规
    DEPARTMENTAL_RULE = "departmental_rule", _("Departmental rule")  # 部门规章


class ProvisionState(models.TextChoices):
    IN_FORCE = "in_force", _("In force")  # 现行有效
    AMENDED = "amended", _("Amended")  # 已修改
    REPEALED = "repealed", _("Repealed")  # 已废止


class Law(models.Model):
    """法律法规: a law, regulation or rule of the law library."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    issuing_authority = models.CharField(_("issuing authority"), max_length=200)
    level = models.CharField(pgettext_lazy("law", "level"), max_length=32, choices=LawLevel.choices)
    promulgated_on = models.DateField(_("promulgated on"))
    effective_on = models.DateField(_("effective on"))
    state = models.CharField(_("state"), max_length=16, choices=ProvisionState.choices,
                             default=ProvisionState.IN_FORCE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["title", "issuing_authority"], name="supervision_law_unique")]

    def __str__(self) -> str:
        return self.title


class Article(models.Model):
    """法条: one article of a law; its text and state are the current version's (see ArticleVersion)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    law = models.ForeignKey(Law, on_delete=models.PROTECT, related_name="articles")
    number = models.CharField(_("article number"), max_length=32)  # 第十二条
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(pgettext_lazy("law article", "text"))
    state = models.CharField(_("state"), max_length=16, choices=ProvisionState.choices,
                             default=ProvisionState.IN_FORCE)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["law_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["law", "number"], name="supervision_article_unique")]

    def __str__(self) -> str:
        return f"《{self.law.title}》{self.number}"


class ArticleVersion(models.Model):
    """法条版本: every text an article has had; amending adds one and the older stay readable."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    text = models.TextField(pgettext_lazy("law article", "text"))
    state = models.CharField(_("state"), max_length=16, choices=ProvisionState.choices)
    change = models.CharField(max_length=16, default="enacted")  # enacted, amended, repealed, interpreted
    note = models.TextField(blank=True, default="")
    effective_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["article_id", "version"]
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="supervision_article_version")]


class SupervisionItem(models.Model):
    """监管事项目录: a catalogue item of supervision, founded on at least one article.

    When an article it cites is amended or repealed (立改废释), the item is flagged and a
    "supervision_item_review" loop opens for the owning department; the flag and the loop's
    state are mirrored here until the loop closes.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("item code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    department_kind = models.CharField(_("department kind"), max_length=32)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    articles = models.ManyToManyField(Article, related_name="items")
    checklist = models.JSONField(_("check contents"), default=list)
    is_key = models.BooleanField(_("key supervision item"), default=False)  # 重点监管: no ordinary cap
    needs_review = models.BooleanField(default=False)
    review_reason = models.TextField(blank=True, default="")
    review_case_id = models.UUIDField(null=True, blank=True)
    review_state = models.CharField(max_length=16, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class ImplementationItem(models.Model):
    """监管事项实施清单: a catalogue item as one department at one division carries it out."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.ForeignKey(SupervisionItem, on_delete=models.PROTECT, related_name="implementations")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    division = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item_id", "division_id"]
        constraints = [models.UniqueConstraint(fields=["item", "department"], name="supervision_impl_unique")]


class InspectableEntity(models.Model):
    """检查对象名录库: the compact register the draw reads, refreshed from the legal-person registry
    and credit (one row per company; no personal data beyond the public legal representative)."""

    uscc = models.CharField(max_length=18, unique=True)
    registry_id = models.CharField(max_length=16, blank=True, default="")
    name = models.CharField(max_length=200)
    division_code = models.CharField(max_length=12, db_index=True)
    legal_representative = models.CharField(max_length=64, blank=True, default="")
    industry = models.CharField(max_length=32, blank=True, default="")  # a department kind, or blank
    credit_class = models.CharField(max_length=1, default="B")
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["uscc"]


class Inspector(models.Model):
    """执法检查人员名录库: a staff user with an enforcement certificate (执法证号)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=64)
    certificate_no = models.CharField(_("enforcement certificate number"), max_length=32, unique=True)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    division = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    conflicts = models.JSONField(_("declared conflicts"), default=list)  # USCCs, sorted
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["department_id", "certificate_no"]

    def __str__(self) -> str:
        return f"{self.name}（{self.certificate_no}）"


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMMITTED = "committed", _("Published, seed committed")
    DRAWN = "drawn", _("Drawn")
    REVEALED = "revealed", _("Seed revealed")


class InspectionPlan(models.Model):
    """双随机抽查计划: items (several departments' for a joint plan), a division, sampling ratios
    per credit class and inspectors per inspection; its draw is committed, run once, revealed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    division = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    items = models.ManyToManyField(SupervisionItem, related_name="plans")
    ratios = models.JSONField(default=dict)  # credit class → basis points (1% = 100)
    inspectors_per_inspection = models.PositiveSmallIntegerField(default=2)
    state = models.CharField(max_length=16, choices=PlanState.choices, default=PlanState.DRAFT)
    # The commitment: SHA-256 of the seed, and digests of the frozen candidates and inspectors.
    seed = EncryptedTextField(blank=True, default="")  # hex; shown only once revealed
    commitment = models.CharField(max_length=64, blank=True, default="")
    candidates = models.BinaryField(null=True, blank=True)  # zlib of the canonical candidate list
    candidates_digest = models.CharField(max_length=64, blank=True, default="")
    candidate_count = models.PositiveIntegerField(default=0)
    inspectors_snapshot = models.JSONField(default=list, blank=True)
    inspectors_digest = models.CharField(max_length=64, blank=True, default="")
    result_digest = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    publish_due = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def ratio_percents(self) -> dict[str, str]:
        """Credit class → the ratio in percent as written (basis points / 100, no trailing zeros)."""
        return {k: f"{bp / 100:g}" for k, bp in sorted(self.ratios.items())}


class InspectionResult(models.TextChoices):
    NO_PROBLEM = "no_problem", _("No problem found")  # 未发现问题
    RECTIFICATION = "rectification", _("Rectification ordered")  # 责令整改
    PENALTY_CASE = "penalty_case", _("Penalty case filed")  # 立案查处


class DrawnEntity(models.Model):
    """抽中对象: one entity the draw selected, its inspectors (certificate numbers, in order) or
    why none could be assigned, and the published result."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="drawn")
    uscc = models.CharField(max_length=18)
    name = models.CharField(max_length=200)
    division_code = models.CharField(max_length=12)
    credit_class = models.CharField(max_length=1)
    inspectors = models.JSONField(default=list)
    unassigned_reason = models.CharField(max_length=200, blank=True, default="")
    assigned_by_hand = models.BooleanField(default=False)  # after the draw left it unassigned
    result = models.CharField(max_length=16, choices=InspectionResult.choices, blank=True, default="")
    result_on = models.DateField(null=True, blank=True)
    result_note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["plan_id", "uscc"]
        constraints = [models.UniqueConstraint(fields=["plan", "uscc"], name="supervision_drawn_unique")]


class CheckVerdict(models.TextChoices):
    CONFORMS = "conforms", _("Conforms")  # 符合
    DOES_NOT = "does_not", _("Does not conform")  # 不符合
    NOT_APPLICABLE = "not_applicable", _("Not applicable")  # 不适用


class Inspection(models.Model):
    """掌上执法: one on-site inspection of an entity, by the drawn entity of a plan or ad hoc:
    the item's checklist answered, findings, photos, where, the inspectors' signatures and the
    outcome (no problem, a rectification loop, or a penalty case)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    drawn = models.ForeignKey(DrawnEntity, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(SupervisionItem, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    uscc = models.CharField(max_length=18, db_index=True)
    name = models.CharField(max_length=200)
    inspected_on = models.DateField()
    checks = models.JSONField(default=list)  # [{"check", "verdict", "note"}]
    findings = models.TextField(blank=True, default="")
    photos = models.JSONField(default=list)  # storage names
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    signatures = models.JSONField(default=list)  # [{"certificate_no", "name", "signed_at"}]
    outcome = models.CharField(max_length=16, choices=InspectionResult.choices)
    rectification_due = models.DateField(null=True, blank=True)
    rectification_case_id = models.UUIDField(null=True, blank=True)
    recheck_note = models.TextField(blank=True, default="")
    rechecked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class PenaltyState(models.TextChoices):
    FILED = "filed", _("Filed")  # 立案
    INVESTIGATING = "investigating", _("Under investigation")  # 调查取证
    DECIDED = "decided", _("Decided")  # 处罚决定
    ENFORCING = "enforcing", _("Being enforced")  # 执行
    CLOSED = "closed", pgettext_lazy("penalty case", "Closed")  # 结案


class PenaltyKind(models.TextChoices):
    WARNING = "warning", _("Warning")  # 警告
    FINE = "fine", _("Fine")  # 罚款
    OTHER = "other", _("Other penalty")  # 其他


class PenaltyCase(models.Model):
    """行政处罚案件: filed (often from an inspection), investigated, decided on a legal basis in
    force, enforced and closed; the decision is published (双公示) and goes to credit."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    uscc = models.CharField(max_length=18, db_index=True)
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=16, choices=PenaltyState.choices, default=PenaltyState.FILED)
    facts = models.TextField(blank=True, default="")
    basis = models.ForeignKey(Article, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    basis_text = models.CharField(max_length=300, blank=True, default="")  # as it stood at the decision
    penalty_kind = models.CharField(max_length=16, choices=PenaltyKind.choices, blank=True, default="")
    fine_fen = models.BigIntegerField(default=0)
    penalty_other = models.CharField(max_length=200, blank=True, default="")
    serious = models.BooleanField(default=False)
    decision_number = models.CharField(max_length=64, blank=True, default="")
    decided_on = models.DateField(null=True, blank=True)
    history = models.JSONField(default=list)  # [{"state", "at", "by", "note"}]
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def penalty_text(self) -> str:
        if self.penalty_kind == PenaltyKind.FINE:
            return f"{PenaltyKind.FINE.label} {self.fine_fen // 100}.{self.fine_fen % 100:02d} 元"
        if self.penalty_kind == PenaltyKind.OTHER:
            return self.penalty_other
        return str(PenaltyKind(self.penalty_kind).label) if self.penalty_kind else ""


# --- 风险预警 (risk warning) ----------------------------------------------------------------------


class SignalKind(models.TextChoices):
    ABNORMAL_OPERATION = "abnormal_operation", _("Abnormal operation")  # 经营异常
    COMPLAINT = "complaint", _("Complaint or report")  # 投诉举报
    TAX_ARREARS = "tax_arrears", _("Tax arrears")  # 欠税
    PENALTY = "penalty", _("Administrative penalty")  # 行政处罚
    CREDIT_GRADE = "credit_grade", _("Credit grade C or D")  # 信用等级


class RiskSignal(models.Model):
    """风险信号: one observation about an entity from shared data (a count or an amount)."""

    uscc = models.CharField(max_length=18, db_index=True)
    kind = models.CharField(max_length=32, choices=SignalKind.choices)
    value = models.PositiveIntegerField(default=1)  # a count (complaints) or 1 for a fact
    source = models.CharField(max_length=64)
    observed_at = models.DateField()
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uscc", "kind", "observed_at"]


class RiskRule(models.Model):
    """预警规则: weights per signal kind, a threshold, and the department kind responsible."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    department_kind = models.CharField(max_length=32)
    weights = models.JSONField(default=dict)  # signal kind → points per unit of value
    threshold = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    legal_basis = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class ClueFeedback(models.TextChoices):
    VERIFIED = "verified", pgettext_lazy("risk clue", "Verified")  # 属实
    NOT_CONFIRMED = "not_confirmed", pgettext_lazy("risk clue", "Not confirmed")  # 不属实


class RiskClue(models.Model):
    """风险线索: an entity scoring at or over a rule's threshold; its loop runs to the department's
    核查反馈 (feedback), which closes it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rule = models.ForeignKey(RiskRule, on_delete=models.PROTECT, related_name="clues")
    uscc = models.CharField(max_length=18, db_index=True)
    name = models.CharField(max_length=200, blank=True, default="")
    score = models.PositiveIntegerField()
    reasons = models.JSONField(default=list)  # Chinese sentences, one per contributing signal kind
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    case_id = models.UUIDField(null=True, blank=True)
    due_on = models.DateField()
    open = models.BooleanField(default=True)
    feedback = models.CharField(max_length=16, choices=ClueFeedback.choices, blank=True, default="")
    feedback_note = models.TextField(blank=True, default="")
    feedback_at = models.DateTimeField(null=True, blank=True)
    fed_back_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["uscc", "rule"], condition=models.Q(open=True),
                                               name="supervision_one_open_clue")]
