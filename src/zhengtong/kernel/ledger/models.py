"""Storage of the log: leaves, the hashes of complete subtrees, signed tree heads, and the log's state.

Layout (see merkle.py for the tree math):

- ``LedgerLeaf``: one row per entry. Written by ``ledger_append`` in the caller's transaction with
  ``leaf_index`` NULL (pending); the sequencer later gives pending leaves consecutive indexes in one
  set-based UPDATE. ``body`` is the canonical JSON that is hashed; ``kind``, ``subject`` and
  ``actor`` repeat three of its fields for lookups and are checked against it by ``ledger verify``.
- ``LedgerNode``: the hash of every perfect subtree of level >= 1, keyed by its in-order position.
  A perfect subtree never changes once complete, so rows are only ever inserted. Level-0 hashes are
  the leaves' own ``leaf_hash``.
- ``SignedTreeHead``: each signed tree head published.
- ``LedgerState``: one row: the sequenced size and the log's hash algorithm. The sequencer and the
  publisher lock it, so they run one at a time; appends never touch it, so callers do not queue on it.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LedgerLeaf(models.Model):
    """存证条目: one entry of the append-only log."""

    public_id = models.UUIDField(unique=True, editable=False)
    leaf_index = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=64, editable=False)
    subject = models.CharField(_("subject"), max_length=200, editable=False)
    actor = models.CharField(_("actor"), max_length=200, editable=False)
    # Canonical JSON (RFC 8785 subset, canonical_json.py): leaf_hash = HASH(0x00 || body as UTF-8).
    body = models.TextField(editable=False)
    leaf_hash = models.BinaryField(max_length=32, editable=False)
    # The algorithm of leaf_hash, as the appending process's profile gave it; the sequencer rehashes
    # a leaf whose algorithm is not the log's (a deployment that switched CRYPTO_PROFILE).
    hash_algorithm = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(editable=False)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            # The sequencer's queue: only pending rows, in arrival order.
            models.Index(fields=["id"], condition=Q(leaf_index__isnull=True), name="ledger_leaf_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


class LedgerNode(models.Model):
    """默克尔树节点: the hash of one complete (perfect) subtree, level >= 1."""

    # merkle.position(level, index): leaves sit at even positions, the node over 2i and 2i+2 at 2i+1.
    position = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    class Meta:
        verbose_name = _("ledger tree node")
        verbose_name_plural = _("ledger tree nodes")


class SignedTreeHead(models.Model):
    """签名树头: the root of the first tree_size leaves, signed by the ledger's key (SM2 by default)."""

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.BinaryField(max_length=32)
    timestamp_ms = models.BigIntegerField(help_text="Milliseconds since the Unix epoch (UTC), as signed.")
    hash_algorithm = models.CharField(max_length=16)
    signature_algorithm = models.CharField(max_length=16)
    key_id = models.CharField(max_length=200)
    # Over auditor.tree_head_signed_bytes(tree_size, root_hash, timestamp_ms, hash_algorithm).
    signature = models.BinaryField(max_length=160)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signed tree head")
        verbose_name_plural = _("signed tree heads")

    def __str__(self) -> str:
        return f"tree head {self.tree_size}"


class LedgerState(models.Model):
    """账本状态: how many leaves are sequenced, and with which hash algorithm (fixed by the first)."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    tree_size = models.BigIntegerField(default=0)
    hash_algorithm = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ledger state")
        verbose_name_plural = _("ledger state")
