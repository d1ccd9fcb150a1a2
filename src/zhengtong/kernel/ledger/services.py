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

import binascii
import hashlib
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import repeat
from typing import Any, NamedTuple

from django.db import connection, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.public import digest_algorithm, signing_key

from . import auditor, merkle, storage
from .canonical_json import CanonicalJsonError, canonical_json, orjson, plain_json_bytes, plain_json_bytes_checked
from .canonical_json import is_plain as canonical_json_is_plain
from .errors import LedgerEntryError, LedgerIntegrityError, LedgerNotFound, LedgerPermissionDenied
from .models import (
    APPEND_SHIFT,
    DIGEST_SIZE,
    MAX_APPEND,
    LedgerLeaf,
    LedgerNode,
    LedgerPending,
    LedgerRange,
    LedgerState,
    SignedTreeHead,
)
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
    """canonical_json() of the body dict, written out by hand (_encode_entries writes the same as UTF-8).

    The keys are in canonical (sorted) order and each value is canonical on its own, so the text is
    byte for byte what canonical_json gives for the whole dict (tests/kernel/ledger check it does).
    """
    return (
        f'{{"actor":{_json_string(actor)},"created_at":"{created_at}","id":"{leaf_id}",'
        f'"kind":{_json_string(kind)},"payload":{canonical_json(payload)},"subject":{_json_string(subject)},'
        f'"version":{LEAF_BODY_VERSION}}}'
    )


def _json_string_bytes(value: str) -> bytes:
    """_json_string(value) as UTF-8, written by orjson where it is installed (it escapes exactly the
    same characters: tests/kernel/ledger/test_canonical_json.py); a lone surrogate raises."""
    if orjson is not None:
        return orjson.dumps(value)
    return _json_string(value).encode("utf-8")


_BODY_END = f',"version":{LEAF_BODY_VERSION}}}'.encode()
# What writing an entry's body can raise: its payload is not canonical JSON material, or a text in
# it has no UTF-8 form (a lone surrogate: UnicodeEncodeError from the json module's path, orjson's
# own error from orjson's).
_BODY_ERRORS = (CanonicalJsonError, UnicodeEncodeError) + ((orjson.JSONEncodeError,) if orjson is not None else ())


def _leaf_body_bytes(leaf_id: bytes, kind: str, subject: str, actor: str, created_at: bytes, payload: dict) -> bytes:
    """_leaf_body_text as UTF-8, from the id's and the timestamp's text as bytes: for entries off
    _encode_entries' fast path (str subclasses and the like)."""
    payload_json = plain_json_bytes(payload) if canonical_json_is_plain(payload) else None
    if payload_json is None:
        payload_json = canonical_json(payload).encode("utf-8")
    return b"".join(
        (
            b'{"actor":', _json_string_bytes(actor), b',"created_at":"', created_at, b'","id":"', leaf_id,
            b'","kind":', _json_string_bytes(kind), b',"payload":', payload_json,
            b',"subject":', _json_string_bytes(subject), _BODY_END,
        )
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

    The hot path of every audited action. One append is one queue row (LedgerPending, whose id
    numbers the append) and the leaves as plain tuples in one bulk insert (executemany / COPY),
    with consecutive ids in the append's block; see _encode_entries and _insert_leaves for what
    each leaf costs.
    """
    if not entries:
        return []
    created_at = timezone.now()
    algorithm = digest_algorithm()
    storage.digest_function(algorithm)  # refuses an unknown algorithm
    # Every entry is checked and encoded before anything is written: a refused entry leaves the
    # caller's transaction as it was. What is left to do per leaf (hash, row) cannot fail.
    appends = [
        _encode_entries(entries[start : start + MAX_APPEND], created_at) for start in range(0, len(entries), MAX_APPEND)
    ]
    ids: list[uuid.UUID] = []
    # No savepoint: if writing the entries fails, the caller's transaction must not commit without
    # them (and a savepoint is two more statements on every append).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for encoded in appends:
            ids += encoded.leaf_ids
            if connection.vendor == "postgresql" and len(encoded.bodies) > _FEW_ROWS:
                _append_streamed(cursor, encoded, created_at, algorithm)
                continue
            leaf_hashes = _hash_leaves(encoded.bodies, algorithm)
            number = _queue_append(cursor, len(leaf_hashes), b"".join(leaf_hashes), algorithm)
            _insert_leaves(cursor, encoded, number << APPEND_SHIFT, leaf_hashes, algorithm, created_at)
        _sequence_after_commit()
    return ids


def ledger_append_with_row(*, entries: Sequence[LedgerEntry], table: str, columns: Sequence[str],
                           values: Sequence[Any], leaf_column: str) -> list[uuid.UUID]:
    """Append a few entries and insert one row of the caller's own (a log row naming the first
    leaf in `leaf_column`), all or nothing; returns the leaf ids.

    For callers that log every request (the sharing gateway): on PostgreSQL the queue row, the
    leaves and the caller's row are one statement (data-modifying CTEs), so called outside a
    transaction it commits by itself in one round trip instead of BEGIN, three INSERTs and COMMIT.
    `values` must be prepared for the database (get_db_prep_save) except `leaf_column`'s, which is
    filled here. Elsewhere, and for more than a few entries: ledger_append_many and an INSERT in one
    atomic block.
    """
    columns = list(columns)
    if leaf_column not in columns:
        raise ValueError(f"{leaf_column!r} is not one of the row's columns")
    if connection.vendor != "postgresql" or not entries or len(entries) > _FEW_ROWS:
        with transaction.atomic():
            ids = ledger_append_many(entries=entries)
            row = list(values)
            first = ids[0] if ids else None
            row[columns.index(leaf_column)] = (
                first.hex if first is not None and not connection.features.has_native_uuid_field else first)
            with connection.cursor() as cursor:
                insert_rows(cursor, table, columns, [tuple(row)])
        return ids
    created_at = timezone.now()
    algorithm = digest_algorithm()
    storage.digest_function(algorithm)
    encoded = _encode_entries(entries, created_at)
    leaf_hashes = _hash_leaves(encoded.bodies, algorithm)
    quote = connection.ops.quote_name
    pending, leaf = quote(LedgerPending._meta.db_table), quote(LedgerLeaf._meta.db_table)
    rows_sql = ", ".join(["(%s::int8, %s::uuid, %s::text, %s::text, %s::text, %s::text, %s::bytea)"] * len(entries))
    row = list(values)
    row[columns.index(leaf_column)] = encoded.leaf_ids[0]
    sql = (
        f"WITH q AS (INSERT INTO {pending} (leaf_count, sequenced, leaf_hashes, hash_algorithm) "
        f"VALUES (%s, 0, %s, %s) RETURNING id), "
        f"l AS (INSERT INTO {leaf} (id, {', '.join(quote(c) for c in LEAF_COLUMNS)}) "
        f"SELECT (q.id << {APPEND_SHIFT}) + v.pos, v.public_id, v.kind, v.subject, v.actor, v.body, v.leaf_hash, "
        f"%s, %s FROM q, (VALUES {rows_sql}) AS v(pos, public_id, kind, subject, actor, body, leaf_hash)) "
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    params: list[Any] = [len(entries), b"".join(leaf_hashes), algorithm, algorithm, created_at]
    for position, (leaf_id, kind, subject, actor, body, leaf_hash) in enumerate(zip(
            encoded.leaf_ids, encoded.kinds, encoded.subjects, encoded.actors, encoded.bodies, leaf_hashes)):
        params += [position, leaf_id, kind, subject, actor, body.decode("utf-8"), leaf_hash]
    params += row
    with transaction.atomic(savepoint=False) if connection.in_atomic_block else _no_block():
        # Django's own exception classes (IntegrityError…) for the raw cursor's errors too.
        with connection.wrap_database_errors, _binary_cursor() as raw:
            raw.execute(sql, params, prepare=True)
        _sequence_after_commit()
    return encoded.leaf_ids


class _no_block:
    """Outside a transaction the statement commits by itself (autocommit): nothing to open."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False


def _append_streamed(cursor, encoded: "_EncodedEntries", created_at: datetime, algorithm: str) -> None:
    """PostgreSQL: take the append's number first, then hash the leaves while COPY sends them.

    The server inserts the rows (and their index entries) as the stream arrives, on its own core,
    while this process hashes the next ones: the two overlap instead of one waiting for the other.
    The queue row, which carries all the hashes, goes in last, with the number taken first.

    COPY in binary: each field goes as its binary form with a length, so nothing is escaped or
    parsed as text (hex for the hashes, digits for ids and times) on either side. The binary form
    of a uuid is its 16 bytes and that of a text its bytes in the connection's encoding (UTF-8:
    Django sets it, and the server checks what arrives), which is what the leaf already holds as
    its id's bytes and its body: set_types sends those two as they are (bytea's dumper copies
    bytes), and the server reads every field as its column's type.
    """
    cursor.execute("SELECT nextval(%s)", [_pending_sequence(cursor)])
    number = cursor.fetchone()[0]
    leaf_hashes: list[bytes] = []
    add_hash, new_hasher = leaf_hashes.append, _leaf_hash_start(algorithm).copy
    raw_ids, count = encoded.raw_ids, len(encoded.bodies)
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(column) for column in ("id", *LEAF_COLUMNS))
    with cursor.cursor.copy(f"COPY {quote(LedgerLeaf._meta.db_table)} ({column_list}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_LEAF_COPY_TYPES)
        write_row = copy.write_row
        for row_id, offset, kind, subject, actor, body in zip(
            range(number << APPEND_SHIFT, (number << APPEND_SHIFT) + count),
            range(0, 16 * count, 16),
            encoded.kinds,
            encoded.subjects,
            encoded.actors,
            encoded.bodies,
        ):
            hasher = new_hasher()
            hasher.update(body)
            leaf_hash = hasher.digest()
            add_hash(leaf_hash)
            write_row((row_id, raw_ids[offset : offset + 16], kind, subject, actor, body, leaf_hash, algorithm, created_at))
    _queue_append(cursor, count, b"".join(leaf_hashes), algorithm, number=number)


# The types _append_streamed's binary COPY sends ("id", *LEAF_COLUMNS): the uuid and the body go as
# the bytes they are (see there).
_LEAF_COPY_TYPES = ("int8", "bytea", "text", "text", "text", "bytea", "bytea", "text", "timestamptz")


_FEW_ROWS = 8  # up to this many rows, one INSERT beats COPY's extra round trip (see insert_rows)
_PENDING_SEQUENCE: dict[str, str] = {}


def _pending_sequence(cursor) -> str:
    """The name of the sequence behind LedgerPending.id (PostgreSQL), looked up once per database."""
    name = _PENDING_SEQUENCE.get(connection.alias)
    if name is None:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [connection.ops.quote_name(LedgerPending._meta.db_table)])
        name = _PENDING_SEQUENCE[connection.alias] = cursor.fetchone()[0]
    return name


def _queue_append(cursor, leaf_count: int, leaf_hashes: bytes, algorithm: str, number: int | None = None) -> int:
    """Write an append's queue row; returns its number (the id from the table's own sequence,
    AUTOINCREMENT / identity, which never hands out a number twice, even after a rollback), or
    writes it with `number`, taken from that sequence beforehand."""
    table = connection.ops.quote_name(LedgerPending._meta.db_table)
    if connection.vendor == "postgresql":
        # The hashes as a binary parameter (%b): Django binds parameters into the SQL text, which
        # would make the 32 KB of a 1,000-leaf append a 64 KB hex literal for the server to parse.
        with _binary_cursor() as raw:
            if number is not None:
                raw.execute(
                    f"INSERT INTO {table} (id, leaf_count, sequenced, leaf_hashes, hash_algorithm) VALUES (%s, %s, 0, %b, %s)",
                    [number, leaf_count, leaf_hashes, algorithm],
                )
                return number
            raw.execute(
                f"INSERT INTO {table} (leaf_count, sequenced, leaf_hashes, hash_algorithm) VALUES (%s, 0, %b, %s) RETURNING id",
                [leaf_count, leaf_hashes, algorithm],
            )
            return raw.fetchone()[0]
    # RETURNING: SQLite >= 3.35.
    cursor.execute(
        f"INSERT INTO {table} (leaf_count, sequenced, leaf_hashes, hash_algorithm) VALUES (%s, 0, %s, %s) RETURNING id",
        [leaf_count, leaf_hashes, algorithm],
    )
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
_UUID7_VERSION = bytes(value & 0x0F | 0x70 for value in range(256))  # byte 6: version 7 in the high nibble
_UUID7_VARIANT = bytes(value & 0x3F | 0x80 for value in range(256))  # byte 8: variant 10 in the top bits
_UUID_TEXT_DIGITS = [column for column in range(36) if column not in (8, 13, 18, 23)]  # the rest are dashes


def new_leaf_ids(count: int, created_at: datetime) -> tuple[bytes, bytes]:
    """`count` fresh UUIDv7s for leaves created at `created_at`: 16 bytes each, and their text
    forms, 36 ASCII characters each ("8-4-4-4-12" lower-case hex digits).

    Built a byte column at a time, for all the ids at once: a slice assignment per byte of the
    layout (six for the timestamp, one translation each for version and variant, one per
    character of the text) instead of an integer's arithmetic and formatting for each id, which
    cost ten times as much at a thousand ids.
    """
    raw = bytearray(os.urandom(16 * count))
    millis = int(created_at.timestamp() * 1000).to_bytes(6, "big")
    for column in range(6):
        raw[column::16] = millis[column : column + 1] * count
    raw[6::16] = raw[6::16].translate(_UUID7_VERSION)
    raw[8::16] = raw[8::16].translate(_UUID7_VARIANT)
    digits = binascii.hexlify(raw)
    text = bytearray(b"-" * (36 * count))
    for digit, column in enumerate(_UUID_TEXT_DIGITS):
        text[column::36] = digits[digit::32]
    return bytes(raw), bytes(text)


# hashlib objects already fed the leaf prefix 0x00, copied for each leaf: cheaper than a new one.
_LEAF_HASH_STARTS: dict[str, "hashlib._Hash"] = {}


def _leaf_hash_start(algorithm: str):
    start = _LEAF_HASH_STARTS.get(algorithm)
    if start is None:
        start = _LEAF_HASH_STARTS[algorithm] = hashlib.new(algorithm, merkle.LEAF_PREFIX)
    return start


def _hash_leaves(bodies: list[bytes], algorithm: str) -> list[bytes]:
    """HASH(0x00 || body) of each body: one copy of a hash object already fed the prefix, each."""
    new_hasher = _leaf_hash_start(algorithm).copy
    leaf_hashes = []
    add_hash = leaf_hashes.append
    for body in bodies:
        hasher = new_hasher()
        hasher.update(body)
        add_hash(hasher.digest())
    return leaf_hashes


class _EncodedEntries(NamedTuple):
    """The entries of one append, checked and written out (_encode_entries)."""

    leaf_ids: list[uuid.UUID]
    raw_ids: bytes  # the same UUIDv7s, 16 bytes each
    kinds: list[str]
    subjects: list[str]
    actors: list[str]
    bodies: list[bytes]  # the canonical JSON body of each, as UTF-8: what is hashed, and stored as text


def _encode_entries(entries: Sequence[LedgerEntry], created_at: datetime) -> _EncodedEntries:
    """Check `entries` and write their bodies, or raise LedgerEntryError for the first one refused.

    Per leaf: the checks, the canonical JSON body as UTF-8 (one walk over the payload to check it,
    orjson for the payload, else the json module) and the uuid.UUID of its id (the ids themselves
    come from new_leaf_ids, for all the entries at once). The body is written as bytes, which are
    what is hashed and what the database stores (as text: see _insert_leaves); no str of it is
    made. Around the payload it is joined from pieces: the part up to the id depends only on the
    actor and the part between the id and the payload only on the kind, so each is made once per
    distinct actor or kind in the append (a handful: a service's entries share them), the rest per
    leaf. Kept in one loop with local names: at a thousand leaves a batch, each call and attribute
    lookup here shows in the benchmark.
    """
    count = len(entries)
    raw_ids, text_ids = new_leaf_ids(count, created_at)
    created = _timestamp_text(created_at).encode()
    plain_payload, string, join, valid_kinds = plain_json_bytes_checked, _json_string_bytes, b"".join, _VALID_KINDS
    heads: dict[str, bytes] = {}  # by actor: '{"actor":…,"created_at":"…","id":"'
    middles: dict[str, bytes] = {}  # by kind: '","kind":…,"payload":'
    new_uuid, set_field, uuid_class, unknown, from_bytes = (
        object.__new__, object.__setattr__, uuid.UUID, uuid.SafeUUID.unknown, int.from_bytes
    )  # fmt: skip
    leaf_ids: list[uuid.UUID] = []
    kinds: list[str] = []
    subjects: list[str] = []
    actors: list[str] = []
    bodies: list[bytes] = []
    add_id, add_kind, add_subject, add_actor, add_body = (
        leaf_ids.append, kinds.append, subjects.append, actors.append, bodies.append
    )  # fmt: skip
    for entry, offset, text_offset in zip(entries, range(0, 16 * count, 16), range(0, 36 * count, 36)):
        kind, subject, actor, payload = entry.kind, entry.subject, entry.actor, entry.payload
        try:
            if (
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
                head = heads.get(actor)
                if head is None:
                    head = heads[actor] = join((b'{"actor":', string(actor), b',"created_at":"', created, b'","id":"'))
                middle = middles.get(kind)
                if middle is None:
                    middle = middles[kind] = join((b'","kind":', string(kind), b',"payload":'))
                # A plain payload (exact JSON types, checked in one walk) is written by orjson,
                # anything else by canonical_json, which says what is wrong with it.
                payload_json = plain_payload(payload)
                if payload_json is None:
                    payload_json = canonical_json(payload).encode("utf-8")
                body = join(
                    (head, text_ids[text_offset : text_offset + 36], middle, payload_json, b',"subject":', string(subject), _BODY_END)
                )
            else:
                _entry_check(kind, subject, actor, payload)  # raises, saying what is wrong
                if type(kind) is str and len(valid_kinds) < _VALID_KINDS_MAX:
                    valid_kinds.add(kind)  # a kind seen for the first time (or the entry has subclasses)
                body = _leaf_body_bytes(text_ids[text_offset : text_offset + 36], kind, subject, actor, created, payload)
        except _BODY_ERRORS as error:
            raise LedgerEntryError("ledger.payload", _("The entry payload is not JSON: %(error)s"), error=str(error)) from error
        # uuid.UUID(bytes=…) without re-checking an id made just above: what UUID.__init__ itself
        # does after its checks (and Python 3.14's UUID._from_int), at half the cost.
        leaf_id = new_uuid(uuid_class)
        set_field(leaf_id, "int", from_bytes(raw_ids[offset : offset + 16], "big"))
        set_field(leaf_id, "is_safe", unknown)
        add_id(leaf_id)
        add_kind(kind)
        add_subject(subject)
        add_actor(actor)
        add_body(body)
    return _EncodedEntries(leaf_ids, raw_ids, kinds, subjects, actors, bodies)


def _insert_leaves(
    cursor, encoded: _EncodedEntries, first_row_id: int, leaf_hashes: list[bytes], algorithm: str, created_at: datetime
) -> None:
    """Insert the leaf rows of an append (but PostgreSQL's longer ones: _append_streamed), ids
    counting up from first_row_id.

    SQLite: executemany with the body bound as the bytes it is and cast to text in the statement
    (CAST of a blob to TEXT takes its bytes as the database's encoding, UTF-8), so it is neither
    decoded into a str nor encoded back by the driver. The rows are zipped from the append's
    columns, in C. PostgreSQL (a few rows): one INSERT, with the bodies decoded.
    """
    count = len(encoded.bodies)
    row_ids = range(first_row_id, first_row_id + count)
    table = connection.ops.quote_name(LedgerLeaf._meta.db_table)
    created_db = connection.ops.adapt_datetimefield_value(created_at)
    if connection.vendor == "sqlite":
        digits = encoded.raw_ids.hex()  # UUIDField's form on SQLite: 32 hex digits
        public_ids = [digits[offset : offset + 32] for offset in range(0, 32 * count, 32)]
        cursor.executemany(
            _SQLITE_LEAF_INSERT.format(table=table),
            zip(
                row_ids, public_ids, encoded.kinds, encoded.subjects, encoded.actors, encoded.bodies, leaf_hashes,
                repeat(algorithm), repeat(created_db),
            ),
        )  # fmt: skip
        return
    rows = zip(
        row_ids,
        (str(leaf_id) for leaf_id in encoded.leaf_ids) if connection.features.has_native_uuid_field else (leaf_id.hex for leaf_id in encoded.leaf_ids),
        encoded.kinds, encoded.subjects, encoded.actors, (body.decode("utf-8") for body in encoded.bodies), leaf_hashes,
        repeat(algorithm), repeat(created_db),
    )  # fmt: skip
    insert_rows(cursor, LedgerLeaf._meta.db_table, ("id", *LEAF_COLUMNS), list(rows))


_SQLITE_LEAF_INSERT = (
    "INSERT INTO {table} (id, public_id, kind, subject, actor, body, leaf_hash, hash_algorithm, created_at) "
    "VALUES (%s, %s, %s, %s, %s, CAST(%s AS TEXT), %s, %s, %s)"
)


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
    if connection.vendor == "postgresql" and len(rows) <= _FEW_ROWS:
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


# How long after one check (which found a sequencing task waiting, or queued one) this process
# skips the next: under a stream of appends (the sharing gateway logs every call) a read after
# every commit costs a round trip each, and the task found or queued a moment ago, the next
# check, or the scheduler's sweep (every 10 s) sequences what is committed meanwhile.
SEQUENCING_CHECK_INTERVAL = 0.2
_sequencing_checked_at = -1.0


def _enqueue_sequencing() -> None:
    """Queue a sequencing task, unless one is already waiting to start.

    Runs after the caller's commit, so a task still waiting now starts later and sees the leaves
    just committed; under a steady stream of appends most commits find one waiting (the worker is
    busy with the previous batch) and cost one read instead of a task row and its commit.
    """
    global _sequencing_checked_at
    from .tasks import ledger_sequence_task

    now = time.monotonic()
    if now - _sequencing_checked_at < SEQUENCING_CHECK_INTERVAL:
        return
    if not _sequencing_task_waiting(ledger_sequence_task):
        ledger_sequence_task.enqueue()
    _sequencing_checked_at = now


def _sequencing_task_waiting(task) -> bool:
    """Whether the database task backend holds a sequencing task not yet started (False for other backends).

    What DBTaskResult.objects.ready().filter(task_path=…).exists() asks, in plain SQL: it runs after
    every appending commit, and building the ORM query took longer than running it (about a
    millisecond a commit, a tenth of the whole append of a 1,000-leaf batch on SQLite).
    """
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult, TaskResultStatus, get_date_max
    except ImportError:
        return False
    if not isinstance(task.get_backend(), DatabaseBackend):
        return False
    db = connections[router.db_for_read(DBTaskResult)]
    sql = _TASK_WAITING_SQL.get(db.alias)
    if sql is None:
        quote = db.ops.quote_name
        column = {field.name: quote(field.column) for field in DBTaskResult._meta.concrete_fields}
        sql = _TASK_WAITING_SQL[db.alias] = (
            f"SELECT 1 FROM {quote(DBTaskResult._meta.db_table)} WHERE {column['status']} = %s "
            f"AND {column['task_path']} = %s AND ({column['run_after']} = %s OR {column['run_after']} <= %s) LIMIT 1"
        )
    adapt = db.ops.adapt_datetimefield_value
    with db.cursor() as cursor:
        cursor.execute(sql, [TaskResultStatus.READY.value, task.module_path, adapt(get_date_max()), adapt(timezone.now())])
        return cursor.fetchone() is not None


_TASK_WAITING_SQL: dict[str, str] = {}


def _sequence_batch(max_batch: int) -> tuple[int, bool]:
    """Sequence up to max_batch queued leaves in one transaction; returns (count, whether more wait).

    Queued appends are taken in id (arrival) order among those committed by now; an append whose
    transaction commits later simply gets later indexes. The queue rows carry their leaves' hashes,
    so a batch reads only the queue: its sizes (one row more than can be taken, to know whether
    another batch is due), then the hashes of the appends taken. It writes one LedgerRange row per
    append taken, deletes (or, for an append only partly taken, advances) their queue rows, and
    inserts the new node rows (one for every four leaves: see merkle.STORED_MIN_LEVEL). The leaf
    rows are not written, and read only for the at most 7 leaf hashes of the log's last block.

    On PostgreSQL the reads go in one round trip and the writes in another (_PostgresSequencing);
    SQLite runs in the process, where a statement costs no round trip.
    """
    quote = connection.ops.quote_name
    pending_table = quote(LedgerPending._meta.db_table)
    own_transaction = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        postgres = _PostgresSequencing(max_batch, own_transaction) if connection.vendor == "postgresql" else None
        if postgres is not None:
            size, algorithm, queued, hashes = postgres.read()
        else:
            size, algorithm = storage.state_lock_fast(cursor)
            cursor.execute(
                f"SELECT id, leaf_count, sequenced FROM {pending_table} ORDER BY id LIMIT %s", [max_batch + 1]
            )
            queued = cursor.fetchall()
            hashes = None
        algorithm = algorithm or digest_algorithm()  # a new log takes the profile's algorithm
        hasher = storage.digest_function(algorithm)
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
        if hashes is None:
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
        done = [append_id for append_id, _, _ in taken if partial is None or append_id != partial[1]]
        edge, tail = storage.edge_of_log(size, hasher, postgres.edge_rows(size) if postgres is not None else None)
        # A block (level-3 subtree) completed here gets a row carrying its 8 leaf hashes, some of
        # them perhaps from the previous batch (the tail); higher subtrees just their hash.
        below, first_below = tail + leaf_hashes, size - len(tail)
        rows = []
        for position, value in edge.extend(leaf_hashes, min_level=merkle.STORED_MIN_LEVEL):
            level, index = merkle.subtree_of_position(position)
            start = (index << level) - first_below
            rows.append((position, value, b"".join(below[start : start + 8]) if level == merkle.STORED_MIN_LEVEL else None))
        if postgres is not None:
            postgres.write(ranges, done, partial, rows, tree_size=size + count, hash_algorithm=algorithm)
            return count, more
        insert_rows(cursor, LedgerRange._meta.db_table, ("first_index", "first_leaf_id", "leaf_count"), ranges)
        with _secure_delete_off(cursor):
            for start in range(0, len(done), 500):
                ids = done[start : start + 500]
                cursor.execute(f"DELETE FROM {pending_table} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
        if partial is not None:
            cursor.execute(f"UPDATE {pending_table} SET sequenced = %s WHERE id = %s", partial)
        insert_rows(cursor, LedgerNode._meta.db_table, ("position", "hash", "leaves"), rows)
        storage.state_save_fast(cursor, tree_size=size + count, hash_algorithm=algorithm)
        return count, more


@contextmanager
def _secure_delete_off(cursor):
    """SQLite: deletes in this block leave the freed content in place instead of zeroing it.

    Debian builds SQLite with secure_delete on, so deleting a sequenced append's queue row (32 KB
    of leaf hashes for 1,000 leaves) overwrote its pages with zeros, which wrote them to the WAL
    once more: about a tenth of a batch's WAL. The queue holds only leaf hashes, which are public
    (every proof hands them out), so nothing secret is left behind; the connection's setting is
    restored right after, so every other delete stays secure.
    """
    cursor.execute("PRAGMA secure_delete")
    previous = cursor.fetchone()[0]
    if not previous:
        yield
        return
    cursor.execute("PRAGMA secure_delete = 0")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA secure_delete = {int(previous)}")


class _PostgresSequencing:
    """The statements of one sequencing batch on PostgreSQL, in two round trips (psycopg pipelines).

    A batch used to be a dozen statements, each waiting for its answer: on a busy machine each
    wait is a trip through the scheduler for this process and the server's, and together they
    cost more than the work. Now the reads go together (after the BEGIN): the lock on the state
    row, the queue with the hashes of the appends that will be taken (a window sum picks them, so
    a long queue's other hashes are not read), and the right edge of the tree for the size the
    log had after this process's previous batch; the server runs them in order, so all are read
    under the lock. When the log has another size (the first batch, or another sequencer ran in
    between), the edge is read again for the right one. The writes then go together too.
    """

    # The log size after this process's last batch, by database: its edge is read with the lock.
    size_guess: dict[str, int] = {}

    def __init__(self, max_batch: int, own_transaction: bool):
        import psycopg

        self.max_batch = max_batch
        self.own_transaction = own_transaction
        connection.ensure_connection()
        self.pg = connection.connection
        self.cursor = lambda: psycopg.Cursor(self.pg)
        self.guess = self.size_guess.get(connection.alias)
        self.guessed_rows = None

    def read(self) -> tuple[int, str, list[tuple], dict[int, tuple[bytes, str]]]:
        quote = connection.ops.quote_name
        pending = quote(LedgerPending._meta.db_table)
        state_cursor, queue_cursor, edge_cursor, setting_cursor = (self.cursor() for _ in range(4))
        edge_query = storage.fetch_query(merkle.perfect_subtrees(0, self.guess), self.guess) if self.guess else None
        queue_sql = (
            "SELECT id, leaf_count, sequenced, CASE WHEN coalesce(sum(leaf_count - sequenced) OVER ("
            "ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) < %s THEN leaf_hashes END, "
            "hash_algorithm FROM (SELECT id, leaf_count, sequenced, leaf_hashes, hash_algorithm "
            f"FROM {pending} ORDER BY id LIMIT %s) AS queued ORDER BY id"
        )
        queue_params = [self.max_batch, self.max_batch + 1]
        with self.pg.pipeline():
            if self.own_transaction:
                # The commit of the sequencer's own transaction (never a caller's) need not wait
                # for the WAL flush, as on SQLite, whose WAL mode with synchronous=NORMAL never
                # waits: what it writes is derived from durable rows, and if a crash loses it the
                # appends are still queued and get sequenced again. A signed tree head is
                # committed synchronously, which flushes the WAL up to it, this commit included:
                # whatever a signed head covers is durable.
                setting_cursor.execute("SET LOCAL synchronous_commit TO OFF")
            state_cursor.execute(
                f"SELECT tree_size, hash_algorithm FROM {quote(LedgerState._meta.db_table)} WHERE id = %s FOR UPDATE",
                [LedgerState.SINGLETON_ID],
            )
            queue_cursor.execute(queue_sql, queue_params, binary=True)
            if edge_query is not None:
                edge_cursor.execute(*edge_query, binary=True)
        state = state_cursor.fetchone()
        if state is None:
            # The first batch ever: create the state row (state_lock does), then read the queue
            # again now that it is locked.
            locked = storage.state_lock()
            queue_cursor.execute(queue_sql, queue_params, binary=True)
            state = (locked.tree_size, locked.hash_algorithm)
        elif edge_query is not None:
            self.guessed_rows = edge_cursor.fetchall()
        queued, hashes = [], {}
        for append_id, leaf_count, sequenced, packed, algorithm in queue_cursor.fetchall():
            queued.append((append_id, leaf_count, sequenced))
            if packed is not None:
                hashes[append_id] = (packed, algorithm)
        return state[0], state[1], queued, hashes

    def edge_rows(self, size: int):
        """The edge's rows as read with the lock when the guess was right, else None (read them)."""
        if self.guessed_rows is not None and size == self.guess:
            return storage.fetched_hashes(self.guessed_rows)
        return None

    def write(self, ranges, done, partial, nodes, *, tree_size: int, hash_algorithm: str) -> None:
        quote = connection.ops.quote_name
        pending = quote(LedgerPending._meta.db_table)
        cursor = self.cursor()
        with self.pg.pipeline():
            if ranges:
                cursor.execute(
                    f"INSERT INTO {quote(LedgerRange._meta.db_table)} (first_index, first_leaf_id, leaf_count) "
                    "SELECT * FROM unnest(%b::bigint[], %b::bigint[], %b::integer[])",
                    [list(column) for column in zip(*ranges)],
                )
            if done:
                cursor.execute(f"DELETE FROM {pending} WHERE id = ANY(%b::bigint[])", [done])
            if partial is not None:
                cursor.execute(f"UPDATE {pending} SET sequenced = %s WHERE id = %s", list(partial))
            if nodes:
                # Arrays bound in binary (%b; as text they take longer to write and to parse than
                # COPY): one statement, and no COPY, which a pipeline cannot hold.
                cursor.execute(
                    f"INSERT INTO {quote(LedgerNode._meta.db_table)} (position, hash, leaves) "
                    "SELECT * FROM unnest(%b::bigint[], %b::bytea[], %b::bytea[])",
                    [list(column) for column in zip(*nodes)],
                )
            cursor.execute(
                f"UPDATE {quote(LedgerState._meta.db_table)} SET tree_size = %s, hash_algorithm = %s, updated_at = %s "
                "WHERE id = %s",
                [tree_size, hash_algorithm, timezone.now(), LedgerState.SINGLETON_ID],
            )
        self.size_guess[connection.alias] = tree_size


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
