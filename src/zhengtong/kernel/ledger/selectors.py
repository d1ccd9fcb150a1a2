"""Reads of the log: tree heads, leaves and proofs. The log is public; leaf bodies are not (see api.py).

Every proof is built from at most about 2·log2(n) stored hashes read in two queries (storage.py), so
its cost does not grow with the log beyond that.
"""

import json
from collections.abc import Sequence
from uuid import UUID

from django.db import connection
from django.utils.translation import gettext_lazy as _

from . import merkle, storage
from .errors import LedgerNotFound, LedgerQueryError
from .models import LedgerLeaf, SignedTreeHead
from .records import ConsistencyProof, InclusionProof, Leaf, LeafBody, TreeHead
from .services import tree_head_record


def ledger_size() -> int:
    """How many leaves are sequenced (pending ones are not counted)."""
    state = storage.state_get()
    return state.tree_size if state else 0


def tree_head_get(*, tree_size: int | None = None) -> TreeHead:
    """The latest signed tree head, or the one published at exactly `tree_size`."""
    heads = SignedTreeHead.objects.all()
    if tree_size is None:
        row = heads.order_by("-tree_size").first()
        if row is None:
            raise LedgerNotFound("ledger.no_tree_head", _("No tree head has been published yet"))
    else:
        row = heads.filter(tree_size=tree_size).first()
        if row is None:
            raise LedgerNotFound(
                "ledger.tree_head_not_found",
                _("No tree head was published at tree size %(tree_size)s"),
                tree_size=tree_size,
            )
    return tree_head_record(row)


def leaf_get(*, leaf_id: UUID) -> Leaf:
    row = (
        LedgerLeaf.objects.filter(public_id=leaf_id)
        .annotate(leaf_index=storage.leaf_index_expression())
        .values("public_id", "leaf_index", "leaf_hash", "kind", "created_at")
        .first()
    )
    if row is None:
        raise LedgerNotFound("ledger.leaf_not_found", _("No ledger entry has the id %(leaf_id)s"), leaf_id=leaf_id)
    return Leaf(
        id=row["public_id"],
        leaf_index=row["leaf_index"],
        leaf_hash=bytes(row["leaf_hash"]),
        kind=row["kind"],
        created_at=row["created_at"],
    )


def _tree_size_check(name: str, value: int, size: int) -> None:
    if value < 1:
        raise LedgerQueryError(
            f"ledger.{name}_too_small", _("%(name)s must be at least 1, not %(value)s"), name=name, value=value
        )
    if value > size:
        raise LedgerQueryError(
            f"ledger.{name}_beyond_log",
            _("%(name)s %(value)s is beyond the log, which has %(size)s leaves"),
            name=name,
            value=value,
            size=size,
        )


def _default_tree_size() -> int:
    return tree_head_get().tree_size


def inclusion_proof_get(*, leaf: UUID | int, tree_size: int | None = None) -> InclusionProof:
    """PATH(m, D[tree_size]) for a leaf given by id or index (default: the latest signed tree head)."""
    state = storage.state_get()
    size = state.tree_size if state else 0
    if tree_size is None:
        tree_size = _default_tree_size()
    _tree_size_check("tree_size", tree_size, size)
    if isinstance(leaf, UUID):
        found = leaf_get(leaf_id=leaf)
        if found.leaf_index is None:
            raise LedgerQueryError(
                "ledger.leaf_pending",
                _("Ledger entry %(leaf_id)s is not sequenced yet; ask again in a few seconds"),
                leaf_id=leaf,
            )
        leaf_index, leaf_hash = found.leaf_index, found.leaf_hash
    else:
        leaf_index, leaf_hash = leaf, None
    if not 0 <= leaf_index < tree_size:
        raise LedgerQueryError(
            "ledger.leaf_not_in_tree",
            _("Leaf %(leaf_index)s is not in the tree of size %(tree_size)s; ask for a larger tree_size or wait for the next tree head"),
            leaf_index=leaf_index,
            tree_size=tree_size,
        )
    digest = storage.digest_function(storage.log_hash_algorithm(state))
    ranges = merkle.inclusion_ranges(leaf_index, tree_size)
    subtrees = merkle.subtrees_needed(ranges)
    if leaf_hash is None:
        subtrees.append((0, leaf_index))
    hashes = storage.subtree_hashes(subtrees, digest, size)
    return InclusionProof(
        leaf_index=leaf_index,
        tree_size=tree_size,
        leaf_hash=leaf_hash if leaf_hash is not None else hashes[(0, leaf_index)],
        inclusion_path=merkle.hashes_of_ranges(digest, ranges, hashes),
        hash_algorithm=storage.log_hash_algorithm(state),
    )


def consistency_proof_get(*, first: int, second: int | None = None) -> ConsistencyProof:
    """PROOF(first, D[second]) (default second: the latest signed tree head)."""
    state = storage.state_get()
    size = state.tree_size if state else 0
    if second is None:
        second = _default_tree_size()
    _tree_size_check("first", first, size)
    _tree_size_check("second", second, size)
    if first > second:
        raise LedgerQueryError(
            "ledger.first_after_second",
            _("first (%(first)s) must not be greater than second (%(second)s)"),
            first=first,
            second=second,
        )
    algorithm = storage.log_hash_algorithm(state)
    ranges = merkle.consistency_ranges(first, second)
    return ConsistencyProof(
        first=first,
        second=second,
        consistency_path=storage.range_hashes(ranges, storage.digest_function(algorithm), size),
        hash_algorithm=algorithm,
    )


def _personal_subjects_sql() -> str:
    """PERSONAL_SUBJECTS as the partial index's own SQL, values written in: SQLite uses a partial
    index only for a query repeating its condition term for term, and bound parameters do not
    count. Made by the index, so the two cannot drift apart."""
    sql = _PERSONAL_SUBJECTS_SQL.get(connection.vendor)
    if sql is None:
        (index,) = [i for i in LedgerLeaf._meta.indexes if i.name == "ledger_leaf_subject"]
        # Not entered: only its quoting is used (entering one inside a transaction fails on SQLite).
        editor = connection.schema_editor(collect_sql=True)
        # Literal percent signs, in a query that takes parameters.
        sql = _PERSONAL_SUBJECTS_SQL[connection.vendor] = index._get_condition_sql(LedgerLeaf, editor).replace("%", "%%")
    return sql


_PERSONAL_SUBJECTS_SQL: dict[str, str] = {}


def entries_about(*, subjects: Sequence[str], kinds: Sequence[str] | None = None, limit: int = 200,
                  before: UUID | None = None) -> list[LeafBody]:
    """The entries whose subject is one of `subjects` (persons' and companies' subjects only:
    models.PERSONAL_SUBJECTS), newest first, in full; `before` (an entry's id) pages on to older
    ones. One query whatever the count. No access check: for showing a person the entries about
    themselves (mydata), so the caller must have established that every subject is the person's own."""
    subjects = [s for s in subjects if s]
    if not subjects:
        return []
    rows = LedgerLeaf.objects.filter(subject__in=subjects).extra(where=[_personal_subjects_sql()])
    if kinds:
        rows = rows.filter(kind__in=list(kinds))
    if before is not None:
        rows = rows.filter(id__lt=LedgerLeaf.objects.filter(public_id=before).values("id")[:1])
    rows = rows.annotate(leaf_index=storage.leaf_index_expression()).order_by("-id")[:limit]
    return [
        LeafBody(
            id=row.public_id, leaf_index=row.leaf_index, leaf_hash=bytes(row.leaf_hash), kind=row.kind,
            subject=row.subject, actor=row.actor, created_at=row.created_at, body=row.body,
            payload=json.loads(row.body)["payload"],
        )
        for row in rows
    ]
