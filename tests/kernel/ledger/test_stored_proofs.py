"""Proofs built from the stored nodes, for every tree size 1..64, every leaf and every pair of sizes.

Checked three ways: equal to the naive RFC 9162 recursion over the leaf bodies, accepted by the
standalone auditor, and (in the SHA-256 profile) the roots of the RFC 6962 test vectors.
"""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengtong.kernel.ledger import auditor
from zhengtong.kernel.ledger.merkle import STORED_MIN_LEVEL, CompactRange, leaf_hash, position
from zhengtong.kernel.ledger.models import LedgerLeaf, LedgerNode, LedgerRange, LedgerState
from zhengtong.kernel.ledger.public import (
    LedgerEntry,
    LedgerQueryError,
    consistency_proof_get,
    inclusion_proof_get,
    ledger_append_many,
    ledger_publish_tree_head,
    ledger_sequence,
)
from zhengtong.kernel.ledger import storage

from . import rfc9162_reference as ref
from .conftest import bodies_by_index, leaves_by_index
from .test_merkle import GO_INCLUSION, GO_LEAVES, GO_ROOTS


def _check_every_proof(hash_fn, algorithm: str, max_size: int) -> int:
    bodies = bodies_by_index()
    ids = [leaf.public_id for leaf in leaves_by_index()]
    roots = {size: ref.mth(hash_fn, bodies[:size]) for size in range(1, max_size + 1)}
    checked = 0
    for size in range(1, max_size + 1):
        assert storage.root_at(size, hash_fn) == roots[size]
        for index in range(size):
            # By id for some leaves and by index for the others: both lookups are public.
            proof = inclusion_proof_get(leaf=ids[index] if index % 2 else index, tree_size=size)
            assert proof.leaf_index == index and proof.tree_size == size
            assert proof.leaf_hash == hash_fn(b"\x00" + bodies[index])
            assert proof.inclusion_path == ref.path(hash_fn, index, bodies[:size]), (index, size)
            auditor.verify_inclusion(
                hash_algorithm=algorithm,
                leaf_hash=proof.leaf_hash,
                leaf_index=index,
                tree_size=size,
                inclusion_path=proof.inclusion_path,
                root_hash=roots[size],
            )
            checked += 1
        for first in range(1, size + 1):
            proof = consistency_proof_get(first=first, second=size)
            assert proof.consistency_path == ref.proof(hash_fn, first, bodies[:size]), (first, size)
            auditor.verify_consistency(
                hash_algorithm=algorithm,
                first=first,
                second=size,
                first_hash=roots[first],
                second_hash=roots[size],
                consistency_path=proof.consistency_path,
            )
            checked += 1
    return checked


def test_every_inclusion_and_consistency_proof_up_to_64_leaves_sm3(make_log):
    make_log(64, batch=5)  # 5 per batch: sequencing boundaries fall inside subtrees
    assert _check_every_proof(ref.sm3, "sm3", 64) == 2 * sum(range(1, 65))


def test_every_inclusion_and_consistency_proof_up_to_64_leaves_sha256(make_log, international):
    make_log(64, batch=64)
    assert _check_every_proof(ref.sha256, "sha256", 64) == 2 * sum(range(1, 65))


def test_the_log_grown_leaf_by_leaf_has_the_rfc_root_at_every_size(db):
    rng = random.Random(7)
    size = 0
    while size < 64:
        batch = rng.randint(1, 9)
        ledger_append_many(entries=[LedgerEntry(kind="t.x", subject=f"{size + n}", actor="a", payload={}) for n in range(batch)])
        ledger_sequence(max_batch=rng.randint(1, 4))
        size += batch
        assert storage.root_at(size, ref.sm3) == ref.mth(ref.sm3, bodies_by_index())
    assert LedgerNode.objects.count() == sum(size >> level for level in range(3, 7))  # 8 leaves and more


def test_rfc6962_vectors_through_the_stored_path(db, international):
    """Store the Go test vectors' eight leaves as leaf hashes and nodes; the stored path gives their roots."""
    # The vectors' leaves are raw bytes, not our JSON bodies, so the rows are written here directly:
    # the stored-node path (storage.py, selectors.py) is what is under test.
    edge = CompactRange.empty(ref.sha256)
    LedgerRange.objects.create(first_index=0, first_leaf_id=1, leaf_count=len(GO_LEAVES))
    for index, leaf in enumerate(GO_LEAVES):
        value = leaf_hash(ref.sha256, leaf)
        LedgerLeaf.objects.create(
            id=1 + index,
            public_id=f"00000000-0000-0000-0000-{index:012d}",
            kind="vector",
            subject="s",
            actor="a",
            body=leaf.hex(),
            leaf_hash=value,
            created_at="2025-01-01T00:00:00Z",
        )
        for level, node_index, node_value in edge.append(value):
            if level >= STORED_MIN_LEVEL:  # as the sequencer stores them: [0, 8), with its 8 leaf hashes
                leaves = b"".join(leaf_hash(ref.sha256, leaf) for leaf in GO_LEAVES)
                LedgerNode.objects.create(position=position(level, node_index), hash=node_value, leaves=leaves)
    LedgerState.objects.create(tree_size=8, hash_algorithm="sha256")
    assert [storage.root_at(size, ref.sha256).hex() for size in range(1, 9)] == GO_ROOTS
    for index, size, expected in GO_INCLUSION:
        assert [h.hex() for h in inclusion_proof_get(leaf=index, tree_size=size).inclusion_path] == expected
    assert [h.hex() for h in consistency_proof_get(first=6, second=8).consistency_path] == [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]


@pytest.mark.parametrize("size", [8, 64, 1000])
def test_a_proof_costs_the_same_few_queries_whatever_the_size(make_log, size):
    ids = make_log(size)
    ledger_publish_tree_head()
    with CaptureQueriesContext(connection) as inclusion:
        inclusion_proof_get(leaf=ids[size // 3], tree_size=size - 1)
    with CaptureQueriesContext(connection) as consistency:
        consistency_proof_get(first=size // 3, second=size - 1)
    # state, leaf by id, stored hashes / state, stored hashes
    assert len(inclusion.captured_queries) == 3
    assert len(consistency.captured_queries) == 2


def test_proof_parameters_outside_the_log_are_refused(make_log):
    ids = make_log(5)
    pending = ledger_append_many(entries=[LedgerEntry(kind="t.x", subject="p", actor="a", payload={})])[0]
    cases = [
        (lambda: inclusion_proof_get(leaf=0, tree_size=6), "ledger.tree_size_beyond_log"),
        (lambda: inclusion_proof_get(leaf=0, tree_size=0), "ledger.tree_size_too_small"),
        (lambda: inclusion_proof_get(leaf=4, tree_size=4), "ledger.leaf_not_in_tree"),
        (lambda: inclusion_proof_get(leaf=pending, tree_size=5), "ledger.leaf_pending"),
        (lambda: consistency_proof_get(first=4, second=3), "ledger.first_after_second"),
        (lambda: consistency_proof_get(first=0, second=3), "ledger.first_too_small"),
        (lambda: consistency_proof_get(first=2, second=6), "ledger.second_beyond_log"),
    ]
    for call, code in cases:
        with pytest.raises(LedgerQueryError) as caught:
            call()
        assert caught.value.code == code
    assert inclusion_proof_get(leaf=ids[4], tree_size=5).leaf_index == 4


def test_a_proof_reads_the_leaf_hashes_of_a_complete_block_from_its_node_row(make_log):
    make_log(21)  # blocks [0, 8) and [8, 16) complete; 16-20 in the incomplete last block
    # In the tree of 16 every subtree a proof needs lies in a complete block; in the tree of 21 the
    # right edge [16, 21) does not.
    for index, size, reads_leaf_rows in [(3, 16, False), (12, 16, False), (3, 21, True), (18, 21, True)]:
        with CaptureQueriesContext(connection) as captured:
            proof = inclusion_proof_get(leaf=index, tree_size=size)
        assert proof.leaf_hash == ref.sm3(b"\x00" + bodies_by_index()[index])
        assert any("ledger_ledgerleaf" in query["sql"] for query in captured.captured_queries) == reads_leaf_rows
    assert bytes(LedgerNode.objects.get(position=position(3, 1)).leaves) == b"".join(
        ref.sm3(b"\x00" + body) for body in bodies_by_index()[8:16]
    )
