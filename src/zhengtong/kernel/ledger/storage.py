"""Reading the stored tree: hashes of perfect subtrees by (level, index), in O(log n) rows per proof.

(Levels below merkle.STORED_MIN_LEVEL are not stored but hashed from their leaves on the way.)

Shared by the sequencer (which needs the right edge of the tree to extend it), the tree head
publisher (the root) and the proof selectors.
"""

import hashlib
from collections.abc import Callable, Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.public import digest_algorithm

from . import merkle
from .errors import LedgerIntegrityError
from .models import LedgerLeaf, LedgerNode, LedgerRange, LedgerState


def digest_function(hash_algorithm: str) -> Callable[[bytes], bytes]:
    """SM3 or SHA-256 as a function of bytes: what crypto.primitives computes (OpenSSL through
    hashlib), made by copying a ready hash object, which for the short inputs of a tree (65 bytes
    a node) costs about half of creating one by name each time."""
    if hash_algorithm not in ("sm3", "sha256"):
        raise LedgerIntegrityError(
            "ledger.unknown_algorithm", _("Unknown hash algorithm %(algorithm)s"), algorithm=hash_algorithm
        )
    fresh = _FRESH_HASHES.get(hash_algorithm)
    if fresh is None:
        fresh = _FRESH_HASHES[hash_algorithm] = hashlib.new(hash_algorithm)
    copy = fresh.copy

    def digest(data: bytes) -> bytes:
        hasher = copy()
        hasher.update(data)
        return hasher.digest()

    return digest


_FRESH_HASHES: dict = {}


def log_hash_algorithm(state: LedgerState | None) -> str:
    """The log's hash algorithm: fixed by its first sequenced leaf, else the profile's."""
    if state is not None and state.hash_algorithm:
        return state.hash_algorithm
    return digest_algorithm()


def state_get() -> LedgerState | None:
    return LedgerState.objects.filter(pk=LedgerState.SINGLETON_ID).first()


def state_lock() -> LedgerState:
    """The state row, locked until the surrounding transaction ends (call inside atomic()).

    The row is created on first use rather than by a data migration, so a test that flushes the
    tables (TransactionTestCase) still finds a working log.
    """
    state = LedgerState.objects.select_for_update().filter(pk=LedgerState.SINGLETON_ID).first()
    if state is None:
        try:
            with transaction.atomic():
                LedgerState.objects.create(pk=LedgerState.SINGLETON_ID)
        except IntegrityError:
            pass  # another sequencer created it first; lock theirs
        state = LedgerState.objects.select_for_update().get(pk=LedgerState.SINGLETON_ID)
    return state


_RANGE = LedgerRange._meta.db_table
# The leaf id at index %s: the range starting at or before it (one step down the primary key), if
# it reaches that far. (A WHERE on the range's end instead would scan on down when it does not.)
_LEAF_AT_INDEX = (
    f"SELECT CASE WHEN first_index + leaf_count > %s THEN first_leaf_id + (%s - first_index) END "
    f'FROM "{_RANGE}" WHERE first_index <= %s ORDER BY first_index DESC LIMIT 1'
)
# The index of the leaf with database id %s, likewise through the range starting at or before it.
_INDEX_OF_LEAF = (
    f"SELECT CASE WHEN first_leaf_id + leaf_count > %s THEN first_index + (%s - first_leaf_id) END "
    f'FROM "{_RANGE}" WHERE first_leaf_id <= %s ORDER BY first_leaf_id DESC LIMIT 1'
)


def leaf_index_of(leaf_row_id: int) -> int | None:
    """The index of a leaf (by its database id), or None while it is pending."""
    with connection.cursor() as cursor:
        cursor.execute(_INDEX_OF_LEAF, [leaf_row_id] * 3)
        row = cursor.fetchone()
    return row[0] if row else None


def leaf_index_expression() -> RawSQL:
    """The same lookup as an expression over a LedgerLeaf query (the row's index, or NULL).

    Raw SQL: an ORM Subquery with Case/When took longer to compile than the lookup takes to run,
    and this is on the path of every proof requested by leaf id.
    """
    leaf_id = f"{connection.ops.quote_name(LedgerLeaf._meta.db_table)}.id"
    return RawSQL(
        f"SELECT CASE WHEN first_leaf_id + leaf_count > {leaf_id} THEN first_index + ({leaf_id} - first_leaf_id) END "
        f'FROM "{_RANGE}" WHERE first_leaf_id <= {leaf_id} ORDER BY first_leaf_id DESC LIMIT 1',
        [],
        output_field=BigIntegerField(),
    )


def state_lock_fast(cursor) -> tuple[int, str]:
    """(tree_size, hash_algorithm) of the state row, locked like state_lock(): the sequencer's
    version, in plain SQL (the ORM's query building cost more than the query, once per batch)."""
    table = connection.ops.quote_name(LedgerState._meta.db_table)
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cursor.execute(f"SELECT tree_size, hash_algorithm FROM {table} WHERE id = %s{for_update}", [LedgerState.SINGLETON_ID])
    row = cursor.fetchone()
    if row is None:
        state = state_lock()  # creates the row
        return state.tree_size, state.hash_algorithm
    return row


def state_save_fast(cursor, *, tree_size: int, hash_algorithm: str) -> None:
    table = connection.ops.quote_name(LedgerState._meta.db_table)
    cursor.execute(
        f"UPDATE {table} SET tree_size = %s, hash_algorithm = %s, updated_at = %s WHERE id = %s",
        [tree_size, hash_algorithm, connection.ops.adapt_datetimefield_value(timezone.now()), LedgerState.SINGLETON_ID],
    )


def _fetch(subtrees: list[merkle.Subtree], log_size: int) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """(hash by position, leaf hash by index): what the given subtrees need, in one query.

    A subtree of level >= STORED_MIN_LEVEL comes from the node table by position. A smaller one is
    hashed from its leaves: when its block of 8 leaves is complete in the log, they come from the
    block's node row (which carries them), else from the leaf rows, each found by index through the
    range holding it (at most 7 leaves: the log's newest, incomplete block). One UNION ALL.
    """
    query = fetch_query(subtrees, log_size)
    if query is None:
        return {}, {}
    with connection.cursor() as cursor:
        cursor.execute(*query)
        return fetched_hashes(cursor.fetchall())


def fetch_query(subtrees: list[merkle.Subtree], log_size: int) -> tuple[str, list[int]] | None:
    """The query of _fetch (SQL and parameters), or None when nothing needs reading; its rows go to
    fetched_hashes. Apart so the sequencer can send it along with others in one round trip."""
    block_level = merkle.STORED_MIN_LEVEL
    positions: set[int] = set()
    leaf_indexes: set[int] = set()
    for level, index in subtrees:
        if level >= block_level:
            positions.add(merkle.position(level, index))
            continue
        first = index << level
        block = first >> block_level
        if (block + 1) << block_level <= log_size:
            positions.add(merkle.position(block_level, block))
        else:
            leaf_indexes.update(range(first, first + (1 << level)))
    # Raw SQL: this runs for every proof, and compiling the ORM's UNION cost more than the query.
    quote = connection.ops.quote_name
    parts, params = [], []
    if positions:
        parts.append(
            f"SELECT position, hash, leaves FROM {quote(LedgerNode._meta.db_table)} "
            f"WHERE position IN ({', '.join(['%s'] * len(positions))})"
        )
        params += sorted(positions)
    for index in sorted(leaf_indexes):
        parts.append(
            f"SELECT {int(index) * 2}, leaf_hash, NULL FROM {quote(LedgerLeaf._meta.db_table)} WHERE id = ({_LEAF_AT_INDEX})"
        )
        params += [index, index, index]
    if not parts:
        return None
    return " UNION ALL ".join(parts), params


def fetched_hashes(rows) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """(hash by position, leaf hash by index) from the rows of fetch_query."""
    block_level = merkle.STORED_MIN_LEVEL
    by_position: dict[int, bytes] = {}
    leaves: dict[int, bytes] = {}
    for pos, value, packed in rows:
        if pos % 2 == 0:
            leaves[pos // 2] = bytes(value)
            continue
        by_position[pos] = bytes(value)
        level, index = merkle.subtree_of_position(pos)
        if level == block_level and packed is not None:
            packed = bytes(packed)
            first = index << block_level
            for n in range(len(packed) // merkle.DIGEST_SIZE):
                leaves[first + n] = packed[n * merkle.DIGEST_SIZE : (n + 1) * merkle.DIGEST_SIZE]
    return by_position, leaves


def subtree_hashes(
    subtrees: Iterable[merkle.Subtree], digest: Callable[[bytes], bytes], log_size: int | None = None
) -> dict[merkle.Subtree, bytes]:
    """The hash of each perfect subtree, from what is stored, read in one query (O(log n) rows).

    log_size: the sequenced size of the log (read from the state when not given).
    """
    subtrees = list(subtrees)
    if log_size is None:
        state = state_get()
        log_size = state.tree_size if state else 0
    return _assemble(subtrees, digest, *_fetch(subtrees, log_size))


def _assemble(
    subtrees: list[merkle.Subtree], digest: Callable[[bytes], bytes], by_position: dict[int, bytes], leaves: dict[int, bytes]
) -> dict[merkle.Subtree, bytes]:
    found: dict[merkle.Subtree, bytes] = {}
    for level, index in subtrees:
        if level >= merkle.STORED_MIN_LEVEL:
            value = by_position.get(merkle.position(level, index))
            missing = [(level, index)] if value is None else []
        else:
            below = [leaves.get(leaf) for leaf in range(index << level, (index + 1) << level)]
            missing = [(0, (index << level) + n) for n, leaf in enumerate(below) if leaf is None]
            value = None if missing else merkle.perfect_root(digest, below)
        if missing:
            raise LedgerIntegrityError(
                "ledger.node_missing",
                _("The stored tree has no hash for subtree (level %(level)s, index %(index)s); run `zhengtong ledger verify`"),
                level=missing[0][0],
                index=missing[0][1],
            )
        found[(level, index)] = value
    return found


def compact_range(size: int, digest: Callable[[bytes], bytes], log_size: int | None = None) -> merkle.CompactRange:
    """The right edge of the stored tree of `size` leaves, ready to be extended."""
    subtrees = merkle.perfect_subtrees(0, size)
    hashes = subtree_hashes(subtrees, digest, size if log_size is None else log_size)
    return merkle.CompactRange(digest=digest, size=size, hashes=[hashes[s] for s in subtrees])


def edge_of_log(
    size: int, digest: Callable[[bytes], bytes], fetched: tuple[dict[int, bytes], dict[int, bytes]] | None = None
) -> tuple[merkle.CompactRange, list[bytes]]:
    """For the sequencer: the right edge of the whole log (of `size` leaves), and the hashes of the
    leaves of its incomplete last block of 8 (0 to 7 of them), which the block's row will carry.

    fetched: the rows of fetch_query(merkle.perfect_subtrees(0, size), size) read already, through
    fetched_hashes (else they are read here)."""
    subtrees = merkle.perfect_subtrees(0, size)
    by_position, leaves = _fetch(subtrees, size) if fetched is None else fetched
    found = _assemble(subtrees, digest, by_position, leaves)
    first = size >> merkle.STORED_MIN_LEVEL << merkle.STORED_MIN_LEVEL
    tail = [leaves[index] for index in range(first, size)]
    return merkle.CompactRange(digest=digest, size=size, hashes=[found[s] for s in subtrees]), tail


def root_at(size: int, digest: Callable[[bytes], bytes], log_size: int | None = None) -> bytes:
    """MTH of the first `size` leaves from at most log2(size) stored hashes (log_size: see subtree_hashes)."""
    if log_size is None:
        state = state_get()
        log_size = state.tree_size if state else size
    return compact_range(size, digest, log_size).root()


def range_hashes(ranges: list[merkle.Range], digest: Callable[[bytes], bytes], log_size: int) -> list[bytes]:
    """MTH of each range (a proof's elements), from the stored perfect subtrees in one fetch."""
    return merkle.hashes_of_ranges(digest, ranges, subtree_hashes(merkle.subtrees_needed(ranges), digest, log_size))
