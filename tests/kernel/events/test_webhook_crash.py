"""Change events reach a subscriber once even when the worker is killed midway (issue 5's acceptance).

A real worker process (django-tasks' db_worker) delivers a batch of events to a department's
endpoint. The endpoint takes in the fourth request, processes it, and holds the answer; the test
then kills the worker with SIGKILL, so the worker never learns that delivery got through. A new
worker, after the scheduler's sweep, finishes the batch and, once the killed attempt's lease has
run out, sends the fourth event again. Delivery is at least once, so the endpoint sees that event
twice; it de-duplicates by the Webhook-Id header, so it processes every event exactly once.

Processes, not threads, as in production. The SQLite test database (shared-cache memory) cannot be
shared across processes, so on SQLite the processes use a file copy of it with the production
settings; on PostgreSQL they use the test database.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from .receiver import Receiver

LEASE_SECONDS = 3
EVENTS = 8
HELD = 4  # the request the endpoint holds while the worker is killed
REPOSITORY = Path(__file__).resolve().parents[3]


@pytest.fixture
def worker_env(tmp_path, shared_database_url):
    return dict(os.environ) | {
        "DJANGO_SETTINGS_MODULE": "zhengtong.settings.test",
        "ZHENGTONG_HOME": str(tmp_path),
        "WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
        "DATABASE_URL": shared_database_url,
    }


def helper(env, *args, **kwargs):
    return [sys.executable, str(Path(__file__).with_name("webhook_worker.py")), *args], dict(env=env, cwd=REPOSITORY,
                                                                                              **kwargs)


def run_helper(env, *args):
    command, options = helper(env, *args)
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **options)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_events_reach_the_subscriber_once_when_the_worker_is_killed_midway(worker_env):
    with Receiver(hold_request=HELD) as receiver:
        published = run_helper(worker_env, "publish", receiver.url, str(EVENTS))
        receiver.secret = published["secret"]
        event_ids = published["event_ids"]
        assert len(set(event_ids)) == EVENTS

        command, options = helper(worker_env, "work")
        worker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **options)
        try:
            assert receiver.held.wait(120), "the worker never reached the fourth event"
            held_at = time.monotonic()
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
        assert worker.returncode == -signal.SIGKILL
        receiver.release.set()  # its answer now goes nowhere

        # Killed midway: three delivered, the fourth in flight (processed by the endpoint, but the
        # worker died before recording it), four not yet tried.
        before = run_helper(worker_env, "report")
        assert Counter((row["status"], row["attempts"], row["in_flight"]) for row in before) == {
            ("delivered", 1, False): HELD - 1, ("pending", 1, True): 1, ("pending", 0, False): EVENTS - HELD
        }
        [held] = [row["event_id"] for row in before if row["in_flight"]]
        assert receiver.ids_received() == [row["event_id"] for row in before if row["attempts"] == 1]

        # A new worker, once the lease of the killed attempt has run out. The sweep finds exactly
        # that one left behind (the other four still have their queued tasks).
        time.sleep(max(0.0, held_at + LEASE_SECONDS + 0.5 - time.monotonic()))
        assert run_helper(worker_env, "finish") == 1

    after = run_helper(worker_env, "report")
    assert {row["event_id"]: (row["status"], row["attempts"], row["in_flight"], row["last_http_status"])
            for row in after} == {
        event_id: ("delivered", 2 if event_id == held else 1, False, 200) for event_id in event_ids
    }
    assert [row["last_error"] for row in after if row["event_id"] == held] == [
        "Attempt 1 did not report back within its lease (the worker stopped?)."
    ]
    # Every request was signed correctly; the held event arrived twice, every other event once.
    assert all(request.verified for request in receiver.requests)
    assert Counter(receiver.ids_received()) == {event_id: 2 if event_id == held else 1 for event_id in event_ids}
    # After de-duplication by the idempotency key, every event was processed exactly once.
    assert sorted(receiver.processed) == sorted(event_ids)
    assert len(receiver.processed) == EVENTS
