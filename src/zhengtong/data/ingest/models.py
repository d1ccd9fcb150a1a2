"""Loads (归集批次), the dataset versions they make, and uploads in progress."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import message_render


class LoadMode(models.TextChoices):
    FULL = "full", _("Full replace")
    APPEND = "append", _("Append")
    UPSERT = "upsert", _("Upsert by primary key")


class LoadStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class LoadPhase(models.TextChoices):
    WAITING = "", _("Waiting")
    READ = "read", _("Reading the file")
    VALIDATE = "validate", _("Checking the rules")
    WRITE = "write", _("Writing the version")
    DONE = "done", _("Done")


class Load(models.Model):
    """归集批次: one attempt to load a source into a dataset, with its report.

    A load that fails changes nothing but this row. `report` holds, per rule code,
    {kind, field, fields, failed, samples: [{row, values}]}: the first failing rows as delivered
    (the owner department's own data; pages and exports mask them by each field's maskingKind).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.PROTECT, related_name="loads")
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    actor_kind = models.CharField(max_length=16)
    source_name = models.CharField(_("source"), max_length=500)
    source_format = models.CharField(_("format"), max_length=16, blank=True)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    mode = models.CharField(_("mode"), max_length=8, choices=LoadMode.choices, default=LoadMode.FULL)
    status = models.CharField(_("status"), max_length=16, choices=LoadStatus.choices, default=LoadStatus.QUEUED)
    rows_read = models.BigIntegerField(_("rows read"), default=0)
    problem_rows = models.BigIntegerField(_("rows with problems"), default=0)
    report = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    progress_phase = models.CharField(max_length=16, choices=LoadPhase.choices, blank=True, default="")
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(null=True, blank=True)
    # An uploaded source waiting for (or being read by) the worker; deleted when the load ends.
    upload = models.OneToOneField("Upload", null=True, blank=True, on_delete=models.SET_NULL, related_name="load")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["dataset", "status"], name="ingest_load_dataset_status")]
        verbose_name = _("load")
        verbose_name_plural = _("loads")

    def __str__(self) -> str:
        return f"{self.source_name} ({self.get_status_display()})"

    @property
    def error_message(self) -> str:
        return message_render(self.error_code, self.error_params) if self.error_code else ""

    @property
    def progress_percent(self) -> int | None:
        if not self.progress_total:
            return None
        return max(0, min(100, int(self.progress_done * 100 / self.progress_total)))

    @property
    def is_finished(self) -> bool:
        return self.status in (LoadStatus.SUCCEEDED, LoadStatus.FAILED)


class DatasetVersion(models.Model):
    """数据集版本: an immutable Parquet file in the lake, made by one load."""

    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    lake_path = models.CharField(max_length=1000)  # relative to the lake root
    row_count = models.BigIntegerField()
    schema_version = models.PositiveIntegerField()
    load = models.OneToOneField(Load, on_delete=models.PROTECT, related_name="version")
    mode = models.CharField(max_length=8, choices=LoadMode.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="ingest_version_number_unique")]
        verbose_name = _("dataset version")
        verbose_name_plural = _("dataset versions")

    def __str__(self) -> str:
        return f"v{self.number}"


class UploadStatus(models.TextChoices):
    RECEIVING = "receiving", _("Receiving")
    COMPLETE = "complete", _("Complete")


class Upload(models.Model):
    """A file arriving in chunks (resumable): `received` bytes are on disk, in order, from 0."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    api_client_id = models.BigIntegerField(null=True, blank=True)
    filename = models.CharField(max_length=255)
    size = models.BigIntegerField()
    received = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=UploadStatus.choices, default=UploadStatus.RECEIVING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")

    def __str__(self) -> str:
        return self.filename
