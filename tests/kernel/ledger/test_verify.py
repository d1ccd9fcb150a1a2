"""`zhengtong ledger verify` detects each kind of tampering with the stored log, and names it."""

from uuid import UUID

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from zhengtong.cli import main as zhengtong
from zhengtong.kernel.ledger import merkle
from zhengtong.kernel.ledger.models import LedgerLeaf, LedgerNode, LedgerPending, LedgerRange, LedgerState, SignedTreeHead
from zhengtong.kernel.ledger.public import (
    LedgerEntry,
    ledger_append_many,
    ledger_publish_tree_head,
    ledger_sequence,
    ledger_verify,
)
from zhengtong.kernel.ledger.services import leaf_body

from . import rfc9162_reference as ref
from .conftest import entries, leaf_at, leaf_ids_by_index, rewrite_ranges


@pytest.fixture
def log(db):
    """20 leaves with signed tree heads at sizes 8, 13 and 20, and one pending entry."""
    for size in (8, 5, 7):
        start = LedgerLeaf.objects.count()
        ledger_append_many(entries=entries(size, start))
        ledger_sequence(max_batch=3)
        ledger_publish_tree_head()
    ledger_append_many(entries=[LedgerEntry(kind="t.pending", subject="p", actor="a", payload={})])
    return LedgerLeaf.objects.order_by("id")


def problems(report) -> list[tuple]:
    """(code, the parameters that locate it) for each problem, in the order found."""
    located = []
    for problem in report.problems:
        keys = {"leaf_index", "tree_size", "level", "index", "first", "last", "count", "columns"}
        if problem.code == "leaf.unsequenced":
            keys.add("leaf_id")  # it has no index to name it by
        where = {k: v for k, v in problem.params.items() if k in keys}
        located.append((problem.code, where))
    return located


def test_an_untouched_log_verifies(log, capsys):
    report = ledger_verify()
    assert report.ok
    # Stored subtrees (8 leaves and more) of 20 leaves: [0, 8), [8, 16) and [0, 16).
    assert (report.leaves, report.pending, report.nodes, report.tree_heads) == (20, 1, 3, 3)
    call_command("ledger", "verify")
    assert "ledger verified: 20 leaves, 1 pending, 3 nodes and 3 tree heads checked (sm3)" in capsys.readouterr().out


# Transactional: the real command line closes every connection when it ends (run_from_argv).
@pytest.mark.django_db(transaction=True)
def test_the_exact_command_line_form_exits_non_zero_naming_the_problem(log, capsys):
    zhengtong(["zhengtong", "ledger", "verify"])  # no SystemExit: success
    LedgerNode.objects.filter(position=merkle.position(3, 1)).update(hash=b"\x00" * 32)
    with pytest.raises(SystemExit) as exited:
        zhengtong(["zhengtong", "ledger", "verify"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "[node.mismatch]" in err and "ledger verification FAILED: 1 problems" in err


def test_editing_a_leaf_body_is_detected(log):
    leaf = leaf_at(5)
    LedgerLeaf.objects.filter(pk=leaf.pk).update(body=leaf.body.replace('"n":5', '"n":6'))
    assert problems(ledger_verify()) == [
        ("leaf.hash_mismatch", {"leaf_index": 5}),
        ("head.root_mismatch", {"tree_size": 8}),
        ("head.root_mismatch", {"tree_size": 13}),
        ("head.root_mismatch", {"tree_size": 20}),
        ("node.mismatch", {"level": 3, "index": 0}),
        ("node.mismatch", {"level": 4, "index": 0}),
    ]


def test_editing_a_leaf_body_and_its_hash_together_is_still_detected(log):
    leaf = leaf_at(18)
    body = leaf.body.replace('"n":18', '"n":99')
    LedgerLeaf.objects.filter(pk=leaf.pk).update(body=body, leaf_hash=ref.sm3(b"\x00" + body.encode()))
    # Leaf 18 is under no stored subtree yet ([16, 24) is not complete); the signed root shows it.
    assert problems(ledger_verify()) == [("head.root_mismatch", {"tree_size": 20})]


def test_editing_a_column_against_its_body_is_detected(log):
    LedgerLeaf.objects.filter(pk=leaf_at(2).pk).update(subject="someone-else")
    assert problems(ledger_verify()) == [("leaf.column_mismatch", {"leaf_index": 2, "columns": "subject"})]


def test_deleting_a_leaf_is_detected(log):
    leaf_at(7).delete()
    assert problems(ledger_verify()) == [("leaf.gap", {"first": 7, "last": 7})]


def test_inserting_a_leaf_is_detected(log):
    # A well-formed leaf, spliced in at index 10: the ranges are rewritten around it.
    template = leaf_at(0)
    inserted = LedgerLeaf(
        id=10,
        public_id="00000000-0000-4000-8000-000000000010",
        kind="test.entry",
        subject="forged",
        actor="tester",
        created_at=template.created_at,
    )
    inserted.body = leaf_body(
        leaf_id=inserted.public_id,
        kind="test.entry",
        subject="forged",
        actor="tester",
        created_at=template.created_at,
        payload={},
    )
    inserted.leaf_hash = ref.sm3(b"\x00" + inserted.body.encode())
    inserted.save()
    ids = leaf_ids_by_index()
    rewrite_ranges([*ids[:10], inserted.id, *ids[10:]])
    found = problems(ledger_verify())
    assert ("head.root_mismatch", {"tree_size": 13}) in found
    assert ("head.root_mismatch", {"tree_size": 20}) in found
    assert ("node.mismatch", {"level": 3, "index": 1}) in found
    assert ("leaf.beyond_size", {"leaf_index": 20}) in found
    assert ("head.root_mismatch", {"tree_size": 8}) not in found  # the first 8 leaves are untouched


def test_a_leaf_inserted_outside_the_log_and_the_queue_is_detected(log):
    template = leaf_at(0)
    LedgerLeaf.objects.create(
        id=3,
        public_id="00000000-0000-4000-8000-000000000003",
        kind="test.entry",
        subject="forged",
        actor="tester",
        body=template.body,
        leaf_hash=template.leaf_hash,
        created_at=template.created_at,
    )
    assert problems(ledger_verify()) == [
        ("leaf.unsequenced", {"leaf_id": UUID("00000000-0000-4000-8000-000000000003")})
    ]


def test_reordering_two_leaves_is_detected(log):
    ids = leaf_ids_by_index()
    ids[3], ids[4] = ids[4], ids[3]
    rewrite_ranges(ids)
    found = problems(ledger_verify())
    assert found[:3] == [
        ("head.root_mismatch", {"tree_size": 8}),
        ("head.root_mismatch", {"tree_size": 13}),
        ("head.root_mismatch", {"tree_size": 20}),
    ]
    assert ("node.mismatch", {"level": 3, "index": 0}) in found
    assert ("node.mismatch", {"level": 4, "index": 0}) in found


def test_giving_two_leaves_the_same_index_is_detected(log):
    # The second append was sequenced as indexes 8-10 and 11-12; move the second range to start at 10.
    LedgerRange.objects.filter(first_index=11).update(first_index=10)
    assert problems(ledger_verify()) == [
        ("leaf.index_repeated", {"leaf_index": 10}),
        ("leaf.gap", {"first": 12, "last": 12}),
    ]


def test_deleting_a_range_is_detected(log):
    ids = leaf_ids_by_index()
    LedgerRange.objects.filter(first_index=3).delete()  # indexes 3, 4 and 5 (sequenced 3 at a time)
    public = dict(LedgerLeaf.objects.values_list("id", "public_id"))
    assert problems(ledger_verify()) == [
        ("leaf.gap", {"first": 3, "last": 5}),
        *[("leaf.unsequenced", {"leaf_id": public[leaf_id]}) for leaf_id in ids[3:6]],
    ]


def test_deleting_a_queued_append_is_detected(log):
    pending = LedgerPending.objects.get()
    leaf = LedgerLeaf.objects.get(id=pending.id << 20)
    pending.delete()
    assert problems(ledger_verify()) == [("leaf.unsequenced", {"leaf_id": leaf.public_id})]


def test_queueing_sequenced_leaves_again_is_detected(log):
    first = LedgerRange.objects.get(first_index=0)
    LedgerPending.objects.create(id=first.first_leaf_id >> 20, leaf_count=3)
    assert "pending.already_sequenced" in ledger_verify().codes()


def test_truncating_the_log_is_detected_even_when_nodes_and_size_are_truncated_too(log):
    ids = leaf_ids_by_index()
    LedgerLeaf.objects.filter(id__in=ids[15:]).delete()
    rewrite_ranges(ids[:15])
    beyond = [
        position
        for position in LedgerNode.objects.values_list("position", flat=True)
        if (merkle.subtree_of_position(position)[1] + 1) << merkle.subtree_of_position(position)[0] > 15
    ]
    LedgerNode.objects.filter(position__in=beyond).delete()
    LedgerState.objects.update(tree_size=15)
    assert problems(ledger_verify()) == [("head.beyond_log", {"tree_size": 20})]


def test_dropping_leaves_at_the_end_is_detected(log):
    LedgerLeaf.objects.filter(id__in=leaf_ids_by_index()[18:]).delete()
    assert problems(ledger_verify()) == [
        ("log.truncated", {"count": 18}),
        ("head.beyond_log", {"tree_size": 20}),
    ]


def test_editing_a_stored_node_is_detected(log):
    LedgerNode.objects.filter(position=merkle.position(3, 1)).update(hash=b"\x01" * 32)
    assert problems(ledger_verify()) == [("node.mismatch", {"level": 3, "index": 1})]


def test_editing_the_leaf_hashes_a_block_carries_is_detected(log):
    row = LedgerNode.objects.get(position=merkle.position(3, 1))
    leaves = bytes(row.leaves)
    LedgerNode.objects.filter(pk=row.pk).update(leaves=leaves[32:64] + leaves[:32] + leaves[64:])  # two swapped
    assert problems(ledger_verify()) == [("node.mismatch", {"level": 3, "index": 1})]


def test_inserting_a_stored_node_is_detected(log):
    LedgerNode.objects.create(position=merkle.position(1, 40), hash=b"\x02" * 32)
    assert problems(ledger_verify()) == [("node.extra", {"count": 1})]


def test_editing_a_tree_head_is_detected(log):
    SignedTreeHead.objects.filter(tree_size=13).update(root_hash=b"\x03" * 32)
    SignedTreeHead.objects.filter(tree_size=20).update(timestamp_ms=F("timestamp_ms") + 1)
    assert problems(ledger_verify()) == [
        ("head.root_mismatch", {"tree_size": 13}),
        ("head.signature", {"tree_size": 13}),
        ("head.signature", {"tree_size": 20}),
    ]


def test_editing_a_pending_entry_is_detected(log):
    pending = LedgerLeaf.objects.get(id=LedgerPending.objects.get().id << 20)
    LedgerLeaf.objects.filter(pk=pending.pk).update(body=pending.body.replace('"payload":{}', '"payload":{"x":1}'))
    assert problems(ledger_verify()) == [("pending.hash_mismatch", {"leaf_index": None})]


def test_the_command_fails_with_the_problem_count(log):
    leaf_at(7).delete()
    with pytest.raises(CommandError, match="ledger verification FAILED: 1 problems"):
        call_command("ledger", "verify")
