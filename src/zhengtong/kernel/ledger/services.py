"""Writes to the log: append (in the caller's transaction), sequence, publish a signed tree head.

How an entry gets into a signed tree head, and how long it may take (the maximum merge delay):

1. ``ledger_append`` inserts the leaf in the caller's transaction with no index (pending) and
   returns its id at once. It commits or rolls back with the caller's change. Appends only INSERT
   rows with fresh UUIDs and touch no shared row, so concurrent callers neither wait on each other
   nor collide on an index, and cannot deadlock through the ledger.
2. After that transaction commits, a ``ledger_sequence`` task is queued. The sequencer locks the log
   state, gives the pending leaves the next indexes in arrival order with one set-based UPDATE, and
   stores the hashes of the subtrees they complete — in batches (1,000 by default), like a CT log's
   merge. The scheduler also runs it every 10 s, in case a task was lost or no worker runs.
3. ``ledger_publish_tree_head`` signs the root when the tree grew; the scheduler runs it every
   60 s (``ledger_publish_tree_head_job``), and it can be run on demand (`zhengtong ledger publish`).

So an entry is sequenced within seconds of its commit (at worst one sequencing interval, 10 s),
and is covered by a signed tree head within the sum of both intervals: the maximum merge delay
is 70 s with the default schedule (documented to auditors as 2 minutes, leaving room for a slow
worker).
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.public import digest_algorithm, signing_key

from . import auditor, storage
from .canonical_json import CanonicalJsonError, canonical_json
from .errors import LedgerEntryError, LedgerIntegrityError, LedgerNotFound, LedgerPermissionDenied
from .models import LedgerLeaf, LedgerNode, SignedTreeHead
from .records import LedgerEntry, LeafBody, TreeHead

logger = logging.getLogger(__name__)

LEAF_BODY_VERSION = 1
SIGNING_UNIT = "ledger"
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
KIND_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200  # subject and actor


def _timestamp_text(created_at: datetime) -> str:
    return created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leaf_body(
    *, leaf_id: uuid.UUID, kind: str, subject: str, actor: str, created_at: datetime, payload: dict
) -> str:
    """The canonical JSON body of a leaf: what is hashed, and what `ledger verify` re-hashes."""
    return _leaf_body_text(str(leaf_id), kind, subject, actor, _timestamp_text(created_at), payload)


_json_string = json.encoder.encode_basestring  # what json.dumps(str, ensure_ascii=False) writes, in C


def _leaf_body_text(leaf_id: str, kind: str, subject: str, actor: str, created_at: str, payload: dict) -> str:
    """canonical_json() of the body dict, written out by hand because it runs for every append.

    The keys are in canonical (sorted) order and each value is canonical on its own, so the text is
    byte for byte what canonical_json gives for the whole dict (tests/kernel/ledger check it does).
    """
    return (
        '{"actor":' + _json_string(actor)
        + ',"created_at":"' + created_at
        + '","id":"' + leaf_id
        + '","kind":' + _json_string(kind)
        + ',"payload":' + canonical_json(payload)
        + ',"subject":' + _json_string(subject)
        + ',"version":' + str(LEAF_BODY_VERSION) + "}"
    )  # fmt: skip


def _entry_check(kind: str, subject: str, actor: str, payload: dict) -> None:
    if not isinstance(kind, str) or len(kind) > KIND_MAX_LENGTH or not KIND_PATTERN.fullmatch(kind):
        raise LedgerEntryError(
            "ledger.kind",
            _("The entry kind %(kind)s must be lower-case dotted words such as grant.created (at most 64)"),
            kind=kind,
        )
    for name, value in (("subject", subject), ("actor", actor)):
        if not isinstance(value, str) or not value or len(value) > NAME_MAX_LENGTH or "\x00" in value:
            raise LedgerEntryError(
                f"ledger.{name}",
                _("The entry %(field)s must be a non-empty text of at most 200 characters"),
                field=name,
            )
    if not isinstance(payload, dict):
        raise LedgerEntryError(
            "ledger.payload", _("The entry payload must be a dict, not %(type)s"), type=type(payload).__name__
        )


def ledger_append(*, kind: str, subject: str, actor: str, payload: dict) -> uuid.UUID:
    """Append one entry in the caller's transaction; returns the leaf id to keep.

    `kind` names what happened ("grant.created", "data.read"), `subject` what it is about (a
    dataset, a person's public id), `actor` who did it, `payload` the details (JSON: str, int,
    bool, None, list, dict; no floats). The entry is sequenced after the transaction commits.
    """
    return ledger_append_many(entries=[LedgerEntry(kind=kind, subject=subject, actor=actor, payload=payload)])[0]


def ledger_append_many(*, entries: Sequence[LedgerEntry]) -> list[uuid.UUID]:
    """Append several entries in the caller's transaction, in order; returns their leaf ids.

    The hot path of every audited action, so it writes plain tuples with one executemany rather
    than model instances through bulk_create (three times slower for the same rows).
    """
    if not entries:
        return []
    created_at = timezone.now()
    created_text = _timestamp_text(created_at)
    created_db = connection.ops.adapt_datetimefield_value(created_at)
    native_uuid = connection.features.has_native_uuid_field
    algorithm = digest_algorithm()
    hasher = storage.digest_function(algorithm)
    ids = []
    rows = []
    for entry in entries:
        _entry_check(entry.kind, entry.subject, entry.actor, entry.payload)
        leaf_id = uuid.uuid4()
        try:
            body = _leaf_body_text(str(leaf_id), entry.kind, entry.subject, entry.actor, created_text, entry.payload)
            body_bytes = body.encode("utf-8")
        except (CanonicalJsonError, UnicodeEncodeError) as error:
            raise LedgerEntryError(
                "ledger.payload", _("The entry payload is not JSON: %(error)s"), error=str(error)
            ) from error
        ids.append(leaf_id)
        rows.append(
            (
                leaf_id if native_uuid else leaf_id.hex,
                entry.kind,
                entry.subject,
                entry.actor,
                body,
                hasher(b"\x00" + body_bytes),
                algorithm,
                created_db,
            )
        )
    with transaction.atomic():
        with connection.cursor() as cursor:
            insert_rows(cursor, LedgerLeaf._meta.db_table, LEAF_COLUMNS, rows)
        _sequence_after_commit()
    return ids


LEAF_COLUMNS = ("public_id", "kind", "subject", "actor", "body", "leaf_hash", "hash_algorithm", "created_at")


def insert_rows(cursor, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert plain tuples as fast as the backend allows, inside the current transaction.

    SQLite: executemany, which reuses one prepared statement. PostgreSQL: COPY FROM STDIN (measured
    here: multi-row INSERTs were twice as slow, Django's executemany five times).
    """
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {quote(table)} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    cursor.executemany(f"INSERT INTO {quote(table)} ({column_list}) VALUES {placeholders}", rows)


def _sequence_after_commit() -> None:
    """Queue one sequencing task when the outermost transaction commits (once, however many appends).

    Called inside atomic(), so the task waits for the caller's commit and a rollback queues nothing.
    One task per transaction is enough: it sequences everything pending. run_on_commit holds
    (savepoint ids, callback, robust) tuples; looking at it keeps a 1,000-append transaction from
    queueing 1,000 tasks.
    """
    if not any(item[1] is _enqueue_sequencing for item in connection.run_on_commit):
        # robust: a failure to queue must not turn the caller's committed change into an error;
        # the scheduler's sequencing run picks the pending leaves up anyway.
        transaction.on_commit(_enqueue_sequencing, robust=True)


def _enqueue_sequencing() -> None:
    from .tasks import ledger_sequence_task

    ledger_sequence_task.enqueue()


def _update_pending_sql(table: str) -> str:
    quote = connection.ops.quote_name
    return (
        f"UPDATE {quote(table)} SET leaf_index = %s + ranked.rn - 1 "
        f"FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM {quote(table)} "
        f"WHERE leaf_index IS NULL ORDER BY id LIMIT %s) AS ranked "
        f"WHERE {quote(table)}.id = ranked.id "
        f"RETURNING {quote(table)}.id, {quote(table)}.leaf_index, {quote(table)}.leaf_hash, "
        f"{quote(table)}.hash_algorithm"
    )


def _sequence_batch(max_batch: int) -> int:
    with transaction.atomic():
        state = storage.state_lock()
        algorithm = storage.log_hash_algorithm(state)
        hasher = storage.digest_function(algorithm)
        size = state.tree_size
        with connection.cursor() as cursor:
            # Indexes are given in arrival (id) order among the pending leaves committed by now.
            # A leaf whose transaction commits later simply gets a later index. One set-based
            # statement: no row-by-row round trips, and RETURNING hands back what the tree needs.
            cursor.execute(_update_pending_sql(LedgerLeaf._meta.db_table), [size, max_batch])
            rows = sorted(cursor.fetchall(), key=lambda row: row[1])
        if not rows:
            return 0
        if rows[0][1] != size or rows[-1][1] != size + len(rows) - 1:
            raise LedgerIntegrityError(
                "ledger.index_gap", _("Sequencing produced non-consecutive leaf indexes; run `zhengtong ledger verify`")
            )
        foreign = [row[0] for row in rows if row[3] != algorithm]
        rehashed = _rehash(foreign, hasher, algorithm) if foreign else {}
        leaf_hashes = [bytes(row[2]) for row in rows]
        if rehashed:
            leaf_hashes = [rehashed.get(row[0], value) for row, value in zip(rows, leaf_hashes)]
        nodes = storage.compact_range(size, hasher).extend(leaf_hashes)
        with connection.cursor() as cursor:
            insert_rows(cursor, LedgerNode._meta.db_table, ("position", "hash"), nodes)
        state.tree_size = size + len(rows)
        state.hash_algorithm = algorithm
        state.save(update_fields=["tree_size", "hash_algorithm", "updated_at"])
        return len(rows)


def _rehash(row_ids: list[int], hasher, algorithm: str) -> dict[int, bytes]:
    """Leaves appended under another crypto profile than the log's: hash their bodies the log's way.

    A log keeps one hash algorithm for life (fixed by its first leaf); a deployment that switched
    CRYPTO_PROFILE would otherwise put hashes of two algorithms into one tree.
    """
    logger.warning("ledger: %s pending leaves were hashed with another algorithm; rehashing with %s", len(row_ids), algorithm)
    rehashed = {
        row_id: hasher(b"\x00" + body.encode("utf-8"))
        for row_id, body in LedgerLeaf.objects.filter(id__in=row_ids).values_list("id", "body")
    }
    for row_id, value in rehashed.items():
        LedgerLeaf.objects.filter(id=row_id).update(leaf_hash=value, hash_algorithm=algorithm)
    return rehashed


def ledger_sequence(*, max_batch: int = 1000, max_batches: int | None = None) -> int:
    """Give every pending leaf its index, `max_batch` per transaction; returns how many were sequenced.

    Safe to run from several workers at once: they take turns on the state row.
    """
    if max_batch < 1:
        raise ValueError("max_batch must be at least 1")
    total = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        count = _sequence_batch(max_batch)
        total += count
        batches += 1
        if count < max_batch:
            break
    return total


def tree_head_record(row: SignedTreeHead) -> TreeHead:
    return TreeHead(
        tree_size=row.tree_size,
        root_hash=bytes(row.root_hash),
        timestamp=row.timestamp_ms,
        hash_algorithm=row.hash_algorithm,
        signature_algorithm=row.signature_algorithm,
        key_id=row.key_id,
        signature=bytes(row.signature),
    )


def ledger_publish_tree_head() -> TreeHead:
    """Sign and store the root of the sequenced log if it grew since the last tree head.

    Returns the new tree head, or the latest one when the log has not grown (an empty log gets a
    tree head of size 0 with root HASH() once, so auditors always have something to start from).
    """
    with transaction.atomic():
        state = storage.state_lock()
        latest = SignedTreeHead.objects.order_by("-tree_size").first()
        if latest is not None and latest.tree_size == state.tree_size:
            return tree_head_record(latest)
        if latest is not None and latest.tree_size > state.tree_size:
            raise LedgerIntegrityError(
                "ledger.truncated",
                _("A tree head of size %(head)s exists but the log has %(size)s leaves; run `zhengtong ledger verify`"),
                head=latest.tree_size,
                size=state.tree_size,
            )
        algorithm = storage.log_hash_algorithm(state)
        root = storage.root_at(state.tree_size, storage.digest_function(algorithm))
        # Timestamps never go backwards along the log, even if the clock does.
        timestamp = max(int(time.time() * 1000), latest.timestamp_ms if latest else 0)
        signed = auditor.tree_head_signed_bytes(
            tree_size=state.tree_size, root_hash=root, timestamp=timestamp, hash_algorithm=algorithm
        )
        signature = signing_key(SIGNING_UNIT).sign(signed)
        row = SignedTreeHead.objects.create(
            tree_size=state.tree_size,
            root_hash=root,
            timestamp_ms=timestamp,
            hash_algorithm=algorithm,
            signature_algorithm=signature.algorithm,
            key_id=signature.key_id,
            signature=signature.value,
        )
        if not state.hash_algorithm:
            state.hash_algorithm = algorithm
            state.save(update_fields=["hash_algorithm", "updated_at"])
        return tree_head_record(row)


def ledger_publish_tree_head_job() -> int:
    """For the scheduler: sequence what is pending, then publish if the tree grew; returns leaves sequenced."""
    count = ledger_sequence()
    ledger_publish_tree_head()
    return count



def leaf_body_read(*, user, leaf_id: uuid.UUID) -> LeafBody:
    """The full entry (body, subject, actor) for a staff superuser; the read itself is logged.

    Bodies may hold personal data, so reading one is a read of graded data like any other: it
    leaves its own entry ("ledger.body_read") in the same transaction.
    """
    if not (getattr(user, "is_authenticated", False) and user.is_staff and user.is_superuser):
        raise LedgerPermissionDenied(
            "ledger.body_forbidden", _("Only staff superusers may read the body of a ledger entry")
        )
    row = LedgerLeaf.objects.filter(public_id=leaf_id).first()
    if row is None:
        raise LedgerNotFound("ledger.leaf_not_found", _("No ledger entry has the id %(leaf_id)s"), leaf_id=leaf_id)
    ledger_append(
        kind="ledger.body_read",
        subject=str(row.public_id),
        actor=str(getattr(user, "public_id", user.pk)),
        payload={},
    )
    return LeafBody(
        id=row.public_id,
        leaf_index=row.leaf_index,
        leaf_hash=bytes(row.leaf_hash),
        kind=row.kind,
        subject=row.subject,
        actor=row.actor,
        created_at=row.created_at,
        body=row.body,
        payload=json.loads(row.body)["payload"],
    )
