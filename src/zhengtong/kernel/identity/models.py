"""Accounts: citizens, companies, staff and API clients."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.fields import BlindIndexField, EncryptedTextField, normalize_upper

# Blind-index purposes: each gets its own key, so the same ID indexed in two places does not link.
RESIDENT_ID_INDEX_PURPOSE = "identity.citizen.resident_id"
CITIZEN_LOGIN_PURPOSE = "identity.user.citizen_login"


class AccountKind(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    COMPANY = "company", _("Company")
    STAFF = "staff", _("Staff")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields):
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **fields):
        fields.setdefault("kind", AccountKind.STAFF)
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """账号: the login of a citizen (by resident ID), a company (by USCC) or a staff member."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Companies log in by their (public) unified social credit code and staff by a login name.
    # A citizen's login is a blind index of the resident ID ("rid:…"), never the ID itself.
    username = models.CharField(_("login name"), max_length=96, unique=True)
    kind = models.CharField(_("account kind"), max_length=16, choices=AccountKind.choices)
    display_name = models.CharField(_("display name"), max_length=128, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.display_name or self.username


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Citizen(models.Model):
    """自然人: a person with real-name attributes; may or may not have a login."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Encrypted at rest (SM4-GCM); found by the keyed blind index, which also keeps it unique.
    resident_id = EncryptedTextField(_("resident ID number"))
    resident_id_index = BlindIndexField(
        source="resident_id", purpose=RESIDENT_ID_INDEX_PURPOSE, normalize=normalize_upper, unique=True
    )
    name = models.CharField(_("name"), max_length=64)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"))
    # The county of household registration (the first six digits of the resident ID at issue).
    division = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    address = EncryptedTextField(_("address"), blank=True)
    mobile = EncryptedTextField(_("mobile"), blank=True)
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="citizen")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")

    def __str__(self) -> str:
        return self.name


class CompanyKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL_BUSINESS = "individual_business", _("Individual business")
    FARMER_COOPERATIVE = "farmer_cooperative", _("Farmers' cooperative")


class Company(models.Model):
    """法人（市场主体）: a company keyed by its unified social credit code."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=32, choices=CompanyKind.choices)
    legal_representative = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="companies_represented")
    division = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=255, blank=True)
    registered_on = models.DateField(_("registered on"))
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="company")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class StaffMember(models.Model):
    """工作人员: a staff account bound to one department (and so one division) and its positions."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff_member")
    name = models.CharField(_("name"), max_length=64)
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="staff")
    positions = models.ManyToManyField("org.Position", related_name="staff", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self) -> str:
        return f"{self.name}（{self.department.name}）"

    @property
    def roles(self) -> set[str]:
        return {position.role for position in self.positions.all()}


class ApiClient(models.Model):
    """API 客户端: a system that calls the platform's APIs with a key; only the key's hash is kept."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=128)
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="api_clients"
    )
    # The key is "zt_<prefix>_<secret>"; the prefix finds the row, the SHA-256 of the whole key checks it.
    key_prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name
