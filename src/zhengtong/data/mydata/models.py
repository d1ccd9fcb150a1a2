"""The citizen's own data (个人数据宝): what mydata keeps of its own.

Everything a person sees here (their registry record, their records in departments' datasets, who
read them, their authorizations) belongs to other modules and is read through them; mydata keeps
only the correction requests a person makes (数据纠错), each followed by a closed-loop case
(kernel.loops) on the source department's desk.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.fields import EncryptedTextField


class CorrectionTarget(models.TextChoices):
    DATASET = "dataset", _("Department record")
    REGISTRY = "registry", _("Base registry record")


class CorrectionStatus(models.TextChoices):
    """The request as the person sees it, following the state of its case."""

    SUBMITTED = "submitted", _("Submitted")
    HANDLING = "handling", _("Being handled")
    RESPONDED = "responded", _("Answered: please check")
    CLOSED = "closed", _("Closed")


class CorrectionRequest(models.Model):
    """数据纠错申请: "this is wrong" about one field of one of my records, to its source department."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    citizen = models.ForeignKey("identity.Citizen", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey("identity.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # exchange.subject_ref of the person or company: whose data it is, without their identifier.
    subject_ref = models.CharField(max_length=80)
    target = models.CharField(_("record"), max_length=16, choices=CorrectionTarget.choices)
    # A dataset record: its sharing service and key (the key may be an identifier: encrypted).
    service_code = models.CharField(_("service"), max_length=64, blank=True)
    record_key = EncryptedTextField(_("record key"), blank=True)
    # A registry attribute: the registry id and the kind of registry.
    registry_id = models.CharField(_("registry id"), max_length=20, blank=True)
    source_name = models.CharField(_("source"), max_length=200)  # dataset or service name, as shown
    field = models.CharField(_("field"), max_length=64)
    field_title = models.CharField(_("field title"), max_length=200)
    proposed_value = EncryptedTextField(_("what is right"))
    reason = EncryptedTextField(_("why"), blank=True)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    case_id = models.UUIDField(_("case"), unique=True)
    status = models.CharField(_("status"), max_length=16, choices=CorrectionStatus.choices,
                              default=CorrectionStatus.SUBMITTED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(citizen__isnull=False) | Q(company__isnull=False),
                                   name="mydata_correction_has_subject"),
        ]
        indexes = [models.Index(fields=["subject_ref", "created_at"], name="mydata_correction_subject")]
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")

    def __str__(self) -> str:
        return f"{self.source_name} · {self.field_title}"
