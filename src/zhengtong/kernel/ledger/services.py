"""Writes to the log: append (in the caller's transaction), sequence, publish a signed tree head.

How an entry gets into a signed tree head, and how long it may take (the maximum merge delay):

1. ``ledger_append`` / ``ledger_append_many`` insert the leaves in the caller's transaction, with
   one row in the sequencer's queue (LedgerPending) for the whole append, and return their ids at
   once. They commit or roll back with the caller's change. Appends only INSERT rows, with ids from
   the queue's own sequence, and touch no shared row, so concurrent callers neither wait on each
   other nor collide on an index, and cannot deadlock through the ledger.
2. After that transaction commits, a ``ledger_sequence`` task is queued (unless one is already
   waiting to start). The sequencer locks the log state, gives the queued appends the next indexes
   in arrival order (one LedgerRange row per append: the leaves' rows are never rewritten), and
   stores the hashes of the subtrees they complete, in batches (1,000 leaves by default), like a CT
   log's merge. The scheduler also runs it every 10 s, in case a task was lost or no worker runs.
3. ``ledger_publish_tree_head`` signs the root when the tree grew; the scheduler runs it every
   60 s (``ledger_publish_tree_head_job``), and it can be run on demand (`zhengtong ledger publish`).

So an entry is sequenced within seconds of its commit (at worst one sequencing interval, 10 s),
and is covered by a signed tree head within the sum of both intervals: the maximum merge delay
is 70 s with the default schedule (documented to auditors as 2 minutes, leaving room for a slow
worker).
"""

import hashlib
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.public import digest_algorithm, signing_key

from . import auditor, merkle, storage
from .canonical_json import CanonicalJsonError, canonical_json
from .errors import LedgerEntryError, LedgerIntegrityError, LedgerNotFound, LedgerPermissionDenied
from .models import APPEND_SHIFT, DIGEST_SIZE, MAX_APPEND, LedgerLeaf, LedgerNode, LedgerPending, LedgerRange, SignedTreeHead
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
        f'{{"actor":{_json_string(actor)},"created_at":"{created_at}","id":"{leaf_id}",'
        f'"kind":{_json_string(kind)},"payload":{canonical_json(payload)},"subject":{_json_string(subject)},'
        f'"version":{LEAF_BODY_VERSION}}}'
    )


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

    The hot path of every audited action. One append is one queue row (LedgerPending, whose id
    numbers the append) and the leaves as plain tuples in one bulk insert (executemany / COPY),
    with consecutive ids in the append's block; see _leaf_rows for what each leaf costs.
    """
    if not entries:
        return []
    created_at = timezone.now()
    algorithm = digest_algorithm()
    storage.digest_function(algorithm)  # refuses an unknown algorithm
    # Every entry is checked and hashed before anything is written.
    appends = [
        _leaf_rows(entries[start : start + MAX_APPEND], created_at, algorithm)
        for start in range(0, len(entries), MAX_APPEND)
    ]
    # No savepoint: if writing the entries fails, the caller's transaction must not commit without
    # them (and a savepoint is two more statements on every append).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for _ids, rows, leaf_hashes in appends:
            leaf_id = _queue_append(cursor, len(rows), b"".join(leaf_hashes), algorithm) << APPEND_SHIFT
            for row in rows:
                row[0] = leaf_id
                leaf_id += 1
            insert_rows(cursor, LedgerLeaf._meta.db_table, ("id", *LEAF_COLUMNS), rows)
        _sequence_after_commit()
    return [public_id for ids, _rows, _hashes in appends for public_id in ids]


def _queue_append(cursor, leaf_count: int, leaf_hashes: bytes, algorithm: str) -> int:
    """Write an append's queue row; returns its number (the id from the table's own sequence,
    AUTOINCREMENT / identity, which never hands out a number twice, even after a rollback)."""
    table = connection.ops.quote_name(LedgerPending._meta.db_table)
    columns = "(leaf_count, sequenced, leaf_hashes, hash_algorithm)"
    if connection.vendor == "postgresql":
        # The hashes as a binary parameter (%b): Django binds parameters into the SQL text, which
        # would make the 32 KB of a 1,000-leaf append a 64 KB hex literal for the server to parse.
        with _binary_cursor() as raw:
            raw.execute(f"INSERT INTO {table} {columns} VALUES (%s, 0, %b, %s) RETURNING id", [leaf_count, leaf_hashes, algorithm])
            return raw.fetchone()[0]
    # RETURNING: SQLite >= 3.35.
    cursor.execute(f"INSERT INTO {table} {columns} VALUES (%s, 0, %s, %s) RETURNING id", [leaf_count, leaf_hashes, algorithm])
    return cursor.fetchone()[0]


def _binary_cursor():
    """A psycopg cursor with server-side binding on Django's connection (same transaction)."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


LEAF_COLUMNS = ("public_id", "kind", "subject", "actor", "body", "leaf_hash", "hash_algorithm", "created_at")

# UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, version 7, 74 random bits, variant 10.
# Time-ordered ids keep the unique index on public_id growing at its right edge; random (v4) ids
# made every append batch dirty pages all over that index, a cost that grew with the log.
_UUID7_RANDOM_BITS = ((1 << 12) - 1) << 64 | ((1 << 62) - 1)
_UUID7_FIXED_BITS = 7 << 76 | 2 << 62


def new_leaf_ids(count: int, created_at: datetime) -> list[int]:
    """`count` fresh UUIDv7 values (as integers) for leaves created at `created_at`."""
    fixed = int(created_at.timestamp() * 1000) << 80 | _UUID7_FIXED_BITS
    raw = os.urandom(16 * count)
    return [
        fixed | int.from_bytes(raw[offset : offset + 16], "big") & _UUID7_RANDOM_BITS
        for offset in range(0, 16 * count, 16)
    ]


# hashlib objects already fed the leaf prefix 0x00, copied for each leaf: cheaper than a new one.
_LEAF_HASH_STARTS: dict[str, "hashlib._Hash"] = {}


def _leaf_hash_start(algorithm: str):
    start = _LEAF_HASH_STARTS.get(algorithm)
    if start is None:
        start = _LEAF_HASH_STARTS[algorithm] = hashlib.new(algorithm, merkle.LEAF_PREFIX)
    return start


def _leaf_rows(entries: Sequence[LedgerEntry], created_at: datetime, algorithm: str) -> tuple[list, list, list]:
    """The public ids, the rows ([id, *LEAF_COLUMNS], the id left to fill in) and the leaf hashes
    for `entries`, checked and hashed.

    Per leaf this is: the checks, canonical JSON of the payload (one C encoder call), the body text
    (_leaf_body_text), a UUIDv7 from 16 random bytes, UTF-8 and one SM3 (a copy of a hash object
    already fed the 0x00 prefix). Kept in one loop with local names: at a thousand leaves a batch,
    each call and attribute lookup here shows in the benchmark.
    """
    created_text = _timestamp_text(created_at)
    created_db = connection.ops.adapt_datetimefield_value(created_at)
    native_uuid = connection.features.has_native_uuid_field
    start = _leaf_hash_start(algorithm)
    body_text = _leaf_body_text
    valid_kinds = _VALID_KINDS
    new_uuid, set_field, uuid_class, unknown = object.__new__, object.__setattr__, uuid.UUID, uuid.SafeUUID.unknown
    ids: list[uuid.UUID] = []
    rows: list[list] = []
    leaf_hashes: list[bytes] = []
    new_hasher, add_id, add_row, add_hash = start.copy, ids.append, rows.append, leaf_hashes.append
    for entry, value in zip(entries, new_leaf_ids(len(entries), created_at), strict=True):
        kind, subject, actor, payload = entry.kind, entry.subject, entry.actor, entry.payload
        if not (
            type(kind) is str
            and kind in valid_kinds
            and type(payload) is dict
            and type(subject) is str
            and type(actor) is str
            and 0 < len(subject) <= NAME_MAX_LENGTH
            and 0 < len(actor) <= NAME_MAX_LENGTH
            and "\x00" not in subject
            and "\x00" not in actor
        ):
            _entry_check(kind, subject, actor, payload)  # raises, saying what is wrong
            if type(kind) is str and len(valid_kinds) < _VALID_KINDS_MAX:
                valid_kinds.add(kind)  # a kind seen for the first time (or the entry has subclasses)
        hex_id = "%032x" % value
        try:
            body = body_text(
                f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}",
                kind,
                subject,
                actor,
                created_text,
                payload,
            )
            hasher = new_hasher()
            hasher.update(body.encode("utf-8"))
        except (CanonicalJsonError, UnicodeEncodeError) as error:
            raise LedgerEntryError(
                "ledger.payload", _("The entry payload is not JSON: %(error)s"), error=str(error)
            ) from error
        # uuid.UUID(int=value) without re-checking a value made just above: what UUID.__init__
        # itself does after its checks (and Python 3.14's UUID._from_int), at half the cost.
        leaf_id = new_uuid(uuid_class)
        set_field(leaf_id, "int", value)
        set_field(leaf_id, "is_safe", unknown)
        add_id(leaf_id)
        leaf_hash = hasher.digest()
        add_hash(leaf_hash)
        add_row([None, leaf_id if native_uuid else hex_id, kind, subject, actor, body, leaf_hash, algorithm, created_db])
    return ids, rows, leaf_hashes


# Kinds that passed KIND_PATTERN: a handful of values ("grant.created", "data.read") repeat in every
# batch, so each is checked by the regular expression once per process.
_VALID_KINDS: set[str] = set()
_VALID_KINDS_MAX = 10_000


def insert_rows(cursor, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert plain tuples as fast as the backend allows, inside the current transaction.

    SQLite: executemany, which reuses one prepared statement. PostgreSQL: COPY FROM STDIN (measured
    here: multi-row INSERTs were twice as slow, Django's executemany five times), except for a few
    rows, where one INSERT saves COPY's extra round trip.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    if connection.vendor == "postgresql" and len(rows) <= 8:
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        cursor.execute(
            f"INSERT INTO {quote(table)} ({column_list}) VALUES {', '.join([placeholders] * len(rows))}",
            [value for row in rows for value in row],
        )
        return
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
    """Queue a sequencing task, unless one is already waiting to start.

    Runs after the caller's commit, so a task still waiting now starts later and sees the leaves
    just committed; under a steady stream of appends most commits find one waiting (the worker is
    busy with the previous batch) and cost one read instead of a task row and its commit.
    """
    from .tasks import ledger_sequence_task

    if _sequencing_task_waiting(ledger_sequence_task):
        return
    ledger_sequence_task.enqueue()


def _sequencing_task_waiting(task) -> bool:
    """Whether the database task backend holds a sequencing task not yet started (False for other backends)."""
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return False
    if not isinstance(task.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.ready().filter(task_path=task.module_path).exists()


def _sequence_batch(max_batch: int) -> tuple[int, bool]:
    """Sequence up to max_batch queued leaves in one transaction; returns (count, whether more wait).

    Queued appends are taken in id (arrival) order among those committed by now; an append whose
    transaction commits later simply gets later indexes. The queue rows carry their leaves' hashes,
    so a batch reads only the queue: its sizes (one row more than can be taken, to know whether
    another batch is due), then the hashes of the appends taken. It writes one LedgerRange row per
    append taken, deletes (or, for an append only partly taken, advances) their queue rows, and
    inserts the new node rows (one for every four leaves: see merkle.STORED_MIN_LEVEL). The leaf
    rows are not written, and read only for the at most 7 leaf hashes of the log's last block.
    """
    quote = connection.ops.quote_name
    pending_table = quote(LedgerPending._meta.db_table)
    own_transaction = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if own_transaction and connection.vendor == "postgresql":
            # The commit of the sequencer's own transaction (never a caller's) need not wait for the
            # WAL flush, as on SQLite, whose WAL mode with synchronous=NORMAL never waits: what it
            # writes is derived from durable rows, and if a crash loses it the appends are still
            # queued and get sequenced again. A signed tree head is committed synchronously, which
            # flushes the WAL up to it, this commit included: whatever a signed head covers is durable.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        size, algorithm = storage.state_lock_fast(cursor)
        algorithm = algorithm or digest_algorithm()  # a new log takes the profile's algorithm
        hasher = storage.digest_function(algorithm)
        cursor.execute(
            f"SELECT id, leaf_count, sequenced FROM {pending_table} ORDER BY id LIMIT %s", [max_batch + 1]
        )
        queued = cursor.fetchall()
        taken, partial, count = [], None, 0  # taken: (append id, first position, how many)
        for append_id, leaf_count, sequenced in queued:
            if count == max_batch:
                break
            take = min(leaf_count - sequenced, max_batch - count)
            taken.append((append_id, sequenced, take))
            count += take
            if sequenced + take < leaf_count:
                partial = (sequenced + take, append_id)
        if not taken:
            return 0, False
        more = partial is not None or len(taken) < len(queued)
        hashes = _queued_hashes(cursor, pending_table, [append_id for append_id, _, _ in taken])
        leaf_hashes: list[bytes] = []
        ranges = []
        for append_id, first, take in taken:
            if not take:
                continue
            ranges.append((size + len(leaf_hashes), (append_id << APPEND_SHIFT) + first, take))
            packed, queued_algorithm = hashes[append_id]
            if queued_algorithm != algorithm:
                leaf_hashes += _rehash((append_id << APPEND_SHIFT) + first, take, hasher, algorithm)
            else:
                packed = bytes(packed)
                leaf_hashes += [packed[i : i + DIGEST_SIZE] for i in range(first * DIGEST_SIZE, (first + take) * DIGEST_SIZE, DIGEST_SIZE)]
        if len(leaf_hashes) != count:
            raise LedgerIntegrityError(
                "ledger.queue_damaged", _("A queued append does not hold one hash per entry; run `zhengtong ledger verify`")
            )
        insert_rows(cursor, LedgerRange._meta.db_table, ("first_index", "first_leaf_id", "leaf_count"), ranges)
        done = [append_id for append_id, _, _ in taken if partial is None or append_id != partial[1]]
        for start in range(0, len(done), 500):
            ids = done[start : start + 500]
            cursor.execute(f"DELETE FROM {pending_table} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
        if partial is not None:
            cursor.execute(f"UPDATE {pending_table} SET sequenced = %s WHERE id = %s", partial)
        edge, tail = storage.edge_of_log(size, hasher)
        # A block (level-3 subtree) completed here gets a row carrying its 8 leaf hashes, some of
        # them perhaps from the previous batch (the tail); higher subtrees just their hash.
        below, first_below = tail + leaf_hashes, size - len(tail)
        rows = []
        for position, value in edge.extend(leaf_hashes, min_level=merkle.STORED_MIN_LEVEL):
            level, index = merkle.subtree_of_position(position)
            start = (index << level) - first_below
            rows.append((position, value, b"".join(below[start : start + 8]) if level == merkle.STORED_MIN_LEVEL else None))
        insert_rows(cursor, LedgerNode._meta.db_table, ("position", "hash", "leaves"), rows)
        storage.state_save_fast(cursor, tree_size=size + count, hash_algorithm=algorithm)
        return count, more


def _queued_hashes(cursor, pending_table: str, append_ids: list[int]) -> dict[int, tuple[bytes, str]]:
    """{append id: (its leaves' hashes, concatenated; their algorithm)} for the given queue rows."""
    found = {}
    for start in range(0, len(append_ids), 500):
        ids = append_ids[start : start + 500]
        sql = f"SELECT id, leaf_hashes, hash_algorithm FROM {pending_table} WHERE id IN ({', '.join(['%s'] * len(ids))})"
        if connection.vendor == "postgresql":
            with _binary_cursor() as raw:  # the hashes as bytes, not as hex text to decode
                raw.execute(sql, ids, binary=True)
                rows = raw.fetchall()
        else:
            cursor.execute(sql, ids)
            rows = cursor.fetchall()
        found.update((append_id, (packed, algorithm)) for append_id, packed, algorithm in rows)
    return found


def _rehash(first_leaf_id: int, count: int, hasher, algorithm: str) -> list[bytes]:
    """Leaves appended under another crypto profile than the log's: hash their bodies the log's way.

    A log keeps one hash algorithm for life (fixed by its first leaf); a deployment that switched
    CRYPTO_PROFILE would otherwise put hashes of two algorithms into one tree. The leaf rows are
    updated too, since proofs read level-0 hashes from them.
    """
    logger.warning("ledger: %s pending leaves were hashed with another algorithm; rehashing with %s", count, algorithm)
    rows = list(
        LedgerLeaf.objects.filter(id__gte=first_leaf_id, id__lt=first_leaf_id + count).order_by("id").values_list("id", "body")
    )
    if [row_id for row_id, _ in rows] != list(range(first_leaf_id, first_leaf_id + count)):
        raise LedgerIntegrityError(
            "ledger.index_gap", _("Sequencing produced non-consecutive leaf indexes; run `zhengtong ledger verify`")
        )
    rehashed = []
    for row_id, body in rows:
        value = hasher(b"\x00" + body.encode("utf-8"))
        LedgerLeaf.objects.filter(id=row_id).update(leaf_hash=value, hash_algorithm=algorithm)
        rehashed.append(value)
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
        count, more = _sequence_batch(max_batch)
        total += count
        batches += 1
        if not more:
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
        root = storage.root_at(state.tree_size, storage.digest_function(algorithm), state.tree_size)
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
        leaf_index=storage.leaf_index_of(row.id),
        leaf_hash=bytes(row.leaf_hash),
        kind=row.kind,
        subject=row.subject,
        actor=row.actor,
        created_at=row.created_at,
        body=row.body,
        payload=json.loads(row.body)["payload"],
    )
