"""Data sharing and exchange (共享交换), in the manner of X-Road and GovStack's Information Mediator.

- SharingService: every shareable dataset and each registry view is a service in the directory,
  with the fields it offers (and how each is masked), the filters it allows and its key.
- ShareRecord: the serving index of a dataset service: one row per key of the published version,
  the record encrypted at rest, so a keyed lookup is one indexed read (DESIGN.md "Serving").
- SharingRequest / RequestItem: a consuming department's basket (一揽子申请) of several services,
  each item decided by the owning department, and by the big-data bureau too for 有条件共享.
- SharingGrant: what an approved item gives the consumer's system: fields, fields in plain, row
  scope, expiry, rate limit. Grants, changes and revocations are written to the ledger.
- Consent: a person's (or company's) authorization of a third-party system to read their records
  beyond any grant (GovStack Consent); revocation takes effect at once.
- ShareCall: one row per gateway call, allowed or refused: the meter (calls per consumer and
  service) and the operators' view. The ledger holds the same facts, tamper-evident, with one entry
  per person or company concerned (its subject is their subject ref): that is the access log mydata
  shows them, together with every other read logged about them (registry reads by staff…).

A "subject ref" names the person or company a record concerns without holding their identifier:
subjects.subject_ref() — "person:" or "company:" and a keyed blind index of the resident ID or
credit code, so the access log can be searched by person and reveals no one.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.fields import EncryptedTextField


class ServiceKind(models.TextChoices):
    DATASET = "dataset", _("Dataset")
    REGISTRY = "registry", _("Registry view")


class SubjectKind(models.TextChoices):
    PERSON = "person", _("Natural person")
    COMPANY = "company", _("Legal person")


class SharingService(models.Model):
    """共享服务: one entry of the service directory."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The path segment of the gateway: "ds-<resource code, lower case>" or "registry-person".
    code = models.SlugField(_("service code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ServiceKind.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner_department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    dataset = models.ForeignKey("catalog.Dataset", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    registry_kind = models.CharField(_("registry"), max_length=16, blank=True)
    # Copied from the catalog when the directory is synchronised (catalog values).
    share_type = models.CharField(_("share type"), max_length=16)
    grade = models.CharField(_("grade"), max_length=16, blank=True)
    sensitivity = models.CharField(_("sensitivity level"), max_length=4, blank=True)
    key_field = models.CharField(_("key field"), max_length=64)
    # The field naming the person or company a record concerns (a resident ID or credit code).
    subject_field = models.CharField(_("subject field"), max_length=64, blank=True)
    subject_kind = models.CharField(_("subject kind"), max_length=16, choices=SubjectKind.choices, blank=True)
    # The field holding a division code, for grants scoped to rows of a division.
    division_field = models.CharField(_("division field"), max_length=64, blank=True)
    # [{"name", "title", "type", "masking_kind"}] in schema order; masking_kind is a kernel.masking
    # FieldKind ("plain" for values shown as they are).
    fields = models.JSONField(_("fields"), default=list)
    filter_fields = models.JSONField(_("fields allowed as filters"), default=list, blank=True)
    group_fields = models.JSONField(_("fields allowed to group aggregates"), default=list, blank=True)
    measure_fields = models.JSONField(_("numeric fields allowed in sums and averages"), default=list, blank=True)
    published_version = models.PositiveIntegerField(_("published version"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    record_count = models.BigIntegerField(_("records"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("sharing service")
        verbose_name_plural = _("sharing services")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ShareRecord(models.Model):
    """共享数据服务索引: one record of a dataset service's published version, found by its key."""

    service = models.ForeignKey(SharingService, on_delete=models.CASCADE, related_name="records")
    key = models.CharField(max_length=128)
    subject_ref = models.CharField(max_length=80, blank=True)
    division = models.CharField(max_length=12, blank=True)
    # The record as canonical JSON {field: value}, encrypted at rest.
    payload = EncryptedTextField()
    version = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "key"], name="exchange_record_key")]
        indexes = [models.Index(fields=["subject_ref"], name="exchange_record_subject")]


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SharingRequest(models.Model):
    """一揽子申请: one department's request for several services at once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consumer_department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    # The consuming system: the API client that will call the gateway.
    api_client = models.ForeignKey("identity.ApiClient", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=500)
    legal_basis = models.CharField(_("legal basis"), max_length=500)
    expires_on = models.DateField(_("grants expire on"))
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sharing request")
        verbose_name_plural = _("sharing requests")


class ItemStatus(models.TextChoices):
    PENDING_OWNER = "pending_owner", _("Awaiting the owning department")
    PENDING_BUREAU = "pending_bureau", _("Awaiting the big-data bureau")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RequestItem(models.Model):
    """One service in a basket, with the fields and rows asked for, decided on its own."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(SharingRequest, on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey(SharingService, on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(_("fields"), default=list)
    clear_fields = models.JSONField(_("fields asked for unmasked"), default=list, blank=True)
    # A division code prefix ("3301" = Hangzhou); "" asks for every row.
    row_scope = models.CharField(_("row scope"), max_length=12, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.PENDING_OWNER)
    needs_bureau = models.BooleanField(_("needs the big-data bureau"), default=False)
    owner_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    owner_decided_at = models.DateTimeField(null=True, blank=True)
    owner_note = models.CharField(_("owner's note"), max_length=500, blank=True)
    bureau_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+")
    bureau_decided_at = models.DateTimeField(null=True, blank=True)
    bureau_note = models.CharField(_("bureau's note"), max_length=500, blank=True)

    class Meta:
        ordering = ["request", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "service"], name="exchange_item_once")]


class SharingGrant(models.Model):
    """共享授权: what an approved item lets the consumer's system read through the gateway."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.OneToOneField(RequestItem, on_delete=models.PROTECT, related_name="grant")
    service = models.ForeignKey(SharingService, on_delete=models.PROTECT, related_name="grants")
    api_client = models.ForeignKey("identity.ApiClient", on_delete=models.PROTECT, related_name="+")
    consumer_department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=500)
    legal_basis = models.CharField(_("legal basis"), max_length=500)
    fields = models.JSONField(_("fields"), default=list)
    clear_fields = models.JSONField(_("fields given unmasked"), default=list, blank=True)
    row_scope = models.CharField(_("row scope"), max_length=12, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(_("calls per minute"), default=600)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    revoked_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)
    # The webhook subscription (kernel.events) a grant holder made for changes of the service;
    # deactivated with the grant.
    webhook_subscription_id = models.UUIDField(null=True, blank=True)
    ledger_leaf = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["api_client", "service"], name="exchange_grant_consumer")]
        verbose_name = _("sharing grant")
        verbose_name_plural = _("sharing grants")


class Consent(models.Model):
    """授权同意: a person or company lets a third-party system read their records, for a purpose."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject_kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    subject_ref = models.CharField(max_length=80)
    citizen = models.ForeignKey("identity.Citizen", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey("identity.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    api_client = models.ForeignKey("identity.ApiClient", on_delete=models.PROTECT, related_name="+")
    services = models.ManyToManyField(SharingService, related_name="+")
    fields = models.JSONField(_("fields"), default=list)
    purpose = models.CharField(_("purpose"), max_length=500)
    # The version of the consent text the person agreed to.
    version = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    ledger_leaf = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["api_client", "subject_ref"], name="exchange_consent_lookup")]
        constraints = [
            models.CheckConstraint(condition=Q(citizen__isnull=False) | Q(company__isnull=False),
                                   name="exchange_consent_has_subject"),
        ]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")


class CallOperation(models.TextChoices):
    RECORD = "record", _("Record by key")
    BATCH = "batch", _("Records by keys")
    QUERY = "query", _("Query by filters")
    AGGREGATE = "aggregate", _("Aggregate")


class ShareCall(models.Model):
    """One gateway call, allowed or refused: the access log and the meter."""

    at = models.DateTimeField(db_index=True)
    correlation_id = models.CharField(max_length=64)
    # Few indexes: every gateway call inserts a row. `at` (a period's calls, then scoped) and
    # (api_client_id, service, at) serve the meter; a grant's or consent's calls are found through those.
    service = models.ForeignKey(SharingService, null=True, on_delete=models.PROTECT, related_name="+",
                                db_index=False)
    api_client_id = models.IntegerField(null=True)
    department_id = models.IntegerField(null=True)
    grant = models.ForeignKey(SharingGrant, null=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    consent = models.ForeignKey(Consent, null=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    officer = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=500, blank=True)
    operation = models.CharField(max_length=16, choices=CallOperation.choices)
    fields = models.JSONField(default=list)
    # "ok", or the error code the caller got (errors.py).
    outcome = models.CharField(max_length=32)
    status_code = models.PositiveSmallIntegerField()
    # The one person or company a single-record call concerned ("" for calls about several, or
    # none). The ledger is the access log mydata shows: one entry per subject of each call, whose
    # subject is the subject ref (kernel.ledger entries_about).
    subject_ref = models.CharField(max_length=80, blank=True)
    subject_count = models.PositiveIntegerField(default=0)
    record_count = models.PositiveIntegerField(default=0)
    ledger_leaf = models.UUIDField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["api_client_id", "service", "at"], name="exchange_call_meter"),
        ]
