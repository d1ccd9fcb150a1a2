"""电子证照、电子印章: the departments' e-seals, the licence types and the licences issued."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.kernel.crypto.fields import BlindIndexField, EncryptedTextField, normalize_upper

HOLDER_INDEX_PURPOSE = "licences.licence.holder_identifier"


# The states take the context "电子证照": earlier apps' catalogues win for a bare msgid, and their
# "Active" (启用), "Revoked" (已撤销), "Suspended" (已暂停) and "Expired" (已到期) are not the
# licence register's words (有效, 已吊销, 暂停使用, 已过期).
class SealState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("电子证照", "Active")
    REVOKED = "revoked", pgettext_lazy("电子证照", "Revoked")


class Seal(models.Model):
    """电子印章: a department's e-seal; its private key is kept by kernel.crypto under `unit`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=128)
    unit = models.CharField(_("signing unit"), max_length=64, unique=True)
    state = models.CharField(_("state"), max_length=16, choices=SealState.choices, default=SealState.ACTIVE)
    revoked_reason = models.CharField(_("revocation reason"), max_length=500, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ledger_leaf_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["department_id", "created_at"]
        verbose_name = _("e-seal")

    def __str__(self) -> str:
        return self.name


class SealKeeper(models.Model):
    """印章保管人: a staff member of the seal's department allowed to use it (besides its leaders)."""

    seal = models.ForeignKey(Seal, on_delete=models.CASCADE, related_name="keepers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seal", "user"], name="licences_one_keeper_grant")]


class LicenceType(models.Model):
    """证照类型: e.g. 营业执照; `schema` lists the fields as [{"name", "title", "masking_kind"}]."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128)
    issuing_department_kind = models.CharField(_("issuing department kind"), max_length=32)
    holder_kind = models.CharField(_("holder kind"), max_length=16, default="citizen")  # citizen / company
    schema = models.JSONField(_("fields"), default=list)
    validity_days = models.PositiveIntegerField(_("validity in days"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("licence type")

    def __str__(self) -> str:
        return self.name


class LicenceState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("电子证照", "Active")
    SUSPENDED = "suspended", pgettext_lazy("电子证照", "Suspended")
    REVOKED = "revoked", pgettext_lazy("电子证照", "Revoked")
    EXPIRED = "expired", pgettext_lazy("电子证照", "Expired")


class Licence(models.Model):
    """电子证照: one licence issued to a citizen or company, sealed and recorded in the ledger."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # In context: an earlier app's "number" is 数值.
    number = models.CharField(pgettext_lazy("电子证照", "number"), max_length=64, unique=True)
    type = models.ForeignKey(LicenceType, on_delete=models.PROTECT, related_name="licences")
    holder_kind = models.CharField(_("holder kind"), max_length=16)  # citizen / company
    holder_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    holder_name = EncryptedTextField(_("holder name"))
    holder_identifier = EncryptedTextField(_("holder identifier"))
    holder_identifier_index = BlindIndexField(source="holder_identifier", purpose=HOLDER_INDEX_PURPOSE,
                                              normalize=normalize_upper)
    fields = models.JSONField(_("fields"), default=dict)
    issued_at = models.DateTimeField()
    valid_until = models.DateField(null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=LicenceState.choices, default=LicenceState.ACTIVE)
    state_reason = models.CharField(_("state reason"), max_length=500, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="licences")
    signature_algorithm = models.CharField(max_length=16)
    signature_key_id = models.CharField(max_length=128)
    signature = models.BinaryField()
    digest = models.CharField(max_length=64)  # hex digest of the canonical signed bytes
    issued_by = models.CharField(max_length=200)  # the actor as the ledger entry names them
    ledger_leaf_id = models.UUIDField(null=True, blank=True)
    # SHA-256 (hex) of the licence's PDF as rendered at issue ("" when no CJK font was there to draw it).
    pdf_sha256 = models.CharField(max_length=64, blank=True, default="")
    source_application = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["holder_user", "state"])]
        verbose_name = pgettext_lazy("电子证照", "licence")  # in context: an earlier "licence" is 许可协议

    def __str__(self) -> str:
        return self.number


class LicenceRequestState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("电子证照", "Awaiting your decision")
    APPROVED = "approved", pgettext_lazy("电子证照", "Shared")
    DECLINED = "declined", pgettext_lazy("电子证照", "Declined")
    WITHDRAWN = "withdrawn", pgettext_lazy("电子证照", "Withdrawn by you")


class LicenceRequest(models.Model):
    """A requester's ask (DigiLocker's requester: a bank, an insurer, another platform — an API
    client) for a holder's licence of one type, for a stated purpose. The holder decides: shares
    one of their licences of that type for a limited time, or declines; they may withdraw a share."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requester = models.ForeignKey("identity.ApiClient", on_delete=models.PROTECT, related_name="+")
    # The account holding the identifier the requester named; None when no account does (the
    # request then waits unseen and expires, so a requester learns nothing about who has one).
    holder_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    subject_ref = models.CharField(max_length=100)  # whom the ledger entries concern (mydata finds them)
    licence_type = models.ForeignKey(LicenceType, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=500)
    state = models.CharField(max_length=16, choices=LicenceRequestState.choices, default=LicenceRequestState.PENDING)
    licence = models.ForeignKey(Licence, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()  # the holder decides before; after, a pending request lapses
    decided_at = models.DateTimeField(null=True, blank=True)
    access_until = models.DateTimeField(null=True, blank=True)  # a share lasts until then

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["holder_user", "state"])]
