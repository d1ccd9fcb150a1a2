"""The open-data portal (数据开放): what the public may see of the catalog, the served copies of the
open data, developers' keys and their usage, applications for conditionally open data, and the
community (data requests and reuse showcases).

Nothing here holds a dataset the public may not see: `OpenDataset` rows exist only for published
datasets whose open type and sensitivity let them appear (see visibility.py), and every public
channel — the portal, the open API, the CKAN API, DCAT, the sitemap — reads from them. A dataset
that becomes L4, not open, or retired loses its row, its search document and its served copy.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class OpenTier(models.TextChoices):
    OPEN = "open", _("Open to everyone")  # 无条件开放: L1
    ON_APPLICATION = "on_application", _("Open on approved application")  # 有条件开放: L2-L3


class OpenDataset(models.Model):
    """开放数据集: the public face of one catalog dataset, denormalised for search and facets."""

    dataset = models.OneToOneField("catalog.Dataset", on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(unique=True)  # the catalog's public id (CKAN "id")
    name = models.SlugField(max_length=100, unique=True)  # CKAN "name": the resource code, lower case
    resource_code = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    description_en = models.TextField(blank=True, default="")
    keywords = models.JSONField(default=list, blank=True)
    theme = models.CharField(max_length=16, blank=True, default="")
    tier = models.CharField(max_length=16, choices=OpenTier.choices)
    update_cycle = models.CharField(max_length=16)
    licence = models.CharField(max_length=16)
    sensitivity = models.CharField(max_length=2)
    department_id = models.BigIntegerField()
    department_code = models.CharField(max_length=32)
    department_name = models.CharField(max_length=128)
    # The city (地市) the providing department belongs to, or the province for provincial ones:
    # the "region" facet.
    region_code = models.CharField(max_length=12)
    region_name = models.CharField(max_length=64)
    spatial_code = models.CharField(max_length=12, blank=True, default="")
    spatial_name = models.CharField(max_length=64, blank=True, default="")
    temporal_start = models.DateField(null=True, blank=True)
    temporal_end = models.DateField(null=True, blank=True)
    contact_name = models.CharField(max_length=64, blank=True, default="")
    contact_email = models.CharField(max_length=254, blank=True, default="")
    # The current Frictionless Table Schema (fields with names, types, titles; masked fields say so).
    schema = models.JSONField(null=True, blank=True)
    # The data: the ingest version served and its rows; the formats the portal offers for it,
    # comma-separated ("CSV,JSON,Parquet,XLSX"; "" while there is no data). Text, not JSON, so
    # the format facet filters the same way on SQLite and PostgreSQL (no token is inside another).
    version = models.PositiveIntegerField(null=True, blank=True)
    row_count = models.BigIntegerField(null=True, blank=True)
    formats = models.CharField(max_length=64, blank=True, default="")
    quality_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    openness_stars = models.PositiveSmallIntegerField(default=0)  # the 5-star openness scale
    published_at = models.DateTimeField(null=True, blank=True)  # first published in the catalog
    metadata_modified = models.DateTimeField()
    data_modified = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("open dataset")
        indexes = [
            models.Index(fields=["department_code"]),
            models.Index(fields=["region_code"]),
            models.Index(fields=["theme"]),
            models.Index(fields=["metadata_modified"]),
        ]

    def __str__(self) -> str:
        return f"{self.resource_code} {self.title}"

    @property
    def format_list(self) -> list[str]:
        return [f for f in self.formats.split(",") if f]


class OpenDatasetTag(models.Model):
    """One keyword of an open dataset, for tag filters, facets and CKAN's tag_list."""

    open_dataset = models.ForeignKey(OpenDataset, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["open_dataset", "name"], name="opendata_one_tag")]
        indexes = [models.Index(fields=["name"])]


class ServedTable(models.Model):
    """开放数据服务副本: the masked copy of an open dataset's current version that previews,
    downloads, the open API and the CKAN DataStore read. Rows are in key order with an `_id`
    column 1, 2, … (CKAN's DataStore row id), so a page at any depth reads one row group."""

    open_dataset = models.OneToOneField(OpenDataset, on_delete=models.CASCADE, related_name="served")
    version = models.PositiveIntegerField()  # the ingest version it was made from
    path = models.CharField(max_length=500)  # relative to the lake root
    row_count = models.BigIntegerField()
    # [{"name", "type", "masked": bool}] in column order (without "_id")
    columns = models.JSONField(default=list)
    byte_size = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("served table")


class DeveloperKey(models.Model):
    """开发者密钥: a self-service API key of a person or company for the open API."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="developer_keys")
    name = models.CharField(_("key name"), max_length=64)
    prefix = models.CharField(max_length=24, unique=True)  # shown in lists and the usage page
    secret_hash = models.CharField(max_length=64)  # SHA-256 of the whole key, hex
    rate_per_minute = models.PositiveIntegerField()
    daily_quota = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("developer key")

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"


class UsageChannel(models.TextChoices):
    API = "api", _("Open API")
    CKAN = "ckan", _("CKAN API")
    DOWNLOAD = "download", _("Download")
    PREVIEW = "preview", _("Preview")


class DailyUsage(models.Model):
    """Calls and rows per day, dataset, key and channel: the usage statistics per dataset and key
    (key_prefix "" for calls without a key; resource_code "" for calls about no one dataset)."""

    day = models.DateField()
    resource_code = models.CharField(max_length=64, blank=True, default="")
    key_prefix = models.CharField(max_length=24, blank=True, default="")
    channel = models.CharField(max_length=16, choices=UsageChannel.choices)
    calls = models.BigIntegerField(default=0)
    rows = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "resource_code", "key_prefix", "channel"],
                                               name="opendata_one_usage_row")]
        indexes = [models.Index(fields=["key_prefix", "day"]), models.Index(fields=["resource_code", "day"])]


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class OpenDataApplication(models.Model):
    """有条件开放申请: a person's or company's application to use an L2-L3 dataset, decided by
    the owner department; once approved, the applicant's developer keys read the dataset masked
    until `expires_at`, and every read is logged in the ledger."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey("catalog.Dataset", on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.CharField(_("organisation"), max_length=200, blank=True, default="")
    purpose = models.TextField(_("purpose"))
    agreement_version = models.CharField(max_length=16)
    agreement_accepted_at = models.DateTimeField()
    requested_until = models.DateField(_("use until"))
    status = models.CharField(max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["applicant", "dataset", "status"])]


class DataRequestStatus(models.TextChoices):
    OPEN = "open", _("Awaiting an answer")
    ANSWERED = "answered", pgettext_lazy("data request", "Answered")
    OPENED = "opened", _("Data opened")
    DECLINED = "declined", _("Declined")


class DataRequest(models.Model):
    """数据开放需求: a citizen or company asks for data to be opened; the department asked answers
    within a deadline, tracked as a loop (kernel.loops, kind "opendata_request")."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what data, and what for"))
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    case_id = models.UUIDField(null=True, blank=True)  # the loop's public id
    status = models.CharField(max_length=16, choices=DataRequestStatus.choices, default=DataRequestStatus.OPEN)
    answer = models.TextField(blank=True, default="")
    answered_at = models.DateTimeField(null=True, blank=True)
    dataset = models.ForeignKey("catalog.Dataset", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")  # the dataset opened in answer
    created_at = models.DateTimeField(auto_now_add=True)


class ShowcaseStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("showcase", "Awaiting review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", pgettext_lazy("showcase", "Rejected")


class Showcase(models.Model):
    """应用展示: a reuse of open data (an app, a study, a visualisation), shown once reviewed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    url = models.URLField(_("link"), max_length=500)
    datasets = models.ManyToManyField("catalog.Dataset", related_name="+")
    status = models.CharField(max_length=16, choices=ShowcaseStatus.choices, default=ShowcaseStatus.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
