"""ledger_append_many: one append, one queue row, consecutive leaf ids; sequenced into ranges."""

import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from zhengtong.kernel.ledger import auditor, services
from zhengtong.kernel.ledger.models import LedgerLeaf, LedgerNode, LedgerPending, LedgerRange, LedgerState
from zhengtong.kernel.ledger.public import (
    LedgerEntry,
    inclusion_proof_get,
    leaf_get,
    ledger_append,
    ledger_append_many,
    ledger_publish_tree_head,
    ledger_sequence,
    ledger_verify,
)

from . import rfc9162_reference as ref
from .conftest import bodies_by_index, entries, leaf_ids_by_index, leaves_by_index


class Boom(Exception):
    pass


def _blocks() -> list[tuple[int, int, int]]:
    """The queue: (append number, leaves, how many already sequenced)."""
    return list(LedgerPending.objects.order_by("id").values_list("id", "leaf_count", "sequenced"))


def _ranges() -> list[tuple[int, int, int]]:
    return list(LedgerRange.objects.order_by("first_index").values_list("first_index", "first_leaf_id", "leaf_count"))


def test_an_append_commits_and_rolls_back_with_the_callers_transaction(db):
    with pytest.raises(Boom), transaction.atomic():
        ledger_append_many(entries=entries(3))
        assert LedgerLeaf.objects.count() == 3 and len(_blocks()) == 1
        raise Boom
    assert (LedgerLeaf.objects.count(), LedgerPending.objects.count()) == (0, 0)

    with transaction.atomic():
        ids = ledger_append_many(entries=entries(3))
        with pytest.raises(Boom), transaction.atomic():  # a savepoint of the caller's, rolled back
            ledger_append_many(entries=entries(2, start=3))
            raise Boom
    [(number, count, sequenced)] = _blocks()
    assert (count, sequenced) == (3, 0)
    # The leaves of one append have consecutive ids in the append's block, in the order given.
    assert list(LedgerLeaf.objects.order_by("id").values_list("id", "public_id")) == [
        ((number << 20) + position, leaf_id) for position, leaf_id in enumerate(ids)
    ]
    assert bytes(LedgerPending.objects.get().leaf_hashes) == b"".join(
        bytes(h) for h in LedgerLeaf.objects.order_by("id").values_list("leaf_hash", flat=True)
    )


def test_an_entry_that_fails_its_checks_appends_none_of_the_batch(db):
    batch = [*entries(2), LedgerEntry(kind="t.bad", subject="s", actor="a", payload={"x": 0.5})]
    with pytest.raises(services.LedgerEntryError):
        ledger_append_many(entries=batch)
    assert (LedgerLeaf.objects.count(), LedgerPending.objects.count()) == (0, 0)
    assert ledger_append_many(entries=[]) == []
    assert LedgerPending.objects.count() == 0
    # Checked before anything is written, so the caller's transaction goes on as if nothing happened.
    with transaction.atomic():
        with pytest.raises(services.LedgerEntryError):
            ledger_append_many(entries=batch)
        kept = ledger_append_many(entries=entries(1))
    assert list(LedgerLeaf.objects.values_list("public_id", flat=True)) == kept


def test_a_refused_entry_deep_in_a_long_batch_leaves_the_callers_transaction_usable(db):
    # More than services._FEW_ROWS entries: on PostgreSQL the rows are streamed with COPY, so every
    # entry must be checked before the stream starts (an aborted COPY would abort the transaction).
    batch = entries(30)
    batch[17] = LedgerEntry(kind="t.bad", subject="s", actor="a", payload={"s": "lone \udc00 surrogate"})
    with transaction.atomic():
        with pytest.raises(services.LedgerEntryError) as caught:
            ledger_append_many(entries=batch)
        assert caught.value.code == "ledger.payload"
        assert (LedgerLeaf.objects.count(), LedgerPending.objects.count()) == (0, 0)
        kept = ledger_append_many(entries=entries(20))
    assert list(LedgerLeaf.objects.order_by("id").values_list("public_id", flat=True)) == kept
    assert ledger_sequence() == 20
    assert ledger_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the size guess is PostgreSQL's sequencer only")
@pytest.mark.parametrize("guess", [None, 0, 3, 8, 24, 10_000])
def test_the_sequencer_reads_the_right_edge_whatever_size_it_guessed(db, guess):
    """The PostgreSQL sequencer reads the tree's edge for the size the log had after its own last
    batch, along with the lock; when another sequencer moved the log on, it reads it again."""
    ledger_append_many(entries=entries(21))
    assert ledger_sequence(max_batch=21) == 21
    guesses = services._PostgresSequencing.size_guess
    if guess is None:
        guesses.pop(connection.alias, None)
    else:
        guesses[connection.alias] = guess
    ledger_append_many(entries=entries(19, start=21))
    assert ledger_sequence(max_batch=7) == 19  # 21 -> 28 -> 35 -> 40: the guess is right from the second on
    assert guesses[connection.alias] == 40
    head = ledger_publish_tree_head()
    assert head.root_hash == ref.mth(ref.sm3, bodies_by_index())
    assert LedgerNode.objects.count() == 40 // 8 + 40 // 16 + 40 // 32
    assert ledger_verify().ok


def test_appends_get_consecutive_indexes_in_order_across_batches_and_every_proof_verifies(db):
    first = ledger_append(kind="t.one", subject="a", actor="x", payload={})
    five = ledger_append_many(entries=entries(5))
    second = ledger_append(kind="t.one", subject="b", actor="x", payload={})
    seven = ledger_append_many(entries=entries(7, start=5))
    appended = [first, *five, second, *seven]
    blocks = [number for number, _, _ in _blocks()]
    assert ledger_sequence(max_batch=4) == 14  # batches of 4, 4, 4, 2: appends are split between them
    assert [leaf_get(leaf_id=leaf_id).leaf_index for leaf_id in appended] == list(range(14))
    b1, b5, b2, b7 = (number << 20 for number in blocks)
    assert _ranges() == [
        (0, b1, 1), (1, b5, 3),  # batch 1
        (4, b5 + 3, 2), (6, b2, 1), (7, b7, 1),  # batch 2
        (8, b7 + 1, 4),  # batch 3
        (12, b7 + 5, 2),  # batch 4
    ]  # fmt: skip
    assert (LedgerPending.objects.count(), LedgerState.objects.get().tree_size) == (0, 14)
    assert LedgerNode.objects.count() == 1  # [0, 8): stored subtrees have 8 leaves or more
    head = ledger_publish_tree_head()
    bodies = bodies_by_index()
    assert head.root_hash == ref.mth(ref.sm3, bodies)
    for index, leaf_id in enumerate(appended):
        proof = inclusion_proof_get(leaf=leaf_id)
        assert proof.leaf_hash == ref.sm3(b"\x00" + bodies[index])
        auditor.verify_inclusion(
            hash_algorithm="sm3",
            leaf_hash=proof.leaf_hash,
            leaf_index=index,
            tree_size=14,
            inclusion_path=proof.inclusion_path,
            root_hash=head.root_hash,
        )
    assert ledger_verify().ok


def test_a_partly_sequenced_append_keeps_its_place_in_the_queue(db):
    ids = ledger_append_many(entries=entries(5))
    assert ledger_sequence(max_batch=2, max_batches=1) == 2
    [(number, count, sequenced)] = _blocks()
    assert (count, sequenced) == (5, 2)
    report = ledger_verify()
    assert (report.ok, report.leaves, report.pending) == (True, 2, 3)
    later = ledger_append(kind="t.later", subject="s", actor="a", payload={})
    assert ledger_sequence(max_batch=2) == 4
    assert [leaf_get(leaf_id=leaf_id).leaf_index for leaf_id in [*ids, later]] == list(range(6))
    assert ledger_verify().ok


def test_an_append_longer_than_an_id_block_takes_several(db, monkeypatch):
    monkeypatch.setattr(services, "MAX_APPEND", 4)
    ids = ledger_append_many(entries=entries(10))
    assert [(count, sequenced) for _, count, sequenced in _blocks()] == [(4, 0), (4, 0), (2, 0)]
    assert ledger_sequence() == 10
    assert [leaf_get(leaf_id=leaf_id).leaf_index for leaf_id in ids] == list(range(10))
    assert [count for _, _, count in _ranges()] == [4, 4, 2]
    assert ledger_verify().ok


def test_leaf_ids_are_uuid7_in_the_order_appended(db):
    ids = ledger_append_many(entries=entries(50))
    row = LedgerLeaf.objects.get(public_id=ids[0])
    for leaf_id in ids:
        assert isinstance(leaf_id, uuid.UUID)
        assert leaf_id == uuid.UUID(str(leaf_id)) and hash(leaf_id) == hash(uuid.UUID(str(leaf_id)))
        assert (leaf_id.version, leaf_id.variant) == (7, uuid.RFC_4122)
        assert leaf_id.int >> 80 == int(row.created_at.timestamp() * 1000)  # the append's millisecond
    assert len(set(ids)) == 50
    assert LedgerLeaf.objects.filter(public_id__in=ids).count() == 50


def test_sequencing_takes_the_hashes_from_the_queue_not_from_the_leaves(db):
    # (Beyond the first batch it reads at most 7 leaf hashes: the right edge below stored subtrees.)
    ledger_append_many(entries=entries(1000))
    expected_root = ref.mth(ref.sm3, [leaf.body.encode() for leaf in LedgerLeaf.objects.order_by("id")])
    # Spoil every stored leaf hash before sequencing: a sequencer that read them would build
    # another tree. (A behavioural check, so it holds on PostgreSQL too, where the sequencer's
    # pipelined statements do not pass through Django's cursor and cannot be captured.)
    LedgerLeaf.objects.update(leaf_hash=b"\x00" * 32)
    with CaptureQueriesContext(connection) as captured:
        assert ledger_sequence() == 1000
    assert not [query["sql"] for query in captured.captured_queries if "ledger_ledgerleaf" in query["sql"]]
    assert ledger_publish_tree_head().root_hash == expected_root
    assert leaf_ids_by_index() == list(LedgerLeaf.objects.order_by("id").values_list("id", flat=True))


def test_editing_a_queued_hash_is_detected(db):
    ledger_append_many(entries=entries(3))
    pending = LedgerPending.objects.get()
    packed = bytes(pending.leaf_hashes)
    LedgerPending.objects.filter(pk=pending.pk).update(leaf_hashes=packed[:32] + b"\x00" * 32 + packed[64:])
    report = ledger_verify()
    assert [(problem.code, problem.params["count"]) for problem in report.problems] == [("pending.queue_mismatch", 1)]


@pytest.mark.django_db(transaction=True)
def test_a_commit_queues_no_second_task_while_one_waits(run_worker, monkeypatch):
    from zhengtong.kernel.ledger import services

    monkeypatch.setattr(services, "SEQUENCING_CHECK_INTERVAL", 0)  # every commit checks (see the next test)

    def waiting() -> int:
        return DBTaskResult.objects.ready().filter(task_path__endswith="ledger_sequence_task").count()

    for number in range(3):
        with transaction.atomic():
            ledger_append_many(entries=entries(2, start=2 * number))
    assert waiting() == 1  # the first commit queued it; it had not started when the others committed
    run_worker()
    assert (waiting(), LedgerState.objects.get().tree_size) == (0, 6)
    with transaction.atomic():
        ledger_append_many(entries=entries(1, start=6))
    assert waiting() == 1


@pytest.mark.django_db(transaction=True)
def test_commits_in_quick_succession_check_for_a_waiting_task_once(run_worker, monkeypatch):
    """Under a stream of appends one check per interval is enough: the task it found or queued
    sequences what commits meanwhile, and what it misses the next check or the scheduler's sweep
    (ledger_sequence) takes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhengtong.kernel.ledger import services

    monkeypatch.setattr(services, "SEQUENCING_CHECK_INTERVAL", 3600)
    monkeypatch.setattr(services, "_sequencing_checked_at", -1e9)
    task_table = DBTaskResult._meta.db_table
    checks = []
    for number in range(4):
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            ledger_append_many(entries=entries(1, start=number))
        checks.append(sum(task_table in q["sql"] for q in captured.captured_queries))
    assert checks[0] >= 1 and checks[1:] == [0, 0, 0]
    run_worker()  # the one task queued sequences all four appends
    assert LedgerState.objects.get().tree_size == 4
    with transaction.atomic():
        ledger_append_many(entries=entries(1, start=4))
    assert services.ledger_sequence() == 1  # the scheduler's sweep takes the one no check queued
    assert LedgerState.objects.get().tree_size == 5


@pytest.mark.django_db(transaction=True)
def test_the_migrations_to_ranges_keep_every_index_and_queue_the_pending_leaves():
    from datetime import UTC, datetime

    from django.db.migrations.executor import MigrationExecutor

    from zhengtong.kernel.ledger.merkle import CompactRange, position
    from zhengtong.kernel.ledger.services import leaf_body

    before, after = [("ledger", "0001_initial")], [("ledger", "0003_node_leaves")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Leaf, Node, State = (old.get_model("ledger", name) for name in ("LedgerLeaf", "LedgerNode", "LedgerState"))
    created = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    # Database ids 1-3 and 5-10 sequenced as 0-8 (4 was rolled back), 11 and 12 pending.
    layout = [(1, 0), (2, 1), (3, 2), *[(leaf_id, leaf_id - 2) for leaf_id in range(5, 11)], (11, None), (12, None)]
    edge = CompactRange.empty(ref.sm3)
    for leaf_id, index in layout:
        public_id = uuid.UUID(int=leaf_id)
        body = leaf_body(leaf_id=public_id, kind="t.old", subject=f"s{leaf_id}", actor="a", created_at=created, payload={})
        leaf_hash = ref.sm3(b"\x00" + body.encode())
        Leaf.objects.create(
            id=leaf_id, public_id=public_id, leaf_index=index, kind="t.old", subject=f"s{leaf_id}", actor="a",
            body=body, leaf_hash=leaf_hash, hash_algorithm="sm3", created_at=created,
        )  # fmt: skip
        if index is not None:  # the old layout: every subtree of level 1 and up
            for level, node_index, value in edge.append(leaf_hash):
                Node.objects.create(position=position(level, node_index), hash=value)
    State.objects.create(id=1, tree_size=9, hash_algorithm="sm3")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    assert _ranges() == [(0, 1, 3), (3, 5, 6)]
    [(number, count, sequenced)] = _blocks()
    assert (number, count, sequenced) == (1, 2, 0)  # the first block above every old id
    assert list(LedgerLeaf.objects.order_by("id").values_list("id", flat=True)) == [
        1, 2, 3, 5, 6, 7, 8, 9, 10, 1 << 20, (1 << 20) + 1,
    ]  # fmt: skip
    # Only [0, 8) is stored now, with its 8 leaf hashes.
    [(node_position, leaves)] = LedgerNode.objects.values_list("position", "leaves")
    assert (node_position, bytes(leaves)) == (
        position(3, 0),
        b"".join(bytes(h) for h in LedgerLeaf.objects.filter(id__lt=10).order_by("id").values_list("leaf_hash", flat=True)),
    )
    report = ledger_verify()
    assert (report.ok, report.leaves, report.pending, report.codes()) == (True, 9, 2, [])
    assert ledger_sequence() == 2
    new = ledger_append(kind="t.new", subject="s", actor="a", payload={})
    assert LedgerLeaf.objects.get(public_id=new).id >> 20 == 2  # appends continue after the migrated block
    assert ledger_sequence() == 1
    assert [leaf.subject for leaf in leaves_by_index()] == [
        "s1", "s2", "s3", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s",
    ]  # fmt: skip
    assert ledger_verify().ok
    head = ledger_publish_tree_head()
    assert head.root_hash == ref.mth(ref.sm3, bodies_by_index())


def test_the_sequencer_turns_secure_delete_off_only_around_the_queue_rows_it_deletes(db):
    if connection.vendor != "sqlite":
        pytest.skip("secure_delete is a SQLite pragma with no PostgreSQL counterpart; this test runs in the SQLite pass")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete = 1")
        ledger_append_many(entries=entries(20))
        assert ledger_sequence() == 20
        assert LedgerPending.objects.count() == 0
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1  # restored for every other delete
    assert ledger_verify().ok
