"""`zhengtong ledger verify` detects each kind of tampering with the stored log, and names it."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from zhengtong.cli import main as zhengtong
from zhengtong.kernel.ledger import merkle
from zhengtong.kernel.ledger.models import LedgerLeaf, LedgerNode, LedgerState, SignedTreeHead
from zhengtong.kernel.ledger.public import (
    LedgerEntry,
    ledger_append_many,
    ledger_publish_tree_head,
    ledger_sequence,
    ledger_verify,
)
from zhengtong.kernel.ledger.services import leaf_body

from . import rfc9162_reference as ref
from .conftest import entries


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
        where = {k: v for k, v in problem.params.items() if k in {"leaf_index", "tree_size", "level", "index", "first", "last", "count", "columns"}}
        located.append((problem.code, where))
    return located


def test_an_untouched_log_verifies(log, capsys):
    report = ledger_verify()
    assert report.ok
    assert (report.leaves, report.pending, report.nodes, report.tree_heads) == (20, 1, 20 - 2, 3)
    call_command("ledger", "verify")
    assert "ledger verified: 20 leaves, 1 pending, 18 nodes and 3 tree heads checked (sm3)" in capsys.readouterr().out


# Transactional: the real command line closes every connection when it ends (run_from_argv).
@pytest.mark.django_db(transaction=True)
def test_the_exact_command_line_form_exits_non_zero_naming_the_problem(log, capsys):
    zhengtong(["zhengtong", "ledger", "verify"])  # no SystemExit: success
    LedgerNode.objects.filter(position=merkle.position(2, 1)).update(hash=b"\x00" * 32)
    with pytest.raises(SystemExit) as exited:
        zhengtong(["zhengtong", "ledger", "verify"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "[node.mismatch]" in err and "ledger verification FAILED: 1 problems" in err


def test_editing_a_leaf_body_is_detected(log):
    leaf = LedgerLeaf.objects.get(leaf_index=5)
    LedgerLeaf.objects.filter(pk=leaf.pk).update(body=leaf.body.replace('"n":5', '"n":6'))
    assert problems(ledger_verify()) == [
        ("leaf.hash_mismatch", {"leaf_index": 5}),
        ("head.root_mismatch", {"tree_size": 8}),
        ("head.root_mismatch", {"tree_size": 13}),
        ("head.root_mismatch", {"tree_size": 20}),
        ("node.mismatch", {"level": 3, "index": 0}),
        ("node.mismatch", {"level": 1, "index": 2}),
        ("node.mismatch", {"level": 2, "index": 1}),
        ("node.mismatch", {"level": 4, "index": 0}),
    ]


def test_editing_a_leaf_body_and_its_hash_together_is_still_detected(log):
    leaf = LedgerLeaf.objects.get(leaf_index=18)
    body = leaf.body.replace('"n":18', '"n":99')
    LedgerLeaf.objects.filter(pk=leaf.pk).update(body=body, leaf_hash=ref.sm3(b"\x00" + body.encode()))
    assert problems(ledger_verify()) == [
        ("head.root_mismatch", {"tree_size": 20}),
        ("node.mismatch", {"level": 2, "index": 4}),
        ("node.mismatch", {"level": 1, "index": 9}),
    ]


def test_editing_a_column_against_its_body_is_detected(log):
    LedgerLeaf.objects.filter(leaf_index=2).update(subject="someone-else")
    assert problems(ledger_verify()) == [("leaf.column_mismatch", {"leaf_index": 2, "columns": "subject"})]


def test_deleting_a_leaf_is_detected(log):
    LedgerLeaf.objects.filter(leaf_index=7).delete()
    assert problems(ledger_verify()) == [("leaf.gap", {"first": 7, "last": 7})]


def test_inserting_a_leaf_is_detected(log):
    # Make room at index 10 (two steps, so the unique index never collides) and insert a well-formed leaf.
    LedgerLeaf.objects.filter(leaf_index__gte=10).update(leaf_index=F("leaf_index") + 1000)
    LedgerLeaf.objects.filter(leaf_index__gte=1000).update(leaf_index=F("leaf_index") - 999)
    template = LedgerLeaf.objects.get(leaf_index=0)
    inserted = LedgerLeaf(
        public_id="00000000-0000-4000-8000-000000000010",
        leaf_index=10,
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
    found = problems(ledger_verify())
    assert ("head.root_mismatch", {"tree_size": 13}) in found
    assert ("head.root_mismatch", {"tree_size": 20}) in found
    assert ("node.mismatch", {"level": 1, "index": 5}) in found
    assert ("leaf.beyond_size", {"leaf_index": 20}) in found
    assert ("head.root_mismatch", {"tree_size": 8}) not in found  # the first 8 leaves are untouched


def test_reordering_two_leaves_is_detected(log):
    LedgerLeaf.objects.filter(leaf_index=3).update(leaf_index=-1)
    LedgerLeaf.objects.filter(leaf_index=4).update(leaf_index=3)
    LedgerLeaf.objects.filter(leaf_index=-1).update(leaf_index=4)
    found = problems(ledger_verify())
    assert found[:3] == [
        ("head.root_mismatch", {"tree_size": 8}),
        ("head.root_mismatch", {"tree_size": 13}),
        ("head.root_mismatch", {"tree_size": 20}),
    ]
    assert ("node.mismatch", {"level": 1, "index": 1}) in found
    assert ("node.mismatch", {"level": 1, "index": 2}) in found


def test_truncating_the_log_is_detected_even_when_nodes_and_size_are_truncated_too(log):
    LedgerLeaf.objects.filter(leaf_index__gte=15).delete()
    beyond = [
        position
        for position in LedgerNode.objects.values_list("position", flat=True)
        if (merkle.subtree_of_position(position)[1] + 1) << merkle.subtree_of_position(position)[0] > 15
    ]
    LedgerNode.objects.filter(position__in=beyond).delete()
    LedgerState.objects.update(tree_size=15)
    assert problems(ledger_verify()) == [("head.beyond_log", {"tree_size": 20})]


def test_dropping_leaves_at_the_end_is_detected(log):
    LedgerLeaf.objects.filter(leaf_index__gte=18).delete()
    assert problems(ledger_verify()) == [
        ("log.truncated", {"count": 18}),
        ("head.beyond_log", {"tree_size": 20}),
    ]


def test_editing_a_stored_node_is_detected(log):
    LedgerNode.objects.filter(position=merkle.position(2, 3)).update(hash=b"\x01" * 32)
    assert problems(ledger_verify()) == [("node.mismatch", {"level": 2, "index": 3})]


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
    pending = LedgerLeaf.objects.get(leaf_index__isnull=True)
    LedgerLeaf.objects.filter(pk=pending.pk).update(body=pending.body.replace('"payload":{}', '"payload":{"x":1}'))
    assert problems(ledger_verify()) == [("pending.hash_mismatch", {"leaf_index": None})]


def test_the_command_fails_with_the_problem_count(log):
    LedgerLeaf.objects.filter(leaf_index=7).delete()
    with pytest.raises(CommandError, match="ledger verification FAILED: 1 problems"):
        call_command("ledger", "verify")
