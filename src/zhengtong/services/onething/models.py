"""一件事: bundles of items, their parts, and the applications made for a bundle."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Bundle(models.Model):
    """一件事: several service items done as one (开办企业一件事, 新生儿出生一件事 …)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    serving = models.CharField(_("who may apply"), max_length=16)  # guide.ServingSubject
    division = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")  # where it is offered
    result_name = models.CharField(_("result"), max_length=200)  # the one result (一次办结)
    is_published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("one-thing bundle")
        verbose_name_plural = _("one-thing bundles")

    def __str__(self) -> str:
        return self.name


class BundlePart(models.Model):
    """One item of a bundle. `field_map` maps the item's form field names to the bundle's merged
    field names (two items asking for the same thing map to one merged field, asked once)."""

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="parts")
    item = models.ForeignKey("guide.ServiceItem", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    field_map = models.JSONField(default=dict, blank=True)  # {item field name: merged field name}

    class Meta:
        ordering = ["bundle_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["bundle", "item"], name="onething_item_once_per_bundle")]


class BundleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_PROGRESS = "in_progress", _("Being handled")
    CORRECTION = "correction", _("Waiting for your correction")
    COMPLETED = "completed", _("Completed")  # every part approved: the one result issues
    REJECTED = "rejected", _("Not approved")  # a part rejected


class BundleApplication(models.Model):
    """An application for a whole bundle: one merged form and one set of materials, split at
    submission into one Application per part (BundleApplicationPart), handled in parallel."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=32, unique=True, null=True, blank=True)
    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="applications")
    applicant_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=BundleState.choices, default=BundleState.DRAFT)
    answers = models.JSONField(default=dict, blank=True)  # the merged form
    provenance = models.JSONField(default=dict, blank=True)
    draft_step = models.CharField(max_length=64, blank=True, default="")
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    result_note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["applicant_user", "idempotency_key"],
                                               name="onething_idempotent_submit")]


class BundleApplicationPart(models.Model):
    """The application made for one part of a bundle application."""

    bundle_application = models.ForeignKey(BundleApplication, on_delete=models.CASCADE, related_name="parts")
    part = models.ForeignKey(BundlePart, on_delete=models.PROTECT, related_name="+")
    application = models.OneToOneField("applications.Application", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["bundle_application_id", "part__position"]
