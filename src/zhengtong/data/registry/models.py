"""The base registries (基础库): persons (人口库) and companies (法人库) as master records.

A linkage run (linkage/, Django-free) clusters the records of the registry's sources; the rows
here give each cluster a stable registry id (MasterRecord), remember which source record belongs
to which master (SourceRecord), and keep the golden record: one value per attribute chosen by
source of truth (一数一源), with its provenance (GoldenAttribute) and every change (AttributeHistory).

Personal values are encrypted at rest (kernel.crypto): golden values, history values and source
record ids (a source's key is often the resident ID itself). Identifiers are found through keyed
blind indexes, never through plaintext.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.fields import BlindIndexField, EncryptedTextField, normalize_strip

from .linkage.spec import COMPANY_ATTRIBUTES, PERSON_ATTRIBUTES


class Kind(models.TextChoices):
    PERSON = "person", _("Natural persons")
    COMPANY = "company", _("Legal persons")


ATTRIBUTES = {Kind.PERSON: PERSON_ATTRIBUTES, Kind.COMPANY: COMPANY_ATTRIBUTES}


class RegistrySource(models.Model):
    """登记来源: a catalog dataset used as a source of one registry, with its column mapping.

    `columns` maps the canonical attributes of the kind (linkage.spec) to the dataset's columns.
    `authoritative_for` names the attributes this source is the source of truth for (一数一源);
    `verified_attributes` those whose values the department checked against documents (核验), the
    rest being self-declared (自报) by the person or company.
    """

    kind = models.CharField(_("registry"), max_length=16, choices=Kind.choices)
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.PROTECT, related_name="+")
    # Short and unique in the registry: record ids are "<name>:<key>".
    name = models.SlugField(_("source name"), max_length=32)
    key_column = models.CharField(_("key column"), max_length=64)
    columns = models.JSONField(_("column mapping"), default=dict)
    authoritative_for = models.JSONField(_("authoritative for"), default=list, blank=True)
    verified_attributes = models.JSONField(_("verified attributes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="registry_source_name_unique"),
            models.UniqueConstraint(fields=["kind", "dataset"], name="registry_source_dataset_unique"),
        ]
        verbose_name = _("registry source")
        verbose_name_plural = _("registry sources")

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class LinkageRun(models.Model):
    """比对运行: one linkage of a registry's sources and what it changed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("registry"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    # The sources, their dataset versions and the thresholds, as given to the engine.
    config = models.JSONField(_("configuration"), default=dict)
    # Where the engine wrote its Parquet outputs; removed once applied (they hold personal data in
    # the clear), unless settings.REGISTRY_KEEP_RUN_OUTPUT. The engine's report stays here.
    output = models.CharField(max_length=1000, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    records = models.PositiveIntegerField(_("records"), default=0)
    pairs_linked = models.PositiveIntegerField(_("pairs linked"), default=0)
    pairs_for_review = models.PositiveIntegerField(_("pairs for review"), default=0)
    clusters = models.PositiveIntegerField(_("clusters"), default=0)
    masters_created = models.PositiveIntegerField(_("masters created"), default=0)
    masters_merged = models.PositiveIntegerField(_("masters merged"), default=0)
    masters_split = models.PositiveIntegerField(_("masters split"), default=0)
    masters_retired = models.PositiveIntegerField(_("masters retired"), default=0)
    masters_changed = models.PositiveIntegerField(_("golden records changed"), default=0)
    linkage_seconds = models.FloatField(_("linkage seconds"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    actor_kind = models.CharField(max_length=16)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # One run of a registry at a time: two would hand out ids for the same clusters.
            models.UniqueConstraint(fields=["kind"], condition=Q(status="running"), name="registry_one_running_run"),
        ]
        verbose_name = _("linkage run")
        verbose_name_plural = _("linkage runs")

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class MasterStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MERGED = "merged", _("Merged into another")
    RETIRED = "retired", _("Retired")


class MasterRecord(models.Model):
    """主记录: one person or company of the registry, under a stable registry id.

    The registry id ("ZJP…" for persons, "ZJC…" for companies, see ids.py) survives reruns; when
    two masters turn out to be one, the younger is merged into the older and its id redirects.
    """

    registry_id = models.CharField(_("registry id"), max_length=16, unique=True)
    kind = models.CharField(_("registry"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=MasterStatus.choices, default=MasterStatus.ACTIVE)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Blind index of the golden name and birth date (persons) for search without plaintext.
    name_birth_index = models.CharField(max_length=64, blank=True, db_index=True)
    # A display label kept masked (e.g. "张*"), so lists show something without decrypting.
    masked_label = models.CharField(_("label"), max_length=64, blank=True)
    record_count = models.PositiveIntegerField(_("source records"), default=0)
    created_run = models.ForeignKey(LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_run = models.ForeignKey(LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["registry_id"]
        indexes = [models.Index(fields=["kind", "status"], name="registry_master_kind_status")]
        verbose_name = _("master record")
        verbose_name_plural = _("master records")

    def __str__(self) -> str:
        return self.registry_id


class SourceRecord(models.Model):
    """来源记录: one row of a source, as the engine names it ("<source>:<key>"), and its master."""

    kind = models.CharField(_("registry"), max_length=16, choices=Kind.choices)
    record_id = EncryptedTextField(_("record id"))
    record_index = BlindIndexField(source="record_id", normalize=normalize_strip)
    source = models.ForeignKey(RegistrySource, on_delete=models.PROTECT, related_name="records")
    dataset_version = models.PositiveIntegerField(_("dataset version"))
    master = models.ForeignKey(MasterRecord, on_delete=models.PROTECT, related_name="source_records")
    # False once the row is gone from the source's current version.
    is_present = models.BooleanField(default=True)
    # Per attribute: [keyed digest of the value, when the source first delivered that value]. A
    # source reloaded with the same value does not make the value newer (survivorship's recency).
    value_state = models.JSONField(default=dict, blank=True)
    last_run = models.ForeignKey(LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "record_index"], name="registry_source_record_unique"),
        ]
        indexes = [models.Index(fields=["master", "is_present"], name="registry_record_master")]
        verbose_name = _("source record")
        verbose_name_plural = _("source records")


class GoldenAttribute(models.Model):
    """黄金记录属性: the registry's value of one attribute of a master, with where it came from.

    `lookup_index` is a blind index of the value for the identifiers (resident_id, uscc, mobile)
    only, each under its own purpose key: an index on every attribute would tell which masters
    share a gender or a birth date.
    """

    master = models.ForeignKey(MasterRecord, on_delete=models.CASCADE, related_name="attributes")
    attribute = models.CharField(_("attribute"), max_length=32)
    value = EncryptedTextField(_("value"))
    # Keyed digest of the value (as in SourceRecord.value_state): a run compares without decrypting.
    value_digest = models.CharField(max_length=64)
    lookup_index = models.CharField(max_length=64, blank=True, db_index=True)
    source = models.ForeignKey(RegistrySource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Provenance survives a source being removed: the dataset's resource code, its version.
    resource_code = models.CharField(_("source dataset"), max_length=64)
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    dataset_version = models.PositiveIntegerField(_("dataset version"))
    verified = models.BooleanField(_("verified by the government"))
    authoritative = models.BooleanField(_("from the source of truth"), default=False)
    # When the source delivered the value (the version's time) and when the registry took it.
    source_updated_at = models.DateTimeField(_("source updated at"))
    updated_at = models.DateTimeField(_("updated at"))
    run = models.ForeignKey(LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["master_id", "attribute"]
        constraints = [
            models.UniqueConstraint(fields=["master", "attribute"], name="registry_golden_attribute_unique"),
        ]
        indexes = [models.Index(fields=["attribute", "lookup_index"], name="registry_golden_lookup")]
        verbose_name = _("golden attribute")
        verbose_name_plural = _("golden attributes")


class AttributeHistory(models.Model):
    """属性变更记录: every change of a golden value (None before the first and after removal)."""

    master = models.ForeignKey(MasterRecord, on_delete=models.CASCADE, related_name="history")
    attribute = models.CharField(_("attribute"), max_length=32)
    old_value = EncryptedTextField(_("old value"), null=True, blank=True)
    new_value = EncryptedTextField(_("new value"), null=True, blank=True)
    source = models.ForeignKey(RegistrySource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resource_code = models.CharField(_("source dataset"), max_length=64, blank=True)
    dataset_version = models.PositiveIntegerField(_("dataset version"), null=True, blank=True)
    verified = models.BooleanField(_("verified by the government"), default=False)
    run = models.ForeignKey(LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        ordering = ["master_id", "-changed_at", "-id"]
        verbose_name = _("attribute history")
        verbose_name_plural = _("attribute history")


class PairStatus(models.TextChoices):
    OPEN = "open", _("Awaiting review")
    ACCEPTED = "accepted", _("Same entity")
    REJECTED = "rejected", _("Different entities")
    SUPERSEDED = "superseded", _("No longer in doubt")


class ClericalDecision(models.Model):
    """人工核查结论: a data officer's verdict on two records, respected by every later run.

    `pair_index` is a blind index of the two record ids in sorted order, so the verdict is found
    whichever way round the pair comes. The latest decision on a pair wins.
    """

    kind = models.CharField(_("registry"), max_length=16, choices=Kind.choices)
    left_record_id = EncryptedTextField(_("left record"))
    right_record_id = EncryptedTextField(_("right record"))
    pair_index = models.CharField(max_length=64, db_index=True)
    accepted = models.BooleanField(_("same entity"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    actor_kind = models.CharField(max_length=16)
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("clerical decision")
        verbose_name_plural = _("clerical decisions")


class ReviewPair(models.Model):
    """待核查记录对: a pair the linkage was unsure of, on a desk as a loop case (kind registry_review)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("registry"), max_length=16, choices=Kind.choices)
    left_record_id = EncryptedTextField(_("left record"))
    right_record_id = EncryptedTextField(_("right record"))
    pair_index = models.CharField(max_length=64, db_index=True)
    match_probability = models.FloatField(_("match probability"))
    # The two records' normalised values when the pair was raised (JSON, encrypted).
    left_values = EncryptedTextField(default="{}")
    right_values = EncryptedTextField(default="{}")
    left_master = models.ForeignKey(MasterRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    right_master = models.ForeignKey(MasterRecord, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    case_id = models.UUIDField(_("case"), unique=True)
    status = models.CharField(_("status"), max_length=16, choices=PairStatus.choices, default=PairStatus.OPEN)
    decision = models.ForeignKey(ClericalDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    run = models.ForeignKey(LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_run = models.ForeignKey(LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "pair_index"], condition=Q(status="open"),
                                    name="registry_one_open_review_per_pair"),
        ]
        verbose_name = _("review pair")
        verbose_name_plural = _("review pairs")

