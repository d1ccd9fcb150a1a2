"""Run by test_concurrent_appenders_and_sequencers as separate processes, as web and worker would be.

    python concurrent_worker.py append <worker number>   # prints the ids it appended, as JSON
    python concurrent_worker.py sequence
"""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings.test")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from zhengtong.kernel.ledger.public import LedgerEntry, ledger_append_many, ledger_sequence  # noqa: E402


def append(worker: int) -> None:
    ids = []
    for round_ in range(10):
        with transaction.atomic():
            batch = [
                LedgerEntry(kind="test.concurrent", subject=f"w{worker}-r{round_}-{n}", actor=f"worker-{worker}", payload={})
                for n in range(5)
            ]
            ids += [str(leaf_id) for leaf_id in ledger_append_many(entries=batch)]
    print(json.dumps(ids))


def sequence() -> None:
    total = 0
    for _ in range(20):
        total += ledger_sequence(max_batch=7)
    print(json.dumps(total))


if __name__ == "__main__":
    if sys.argv[1] == "append":
        append(int(sys.argv[2]))
    else:
        sequence()
