"""Full-text search (检索): documents of any module, segmented into tokens for lookup.

Search depends on no other kernel module, so a document names its department by id only (no
foreign key) and its kind and key are whatever the owning module chooses ("dataset" and a resource
code, "service_item" and an item code…).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Anyone, including the public")
    STAFF = "staff", _("Any staff member")
    DEPARTMENT = "department", _("Only the owning department's staff")


class SearchDocument(models.Model):
    """检索文档: one searchable thing, with its text as its owner last indexed it."""

    kind = models.CharField(_("document kind"), max_length=32)
    key = models.CharField(_("document key"), max_length=128)
    title = models.CharField(_("document title"), max_length=300)
    body = models.TextField(_("document text"), blank=True)
    tags = models.JSONField(default=list, blank=True)
    department_id = models.BigIntegerField(null=True, blank=True)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.STAFF)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="search_document_kind_key_unique")]
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class SearchToken(models.Model):
    """检索词: one distinct token of a document, weighted by where it occurs (title, tags, text).

    A token table rather than PostgreSQL's tsvector or SQLite's FTS5: the same plain B-tree lookups
    work on both databases, and Chinese needs jieba's segmentation, which neither engine has.
    """

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="tokens")
    token = models.CharField(max_length=64)
    weight = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "token"], name="search_token_unique")]
        indexes = [models.Index(fields=["token", "document"], name="search_token_lookup")]
        verbose_name = _("search token")
        verbose_name_plural = _("search tokens")
