"""Reading the stored tree: hashes of perfect subtrees by (level, index), in O(log n) rows per proof.

Shared by the sequencer (which needs the right edge of the tree to extend it), the tree head
publisher (the root) and the proof selectors.
"""

from collections.abc import Callable, Iterable

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto import primitives
from zhengtong.kernel.crypto.public import digest_algorithm

from . import merkle
from .errors import LedgerIntegrityError
from .models import LedgerLeaf, LedgerNode, LedgerState


def digest_function(hash_algorithm: str) -> Callable[[bytes], bytes]:
    if hash_algorithm == "sm3":
        return primitives.sm3
    if hash_algorithm == "sha256":
        return primitives.sha256
    raise LedgerIntegrityError(
        "ledger.unknown_algorithm", _("Unknown hash algorithm %(algorithm)s"), algorithm=hash_algorithm
    )


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


def subtree_hashes(subtrees: Iterable[merkle.Subtree]) -> dict[merkle.Subtree, bytes]:
    """The stored hash of each perfect subtree, in one query (one round trip, O(log n) rows).

    Level >= 1 comes from the node table by position, level 0 from the leaves by index (a leaf's
    position is twice its index), joined with UNION ALL.
    """
    subtrees = list(subtrees)
    positions = [merkle.position(level, index) for level, index in subtrees if level > 0]
    leaf_indexes = [index for level, index in subtrees if level == 0]
    # Raw SQL: this runs for every proof, and compiling the ORM's UNION cost more than the query.
    quote = connection.ops.quote_name
    parts, params = [], []
    if positions:
        parts.append(
            f"SELECT position, hash FROM {quote(LedgerNode._meta.db_table)} "
            f"WHERE position IN ({', '.join(['%s'] * len(positions))})"
        )
        params += positions
    if leaf_indexes:
        parts.append(
            f"SELECT leaf_index * 2, leaf_hash FROM {quote(LedgerLeaf._meta.db_table)} "
            f"WHERE leaf_index IN ({', '.join(['%s'] * len(leaf_indexes))})"
        )
        params += leaf_indexes
    if not parts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        by_position = {pos: bytes(value) for pos, value in cursor.fetchall()}
    found: dict[merkle.Subtree, bytes] = {}
    for subtree in subtrees:
        value = by_position.get(merkle.position(*subtree))
        if value is None:
            level, index = subtree
            raise LedgerIntegrityError(
                "ledger.node_missing",
                _("The stored tree has no hash for subtree (level %(level)s, index %(index)s); run `zhengtong ledger verify`"),
                level=level,
                index=index,
            )
        found[subtree] = value
    return found


def compact_range(size: int, digest: Callable[[bytes], bytes]) -> merkle.CompactRange:
    """The right edge of the stored tree of `size` leaves, ready to be extended."""
    subtrees = merkle.perfect_subtrees(0, size)
    hashes = subtree_hashes(subtrees)
    return merkle.CompactRange(digest=digest, size=size, hashes=[hashes[s] for s in subtrees])


def root_at(size: int, digest: Callable[[bytes], bytes]) -> bytes:
    """MTH of the first `size` leaves from at most log2(size) stored hashes."""
    return compact_range(size, digest).root()


def range_hashes(ranges: list[merkle.Range], digest: Callable[[bytes], bytes]) -> list[bytes]:
    """MTH of each range (a proof's elements), from the stored perfect subtrees in one fetch."""
    return merkle.hashes_of_ranges(digest, ranges, subtree_hashes(merkle.subtrees_needed(ranges)))
