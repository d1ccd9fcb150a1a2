"""ledger_append inside the caller's transaction, and the sequencer that gives leaves their indexes."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from zhengtong.kernel.crypto.public import digest
from zhengtong.kernel.ledger.merkle import position
from zhengtong.kernel.ledger.models import LedgerLeaf, LedgerNode, LedgerState
from zhengtong.kernel.ledger.public import (
    LedgerEntryError,
    leaf_get,
    ledger_append,
    ledger_append_many,
    ledger_sequence,
    ledger_size,
)

from .conftest import entries, leaves_by_index


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_an_entry_commits_and_rolls_back_with_the_callers_change(run_worker):
    with transaction.atomic():
        kept = ledger_append(kind="grant.created", subject="dataset-1", actor="officer-1", payload={"fields": ["a"]})
    with pytest.raises(Boom), transaction.atomic():
        ledger_append(kind="grant.created", subject="dataset-2", actor="officer-1", payload={})
        raise Boom
    assert list(LedgerLeaf.objects.values_list("public_id", flat=True)) == [kept]
    assert leaf_get(leaf_id=kept).leaf_index is None  # pending until the sequencer runs
    # The commit queued exactly one sequencing task; the rolled-back transaction queued none.
    assert DBTaskResult.objects.filter(task_path__endswith="ledger_sequence_task").count() == 1
    run_worker()
    assert leaf_get(leaf_id=kept).leaf_index == 0
    assert ledger_size() == 1


@pytest.mark.django_db(transaction=True)
def test_a_thousand_appends_in_one_transaction_queue_one_task():
    with transaction.atomic():
        for number in range(1000):
            ledger_append(kind="data.read", subject=f"s{number}", actor="a", payload={})
    assert DBTaskResult.objects.filter(task_path__endswith="ledger_sequence_task").count() == 1
    assert ledger_sequence(max_batch=300) == 1000
    assert [leaf.subject for leaf in leaves_by_index()] == [f"s{number}" for number in range(1000)]


def test_the_leaf_body_is_canonical_json_of_the_entry_and_its_hash_covers_it(db):
    leaf_id = ledger_append(kind="licence.issued", subject="L-1", actor="330100-SJ", payload={"no": "浙A-1", "n": 2})
    row = LedgerLeaf.objects.get(public_id=leaf_id)
    created = row.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert row.body == (
        '{"actor":"330100-SJ","created_at":"' + created + '","id":"' + str(leaf_id) + '","kind":"licence.issued",'
        '"payload":{"n":2,"no":"浙A-1"},"subject":"L-1","version":1}'
    )
    assert bytes(row.leaf_hash) == digest(b"\x00" + row.body.encode())
    assert json.loads(row.body)["payload"] == {"n": 2, "no": "浙A-1"}


@pytest.mark.parametrize(
    "fields,code",
    [
        ({"kind": "Bad Kind"}, "ledger.kind"),
        ({"kind": ""}, "ledger.kind"),
        ({"subject": ""}, "ledger.subject"),
        ({"actor": "x" * 201}, "ledger.actor"),
        ({"payload": ["not", "a", "dict"]}, "ledger.payload"),
        ({"payload": {"amount": 1.5}}, "ledger.payload"),
        ({"payload": {"id": uuid.uuid4()}}, "ledger.payload"),
        ({"subject": "lone \ud800 surrogate"}, "ledger.payload"),  # no UTF-8 form
        ({"payload": {"s": "\udfff"}}, "ledger.payload"),
    ],
)
def test_a_rejected_entry_changes_nothing(db, fields, code):
    entry = {"kind": "grant.created", "subject": "s", "actor": "a", "payload": {}} | fields
    with pytest.raises(LedgerEntryError) as caught:
        ledger_append(**entry)
    assert caught.value.code == code
    assert LedgerLeaf.objects.count() == 0


def test_sequencing_gives_consecutive_indexes_in_arrival_order_and_stores_complete_subtrees(db):
    first = ledger_append_many(entries=entries(5))
    assert ledger_sequence(max_batch=2) == 5  # three transactions: 2 + 2 + 1
    second = ledger_append_many(entries=entries(6, start=5))
    assert ledger_sequence() == 6
    assert ledger_sequence() == 0
    assert [leaf_get(leaf_id=leaf_id).leaf_index for leaf_id in first + second] == list(range(11))
    assert LedgerState.objects.get().tree_size == 11
    assert LedgerState.objects.get().hash_algorithm == "sm3"
    # Subtrees of 8 leaves and more are stored (merkle.STORED_MIN_LEVEL): of 11 leaves, [0, 8) only.
    assert list(LedgerNode.objects.values_list("position", flat=True)) == [position(3, 0)]


def test_the_sequencer_rehashes_a_pending_leaf_with_the_logs_algorithm(db, settings):
    settings.CRYPTO_PROFILE = "international"
    leaf_id = ledger_append(kind="x.y", subject="s", actor="a", payload={})
    row = LedgerLeaf.objects.get(public_id=leaf_id)
    sha256_hash = bytes(row.leaf_hash)
    LedgerState.objects.create(tree_size=0, hash_algorithm="sm3")  # the log was started with SM3
    settings.CRYPTO_PROFILE = "guomi"
    assert ledger_sequence() == 1
    row.refresh_from_db()
    assert bytes(row.leaf_hash) != sha256_hash
    assert bytes(row.leaf_hash) == digest(b"\x00" + row.body.encode())
    assert row.hash_algorithm == "sm3"


def test_concurrent_appenders_and_sequencers_neither_deadlock_nor_collide(shared_database_url):
    """Eight processes append in their own transactions while two sequence; every leaf gets one index.

    Processes, not threads: that is how web and worker share the database in production (on SQLite
    a file copy of the test database, with the production settings: WAL, IMMEDIATE, busy timeout).
    """
    env = dict(os.environ) | {"DATABASE_URL": shared_database_url}
    worker = [sys.executable, str(Path(__file__).with_name("concurrent_worker.py"))]
    processes = [subprocess.Popen([*worker, "append", str(n)], env=env, stdout=subprocess.PIPE, text=True) for n in range(8)]
    processes += [subprocess.Popen([*worker, "sequence"], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    assert [process.returncode for process in processes] == [0] * 10
    appended = [leaf_id for output in outputs[:8] for leaf_id in json.loads(output)]
    assert len(appended) == len(set(appended)) == 400

    # The processes' last sequencing may have finished before the last append committed.
    check = """
import json
import django
django.setup()
from zhengtong.kernel.ledger.public import ledger_sequence, ledger_verify
ledger_sequence()
from zhengtong.kernel.ledger.models import LedgerLeaf, LedgerNode, LedgerState
from tests.kernel.ledger.conftest import leaves_by_index
report = ledger_verify()
print(json.dumps([[str(leaf.public_id) for leaf in leaves_by_index()], LedgerLeaf.objects.count(),
                  LedgerState.objects.get().tree_size, LedgerNode.objects.count(), report.codes()]))
"""
    result = subprocess.run(
        [sys.executable, "-c", check],
        env=env | {"DJANGO_SETTINGS_MODULE": "zhengtong.settings.test"},
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    by_index, leaves, size, nodes, problems = json.loads(result.stdout)
    assert sorted(by_index) == sorted(appended)  # every leaf has exactly one index, 0 … 399
    assert (leaves, size, nodes, problems) == (400, 400, 50 + 25 + 12 + 6 + 3 + 1, [])  # levels 3 … 8
    # Each worker's entries are in the log in the order it appended them (its transactions were
    # consecutive, so each committed after the one before).
    for output in outputs[:8]:
        mine = json.loads(output)
        assert [leaf_id for leaf_id in by_index if leaf_id in set(mine)] == mine
