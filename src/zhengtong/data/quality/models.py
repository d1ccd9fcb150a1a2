"""Data quality governance (数据治理): each load's quality snapshot, and the problem loops it opens.

The rows here are derived from ingest's "ingest.load_succeeded" events and from the timeliness
job; nobody edits them. The loops themselves (deadlines, history, who did what) live in
kernel.loops; ProblemLoop only remembers which case stands for which (dataset, rule) problem and
how many rows the latest load still had wrong.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Dimension(models.TextChoices):
    """The five quality dimensions a snapshot scores (GB/T 36344 names six; accuracy needs a
    reference truth the platform does not have, so it is left out)."""

    COMPLETENESS = "completeness", _("Completeness")
    VALIDITY = "validity", _("Validity")
    CONSISTENCY = "consistency", _("Consistency")
    UNIQUENESS = "uniqueness", _("Uniqueness")
    TIMELINESS = "timeliness", _("Timeliness")


def _score_field(label):
    # 0.00-100.00; None when the load had no rule of the dimension (or no rows to score).
    return models.DecimalField(label, max_digits=5, decimal_places=2, null=True, blank=True)


class QualitySnapshot(models.Model):
    """质量快照: the quality of one successful load of a dataset, as ingest measured it."""

    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="+")
    # Ingest's identifier of the load (its type is ingest's business: kept as text).
    load_id = models.CharField(_("load"), max_length=64)
    version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    rows = models.PositiveBigIntegerField(_("rows"))
    problem_rows = models.PositiveBigIntegerField(_("problem rows"))
    completeness = _score_field(_("completeness"))
    validity = _score_field(_("validity"))
    consistency = _score_field(_("consistency"))
    uniqueness = _score_field(_("uniqueness"))
    timeliness = _score_field(_("timeliness"))
    overall = _score_field(_("overall score"))
    # Whether the load came within the update cycle of the one before; None for irregular datasets.
    on_time = models.BooleanField(_("on time"), null=True)
    # When ingest announced the load (the event's time): the order of loads and the timeliness clock.
    loaded_at = models.DateTimeField(_("loaded at"))
    event_id = models.UUIDField(_("event"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "-loaded_at", "-id"]
        constraints = [
            # Events are delivered at least once: the same load is recorded once.
            models.UniqueConstraint(fields=["dataset", "load_id"], name="quality_snapshot_load_unique"),
        ]
        indexes = [models.Index(fields=["dataset", "-loaded_at"], name="quality_snapshot_dataset_time")]
        verbose_name = _("quality snapshot")
        verbose_name_plural = _("quality snapshots")

    def __str__(self) -> str:
        return f"{self.dataset_id} load {self.load_id}"

    @property
    def problem_ratio(self) -> float | None:
        """问题数据率: rows failing at least one rule, over rows (None for an empty load)."""
        return self.problem_rows / self.rows if self.rows else None


class RuleResult(models.Model):
    """规则结果: how many rows of one load failed one rule."""

    snapshot = models.ForeignKey(QualitySnapshot, on_delete=models.CASCADE, related_name="rule_results")
    code = models.CharField(_("rule code"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16)
    field = models.CharField(_("field"), max_length=64, blank=True)
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    failed = models.PositiveBigIntegerField(_("failed rows"))

    class Meta:
        ordering = ["snapshot_id", "code"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "code"], name="quality_rule_result_unique")]
        verbose_name = _("rule result")
        verbose_name_plural = _("rule results")

    def __str__(self) -> str:
        return f"{self.code}: {self.failed}"


class TrackedDataset(models.Model):
    """A dataset quality has seen loaded: its latest snapshot and when it was last loaded.

    One row per dataset, locked while a load's event is handled, so two events of the same dataset
    are applied one after the other.
    """

    dataset = models.OneToOneField("catalog.Dataset", on_delete=models.CASCADE, primary_key=True, related_name="+")
    latest_snapshot = models.ForeignKey(
        QualitySnapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_loaded_at = models.DateTimeField(_("last loaded at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tracked dataset")
        verbose_name_plural = _("tracked datasets")

    def __str__(self) -> str:
        return str(self.dataset_id)


class Resolution(models.TextChoices):
    DATA = "data", _("Resolved by the data: a later load no longer has the problem")
    PEOPLE = "people", _("Closed through the loop by people")


# The rule code under which the timeliness job tracks a dataset that is late.
TIMELINESS_CODE = "timeliness"


class ProblemLoop(models.Model):
    """问题数据闭环: the loop (kernel.loops case) that stands for one problem of one dataset.

    A problem is a rule that rows of the latest load fail (rule_code "<kind>:<field>" or a declared
    rule's code), or the dataset being late against its update cycle (rule_code "timeliness").
    At most one loop per (dataset, rule) is open; a new one opens if the problem comes back after
    its loop closed.
    """

    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="+")
    rule_code = models.CharField(_("rule code"), max_length=64)
    rule_kind = models.CharField(_("kind"), max_length=16)
    field = models.CharField(_("field"), max_length=64, blank=True)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    case_id = models.UUIDField(_("case"), unique=True)
    # Failing rows in the latest load that had the problem (for timeliness: days since the last load).
    count = models.PositiveBigIntegerField(_("count"))
    first_count = models.PositiveBigIntegerField(_("count when opened"))
    rows = models.PositiveBigIntegerField(_("rows"), null=True, blank=True)
    opened_load_id = models.CharField(max_length=64, blank=True)
    last_load_id = models.CharField(max_length=64, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    updated_at = models.DateTimeField(_("updated at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=8, choices=Resolution.choices, blank=True)
    closed_load_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "rule_code"], condition=Q(closed_at__isnull=True), name="quality_one_open_problem"
            ),
        ]
        indexes = [models.Index(fields=["department", "closed_at"], name="quality_problem_department")]
        verbose_name = _("problem loop")
        verbose_name_plural = _("problem loops")

    def __str__(self) -> str:
        return f"{self.dataset_id}#{self.rule_code}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
