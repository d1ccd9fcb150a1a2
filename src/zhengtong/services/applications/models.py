"""办件: applications, their materials, the tasks of their process, decisions, timeline, notices."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")  # saved, not submitted
    SUBMITTED = "submitted", _("Submitted")  # awaiting intake (受理)
    IN_PROGRESS = "in_progress", _("Being handled")
    CORRECTION = "correction", _("Sent back for correction")  # 补正: waiting for the applicant
    APPROVED = "approved", pgettext_lazy("办件", "Approved")
    REJECTED = "rejected", pgettext_lazy("办件", "Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CONCLUDED_STATES = (ApplicationState.APPROVED, ApplicationState.REJECTED, ApplicationState.WITHDRAWN)


class Channel(models.TextChoices):
    WEB = "web", _("Website")
    MOBILE = "mobile", _("Phone")
    COUNTER = "counter", _("Counter")


class Application(models.Model):
    """办件: one application for one item's implementation by one applicant.

    A draft is an Application in state DRAFT (saved answers, no reference yet). Submission gives
    it a `reference` (办件编号), routes it (`department`, `division`) and starts its process; the
    serialized SpiffWorkflow state lives in `workflow`. `(applicant_user, idempotency_key)` is
    unique so a retried submission returns the first application instead of making a second.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, null=True, blank=True)
    implementation = models.ForeignKey("guide.ItemImplementation", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("guide.ServiceItem", on_delete=models.PROTECT, related_name="+")
    applicant_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    citizen = models.ForeignKey("identity.Citizen", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey("identity.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Routing (一窗受理、收办分离): where it is taken in and who handles it.
    division = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=ApplicationState.choices, default=ApplicationState.DRAFT)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    answers = models.JSONField(default=dict, blank=True)
    # {field name: {"source": "registry-person"|"applicant"|…, "label": "人口库", "at": iso time, "changed": bool}}
    provenance = models.JSONField(default=dict, blank=True)
    draft_step = models.CharField(max_length=64, blank=True, default="")  # the page a draft was left on
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)
    workflow = models.JSONField(null=True, blank=True)  # serialized SpiffWorkflow state
    submitted_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)  # the promised deadline in working days
    concluded_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = models.TextField(blank=True, default="")  # the reasons of an approval or rejection
    instant = models.BooleanField(default=False)  # decided by a DMN table without a person (秒办)
    visits = models.PositiveSmallIntegerField(default=0)  # trips to a counter this application took
    corrections = models.PositiveSmallIntegerField(default=0)  # times sent back (补正)
    ledger_leaf_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["applicant_user", "idempotency_key"], name="applications_idempotent_submit"),
        ]
        indexes = [
            models.Index(fields=["department", "state"]),
            models.Index(fields=["item", "state"]),
            models.Index(fields=["applicant_user", "state"]),
        ]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return self.reference or str(self.public_id)


class ApplicationMaterial(models.Model):
    """A material of an application: uploaded, or fetched (免提交) after the applicant previewed it.

    `waived` is True when the applicant did not have to provide it (fetched from shared data, from
    an e-licence, or produced by an earlier part of a one-thing bundle): the count of waived
    materials is a measure. `evidence` is what was fetched, as shown in the preview.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey("guide.Material", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16)  # guide.MaterialSource
    waived = models.BooleanField(default=False)
    evidence = models.JSONField(null=True, blank=True)  # {"service", "key", "fields": {...}, "masked": [...]}
    evidence_ref = models.CharField(max_length=200, blank=True, default="")  # service:key, licence id, part ref
    previewed_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="applications/%Y/%m/", null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True, default="")
    content_type = models.CharField(max_length=100, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application_id", "material__position", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "material"], name="applications_one_per_material")]


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ApplicationTask(models.Model):
    """办理环节: a user task of the application's BPMN process, for one role in one department."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="tasks")
    spec_id = models.CharField(max_length=64)  # the BPMN task id
    workflow_task_id = models.CharField(max_length=64)  # SpiffWorkflow's task UUID
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=32)  # org.Role, from the BPMN lane
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=TaskState.choices, default=TaskState.OPEN)
    due_on = models.DateField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    outcome = models.CharField(max_length=16, blank=True, default="")  # approve / reject / correct / done
    note = models.TextField(blank=True, default="")
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application_id", "created_at", "id"]
        indexes = [models.Index(fields=["department", "state", "role"]), models.Index(fields=["state", "due_on"])]


class Decision(models.Model):
    """A recorded decision: a DMN table's (秒办) or a decision hook's, with its inputs, kept and
    shown to the applicant."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    source = models.CharField(max_length=64)  # "dmn:<table>" or "hook:<name>"
    inputs = models.JSONField(default=dict)
    outputs = models.JSONField(default=dict)
    matched_rules = models.JSONField(default=list)
    outcome = models.CharField(max_length=16)  # approve / reject / manual / note
    explanation = models.TextField(blank=True, default="")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application_id", "decided_at", "id"]


class ApplicationEvent(models.Model):
    """The application's timeline (办理进度): what happened, when, by which role."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)  # submitted, accepted, task_done, correction_requested, …
    title = models.CharField(max_length=200)
    note = models.TextField(blank=True, default="")
    actor_label = models.CharField(max_length=128, blank=True, default="")  # a role or department, never a person
    visible_to_applicant = models.BooleanField(default=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application_id", "at", "id"]


class Notice(models.Model):
    """An in-app notice to a user; email and SMS copies go through the adapters in notices.py."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    url = models.CharField(max_length=255, blank=True, default="")
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
