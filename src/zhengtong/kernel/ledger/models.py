"""Storage of the log: leaves, the ranges of them the sequencer indexed, subtree hashes, tree heads.

Layout (see merkle.py for the tree math). A leaf's wide row is written once, in the caller's
transaction, and never rewritten (an UPDATE would write a whole new version of the row and of its
index entries on PostgreSQL, and rewrite its pages on SQLite); what the sequencer adds per leaf is
only the node hashes above it. The unit of queueing and indexing is an *append* (one
ledger_append_many call), not a leaf:

- ``LedgerLeaf``: one row per entry. Its id is assigned by the append: ``(append number << 20) +
  position in the append``, so the leaves of one append have consecutive ids. ``body`` is the
  canonical JSON that is hashed; ``kind``, ``subject`` and ``actor`` repeat three of its fields for
  lookups and are checked against it by ``ledger verify``.
- ``LedgerPending``: the sequencer's queue, one row per append not yet (wholly) sequenced, written in
  the caller's transaction with the leaves; its id is the append number.
- ``LedgerRange``: leaves ``first_leaf_id …`` are at indexes ``first_index …`` (``leaf_count`` of
  each). Indexes run 0, 1, 2… across the ranges with no gap.
- ``LedgerNode``: the hash of every perfect subtree of level >= 3 (8 leaves and more), keyed by its
  in-order position; a level-3 row also carries the 8 leaf hashes under it (see merkle.py). A
  perfect subtree never changes once complete, so rows are only ever inserted.
- ``SignedTreeHead``: each signed tree head published.
- ``LedgerState``: one row: the sequenced size and the log's hash algorithm. The sequencer and the
  publisher lock it, so they run one at a time; appends never touch it, so callers do not queue on it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RowIdBigIntegerField(models.BigIntegerField):
    """A BigIntegerField primary key that SQLite keeps as the table's rowid.

    SQLite makes only a column declared exactly "integer primary key" the rowid; "bigint primary key"
    (Django's type) gets a separate unique index beside the table, written on every insert. (SQLite
    integers are 64-bit either way; other databases get the usual bigint.)
    """

    def db_type(self, connection):
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


# Subjects that name a person or company: the exchange's subject refs ("person:…", "company:…",
# blind indexes of their identifiers) and registry ids ("ZJP…", "ZJC…"). A query must repeat this
# condition for the partial index on subject to serve it (selectors.entries_about does).
PERSONAL_SUBJECTS = (
    models.Q(subject__startswith="person:") | models.Q(subject__startswith="company:")
    | models.Q(subject__startswith="ZJP") | models.Q(subject__startswith="ZJC")
)


class LedgerLeaf(models.Model):
    """存证条目: one entry of the append-only log (its id: see APPEND_SHIFT)."""

    # A UUIDv7 (time-ordered, services.new_leaf_id), so the unique index grows at its right edge.
    public_id = models.UUIDField(unique=True, editable=False)
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
        # mydata shows a person every entry about them (a data call, a registry read). Only
        # subjects naming a person or company are indexed (PERSONAL_SUBJECTS): other entries are
        # never looked up by subject, and an index on every append would slow them all.
        indexes = [models.Index(fields=["subject"], name="ledger_leaf_subject", condition=PERSONAL_SUBJECTS)]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


# A leaf's id is (append number << APPEND_SHIFT) + its position in the append.
APPEND_SHIFT = 20
MAX_APPEND = 1 << APPEND_SHIFT
DIGEST_SIZE = 32  # SM3 and SHA-256 alike (= merkle.DIGEST_SIZE)


class LedgerPending(models.Model):
    """待排序批次: an append whose leaves are not all sequenced yet (the sequencer's queue, in id order).

    The id is the append number: its leaves are ids (id << 20) + 0 … leaf_count - 1, of which the
    first `sequenced` already have indexes (a long append is sequenced over several batches). The
    row carries the leaves' hashes, so the sequencer never reads the wide leaf rows; `ledger verify`
    checks them against the leaves while they wait.
    """

    leaf_count = models.PositiveIntegerField()
    sequenced = models.PositiveIntegerField(default=0)
    # The leaf hashes in order, 32 bytes each, and their algorithm (the appending process's profile).
    leaf_hashes = models.BinaryField()
    hash_algorithm = models.CharField(max_length=8)

    class Meta:
        verbose_name = _("pending ledger append")
        verbose_name_plural = _("pending ledger appends")


class LedgerRange(models.Model):
    """已排序区间: leaves first_leaf_id … first_leaf_id + leaf_count - 1 sit at indexes first_index … ."""

    first_index = RowIdBigIntegerField(primary_key=True)
    first_leaf_id = models.BigIntegerField(unique=True)
    leaf_count = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("sequenced ledger range")
        verbose_name_plural = _("sequenced ledger ranges")

    @property
    def end_index(self) -> int:
        return self.first_index + self.leaf_count


class LedgerNode(models.Model):
    """默克尔树节点: the hash of one complete (perfect) subtree, level >= 1."""

    # merkle.position(level, index): leaves sit at even positions, the node over 2i and 2i+2 at 2i+1.
    position = RowIdBigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)
    # Level 3 only (merkle.STORED_MIN_LEVEL): the 8 leaf hashes under it, so that a proof reads the
    # lower levels from this row instead of from 8 leaf rows.
    leaves = models.BinaryField(max_length=256, null=True, blank=True)

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
